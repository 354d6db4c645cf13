import Foundation
import Testing
@testable import TallyStore

@Suite struct StoreApplyTests {
    typealias F = StoreFixtures

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        /// Commands run first; their outcomes are not checked.
        var setup: [Command]
        var command: Command
        var expected: String
        var testDescription: String { name }
    }

    static let later = F.now.addingTimeInterval(30 * F.day)
    static let beforeC1 = F.now.addingTimeInterval(-101 * F.day)

    static let cases: [Case] = [
        Case(name: "issue accepted", setup: [], command: F.createIssue(1, customer: "1", contact: "87"), expected: "accepted c1"),
        Case(name: "issue in grace", setup: [], command: F.createIssue(1, customer: "2", contact: "67"), expected: "accepted c2"),
        Case(name: "unknown customer", setup: [], command: F.createIssue(1, customer: "9", contact: "87"), expected: "unknown_customer"),
        Case(name: "unknown contact", setup: [], command: F.createIssue(1, customer: "1", contact: "9"), expected: "unknown_contact"),
        Case(name: "contact of other customer", setup: [], command: F.createIssue(1, customer: "2", contact: "87"), expected: "contact_not_of_customer"),
        Case(name: "unknown contract", setup: [], command: F.createIssue(1, customer: "1", contact: "87", contract: "c2"), expected: "unknown_contract"),
        Case(name: "no contract", setup: [], command: F.createIssue(1, customer: "6", contact: "60"), expected: "no_contract"),
        Case(name: "contract not started", setup: [], command: F.createIssue(1, customer: "5", contact: "50"), expected: "contract_not_started"),
        Case(name: "contract expired", setup: [], command: F.createIssue(1, customer: "3", contact: "21"), expected: "contract_expired"),
        Case(name: "redeem", setup: [F.createIssue(1, customer: "1", contact: "87")], command: F.redeem(1, "phone"), expected: "redeemed phone"),
        Case(name: "redeem unknown issue", setup: [], command: F.redeem(1, "phone"), expected: "unknown_issue"),
        Case(name: "redeem rejected issue", setup: [F.createIssue(1, customer: "3", contact: "21")], command: F.redeem(1, "phone"), expected: "unknown_issue"),
        Case(name: "redeem unknown type", setup: [F.createIssue(1, customer: "1", contact: "87")], command: F.redeem(1, "fax"), expected: "unknown_incident_type"),
        Case(name: "redeem not per-incident", setup: [F.createIssue(1, customer: "4", contact: "40")], command: F.redeem(1, "phone"), expected: "not_per_incident"),
        Case(name: "redeem before start", setup: [F.createIssue(1, customer: "1", contact: "87")], command: F.redeem(1, "phone", at: beforeC1), expected: "contract_not_started"),
        Case(name: "redeem after expiry", setup: [F.createIssue(1, customer: "2", contact: "67")], command: F.redeem(1, "phone", at: later), expected: "contract_expired"),
        Case(name: "redeem twice", setup: [F.createIssue(1, customer: "1", contact: "87"), F.redeem(1, "phone")], command: F.redeem(1, "phone"), expected: "already_redeemed"),
        Case(
            name: "redeem none left",
            setup: [F.createIssue(1, customer: "1", contact: "87"), F.createIssue(2, customer: "1", contact: "93"),
                    F.createIssue(3, customer: "1", contact: "93"), F.redeem(1, "phone"), F.redeem(2, "phone")],
            command: F.redeem(3, "phone"), expected: "no_incidents_left"),
        Case(name: "redeem type without total", setup: [F.createIssue(1, customer: "1", contact: "87")], command: F.redeem(1, "onsite"), expected: "no_incidents_left"),
        Case(
            name: "redeem overage",
            setup: [F.createIssue(1, customer: "2", contact: "67"), F.createIssue(2, customer: "2", contact: "67"), F.redeem(1, "phone")],
            command: F.redeem(2, "phone"), expected: "redeemed phone"),
        Case(name: "unredeem", setup: [F.createIssue(1, customer: "1", contact: "87"), F.redeem(1, "phone")], command: F.unredeem(1, "phone"), expected: "unredeemed phone"),
        Case(name: "unredeem unknown issue", setup: [], command: F.unredeem(1, "phone"), expected: "unknown_issue"),
        Case(name: "unredeem unknown type", setup: [F.createIssue(1, customer: "1", contact: "87")], command: F.unredeem(1, "fax"), expected: "unknown_incident_type"),
        Case(name: "unredeem not per-incident", setup: [F.createIssue(1, customer: "4", contact: "40")], command: F.unredeem(1, "phone"), expected: "not_per_incident"),
        Case(name: "unredeem not redeemed", setup: [F.createIssue(1, customer: "1", contact: "87")], command: F.unredeem(1, "phone"), expected: "not_redeemed"),
        Case(name: "unredeem twice", setup: [F.createIssue(1, customer: "1", contact: "87"), F.redeem(1, "phone"), F.unredeem(1, "phone")], command: F.unredeem(1, "phone"), expected: "not_redeemed"),
        Case(name: "unredeem after expiry", setup: [F.createIssue(1, customer: "2", contact: "67"), F.redeem(1, "phone")], command: F.unredeem(1, "phone", at: later), expected: "unredeemed phone"),
    ]

    @Test(arguments: cases)
    func applyCase(_ testCase: Case) throws {
        let temporary = try TemporaryStore()
        try F.seed(temporary.store.database)
        for (index, command) in testCase.setup.enumerated() {
            _ = try temporary.store.write { try $0.apply(command, commandID: "setup-\(index)") }
        }

        let outcome = try temporary.store.write { try $0.apply(testCase.command, commandID: "command") }

        #expect(outcome.summary == testCase.expected)
        #expect(try temporary.store.read { try $0.verifyLedger() } == [])
    }

    @Test func redeemReturnsLedgerIDAndCounters() throws {
        let temporary = try TemporaryStore()
        try F.seed(temporary.store.database)
        _ = try temporary.store.write { try $0.apply(F.createIssue(7, customer: "1", contact: "87"), commandID: "m1") }

        let outcome = try temporary.store.write { try $0.apply(F.redeem(7, "phone"), commandID: "m2") }
        let redemption = try #require(outcome.redemption)

        #expect(redemption.ledgerID > 0)
        #expect(redemption.quota == IncidentQuota(incidentType: "phone", total: 2, used: 1))
        #expect(redemption.isLowQuota)
        #expect(redemption.lowWaterMark == 1)
        #expect(!redemption.isOverage)
        #expect(redemption.contractStatus == .active)
        #expect(redemption.supportLevel.name == "Normal 1")

        let ledger = try temporary.store.read { try $0.ledger(issueID: 7) }
        #expect(ledger.count == 1)
        #expect(ledger.first?.id == redemption.ledgerID)
        #expect(ledger.first?.commandID == "m2")
        #expect(ledger.first?.actor == "admin")
        #expect(ledger.first?.at == F.now)
        #expect(ledger.first?.usedAfter == 1)
        #expect(ledger.first?.remainingAfter == 1)
        #expect(try temporary.store.read { try $0.backend.redeemedTypes(issueID: 7) } == ["phone"])
    }

    @Test func unredeemNamesTheRedeemItGivesBack() throws {
        let temporary = try TemporaryStore()
        try F.seed(temporary.store.database)
        _ = try temporary.store.write { try $0.apply(F.createIssue(7, customer: "1", contact: "87"), commandID: "m1") }
        let first = try #require(try temporary.store.write { try $0.apply(F.redeem(7, "phone"), commandID: "m2") }.redemption)
        let firstBack = try #require(try temporary.store.write { try $0.apply(F.unredeem(7, "phone"), commandID: "m3") }.redemption)
        let second = try #require(try temporary.store.write { try $0.apply(F.redeem(7, "phone"), commandID: "m4") }.redemption)
        let secondBack = try #require(try temporary.store.write { try $0.apply(F.unredeem(7, "phone"), commandID: "m5") }.redemption)

        #expect(first.redemptionLedgerID == nil)
        #expect(firstBack.redemptionLedgerID == first.ledgerID)
        #expect(secondBack.redemptionLedgerID == second.ledgerID)
        #expect(second.ledgerID != first.ledgerID)
    }

    @Test func overageRedeemFlaggedAndRemainingZero() throws {
        let temporary = try TemporaryStore()
        try F.seed(temporary.store.database)
        for issue: Int64 in 1...3 {
            _ = try temporary.store.write { try $0.apply(F.createIssue(issue, customer: "2", contact: "67"), commandID: "c\(issue)") }
        }
        _ = try temporary.store.write { try $0.apply(F.redeem(1, "phone"), commandID: "r1") }
        _ = try temporary.store.write { try $0.apply(F.redeem(2, "phone"), commandID: "r2") }
        let third = try #require(try temporary.store.write { try $0.apply(F.redeem(3, "phone"), commandID: "r3") }.redemption)

        #expect(third.isOverage)
        #expect(third.quota.used == 3)
        #expect(third.quota.remaining == 0)
        let ledger = try temporary.store.read { try $0.ledger(issueID: 3) }
        #expect(ledger.first?.remainingAfter == 0)
    }

    @Test func exactSetChangesAllInOneTransaction() throws {
        let temporary = try TemporaryStore()
        try F.seed(temporary.store.database)
        _ = try temporary.store.write { try $0.apply(F.createIssue(5, customer: "1", contact: "87"), commandID: "m1") }
        _ = try temporary.store.write { try $0.apply(F.redeem(5, "phone"), commandID: "m2") }

        let update = Command.setRedeemedTypes(RedeemedTypesUpdate(issueID: 5, incidentTypes: ["email", "onsite"], actor: "staff", requestedAt: F.now))
        let outcome = try temporary.store.write { try $0.apply(update, commandID: "m3") }

        #expect(outcome.summary == "unredeemed phone, redeemed email, no_incidents_left")
        #expect(try temporary.store.read { try $0.backend.redeemedTypes(issueID: 5) } == ["email"])
        let ledger = try temporary.store.read { try $0.ledger(issueID: 5) }
        #expect(ledger.map(\.action) == [.redeem, .unredeem, .redeem])
        #expect(ledger.suffix(2).allSatisfy { $0.commandID == "m3" })
        #expect(try temporary.store.read { try $0.verifyLedger() } == [])
    }

    @Test func failedWriteRollsBackEverything() throws {
        struct Stop: Error {}
        let temporary = try TemporaryStore()
        try F.seed(temporary.store.database)
        _ = try temporary.store.write { try $0.apply(F.createIssue(5, customer: "1", contact: "87"), commandID: "m1") }

        #expect(throws: Stop.self) {
            try temporary.store.write { transaction in
                _ = try transaction.apply(F.redeem(5, "phone"), commandID: "m2")
                _ = try transaction.recordInbox(messageID: "m2", routingKey: "incident.redeem", receivedAt: F.now)
                throw Stop()
            }
        }

        #expect(try temporary.store.read { try $0.ledger(issueID: 5) } == [])
        #expect(try temporary.store.read { try $0.inboxCount() } == 0)
        #expect(try temporary.store.read { try $0.backend.usedCounts(contractID: "c1") }.values.allSatisfy { $0 == 0 })
    }

    @Test func repeatedCreateMovesIssueButNotRedemptions() throws {
        let temporary = try TemporaryStore()
        try F.seed(temporary.store.database)
        try temporary.store.database.execute(
            "INSERT INTO contracts VALUES ('c1b', '1', '1', ?, ?, 30, 1, 0)", F.seconds(-100), F.seconds(100))
        try temporary.store.database.execute("INSERT INTO contract_totals VALUES ('c1b', 'phone', 3, NULL)")
        _ = try temporary.store.write { try $0.apply(F.createIssue(5, customer: "1", contact: "87", contract: "c1"), commandID: "m1") }
        _ = try temporary.store.write { try $0.apply(F.redeem(5, "phone"), commandID: "m2") }

        let moved = try temporary.store.write { try $0.apply(F.createIssue(5, customer: "1", contact: "87", contract: "c1b"), commandID: "m3") }
        #expect(moved.summary == "accepted c1b")

        let unredeemed = try #require(try temporary.store.write { try $0.apply(F.unredeem(5, "phone"), commandID: "m4") }.redemption)
        #expect(unredeemed.contractID == "c1")
        let redeemed = try #require(try temporary.store.write { try $0.apply(F.redeem(5, "phone"), commandID: "m5") }.redemption)
        #expect(redeemed.contractID == "c1b")
        #expect(try temporary.store.read { try $0.verifyLedger() } == [])
    }

    @Test func emailLookupIgnoresCase() throws {
        let temporary = try TemporaryStore()
        try F.seed(temporary.store.database)
        let contacts = try temporary.store.read { try $0.backend.contacts(email: "JOHN.doe@EXAMPLE.com") }
        #expect(contacts.map(\.id) == ["22"])
        #expect(try temporary.store.read { try $0.backend.contacts(email: "nobody@nowhere.example") } == [])
    }
}

