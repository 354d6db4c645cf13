import Foundation
import TallyLoad
import TallyStore
import Testing

/// Commands of `WorkloadGenerator` for the tight-quota customers, as `TestCommand`s.
struct GeneratedWorkload {
    let planned: [PlannedCommand]
    let commands: [TestCommand]

    init(commands count: Int, seed: UInt64, runID: String, customers: CustomerDataDocument, now: Date) {
        let universe = WorkloadUniverse(
            customers: customers.customers.map { customer in
                WorkloadUniverse.Customer(
                    id: customer.id, contactIDs: customer.contacts.map(\.id),
                    contractIDs: customers.contracts.filter { $0.customerID == customer.id }.map(\.id))
            },
            incidentTypes: ["email", "phone"])
        var options = WorkloadOptions(commands: count, seed: seed, now: now, runID: runID)
        // Follow-ups of a rejected issue would wait 36 s in the delay queues before their
        // unknown_issue rejection; RetryTests covers that path.
        options.invalidIssueShare = 0
        planned = WorkloadGenerator.generate(options, universe: universe)
        commands = planned.map { TestCommand(routingKey: $0.routingKey, messageID: $0.messageID, headers: $0.headers, body: $0.body) }
    }

    /// Message ids of commands the worker must record in its inbox: all but those without a
    /// usable id.
    var inboxIDs: Set<String> {
        Set(planned.compactMap(\.messageID))
    }

    /// Message ids of well-formed issue creations, redeems and un-redeems: each needs a result.
    var answeredIDs: Set<String> {
        Set(planned.filter { [.createIssue, .redeem, .unredeem].contains($0.intent) }.compactMap(\.messageID))
    }

    var malformedIDs: Set<String> {
        Set(planned.filter { $0.intent == .malformed }.compactMap(\.messageID))
    }
}

@Suite(.serialized) struct CrashTests {
    /// SIGKILL at random instants, 18 times over 2,000 commands, restarting each time; then
    /// one worker finishes. Nothing is lost, nothing counted twice, no quota overdrawn.
    @Test func sigkillLoopLosesNothing() async throws {
        let now = Date()
        let customers = CustomerFixtures.tightQuotas(customers: 20, total: 4, now: now)
        let workload = GeneratedWorkload(commands: 2_000, seed: 11, runID: "kill", customers: customers, now: now)
        let scenario = try await Scenario.make("sigkill", customers: customers)
        let results = try scenario.tapResults()
        let dead = try scenario.tapDeadLetters()
        // Paced over about 15 s, longer than the 18 kills take (about 11 s), so that the kills
        // fall all along the stream and not after it.
        let publisher = BackgroundPublisher(url: scenario.url, commands: workload.commands, perSecond: 130)

        var random = SplitMix64(seed: 2026)
        var kills = 0
        var inboxAtKill: [Int] = []
        while kills < 18 {
            let worker = try scenario.startWorker("sigkill-\(kills)", arguments: ["--batch-size", "20", "--prefetch", "40"])
            try results.collect(for: .milliseconds(100 + random.next(below: 700)))
            worker.crash()
            kills += 1
            inboxAtKill.append(try scenario.withStore { try $0.read { try $0.inboxCount() } })
        }
        #expect(inboxAtKill.last ?? 0 < workload.inboxIDs.count, "the kills ended after the work was done: \(inboxAtKill)")

        try publisher.join()
        let finisher = try scenario.startWorker("sigkill-final")
        let done = try eventually(timeout: .seconds(60)) {
            try results.collect(for: .milliseconds(200))
            return try scenario.withStore { try $0.read { try $0.inboxCount() } } == workload.inboxIDs.count
                && scenario.readyCount("tally.commands") == 0
        }
        #expect(done, "\(scenario.logHint)")
        try results.collect(for: .seconds(1))
        #expect(finisher.isRunning)
        #expect(scenario.stopWorkers().last == 0)
        try results.collect(for: .milliseconds(500))
        try dead.collect(for: .milliseconds(500))

        let snapshot = try scenario.withStore { try StoreSnapshot($0, customers: customers.customers.map(\.id)) }
        let invariants = RunInvariants(results: results.distinct, snapshot: snapshot)
        #expect(invariants.commandsAnsweredTwice == [])
        #expect(invariants.unanswered(workload.answeredIDs) == [])
        #expect(invariants.billingMismatches == [])
        #expect(invariants.repeatedLedgerRows == [])
        #expect(snapshot.overdrawn == [])
        #expect(snapshot.discrepancies == [])
        #expect(snapshot.inboxCount == workload.inboxIDs.count)
        #expect(snapshot.outboxCount == 0)
        #expect(snapshot.quotas.values.contains { $0.used == $0.total }, "no quota ran out, so overdraw was never tested")
        #expect(dead.distinctIDs.filter { !$0.hasPrefix("unidentified-") } == workload.malformedIDs)
        #expect(Set(results.distinct.compactMap(\.correlationID)).isSubset(of: workload.inboxIDs))
        for queue in ["tally.commands", "tally.retry.1s", "tally.retry.5s", "tally.retry.30s"] {
            #expect(try scenario.readyCount(queue) == 0, "\(queue)")
        }
        await scenario.finish()
    }
}
