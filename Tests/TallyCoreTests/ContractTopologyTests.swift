import Foundation
import Testing
import TallyCore

@Suite struct ContractTopologyTests {
    @Test func definitionsFileMatchesStandard() throws {
        let topology = try Topology(definitions: ContractFixtures.bytes("definitions.json"))
        #expect(topology.differences(from: Topology.standard) == [])
        #expect(Topology.standard.differences(from: topology) == [])
    }

    @Test func definitionsFileHasNoUsersOrPermissions() throws {
        let document = try ContractFixtures.object(ContractFixtures.bytes("definitions.json"))
        for key in ["users", "permissions", "topic_permissions", "vhosts", "policies", "parameters", "global_parameters"] {
            #expect(document[key] == nil, "definitions.json must not contain \(key)")
        }
    }

    @Test func definitionsUseDefaultVirtualHost() throws {
        let document = try ContractFixtures.object(ContractFixtures.bytes("definitions.json"))
        for section in ["exchanges", "queues", "bindings"] {
            for item in try #require(document[section] as? [[String: Any]]) {
                #expect(item["vhost"] as? String == "/", "\(section): \(item["name"] ?? item["destination"] ?? "?")")
            }
        }
    }

    @Test func withoutExampleQueuesDropsOnlyThem() {
        let full = Topology.standard
        let trimmed = full.withoutExampleQueues()

        #expect(Set(full.queues.map(\.name)).subtracting(trimmed.queues.map(\.name)) == Topology.exampleQueues)
        #expect(trimmed.exchanges == full.exchanges)
        #expect(full.bindings.count - trimmed.bindings.count == 5)
        #expect(!trimmed.bindings.contains { Topology.exampleQueues.contains($0.destination) })
        #expect(trimmed.bindings.allSatisfy { full.bindings.contains($0) })
        #expect(trimmed.withoutExampleQueues() == trimmed)
    }

    @Test func differencesReportDrift() {
        var drifted = Topology.standard
        drifted.queues[0].arguments["x-delivery-limit"] = .string("5")
        drifted.bindings.removeLast()
        drifted.exchanges.append(Topology.Exchange(name: "extra", type: .direct))

        let lines = Topology.standard.differences(from: drifted)
        #expect(lines.count == 3)
        #expect(lines.contains("extra exchange extra"))
        #expect(lines.contains { $0.hasPrefix("different queue tally.commands") })
        #expect(lines.contains { $0.hasPrefix("missing binding tally.results -> queue tracker.results") })
    }

    @Test func commandQueueArguments() throws {
        let queue = try #require(Topology.standard.queues.first { $0.name == "tally.commands" })
        #expect(queue.durable)
        #expect(queue.arguments["x-queue-type"] == .string("quorum"))
        #expect(queue.arguments["x-delivery-limit"] == .int(5))
        #expect(queue.arguments["x-dead-letter-exchange"] == .string("tally.dead"))
    }

    @Test func everyResultTypeIsRouted() {
        let resultBindings = Topology.standard.bindings.filter { $0.source == Topology.resultExchange }
        for kind in ResultKind.allCases {
            let isRouted = resultBindings.contains { topicMatches(pattern: $0.routingKey, key: kind.rawValue) }
            #expect(isRouted, "\(kind.rawValue) has no queue, so a mandatory publish would be returned")
        }
    }

    @Test func everyCommandTypeIsBound() {
        let keys = Set(Topology.standard.bindings.filter { $0.source == Topology.commandExchange }.map(\.routingKey))
        #expect(keys == Set(CommandKind.allCases.map(\.rawValue)))
    }

    @Test func retryQueuesReturnToCommandExchange() throws {
        for retry in Topology.retryQueues {
            let queue = try #require(Topology.standard.queues.first { $0.name == retry.queue })
            #expect(queue.arguments["x-message-ttl"] == .int(retry.delayMilliseconds))
            #expect(queue.arguments["x-dead-letter-exchange"] == .string(Topology.commandExchange))
            #expect(queue.arguments["x-dead-letter-routing-key"] == nil, "a fixed key would replace the command type")
            let binding = Topology.standard.bindings.first { $0.source == Topology.retryExchange && $0.destination == retry.queue }
            #expect(binding?.routingKey == retry.queue)
        }
    }

    @Test func retryQueueForAttempt() {
        #expect(Topology.retryQueue(forAttempt: 1).queue == "tally.retry.1s")
        #expect(Topology.retryQueue(forAttempt: 2).queue == "tally.retry.5s")
        #expect(Topology.retryQueue(forAttempt: 3).queue == "tally.retry.30s")
        #expect(Topology.retryQueue(forAttempt: 9).queue == "tally.retry.30s")
        #expect(Topology.retryQueue(forAttempt: 0).queue == "tally.retry.1s")
    }

    @Test func invalidDefinitionsRejected() {
        #expect(throws: TopologyDefinitionsError.self) { try Topology(definitions: Array("{".utf8)) }
        #expect(throws: TopologyDefinitionsError.self) { try Topology(definitions: Array(#"{"exchanges":[],"queues":[]}"#.utf8)) }
        let badArgument = #"{"exchanges":[],"bindings":[],"queues":[{"name":"q","durable":true,"auto_delete":false,"arguments":{"x":1.5}}]}"#
        #expect(throws: TopologyDefinitionsError.self) { try Topology(definitions: Array(badArgument.utf8)) }
    }

    /// AMQP topic matching for the patterns used here: `*` is one word, `#` zero or more.
    private func topicMatches(pattern: String, key: String) -> Bool {
        func match(_ patternWords: ArraySlice<Substring>, _ keyWords: ArraySlice<Substring>) -> Bool {
            guard let first = patternWords.first else { return keyWords.isEmpty }
            if first == "#" {
                return (0...keyWords.count).contains { match(patternWords.dropFirst(), keyWords.dropFirst($0)) }
            }
            guard let word = keyWords.first, first == "*" || first == word else { return false }
            return match(patternWords.dropFirst(), keyWords.dropFirst())
        }
        return match(ArraySlice(pattern.split(separator: ".", omittingEmptySubsequences: false)), ArraySlice(key.split(separator: ".", omittingEmptySubsequences: false)))
    }
}
