import Foundation
import Testing
@testable import TallyStore

@Suite struct StoreLedgerTests {
    typealias F = StoreFixtures

    static func storeWithRedemptions() throws -> TemporaryStore {
        let temporary = try TemporaryStore()
        try F.seed(temporary.store.database)
        let commands: [Command] = [
            F.createIssue(1, customer: "1", contact: "87"), F.createIssue(2, customer: "1", contact: "93"),
            F.redeem(1, "phone"), F.redeem(1, "email"), F.redeem(2, "phone"), F.unredeem(1, "phone"),
        ]
        for (index, command) in commands.enumerated() {
            _ = try temporary.store.write { try $0.apply(command, commandID: "m\(index)") }
        }
        return temporary
    }

    @Test func ledgerByIssueAndCustomer() throws {
        let temporary = try Self.storeWithRedemptions()
        let issue1 = try temporary.store.read { try $0.ledger(issueID: 1) }
        #expect(issue1.map(\.action) == [.redeem, .redeem, .unredeem])
        #expect(issue1.map(\.commandID) == ["m2", "m3", "m5"])
        #expect(issue1.last?.usedAfter == 1)
        #expect(issue1.last?.remainingAfter == 1)

        let customer = try temporary.store.read { try $0.ledger(customerID: "1", since: nil) }
        #expect(customer.count == 4)
        #expect(try temporary.store.read { try $0.ledger(customerID: "1", since: F.now.addingTimeInterval(1)) } == [])
        #expect(try temporary.store.read { try $0.ledger(customerID: "2", since: nil) } == [])
    }

    @Test func verifyFindsNothingWhenConsistent() throws {
        let temporary = try Self.storeWithRedemptions()
        #expect(try temporary.store.read { try $0.verifyLedger() } == [])
    }

    @Test func verifyReportsTamperedCounter() throws {
        let temporary = try Self.storeWithRedemptions()
        try temporary.store.database.execute(
            "UPDATE incident_counts SET used = 5 WHERE contract_id = 'c1' AND incident_type = 'email'")

        let discrepancies = try temporary.store.read { try $0.verifyLedger() }
        #expect(discrepancies == [
            LedgerDiscrepancy(contractID: "c1", incidentType: "email", usedCount: 5, ledgerCount: 1, liveRedemptions: 1, lastUsedAfter: 1),
        ])
    }

    @Test func verifyReportsDeletedRedemption() throws {
        let temporary = try Self.storeWithRedemptions()
        try temporary.store.database.execute("DELETE FROM redemptions WHERE issue_id = 2")

        let discrepancies = try temporary.store.read { try $0.verifyLedger() }
        #expect(discrepancies.map(\.incidentType) == ["phone"])
        #expect(discrepancies.first?.liveRedemptions == 0)
    }

    @Test func ledgerRejectsUpdateAndDelete() throws {
        let temporary = try Self.storeWithRedemptions()
        #expect(throws: (any Error).self) {
            try temporary.store.database.execute("UPDATE ledger SET used_after = 0")
        }
        #expect(throws: (any Error).self) {
            try temporary.store.database.execute("DELETE FROM ledger")
        }
        #expect(try temporary.store.read { try $0.ledger(issueID: 1) }.count == 3)
    }

    @Test func quotasPerContract() throws {
        let temporary = try Self.storeWithRedemptions()
        let quotas = try #require(try temporary.store.read { try $0.quotas(customerID: "1", at: F.now) })
        #expect(quotas.map(\.contract.id) == ["c1"])
        #expect(quotas.first?.status == .active)
        #expect(quotas.first?.quotas == [
            IncidentQuota(incidentType: "email", total: 5, used: 1),
            IncidentQuota(incidentType: "phone", total: 2, used: 1),
        ])
        #expect(try temporary.store.read { try $0.quotas(customerID: "nobody", at: F.now) } == nil)
    }

    @Test func customerReportCollectsEverything() throws {
        let temporary = try Self.storeWithRedemptions()
        try temporary.store.database.execute("INSERT INTO account_managers VALUES ('1', 'admin', 'primary'), ('1', 'backup-user', 'backup')")
        try temporary.store.database.execute("INSERT INTO customer_notes VALUES ('1', 'Prefers phone.')")

        let report = try #require(try temporary.store.read { try $0.customerReport(customerID: "1", at: F.now, recentLedgerLimit: 2) })
        #expect(report.customer.name == "Bryan's widget factory")
        #expect(report.contacts.map(\.id) == ["87", "93"])
        #expect(report.contracts.count == 1)
        #expect(report.accountManagers.map(\.role) == [.primary, .backup])
        #expect(report.note == "Prefers phone.")
        #expect(report.recentLedger.map(\.commandID) == ["m5", "m4"])
    }
}
