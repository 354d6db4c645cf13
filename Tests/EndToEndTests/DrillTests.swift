import AMQPClient
import Foundation
import TallyStore
import Testing

/// The failure drills that run on the suite's broker node. D2 and D6 disturb the whole node
/// and run on nodes of their own (`NodeDrillTests`).
@Suite(.serialized) struct DrillTests {
    /// D1: two workers, 1,000 redeems; SIGTERM one when about 300 are answered; the other
    /// finishes. 1,000 outcomes with distinct result ids, each redemption once in the ledger.
    @Test func drillD1ShutdownMidBatch() async throws {
        let now = Date()
        let workload = RedeemWorkload(label: "d1", customers: CustomerFixtures.tightQuotas(customers: 10, total: 40, now: now), issues: 500, now: now)
        let scenario = try await Scenario.make("d1", customers: workload.customers)
        let results = try scenario.tapResults()
        let arguments = ["--batch-size", "50", "--prefetch", "200"]
        let stopped = try scenario.startWorker("d1-a", arguments: arguments)
        let survivor = try scenario.startWorker("d1-b", arguments: arguments)
        try scenario.publish(workload.creates)
        #expect(try results.collect(distinct: workload.creates.count, timeout: .seconds(30)))

        let publisher = BackgroundPublisher(url: scenario.url, commands: workload.redeems, perSecond: 400)
        #expect(try results.collect(timeout: .seconds(30)) { workload.answeredRedeems($0) >= 300 })
        stopped.terminate()
        #expect(stopped.waitForExit(timeout: .seconds(25)) == 0, "\(scenario.logHint)")
        try publisher.join()

        #expect(try results.collect(timeout: .seconds(30)) { workload.answeredRedeems($0) == workload.redeems.count })
        try results.collect(for: .seconds(1))
        #expect(survivor.isRunning)
        #expect(scenario.stopWorkers() == [0, 0])

        let redeemResults = results.distinct.filter { workload.redeemIDs.contains($0.correlationID ?? "") && $0.routingKey != "quota.low" }
        #expect(redeemResults.count == workload.redeems.count)
        #expect(Set(redeemResults.map(\.correlationID)).count == workload.redeems.count)

        let snapshot = try scenario.withStore { try StoreSnapshot($0, customers: workload.customers.customers.map(\.id)) }
        let invariants = RunInvariants(results: results.distinct, snapshot: snapshot)
        #expect(invariants.commandsAnsweredTwice == [])
        #expect(invariants.billingMismatches == [])
        #expect(invariants.repeatedLedgerRows == [])
        #expect(snapshot.ledger.count == redeemResults.filter { $0.routingKey == "incident.redeemed" }.count)
        #expect(snapshot.overdrawn == [])
        #expect(snapshot.discrepancies == [])
        #expect(snapshot.outboxCount == 0)
        await scenario.finish()
    }