@Suite struct StoreBackendTests {
    typealias F = StoreFixtures

    @Test func backendOpensOwnTransaction() throws {
        let temporary = try TemporaryStore()
        try F.seed(temporary.store.database)
        let backend = SQLiteCustomerBackend(database: temporary.store.database)

        let created = try backend.apply(F.createIssue(3, customer: "1", contact: "93"), commandID: "m1")
        let redeemed = try backend.apply(F.redeem(3, "email"), commandID: "m2")

        #expect(created.summary == "accepted c1")
        #expect(redeemed.summary == "redeemed email")
        #expect(!temporary.store.database.isInTransaction)
        #expect(try backend.redeemedTypes(issueID: 3) == ["email"])
        #expect(try backend.contractStatus(contractID: "c2", at: F.now) == .inGracePeriod)
        #expect(try backend.contractStatus(contractID: "none", at: F.now) == nil)
        #expect(try backend.quotas(contractID: "c1") == [
            IncidentQuota(incidentType: "email", total: 5, used: 1),
            IncidentQuota(incidentType: "phone", total: 2, used: 0),
        ])
        #expect(try backend.quotas(contractID: "c4") == [])
    }

    @Test func backendRollsBackOnError() throws {
        struct Stop: Error {}
        let temporary = try TemporaryStore()
        try F.seed(temporary.store.database)
        let backend = SQLiteCustomerBackend(database: temporary.store.database)
        _ = try backend.apply(F.createIssue(3, customer: "1", contact: "93"), commandID: "m1")

        #expect(throws: Stop.self) {
            try backend.withTransaction {
                _ = try backend.apply(F.redeem(3, "email"), commandID: "m2")
                throw Stop()
            }
        }
        #expect(try backend.redeemedTypes(issueID: 3) == [])
        #expect(try backend.usedCounts(contractID: "c1")["email", default: 0] == 0)
    }
}
