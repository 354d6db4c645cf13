import AMQPClient
import Foundation
import TallyLoad
import Testing

/// The benchmark's relay: one result per delivery, and every delivery acked after the confirm,
/// in both result shapes.
@Suite struct RelayTests {
    @Test(arguments: Relay.ResultShape.allCases)
    func relayPublishesOneResultPerCommand(shape: Relay.ResultShape) async throws {
        let now = Date()
        let scenario = try await Scenario.make("relay-\(shape.rawValue)", customers: CustomerFixtures.situations(now: now))
        let commands = (1...250).map { Commands.redeem("relay-\($0)", issue: Int64($0), type: "email", at: now) }
        try scenario.publish(commands)

        let resultQueue = "bench.relay.results"
        let relay = try Relay(url: scenario.url, options: Relay.Options(queue: "tally.commands", resultQueue: resultQueue).with(shape))
        let relayed = try relay.run(count: commands.count, idleTimeout: .seconds(10))
        relay.close()
        #expect(relayed == commands.count)
        #expect(relay.nacked == 0)
        #expect(try scenario.queueCounts("tally.commands") == (ready: 0, unacked: 0), "every delivery is acked")

        let tap = try QueueTap(url: scenario.url, queue: resultQueue)
        try tap.collect(timeout: .seconds(10)) { $0.messages.count >= commands.count }
        #expect(tap.messages.count == commands.count)
        #expect(Set(tap.messages.compactMap(\.correlationID)) == Set(commands.compactMap(\.messageID)))

        let first = try #require(tap.messages.first)
        switch shape {
        case .minimal:
            #expect(first.routingKey == resultQueue)
            #expect(first.incidentType == nil, "the minimal result is not JSON")
        case .tally:
            #expect(first.routingKey == "incident.redeemed")
            #expect(first.messageID == "\(first.correlationID ?? ""):incident.redeemed")
            #expect(first.incidentType == "phone")
            #expect(first.ledgerID != nil)
            #expect(first.headers["customer-id"] != nil)
        }
        await scenario.finish()
    }
}

extension Relay.Options {
    fileprivate func with(_ shape: Relay.ResultShape) -> Relay.Options {
        var options = self
        options.resultShape = shape
        return options
    }
}
