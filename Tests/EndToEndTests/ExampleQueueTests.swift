import AMQPClient
import Foundation
import TallyStore
import Testing

@Suite struct ExampleQueueTests {
    /// A worker started with `--no-example-queues` on a broker where no consumer has bound a result
    /// queue yet: it declares neither example queue, keeps its results in the outbox, and
    /// publishes them once billing binds a queue of its own.
    @Test func workerWithoutExampleQueuesWaitsForBillingsQueue() async throws {
        let now = Date()
        let scenario = try await Scenario.make(
            "no-example-queues", customers: CustomerFixtures.situations(now: now),
            topology: Topology.standard.withoutExampleQueues(), tapResults: false)
        let commands = [
            Commands.createIssue("nx-create", issue: 701, customer: "act", contact: "act-1", at: now),
            Commands.redeem("nx-redeem", issue: 701, type: "email", at: now),
        ]

        let worker = try scenario.startWorker("no-example-queues", arguments: ["--no-example-queues"])
        #expect(worker.waitForLog("msg=consuming", timeout: .seconds(15)), "\(scenario.logHint)")
        #expect(worker.logLines("worker started").first?.contains("example_queues=\"not declared\"") == true)
        try scenario.publish(commands)
        #expect(worker.waitForLog("result unroutable; kept in outbox", timeout: .seconds(15)), "\(scenario.logHint)")
        #expect(eventually(timeout: .seconds(10)) { (try? scenario.readyCount("tally.commands")) == 0 })

        for queue in Topology.exampleQueues.sorted() {
            #expect(throws: AMQPError.self, "\(queue) was declared") {
                try scenario.channel().declareQueue(queue, durable: true, passive: true)
            }
        }
        let pendingResults = try scenario.withStore { try $0.read { try $0.pendingOutbox(limit: 10) } }
        #expect(Set(pendingResults.map(\.correlationID)) == ["nx-create", "nx-redeem"])

        // Billing binds its own queue: the worker's outbox sweep publishes what it kept.
        try scenario.bindResultTap()
        let tap = try scenario.tapResults()
        #expect(try tap.collect(distinct: 2, timeout: .seconds(40)), "\(scenario.logHint)")
        #expect(tap.outcomesByCommand == ["nx-create": ["issue.accepted"], "nx-redeem": ["incident.redeemed"]])
        #expect(eventually(timeout: .seconds(15)) {
            (try? scenario.withStore { try $0.read { try $0.outboxStatistics().count } }) == 0
        })

        #expect(scenario.stopWorkers() == [0])
        await scenario.finish()
    }
}
