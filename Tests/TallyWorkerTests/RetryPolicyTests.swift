import Foundation
import TallyCore
import Testing

@testable import TallyWorker

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy()

    func rejection(_ reason: IncidentRejectionReason) -> IncidentOutcome {
        .rejected(IncidentRejection(issueID: 7, incidentType: "phone", reason: reason, detail: "test"))
    }

    @Test func unknownIssueIsRetriedWithGrowingDelays() {
        let outcome = CommandOutcome.incidents([rejection(.unknownIssue)])
        let delays = (0..<3).map { policy.retryQueue(for: outcome, attempt: $0)?.delayMilliseconds }
        #expect(delays == [1_000, 5_000, 30_000])
    }

    @Test func unknownIssueIsFinalAfterLastDelay() {
        let outcome = CommandOutcome.incidents([rejection(.unknownIssue)])
        #expect(policy.retryQueue(for: outcome, attempt: 3) == nil)
        #expect(policy.retryQueue(for: outcome, attempt: 99) == nil)
    }

    @Test(arguments: IncidentRejectionReason.allCases.filter { $0 != .unknownIssue })
    func otherRejectionsAreFinal(reason: IncidentRejectionReason) {
        #expect(policy.retryQueue(for: .incidents([rejection(reason)]), attempt: 0) == nil)
    }

    @Test func mixedOutcomesAreFinal() {
        let redeemed = IncidentOutcome.rejected(IncidentRejection(issueID: 7, incidentType: "email", reason: .alreadyRedeemed, detail: "test"))
        #expect(policy.retryQueue(for: .incidents([rejection(.unknownIssue), redeemed]), attempt: 0) == nil)
    }

    @Test func emptyIncidentListIsFinal() {
        #expect(policy.retryQueue(for: .incidents([]), attempt: 0) == nil)
    }
}

@Suite struct RetryPolicyRejectedIssueTests {
    @Test func rejectedCreationIsFinalAtOnce() {
        let rejection = IncidentRejection(
            issueID: 7, incidentType: "phone", reason: .unknownIssue, detail: "test", issueRejectionReason: .contractExpired)
        #expect(RetryPolicy().retryQueue(for: .incidents([.rejected(rejection)]), attempt: 0) == nil)
    }
}
