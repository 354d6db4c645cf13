import Foundation
import Testing
@testable import TallyStore

/// An incident command for an issue whose creation Tally rejected is final at once, with the
/// reason, while one for an issue never seen may still be waiting for its creation.
@Suite struct StoreIssueRejectionTests {
    typealias F = StoreFixtures

    func singleRejection(in outcome: CommandOutcome) -> IncidentRejection? {
        guard case .incidents(let outcomes) = outcome, outcomes.count == 1, case .rejected(let rejection) = outcomes[0] else {
            return nil
        }
        return rejection
    }

    @Test func redeemAfterRejectedCreationNamesReason() throws {
        let temporary = try TemporaryStore()
        try F.seed(temporary.store.database)

        let outcome = try temporary.store.write { transaction in
            _ = try transaction.apply(F.createIssue(1, customer: "3", contact: "21"), commandID: "create-1")
            return try transaction.apply(F.redeem(1, "phone"), commandID: "redeem-1")
        }

        let rejection = try #require(singleRejection(in: outcome))
        #expect(rejection.reason == .unknownIssue)
        #expect(rejection.issueRejectionReason == .contractExpired)
        #expect(rejection.detail.contains("contract_expired"))
    }

    @Test func redeemOfUnseenIssueHasNoRejectionReason() throws {
        let temporary = try TemporaryStore()
        try F.seed(temporary.store.database)

        let outcome = try temporary.store.write { transaction in
            try transaction.apply(F.redeem(7, "phone"), commandID: "redeem-7")
        }

        let rejection = try #require(singleRejection(in: outcome))
        #expect(rejection.reason == .unknownIssue)
        #expect(rejection.issueRejectionReason == nil)
    }

    @Test func acceptedCreationAfterRejectionWins() throws {
        let temporary = try TemporaryStore()
        try F.seed(temporary.store.database)

        let outcome = try temporary.store.write { transaction in
            _ = try transaction.apply(F.createIssue(1, customer: "3", contact: "21"), commandID: "create-1")
            _ = try transaction.apply(F.createIssue(1, customer: "1", contact: "87"), commandID: "create-1-again")
            return try transaction.apply(F.redeem(1, "phone"), commandID: "redeem-1")
        }

        guard case .incidents(let outcomes) = outcome, case .redeemed = outcomes.first else {
            Issue.record("expected a redemption, got \(outcome)")
            return
        }
    }

    @Test func rejectionSurvivesReopening() throws {
        let temporary = try TemporaryStore()
        try F.seed(temporary.store.database)
        try temporary.store.write { transaction in
            _ = try transaction.apply(F.createIssue(1, customer: "9", contact: "87"), commandID: "create-1")
        }

        let reopened = try Store(path: temporary.path)
        defer { reopened.close() }
        let reason = try reopened.read { transaction in
            try transaction.backend.issueRejection(issueID: 1)
        }
        #expect(reason == .unknownCustomer)
    }
}
