import AMQPClient
import Foundation
import TallyStore
import Testing

/// One entry of `queues/malformed/manifest.json`.
struct MalformedEntry: Decodable, Sendable {
    var file: String
    var routingKey: String
    var messageID: String?
    var contentType: String?
    var expectedReason: String
    var expectedField: String?
    var maximumBodySize: Int?

    enum CodingKeys: String, CodingKey {
        case file
        case routingKey = "routing_key"
        case messageID = "message_id"
        case contentType = "content_type"
        case expectedReason = "expected_reason"
        case expectedField = "expected_field"
        case maximumBodySize = "maximum_body_size"
    }

    struct Manifest: Decodable {
        var entries: [MalformedEntry]
    }

    static let folder = Paths.repositoryRoot.appendingPathComponent("queues/malformed")

    static func load() throws -> [MalformedEntry] {
        let data = try Data(contentsOf: folder.appendingPathComponent("manifest.json"))
        return try JSONDecoder().decode(Manifest.self, from: data).entries
    }

    func command() throws -> TestCommand {
        let body = try Data(contentsOf: Self.folder.appendingPathComponent(file))
        return TestCommand(routingKey: routingKey, messageID: messageID, contentType: contentType, body: Array(body))
    }
}

@Suite struct MalformedTests {
    /// Every command of the malformed corpus is dead-lettered once, with the reason and field
    /// the manifest names, while valid commands published between them are processed.
    @Test func malformedCorpusDeadLettered() async throws {
        let now = Date()
        var entries = try MalformedEntry.load()
        #expect(entries.count >= 50, "the corpus has \(entries.count) entries")
        // Entries checked against a smaller size limit are replaced by one body over the
        // worker's default limit of 65,536 bytes.
        entries.removeAll { $0.maximumBodySize != nil }
        var commands = try entries.map { try $0.command() }
        let oversized = Commands.createIssue("malformed-over-default-limit", issue: 1, customer: "act", contact: "act-1", at: now)
        var largeBody = oversized
        largeBody.body = Array(#"{"summary":""#.utf8) + Array(repeating: UInt8(ascii: "x"), count: 65_537) + Array(#""}"#.utf8)
        commands.append(largeBody)
        entries.append(MalformedEntry(file: "-", routingKey: "issue.create", messageID: "malformed-over-default-limit", contentType: "application/json", expectedReason: "body_too_large", expectedField: nil))

        let scenario = try await Scenario.make("malformed", customers: CustomerFixtures.situations(now: now))
        var mixed: [TestCommand] = []
        var validIDs: [String] = []
        for (index, command) in commands.enumerated() {
            mixed.append(command)
            if index % 8 == 0 {
                let id = "valid-\(index)"
                validIDs.append(id)
                mixed.append(Commands.createIssue(id, issue: Int64(700 + index), customer: "act", contact: "act-1", at: now))
            }
        }
        try scenario.publish(mixed)

        let dead = try scenario.tapDeadLetters()
        let results = try scenario.tapResults()
        let worker = try scenario.startWorker("malformed")
        try dead.collect(timeout: .seconds(30)) { $0.messages.count >= commands.count }
        try results.collect(distinct: validIDs.count, timeout: .seconds(10))
        // Nothing more may come: a dead letter is never retried.
        try dead.collect(for: .seconds(2))
        try results.collect(for: .milliseconds(200))

        #expect(worker.isRunning)
        #expect(dead.messages.count == commands.count, "\(scenario.logHint)")
        #expect(Set(results.outcomesByCommand.keys) == Set(validIDs))
        #expect(results.outcomesByCommand.values.allSatisfy { $0 == ["issue.accepted"] })

        var byID: [String: ReceivedMessage] = [:]
        for message in dead.messages { byID[message.messageID] = message }
        for entry in entries {
            guard let messageID = entry.messageID, !messageID.isEmpty else { continue }
            let message = byID[messageID]
            #expect(message?.headers["x-tally-reason"] == entry.expectedReason, "\(entry.file)")
            #expect(message?.headers["x-tally-field"] == entry.expectedField, "\(entry.file)")
            #expect(message?.headers["x-tally-original-routing-key"] == entry.routingKey, "\(entry.file)")
            #expect(message?.headers["x-tally-detail"]?.isEmpty == false, "\(entry.file)")
        }
        let withoutID = entries.filter { ($0.messageID ?? "").isEmpty }
        let unidentified = dead.messages.filter { $0.messageID.hasPrefix("unidentified-") }
        #expect(unidentified.count == withoutID.count)
        #expect(unidentified.allSatisfy { $0.headers["x-tally-reason"] == "missing_message_id" })

        #expect(try scenario.readyCount("tally.commands") == 0)
        #expect(scenario.stopWorkers() == [0])
        let stopLine = worker.logLines("worker stopped").last ?? ""
        #expect(stopLine.contains("dead_lettered=\(commands.count)"), "\(stopLine)")
        await scenario.finish()
    }
}
