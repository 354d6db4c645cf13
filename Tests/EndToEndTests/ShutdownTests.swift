import Foundation
import TallyStore
import Testing

/// Issues and redeems for the shutdown tests: `issues` issue creations spread over the
/// tight-quota customers, then one phone and one e-mail redeem per issue.
struct RedeemWorkload {
    let customers: CustomerDataDocument
    var creates: [TestCommand] = []
    var redeems: [TestCommand] = []

    init(label: String, customers: CustomerDataDocument, issues: Int, now: Date) {
        self.customers = customers
        for number in 1...issues {
            let customer = customers.customers[number % customers.customers.count]
            creates.append(Commands.createIssue("\(label)-create-\(number)", issue: Int64(number), customer: customer.id, contact: "\(customer.id)-1", at: now))
            for type in ["phone", "email"] {
                redeems.append(Commands.redeem("\(label)-\(type)-\(number)", issue: Int64(number), type: type, at: now))
            }
        }
    }

    var redeemIDs: Set<String> { Set(redeems.compactMap(\.messageID)) }

    /// Redeem commands with a result in `tap`.
    func answeredRedeems(_ tap: QueueTap) -> Int {
        answeredRedeems(tap.messages)
    }

    func answeredRedeems(_ messages: [ReceivedMessage]) -> Int {
        Set(messages.compactMap(\.correlationID)).intersection(redeemIDs).count
    }
}

@Suite(.serialized) struct ShutdownTests {
    /// SIGTERM while deliveries are in hand: the worker finishes them, publishes their results,
    /// acks them and exits 0; what it had not received stays in the queue for the next worker.
    @Test func sigtermFinishesWorkInFlight() async throws {
        let now = Date()
        let workload = RedeemWorkload(label: "term", customers: CustomerFixtures.tightQuotas(customers: 10, total: 40, now: now), issues: 500, now: now)
        let scenario = try await Scenario.make("sigterm", customers: workload.customers)
        let results = try scenario.tapResults()
        let first = try scenario.startWorker("term-1", arguments: ["--batch-size", "50", "--prefetch", "200"])
        try scenario.publish(workload.creates)
        #expect(try results.collect(distinct: workload.creates.count, timeout: .seconds(30)))

        let publisher = BackgroundPublisher(url: scenario.url, commands: workload.redeems, perSecond: 400)
        #expect(try results.collect(timeout: .seconds(30)) { workload.answeredRedeems($0) >= 300 })
        first.terminate()
        let status = first.waitForExit(timeout: .seconds(25))
        try publisher.join()
        #expect(status == 0, "\(scenario.logHint)")
        #expect(first.logLines("stop requested; draining").count == 1)
        #expect(first.logLines("drained").count == 1)

        // Everything the stopped worker recorded is answered and out of its outbox; every
        // other command is back in the queue, ready for the next worker.
        try results.collect(for: .milliseconds(500))
        let atStop = try scenario.withStore { try StoreSnapshot($0, customers: workload.customers.customers.map(\.id)) }
        let ready = try scenario.readyCount("tally.commands")
        #expect(atStop.outboxCount == 0)
        #expect(atStop.inboxCount + ready == workload.creates.count + workload.redeems.count)
        #expect(workload.answeredRedeems(results) + workload.creates.count == atStop.inboxCount)
        #expect(ready > 0, "the stop came after all commands were processed")

        try scenario.startWorker("term-2")
        #expect(try results.collect(timeout: .seconds(30)) { workload.answeredRedeems($0) == workload.redeems.count })
        try results.collect(for: .milliseconds(500))
        #expect(scenario.stopWorkers() == [0, 0])

        let snapshot = try scenario.withStore { try StoreSnapshot($0, customers: workload.customers.customers.map(\.id)) }
        let invariants = RunInvariants(results: results.distinct, snapshot: snapshot)
        #expect(invariants.commandsAnsweredTwice == [])
        #expect(invariants.billingMismatches == [])
        #expect(snapshot.overdrawn == [])
        #expect(snapshot.discrepancies == [])
        #expect(snapshot.inboxCount == workload.creates.count + workload.redeems.count)
        await scenario.finish()
    }
}
