import Foundation
import TallyStore
import Testing

/// A redeem of an issue the worker does not know yet goes through the delay queues
/// (1 s, 5 s, 30 s) before it is rejected as `unknown_issue`.
@Suite struct RetryTests {
    @Test func retryRedeemSucceedsOnceIssueExists() async throws {
        let now = Date()
        let scenario = try await Scenario.make("retry-ok", customers: CustomerFixtures.situations(now: now))
        let tap = try scenario.tapResults()
        let worker = try scenario.startWorker("retry-ok")

        try scenario.publish([Commands.redeem("early-redeem", issue: 501, type: "email", at: now)])
        #expect(worker.waitForLog("message_id=early-redeem", timeout: .seconds(10)))
        try scenario.publish([Commands.createIssue("late-create", issue: 501, customer: "act", contact: "act-1", at: now)])

        try tap.collect(distinct: 2, timeout: .seconds(20))
        try tap.collect(for: .milliseconds(500))
        #expect(scenario.stopWorkers() == [0])

        #expect(tap.outcomesByCommand == ["late-create": ["issue.accepted"], "early-redeem": ["incident.redeemed"]], "\(scenario.logHint)")
        let retries = worker.logLines("command sent for retry")
        #expect(retries.count == 1, "\(retries)")
        #expect(retries.first?.contains("attempt=1") == true)

        let snapshot = try scenario.withStore { try StoreSnapshot($0, customers: ["act"]) }
        #expect(snapshot.ledger.map(\.commandID) == ["early-redeem"])
        #expect(snapshot.inboxCount == 2)
        #expect(snapshot.discrepancies == [])
        for queue in ["tally.retry.1s", "tally.retry.5s", "tally.retry.30s", "tally.commands", "tally.dead"] {
            #expect(try scenario.readyCount(queue) == 0, "\(queue)")
        }
        await scenario.finish()
    }

    /// Waits through all three delays, about 36 seconds.
    @Test func retryGivesUpAfterLastDelay() async throws {
        let now = Date()
        let scenario = try await Scenario.make("retry-exhausted", customers: CustomerFixtures.situations(now: now))
        let tap = try scenario.tapResults()
        let worker = try scenario.startWorker("retry-exhausted")
        let start = ContinuousClock.now

        try scenario.publish([Commands.redeem("orphan-redeem", issue: 599, type: "phone", at: now)])
        try tap.collect(distinct: 1, timeout: .seconds(60))
        let elapsed = ContinuousClock.now - start
        try tap.collect(for: .seconds(1))
        #expect(scenario.stopWorkers() == [0])

        #expect(tap.outcomesByCommand == ["orphan-redeem": ["incident.rejected/unknown_issue"]], "\(scenario.logHint)")
        #expect(tap.messages.count == 1)
        #expect(elapsed >= .seconds(36), "rejected after \(elapsed), before the three delays passed")
        let attempts = worker.logLines("command sent for retry").compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("attempt=") }.map(String.init)
        }
        #expect(attempts == ["attempt=1", "attempt=2", "attempt=3"])
        #expect(try scenario.withStore { try $0.read { try $0.inboxCount() } } == 1)
        await scenario.finish()
    }
}