    /// D3: with billing's queue unbound, redeemed results come back unroutable. The worker
    /// acks the commands, keeps the results in the outbox, logs their ids, and delivers them
    /// once a queue is bound again: the running worker's sweep, or a restarted worker, which
    /// drains the outbox before it consumes.
    @Test func drillD3UnroutableResultKept() async throws {
        let now = Date()
        let scenario = try await Scenario.make("d3", customers: CustomerFixtures.tightQuotas(customers: 1, total: 100, now: now), tapResults: false)
        let channel = try scenario.channel()
        func unbindBilling() throws {
            for key in ["incident.redeemed", "incident.unredeemed"] {
                try channel.unbindQueue("billing.redemptions", exchange: "tally.results", routingKey: key)
            }
        }
        func redeems(_ numbers: ClosedRange<Int>) -> [TestCommand] {
            numbers.flatMap { number in
                [
                    Commands.createIssue("d3-create-\(number)", issue: Int64(800 + number), customer: "Q001", contact: "Q001-1", at: now),
                    Commands.redeem("d3-redeem-\(number)", issue: Int64(800 + number), type: "email", at: now),
                ]
            }
        }
        func resultIDs(_ numbers: ClosedRange<Int>) -> Set<String> {
            Set(numbers.map { "d3-redeem-\($0):incident.redeemed:email" })
        }
        func outbox() throws -> [OutboxMessage] {
            try scenario.withStore { try $0.read { try $0.pendingOutbox(limit: 100) } }
        }

        // The running worker keeps the results and its sweep delivers them. The worker
        // declares Tally's bindings when it connects, so the unbinding comes after that.
        let worker = try scenario.startWorker("d3")
        #expect(worker.waitForLog("msg=consuming", timeout: .seconds(15)))
        try unbindBilling()
        try scenario.publish(redeems(1...5))
        #expect(worker.waitForLog("result unroutable; kept in outbox", timeout: .seconds(15)), "\(scenario.logHint)")
        // The worker records failures, and deletes confirmed rows, in its next write.
        #expect(eventually(timeout: .seconds(10)) { (try? outbox().filter { $0.attempts > 0 }.count) == 5 })
        let kept = try outbox().filter { $0.attempts > 0 }
        #expect(Set(kept.map(\.messageID)) == resultIDs(1...5))
        #expect(kept.allSatisfy { $0.attempts >= 1 })
        #expect(kept.allSatisfy { ($0.lastError ?? "").contains("unroutable") })
        // Each kept result is logged with its id when it first comes back.
        let logged = worker.logLines("result unroutable; kept in outbox")
        for id in resultIDs(1...5).sorted() {
            #expect(logged.contains { $0.contains("message_id=\(id) ") }, "\(id) not logged: \(logged)")
        }
        #expect(try scenario.readyCount("tally.commands") == 0)

        // tallyctl status shows the backlog.
        let status = try runTallyctl(["status", "--json"], scenario: scenario)
        #expect(status.status == 0)
        let report = (try? JSONSerialization.jsonObject(with: Data(status.output.utf8))) as? [String: Any]
        let database = report?["database"] as? [String: Any]
        #expect((database?["outbox_count"] as? Int ?? 0) >= 5, "\(status.output)")

        let billing = try QueueTap(url: scenario.url, queue: "billing.redemptions")
        try channel.bindQueue("billing.redemptions", exchange: "tally.results", routingKey: "incident.redeemed")
        #expect(try billing.collect(distinct: 5, timeout: .seconds(40)))
        #expect(billing.distinctIDs == resultIDs(1...5))
        #expect(eventually(timeout: .seconds(15)) { (try? outbox().count) == 0 })

        // Results kept when the worker stops are published by the next one before it consumes.
        try unbindBilling()
        try scenario.publish(redeems(6...7))
        #expect(eventually(timeout: .seconds(15)) { (try? outbox().filter { $0.attempts > 0 }.count) == 2 })
        #expect(scenario.stopWorkers() == [0])
        #expect(try scenario.readyCount("tally.commands") == 0, "a command whose result was kept was not acked")
        #expect(Set(try outbox().map(\.messageID)) == resultIDs(6...7))

        try channel.bindQueue("billing.redemptions", exchange: "tally.results", routingKey: "incident.redeemed")
        let restarted = try scenario.startWorker("d3-restarted")
        #expect(try billing.collect(distinct: 7, timeout: .seconds(15)))
        #expect(billing.distinctIDs == resultIDs(1...7))
        #expect(restarted.logLines("outbox drained").first?.contains("published=2") == true, "\(restarted.logLines("outbox drained"))")
        #expect(restarted.waitForLog("msg=consuming", timeout: .seconds(15)))
        let startLines = restarted.log.split(separator: "\n")
        let drainedAt = startLines.firstIndex { $0.contains("msg=\"outbox drained\"") }
        let consumingAt = startLines.firstIndex { $0.hasSuffix("msg=consuming") }
        let drained = try #require(drainedAt, "the restarted worker logged no outbox drain")
        let consuming = try #require(consumingAt, "the restarted worker logged no consuming line")
        #expect(drained < consuming, "the outbox was not drained before consuming")
        #expect(scenario.stopWorkers() == [0, 0])
        let snapshot = try scenario.withStore { try StoreSnapshot($0, customers: ["Q001"]) }
        #expect(snapshot.ledger.count == 7)
        #expect(snapshot.outboxCount == 0)
        #expect(snapshot.discrepancies == [])
        await scenario.finish()
    }

