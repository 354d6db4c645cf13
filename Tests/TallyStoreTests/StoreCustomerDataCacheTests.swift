import Foundation
import SQLite
import Testing

@testable import TallyStore

/// The customer data cache: a store keeps what the rules read between transactions, and a
/// change by any connection, committed or rolled back, is seen by the next lookup.
@Suite struct StoreCustomerDataCacheTests {
    typealias F = StoreFixtures

    /// Creates issue `issueID` for customer 1 and redeems its phone incident; returns the outcome.
    private func redeemPhone(_ store: Store, issueID: Int64) throws -> String {
        try store.write { transaction in
            _ = try transaction.apply(F.createIssue(issueID, customer: "1", contact: "87"), commandID: "create-\(issueID)")
            let outcome = try transaction.apply(F.redeem(issueID, "phone"), commandID: "redeem-\(issueID)")
            guard case .incidents(let outcomes) = outcome, let first = outcomes.first else { return "no outcome" }
            switch first {
            case .redeemed: return "redeemed"
            case .unredeemed: return "unredeemed"
            case .rejected(let rejection): return rejection.reason.rawValue
            }
        }
    }

    private func phoneTotal(_ store: Store) throws -> Int? {
        try store.read { try $0.backend.contract(id: "c1")?.totals["phone"] }
    }

    @Test func totalRaisedByAnotherConnectionIsSeen() throws {
        let temporary = try TemporaryStore()
        try F.seed(temporary.store.database)
        #expect(try redeemPhone(temporary.store, issueID: 1) == "redeemed")
        #expect(try redeemPhone(temporary.store, issueID: 2) == "redeemed")
        #expect(try redeemPhone(temporary.store, issueID: 3) == "no_incidents_left")

        let other = try Store(path: temporary.path)
        defer { other.close() }
        try other.write { transaction in
            try transaction.database.execute("UPDATE contract_totals SET total = 3 WHERE contract_id = 'c1' AND incident_type = 'phone'")
        }

        #expect(try phoneTotal(temporary.store) == 3)
        #expect(try redeemPhone(temporary.store, issueID: 4) == "redeemed")
    }

    @Test func importByAnotherConnectionIsSeen() throws {
        let temporary = try TemporaryStore()
        _ = try temporary.store.write { try $0.importCustomerData(ExampleData.document(now: F.now)) }
        let contractID = try #require(try temporary.store.read { try $0.backend.contracts(customerID: "2").first?.id })
        let before = try temporary.store.read { try $0.backend.contract(id: contractID) }

        let other = try Store(path: temporary.path)
        defer { other.close() }
        var document = try other.exportCustomerData()
        let index = try #require(document.contracts.firstIndex { $0.id == contractID })
        document.contracts[index].graceDays += 7
        _ = try other.write { try $0.importCustomerData(document) }

        let after = try temporary.store.read { try $0.backend.contract(id: contractID) }
        #expect(after?.graceDays == (before?.graceDays ?? 0) + 7)
    }

    @Test func customerAddedAfterAMissIsFound() throws {
        let temporary = try TemporaryStore()
        try F.seed(temporary.store.database)
        #expect(try temporary.store.read { try $0.backend.customer(id: "7") } == nil)
        #expect(try temporary.store.read { try $0.backend.contact(id: "70") } == nil)

        let other = try Store(path: temporary.path)
        defer { other.close() }
        try other.write { transaction in
            try transaction.database.execute("INSERT INTO customers VALUES ('7', 'Late Ltd.')")
            try transaction.database.execute("INSERT INTO contacts VALUES ('70', '7', 'Late', 'late@example.com')")
        }

        #expect(try temporary.store.read { try $0.backend.customer(id: "7") }?.name == "Late Ltd.")
        #expect(try temporary.store.read { try $0.backend.contact(id: "70") }?.customerID == "7")
    }

    @Test func changeEarlierInTheSameTransactionIsSeen() throws {
        let temporary = try TemporaryStore()
        try F.seed(temporary.store.database)
        #expect(try phoneTotal(temporary.store) == 2)

        let total = try temporary.store.write { transaction in
            try transaction.database.execute("UPDATE contract_totals SET total = 9 WHERE contract_id = 'c1' AND incident_type = 'phone'")
            return try transaction.backend.contract(id: "c1")?.totals["phone"]
        }
        #expect(total == 9)
    }

    @Test func rolledBackChangeIsForgotten() throws {
        let temporary = try TemporaryStore()
        try F.seed(temporary.store.database)
        struct Abort: Error {}

        // The rolled-back write reads its own change into the cache. Then another connection
        // commits a different change, which brings the counter back to the same value.
        #expect(throws: Abort.self) {
            try temporary.store.write { transaction in
                try transaction.database.execute("UPDATE contract_totals SET total = 9 WHERE contract_id = 'c1' AND incident_type = 'phone'")
                _ = try transaction.backend.contract(id: "c1")
                throw Abort()
            }
        }
        let other = try Store(path: temporary.path)
        defer { other.close() }
        try other.write { transaction in
            try transaction.database.execute("UPDATE contract_totals SET total = 4 WHERE contract_id = 'c1' AND incident_type = 'phone'")
        }

        #expect(try phoneTotal(temporary.store) == 4)
    }

    @Test func everyCustomerDataTableRaisesTheGeneration() throws {
        let temporary = try TemporaryStore()
        try F.seed(temporary.store.database)
        let database = temporary.store.database
        func generation() throws -> Int64 {
            try database.queryFirst("SELECT generation FROM customer_data_generation")?.get(0) ?? -1
        }

        let statements = [
            "UPDATE support_levels SET name = 'Normal' WHERE id = '1'",
            "INSERT INTO incident_types VALUES ('chat', 'Chat')",
            "DELETE FROM incident_types WHERE id = 'chat'",
            "UPDATE customers SET name = 'Bryan' WHERE id = '1'",
            "UPDATE contacts SET email = 'b@example.com' WHERE id = '87'",
            "UPDATE contracts SET grace_days = 5 WHERE id = 'c1'",
            "DELETE FROM contract_totals WHERE contract_id = 'c3'",
        ]
        for statement in statements {
            let before = try generation()
            try database.execute(statement)
            #expect(try generation() > before, "\(statement)")
        }

        let before = try generation()
        _ = try redeemPhone(temporary.store, issueID: 1)
        #expect(try generation() == before, "commands do not change customer data")
    }

    @Test func fullCacheStartsOverAndStaysCorrect() throws {
        let temporary = try TemporaryStore()
        try F.seed(temporary.store.database)
        let cache = CustomerDataCache(capacity: 2)
        try cache.validate(against: temporary.store.database)
        let backend = SQLiteCustomerBackend(database: temporary.store.database, cache: cache)

        for _ in 0..<3 {
            for id in ["1", "2", "3", "4", "5", "6", "7"] {
                let expected = try temporary.store.database.queryFirst("SELECT name FROM customers WHERE id = ?", id)?.get(0, as: String.self)
                #expect(try backend.customer(id: id)?.name == expected)
            }
        }
        #expect(try backend.contracts(customerID: "1").map(\.id) == ["c1"])
        #expect(try backend.incidentTypes().map(\.id) == ["email", "onsite", "phone"])
        #expect(try backend.supportLevel(id: "3")?.name == "Enhanced")
    }
}
