import Foundation
import TallyStore
import Testing

@Suite struct DuplicateTests {
    /// The same message ids published again in one batch and in a later one: one outcome and
    /// one ledger row per id. A copy with another body is dead-lettered as a reused id.
    @Test func duplicateMessageIDProcessedOnce() async throws {
        let now = Date()
        let scenario = try await Scenario.make("duplicates", customers: CustomerFixtures.situations(now: now))
        let create = Commands.createIssue("dup-create", issue: 401, customer: "act", contact: "act-1", at: now)
        let redeem = Commands.redeem("dup-redeem", issue: 401, type: "email", at: now)
        var changedBody = Commands.redeem("dup-redeem", issue: 401, type: "phone", at: now)
        changedBody.headers["x-note"] = "same id, other body"

        // Published before the worker starts, so the copies share one batch.
        try scenario.publish([create, redeem, redeem, create, redeem, changedBody])
        let tap = try scenario.tapResults()
        let dead = try scenario.tapDeadLetters()
        let worker = try scenario.startWorker("duplicates")
        try tap.collect(distinct: 2, timeout: .seconds(20))

        // Copies arriving after the original was acked, in a batch of their own.
        try scenario.publish([redeem, create])
        #expect(eventually(timeout: .seconds(10)) { (try? scenario.readyCount("tally.commands")) == 0 })
        try tap.collect(for: .seconds(1))
        try dead.collect(for: .milliseconds(200))
        #expect(scenario.stopWorkers() == [0])

        #expect(tap.outcomesByCommand == ["dup-create": ["issue.accepted"], "dup-redeem": ["incident.redeemed"]], "\(scenario.logHint)")
        #expect(tap.messages.count == 2, "no result is published again for a duplicate")
        #expect(tap.distinctIDs == ["dup-create:issue.accepted:issue", "dup-redeem:incident.redeemed:email"])

        let snapshot = try scenario.withStore { try StoreSnapshot($0, customers: ["act"]) }
        #expect(snapshot.ledger.map(\.commandID) == ["dup-redeem"])
        #expect(snapshot.ledger.map(\.incidentType) == ["email"])
        #expect(snapshot.inboxCount == 2)
        #expect(snapshot.outboxCount == 0)
        #expect(snapshot.discrepancies == [])
        #expect(snapshot.quotas["act-c/phone"]?.used == 0)

        #expect(dead.messages.map(\.messageID) == ["dup-redeem"])
        #expect(dead.messages.first?.headers["x-tally-reason"] == "message_id_reused")
        #expect(dead.messages.first?.headers["x-note"] == "same id, other body")

        let stopLine = worker.logLines("worker stopped").last ?? ""
        #expect(stopLine.contains("duplicates=5"), "\(stopLine)")
        #expect(stopLine.contains("dead_lettered=1"), "\(stopLine)")
        #expect(stopLine.contains("processed=2"), "\(stopLine)")
        await scenario.finish()
    }
}
