import Foundation
import SQLite
import Testing
import TallyStore

/// `tallyctl metrics`, `backup` and `config` against a real broker and database files.
@Suite struct MaintenanceTests {
    @Test func metricsWritesTextfile() async throws {
        try await withFixture("metrics") { fixture in
            let target = fixture.folder.appendingPathComponent("tally.prom")

            let result = await fixture.run(["metrics", "--output", target.path])
            let text = try String(contentsOf: target, encoding: .utf8)
            let down = await fixture.run(["metrics"], extra: ["TALLY_AMQP_URL": "amqp://guest:guest@127.0.0.1:1/%2F", "TALLY_MANAGEMENT_URL": "http://127.0.0.1:1"])

            #expect(result.exitCode == 0, "\(result.error)")
            #expect(result.output == "")
            #expect(text.contains("# TYPE tally_queue_messages_ready gauge\n"))
            #expect(text.contains("tally_broker_up 1\n"))
            #expect(text.contains("tally_management_api_up 1\n"))
            #expect(text.contains("tally_queue_messages_ready{queue=\"tally.commands\",role=\"commands\"} 0\n"))
            #expect(text.contains("tally_outbox_messages 0\n"))
            #expect(text.contains("tally_result_key_unrouted{routing_key=\"issue.accepted\"} 0\n"), "\(text)")
            #expect(!down.output.contains("tally_result_key_unrouted"))
            #expect(text.contains("tally_health_level 2\n"))
            #expect(down.exitCode == 0)
            #expect(down.output.contains("tally_broker_up 0\n"))
            #expect(down.output.contains("tally_database_up 1\n"))
            #expect(!down.output.contains("tally_queue_messages_ready"))
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: fixture.folder.path).filter { $0.hasSuffix(".tmp") }
            #expect(leftovers.isEmpty)
        }
    }

    @Test func backupCopiesWhileWriting() async throws {
        let folder = try temporaryFolder("backup")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("tally.sqlite").path
        let store = try Store(path: path)
        _ = try store.write { try $0.importCustomerData(ExampleData.document(now: Date())) }
        store.close()
        let environment = ["TALLY_DATABASE": path]

        // A second process-like writer keeps adding inbox rows during the copy.
        let writer = Task.detached {
            let store = try Store(path: path)
            defer { store.close() }
            for index in 0..<300 {
                _ = try store.write { try $0.recordInbox(messageID: "m-\(index)", routingKey: "issue.create", receivedAt: Date()) }
            }
        }
        let target = folder.appendingPathComponent("copy.sqlite").path
        let result = await tallyctl(["backup", target], environment: environment)
        try await writer.value
        let again = await tallyctl(["backup", target], environment: environment)
        let forced = await tallyctl(["backup", target, "--force"], environment: environment)

        #expect(result.exitCode == 0, "\(result.error)")
        #expect(result.output.contains("integrity ok"))
        let copy = try Store(path: target)
        let customers = try copy.exportCustomerData().customers.count
        let inbox = try copy.read { try $0.inboxCount() }
        copy.close()
        #expect(customers == 3)
        #expect((0...300).contains(inbox))
        #expect(again.exitCode == 1)
        #expect(again.error.contains("exists: choose another path, or pass --force"))
        #expect(forced.exitCode == 0)
    }

    @Test func configAcceptsWorkerFile() async throws {
        let folder = try temporaryFolder("config")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("tally.conf")
        try Data("""
            amqp-url = amqp://tally:s3cret@127.0.0.1:1/%2F
            database = /var/lib/tally/tally.sqlite
            prefetch = 200
            worker-id = host-1
            log-level = debug

            """.utf8).write(to: file)

        let result = await tallyctl(["config", "--config", file.path])
        let unknown = await tallyctl(["status", "--config", file.path], environment: ["TALLY_CONFIG": ""])
        let badFile = folder.appendingPathComponent("bad.conf")
        try Data("databse = x\n".utf8).write(to: badFile)
        let typo = await tallyctl(["status", "--config", badFile.path])

        #expect(result.exitCode == 0, "\(result.error)")
        #expect(result.output.contains("amqp://tally:***@127.0.0.1:1/%2F"))
        #expect(!result.output.contains("s3cret"))
        #expect(result.output.contains("\(file.path):2"))
        #expect(unknown.exitCode == 3)
        #expect(typo.exitCode == 78)
        #expect(typo.error.contains("unknown key 'databse'. Did you mean 'database'?"))
    }
}
