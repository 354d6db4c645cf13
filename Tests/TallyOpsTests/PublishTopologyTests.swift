import AMQPClient
import Foundation
import Testing

/// `tallyctl publish` and `tallyctl topology` against a real broker.
@Suite struct PublishTopologyTests {
    @Test func publishDeliversCommand() async throws {
        try await withFixture("publish", customers: false) { fixture in
            let file = fixture.folder.appendingPathComponent("redeem.json")
            let body = Commands.redeem(5)
            try Data(body.utf8).write(to: file)

            let result = await fixture.run(["publish", "incident.redeem", "--file", file.path, "--message-id", "pub-1"])
            let generated = await fixture.run(["publish", "issue.create", "--body", Commands.createIssue(5)])
            let connection = try fixture.connect()
            defer { connection.close() }
            let channel = try connection.openChannel()
            let first = try #require(try channel.get(queue: "tally.commands", noAck: true))

            #expect(result.exitCode == 0, "\(result.error)")
            #expect(result.output == "published incident.redeem pub-1\n")
            #expect(generated.exitCode == 0)
            #expect(first.delivery.properties.messageID == "pub-1")
            #expect(first.delivery.routingKey == "incident.redeem")
            #expect(first.delivery.properties.contentType == "application/json")
            #expect(first.delivery.properties.persistent)
            #expect(first.delivery.body == Array(body.utf8))
            #expect(first.messageCount == 1)
        }
    }

    @Test func publishRejectsInvalidCommand() async throws {
        try await withFixture("publish-invalid", customers: false) { fixture in
            let result = await fixture.run(["publish", "incident.redeem", "--body", #"{"issue_id": "twelve"}"#])
            let forced = await fixture.run(["publish", "incident.redeem", "--body", "{", "--no-validate"])

            #expect(result.exitCode == 1)
            #expect(result.error.hasPrefix("Error: the command is invalid (invalid_field at issue_id)"), "\(result.error)")
            #expect(result.error.contains("Nothing was published"))
            let queued = try fixture.settledCount("tally.commands", expecting: 1)
            #expect(forced.exitCode == 0)
            #expect(queued == 1)
        }
    }

    @Test func topologyShowListsEverything() async throws {
        let definitions = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("queues/definitions.json")

        let table = await tallyctl(["topology", "show"])
        let fromFile = await tallyctl(["topology", "show", "--definitions", definitions.path, "--json"])
        let builtIn = await tallyctl(["topology", "show", "--json"])
        let missing = await tallyctl(["topology", "show", "--definitions", "/nonexistent/definitions.json"])

        #expect(table.exitCode == 0)
        for name in ["tally.commands", "tally.commands.unrouted", "tally.results", "tally.dead", "tally.retry.30s", "billing.redemptions", "x-delivery-limit=5"] {
            #expect(table.output.contains(name), "missing \(name)")
        }
        #expect(fromFile.exitCode == 0, "\(fromFile.error)")
        #expect(fromFile.output == builtIn.output)
        #expect(missing.exitCode == 1)
    }

    /// The worker's configuration file, with the worker's keys for the example queues and the
    /// inbox, serves tallyctl too, and its `no-example-queues` line applies to the topology.
    @Test func topologyReadsWorkerConfiguration() async throws {
        let folder = try temporaryFolder("topology-config")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("worker.conf")
        try "no-example-queues = true\ninbox-retention = 720h\n".write(to: file, atomically: true, encoding: .utf8)

        let fromFile = await tallyctl(["topology", "show"], environment: ["TALLY_CONFIG": file.path])
        let fromEnvironment = await tallyctl(["topology", "show"], environment: ["TALLY_NO_EXAMPLE_QUEUES": "1"])
        let settings = await tallyctl(["config"], environment: ["TALLY_CONFIG": file.path])

        #expect(fromFile.exitCode == 0, "\(fromFile.error)")
        #expect(fromFile.output.contains("tally.results"))
        #expect(!fromFile.output.contains("billing.redemptions"))
        #expect(!fromFile.output.contains("tracker.results"))
        #expect(fromEnvironment.output == fromFile.output)
        #expect(settings.exitCode == 0, "\(settings.error)")
        #expect(settings.output.contains("no-example-queues"))
        #expect(settings.output.contains("720h") || settings.output.contains("2592000"), "\(settings.output)")
    }

    @Test func topologyApplyDeclaresAndDetectsConflict() async throws {
        let url = try await OpsTestBroker.makeVirtualHost("topology")
        let environment = ["TALLY_AMQP_URL": OpsTestBroker.urlString(url)]

        let first = await tallyctl(["topology", "apply"], environment: environment)
        let again = await tallyctl(["topology", "apply"], environment: environment)
        let connection = try Connection(ConnectionOptions(url: url))
        let channel = try connection.openChannel()
        try channel.deleteQueue("tally.dead")
        try channel.declareQueue("tally.dead", arguments: ["x-queue-type": "classic"])
        connection.close()
        let conflict = await tallyctl(["topology", "apply"], environment: environment)
        await OpsTestBroker.deleteVirtualHost(url)

        #expect(first.exitCode == 0, "\(first.error)")
        #expect(first.output == "declared 5 exchanges, 7 queues, 14 bindings in virtual host '\(url.virtualHost)'\n")
        #expect(again.exitCode == 0)
        #expect(conflict.exitCode == 1)
        #expect(conflict.error.hasPrefix("Error: queue 'tally.dead' exists with other arguments"), "\(conflict.error)")
    }
}
