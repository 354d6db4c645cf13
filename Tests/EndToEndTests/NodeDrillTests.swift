import AMQPClient
import Foundation
import TallyStore
import Testing

/// Drills that disturb a whole broker node, each on a node of its own (spare ports 0 and 2,
/// 5720 and 5722 by default, with management on +10000 and distribution on +20000), started
/// fresh and stopped at the end, also when the test fails.
@Suite struct NodeDrillTests {
    /// D2: a memory alarm blocks publishing while the worker has results to publish. It acks
    /// nothing whose result is unconfirmed, reports itself blocked, and billing receives all
    /// 100 results after the alarm clears.
    @Test func drillD2MemoryAlarmHoldsAcks() async throws {
        let broker = try OwnBrokerNode(port: SparePorts.port(0))
        defer { broker.stop() }
        let now = Date()
        let workload = RedeemWorkload(label: "d2", customers: CustomerFixtures.tightQuotas(customers: 5, total: 100, now: now), issues: 50, now: now)
        let scenario = try await Scenario.make("d2", node: broker.node, customers: workload.customers)
        let results = try scenario.tapResults()
        let worker = try scenario.startWorker("d2", arguments: ["--confirm-timeout", "0.5"])

        // A run under way: the issues are created and answered.
        try scenario.publish(workload.creates)
        #expect(try results.collect(distinct: workload.creates.count, timeout: .seconds(30)))

        // A blocked connection cannot publish commands, so the 100 redeems wait in a delay
        // queue of the test's own and reach the command queue after the alarm is raised.
        let channel = try scenario.channel()
        try channel.declareQueue("e2e.delay", durable: true, arguments: [
            "x-message-ttl": .int64(8_000), "x-dead-letter-exchange": .string("tally.commands"),
            "x-dead-letter-routing-key": .string("incident.redeem"),
        ])
        try CommandPublisher(url: scenario.url).publish(workload.redeems.map { command in
            var delayed = command
            delayed.routingKey = "e2e.delay"
            return delayed
        }, exchange: "")
        try broker.node.ctl(["set_vm_memory_high_watermark", "0"])
        #expect(workload.answeredRedeems(results) == 0, "the redeems arrived before the alarm was raised")

        #expect(worker.waitForLog("broker blocks publishing; holding acks until results are confirmed", timeout: .seconds(30)), "\(scenario.logHint)")
        let heartbeatBlocked = eventually(timeout: .seconds(10)) {
            (try? scenario.withStore { try $0.read { try $0.heartbeats() } }.first?.state) == "blocked"
        }
        #expect(heartbeatBlocked)
        // Every redeem is committed but none acked: the command queue contains all 100, and
        // billing has none of their results. Queue statistics refresh every 5 seconds.
        let heldInQueue = eventually(timeout: .seconds(15)) {
            guard let counts = try? scenario.queueCounts("tally.commands") else { return false }
            return counts.ready + counts.unacked == workload.redeems.count
        }
        #expect(heldInQueue)
        try results.collect(for: .seconds(1))
        #expect(workload.answeredRedeems(results) == 0)
        // Some redeems are committed, their results waiting for the broker's confirm.
        #expect(try scenario.withStore { try $0.read { try $0.inboxCount() } } > workload.creates.count)

        try broker.node.ctl(["set_vm_memory_high_watermark", "0.4"])
        #expect(try results.collect(timeout: .seconds(30)) { workload.answeredRedeems($0) == workload.redeems.count })
        #expect(eventually(timeout: .seconds(10)) { (try? scenario.readyCount("tally.commands")) == 0 })
        #expect(eventually(timeout: .seconds(10)) {
            (try? scenario.withStore { try $0.read { try $0.heartbeats() } }.first?.state) == "consuming"
        })
        #expect(scenario.stopWorkers() == [0])
        #expect(try scenario.readyCount("tally.commands") == 0, "a command was left unacked")

        let snapshot = try scenario.withStore { try StoreSnapshot($0, customers: workload.customers.customers.map(\.id)) }
        let invariants = RunInvariants(results: results.distinct, snapshot: snapshot)
        #expect(invariants.commandsAnsweredTwice == [])
        #expect(invariants.billingMismatches == [])
        #expect(snapshot.ledger.count == workload.redeems.count)
        #expect(snapshot.outboxCount == 0)
        #expect(snapshot.discrepancies == [])
        await scenario.finish()
        broker.stop()
    }

    /// D6: the broker restarts while 500 redeems are being processed. The worker reconnects
    /// with capped backoff, declares its topology again, consumes again and drains the queue;
    /// nothing is lost or counted twice.
    @Test func drillD6BrokerRestartMidStream() async throws {
        let broker = try OwnBrokerNode(port: SparePorts.port(2))
        defer { broker.stop() }
        let now = Date()
        let workload = RedeemWorkload(label: "d6", customers: CustomerFixtures.tightQuotas(customers: 10, total: 40, now: now), issues: 250, now: now)
        let scenario = try await Scenario.make("d6", node: broker.node, customers: workload.customers)
        try scenario.publish(workload.creates + workload.redeems)
        var results = try scenario.tapResults()
        let worker = try scenario.startWorker("d6", arguments: ["--batch-size", "10", "--prefetch", "20"])

        #expect(try results.collect(timeout: .seconds(30)) { workload.answeredRedeems($0) >= 100 })
        // Paused so that the restart falls in the middle of the stream, whatever its speed.
        worker.pause()
        var before = results.messages
        results.close()
        try broker.shutDownKeepingState()
        worker.resume()
        #expect(worker.waitForLog("connection lost; reconnecting", timeout: .seconds(20)), "\(scenario.logHint)")
        try await Task.sleep(for: .seconds(2))
        try broker.startAgain()

        #expect(worker.isRunning)
        results = try scenario.tapResults()
        #expect(try results.collect(timeout: .seconds(60)) { tap in
            workload.answeredRedeems(tap) + workload.answeredRedeems(before) >= workload.redeems.count
                && Set(tap.messages.compactMap(\.correlationID)).union(before.compactMap(\.correlationID)).count
                    == workload.creates.count + workload.redeems.count
        })
        #expect(eventually(timeout: .seconds(10)) { (try? scenario.channel().queueState("tally.commands").consumers) == 1 })
        try results.collect(for: .seconds(1))
        #expect(try scenario.readyCount("tally.commands") == 0)
        #expect(scenario.stopWorkers() == [0])

        let reconnects = worker.logLines("connection lost; reconnecting")
        let delays = reconnects.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("retry_in_ms=") }.flatMap { Int($0.dropFirst("retry_in_ms=".count)) }
        }
        #expect(delays.count == reconnects.count)
        #expect(delays.allSatisfy { $0 <= 30_000 }, "\(delays)")
        #expect(worker.logLines("connected").count >= 2)
        #expect(worker.logLines("consuming").count >= 2)

        before += results.messages
        var seen = Set<String>()
        let distinct = before.filter { seen.insert($0.messageID).inserted }
        let snapshot = try scenario.withStore { try StoreSnapshot($0, customers: workload.customers.customers.map(\.id)) }
        let invariants = RunInvariants(results: distinct, snapshot: snapshot)
        #expect(invariants.commandsAnsweredTwice == [])
        #expect(invariants.unanswered(workload.redeemIDs) == [])
        #expect(invariants.billingMismatches == [])
        #expect(invariants.repeatedLedgerRows == [])
        #expect(snapshot.overdrawn == [])
        #expect(snapshot.discrepancies == [])
        #expect(snapshot.inboxCount == workload.creates.count + workload.redeems.count)
        #expect(snapshot.outboxCount == 0)
        await scenario.finish()
        broker.stop()
    }
}
