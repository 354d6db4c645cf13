import AMQPClient
import Foundation
import SQLite
import TallyStore
import TallySupport
import Testing

@testable import TallyWorker

@Suite struct WorkerStartTests {
    @Test func missingDatabaseIsNotCreated() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("tally-missing-\(UUID().uuidString).sqlite").path
        let configuration = WorkerConfiguration(
            amqpURL: try AMQPURL("amqp://guest:guest@127.0.0.1:1/%2F"), databasePath: path, workerID: "start-test")
        let logger = Logger(label: "test", handler: CollectingLogHandler())

        #expect(throws: DatabaseMissingError.self) {
            _ = try Worker(configuration: configuration, logger: logger)
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    /// A worker that starts while another process migrates the schema waits for the write lock
    /// instead of giving up after the busy timeout, then applies the migration itself.
    @Test func lockedDatabaseWaitsAtStart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tally-start-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("tally.sqlite").path

        // A database at schema version 5, so that opening it migrates and takes the write lock.
        try Store(path: path).close()
        let lockHolder = try Database(path: path)
        try lockHolder.executeScript(
            """
            DELETE FROM schema_migrations WHERE version = 6;
            DROP INDEX ledger_by_day_and_customer;
            CREATE INDEX ledger_by_customer ON ledger (customer_id, at);
            CREATE INDEX redemptions_by_contract ON redemptions (contract_id, incident_type);
            """)
        try lockHolder.execute("BEGIN IMMEDIATE")

        var configuration = WorkerConfiguration(
            amqpURL: try AMQPURL("amqp://guest:guest@127.0.0.1:1/%2F"), databasePath: path, workerID: "start-locked")
        configuration.databaseBusyTimeout = .milliseconds(50)
        configuration.storageRetryDelay = .milliseconds(20)
        configuration.storageRetryDelayCap = .milliseconds(100)
        let handler = CollectingLogHandler()
        let logger = Logger(label: "test", handler: handler)
        let opening = Task.detached { () -> String? in
            do {
                _ = try Worker(configuration: configuration, logger: logger)
                return nil
            } catch {
                return "\(error)"
            }
        }

        // Held for several busy timeouts before it is released.
        let deadline = ContinuousClock.now + .seconds(10)
        while handler.events.filter({ $0.message == "database locked at start; waiting" }).count < 3, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        try lockHolder.execute("COMMIT")

        #expect(await opening.value == nil)
        let waits = handler.events.filter { $0.message == "database locked at start; waiting" }
        #expect(waits.count >= 3)
        #expect(waits.first?.level == .warning)
        let version: Int? = try lockHolder.queryFirst("SELECT max(version) FROM schema_migrations")?.get(0)
        #expect(version == 6)
    }
}
