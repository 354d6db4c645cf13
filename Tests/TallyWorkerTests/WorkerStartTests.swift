import AMQPClient
import Foundation
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
}