    /// D4: a command that is valid JSON but breaks the contract is dead-lettered at once with a
    /// reason header and never retried. The commands around it are processed, and the worker's
    /// CPU stays flat.
    @Test func drillD4ContractViolationDeadLetteredOnce() async throws {
        let now = Date()
        let scenario = try await Scenario.make("d4", customers: CustomerFixtures.tightQuotas(customers: 2, total: 100, now: now))
        let results = try scenario.tapResults()
        let dead = try scenario.tapDeadLetters()
        let worker = try scenario.startWorker("d4")

        var commands: [TestCommand] = []
        for number in 1...100 {
            commands.append(Commands.createIssue("d4-create-\(number)", issue: Int64(number), customer: "Q001", contact: "Q001-1", at: now))
            if number == 50 {
                commands.append(TestCommand(
                    routingKey: "incident.redeem", messageID: "d4-bad",
                    body: Commands.json(["issue_id": "twelve", "incident_type": "phone", "requested_at": Commands.timestamp(now)])))
            }
        }
        try scenario.publish(commands)
        #expect(try results.collect(distinct: 100, timeout: .seconds(20)))
        #expect(try dead.collect(distinct: 1, timeout: .seconds(10)))

        let idleStart = worker.cpuTicks ?? 0
        try dead.collect(for: .seconds(3))
        let idleTicks = (worker.cpuTicks ?? 0) - idleStart
        #expect(idleTicks < 50, "the worker used \(idleTicks) ticks of CPU in 3 idle seconds")

        #expect(dead.messages.count == 1)
        #expect(dead.messages.first?.messageID == "d4-bad")
        #expect(dead.messages.first?.headers["x-tally-reason"] == "invalid_field")
        #expect(dead.messages.first?.headers["x-tally-field"] == "issue_id")
        #expect(results.byCommand["d4-bad"] == nil)
        #expect(worker.logLines("command dead-lettered").count == 1)
        #expect(try scenario.readyCount("tally.commands") == 0)

        // Commands keep flowing afterwards.
        try scenario.publish([Commands.redeem("d4-after", issue: 1, type: "phone", at: now)])
        #expect(try results.collect(timeout: .seconds(10)) { $0.byCommand["d4-after"] != nil })
        #expect(results.outcomesByCommand["d4-after"] == ["incident.redeemed"])
        #expect(scenario.stopWorkers() == [0])
        await scenario.finish()
    }

    /// D5: a command that kills the worker before it acks. Restarted like systemd would, the
    /// worker crashes on it until the queue's delivery limit dead-letters it; innocent commands
    /// delivered with it are answered, not dead-lettered, and the worker then runs normally.
    @Test func drillD5PoisonMessageDeadLetteredByBroker() async throws {
        let now = Date()
        let scenario = try await Scenario.make("d5", customers: CustomerFixtures.tightQuotas(customers: 2, total: 100, now: now))
        let results = try scenario.tapResults()
        let dead = try scenario.tapDeadLetters()

        var commands: [TestCommand] = []
        for number in 1...30 {
            commands.append(Commands.createIssue("d5-create-\(number)", issue: Int64(number), customer: "Q001", contact: "Q001-1", at: now))
            if number == 10 {
                commands.append(Commands.createIssue("d5-poison", issue: 999, customer: "Q001", contact: "Q001-1", at: now))
            }
        }
        try scenario.publish(commands)
        let supervisor = try WorkerSupervisor {
            try scenario.makeWorker("d5", environment: ["TALLY_FAULT_CRASH_ON_MESSAGE_ID": "d5-poison"])
        }

        #expect(try dead.collect(distinct: 1, timeout: .seconds(60)), "\(scenario.logHint)")
        #expect(try results.collect(distinct: 30, timeout: .seconds(30)))
        try dead.collect(for: .seconds(1))

        #expect(dead.distinctIDs == ["d5-poison"], "innocent commands were dead-lettered")
        #expect(dead.messages.first?.headers["x-first-death-reason"] == "delivery_limit")
        #expect(Set(results.outcomesByCommand.keys) == Set((1...30).map { "d5-create-\($0)" }))
        let exits = supervisor.exits
        #expect(exits.allSatisfy { $0 == 70 }, "\(exits)")
        #expect((5...6).contains(exits.count), "the worker crashed \(exits.count) times")

        // The worker then runs normally: no more crashes, new commands answered.
        try scenario.publish([Commands.createIssue("d5-after", issue: 1_000, customer: "Q001", contact: "Q001-1", at: now)])
        #expect(try results.collect(timeout: .seconds(10)) { $0.byCommand["d5-after"] != nil })
        #expect(supervisor.exits.count == exits.count)
        #expect(supervisor.stop() == 0)
        let snapshot = try scenario.withStore { try StoreSnapshot($0, customers: ["Q001"]) }
        #expect(snapshot.inboxCount == 31)
        await scenario.finish()
    }
}
