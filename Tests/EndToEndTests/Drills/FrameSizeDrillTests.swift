import AMQPClient
import Foundation
import Testing

/// Command bodies around and above the AMQP frame size. A body frame carries frame_max − 8
/// bytes of payload (7 bytes of header and one end byte), so frame_max − 9 and frame_max − 8
/// fit one frame and frame_max needs two. With `--max-body-size` at 6 MiB, everything up to it
/// is processed and a larger command is dead-lettered once as `body_too_large`.
///
/// No result of message contract v1 can exceed frame_max, because every field it echoes is
/// bounded (a summary has at most 1000 characters). The largest message a worker publishes is
/// the dead-letter copy of a command, which carries the whole body: the schema-invalid command
/// of 300,000 bytes here is that case.
@Suite struct FrameSizeDrillTests {
    static let maximumBodySize = 6 * 1024 * 1024

    @Test func bodiesAroundFrameSize() async throws {
        let url = try await DrillBroker.makeVirtualHost("d9")
        let folder = try Paths.temporaryFolder("drill-d9")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("tally.sqlite").path
        try DrillCustomers.makeDatabase(at: database, total: 10)

        let worker = try DrillWorker(
            url: url, database: database, workerID: "d9", folder: folder,
            arguments: ["--max-body-size", String(Self.maximumBodySize)])
        #expect(worker.waitForLog("msg=consuming"), "log: \(worker.log)")
        let frameMax = try Connection(ConnectionOptions(url: url)).negotiatedFrameMax

        var commands: [(messageID: String, routingKey: String, body: [UInt8])] = []
        let sizes = [frameMax - 9, frameMax - 8, frameMax, 5 * 1024 * 1024]
        for (index, size) in sizes.enumerated() {
            let command = DrillCommands.createIssue(index + 1, padding: size)
            #expect(command.body.count == size)
            commands.append(("d9-\(size)", command.routingKey, command.body))
        }
        // Valid JSON without the required contact_id: dead-lettered with its whole body.
        let invalid = DrillCommands.body(["\"issue_id\": 90", "\"project_id\": 1", "\"customer_id\": \"x\"", "\"created_at\": \"\(DrillCommands.timestamp)\""], padding: 300_000)
        commands.append(("d9-invalid", "issue.create", invalid))
        let oversized = DrillCommands.createIssue(91, padding: Self.maximumBodySize + 1).body
        commands.append(("d9-oversized", "issue.create", oversized))

        let results = try DrillTap(url: url, queue: "tracker.results")
        let deadLetters = try DrillTap(url: url, queue: "tally.dead")
        try DrillPublisher(url: url).publish(commands)

        try results.collect(timeout: .seconds(60)) { $0.deliveries.count >= sizes.count }
        try deadLetters.collect(timeout: .seconds(30)) { $0.deliveries.count >= 2 }
        // Anything redelivered in a loop would arrive in this time.
        try results.collect(timeout: .seconds(3))
        try deadLetters.collect(timeout: .seconds(3))

        for (index, size) in sizes.enumerated() {
            let result = results.deliveries.filter { $0.properties.correlationID == "d9-\(size)" }
            #expect(result.count == 1, "one result for the command of \(size) bytes")
            #expect(result.first?.routingKey == "issue.accepted")
            let body = result.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any] }
            #expect((body?["issue_id"] as? NSNumber)?.intValue == index + 1)
        }

        #expect(deadLetters.deliveries.count == 2)
        let invalidCopy = deadLetters.deliveries.first { $0.properties.messageID == "d9-invalid" }
        #expect(invalidCopy?.body == invalid, "the dead-letter copy above frame_max arrives intact")
        #expect(invalidCopy?.properties.headers["x-tally-reason"]?.stringValue == "missing_field")
        let oversizedCopy = deadLetters.deliveries.first { $0.properties.messageID == "d9-oversized" }
        #expect(oversizedCopy?.properties.headers["x-tally-reason"]?.stringValue == "body_too_large")
        #expect(oversizedCopy?.body.count == oversized.count)

        #expect(worker.logLines(containing: "message_id=d9-oversized").filter { $0.contains("dead-lettered") }.count == 1)
        #expect(try DrillBroker.readyCount(url, queue: "tally.commands") == 0)
        #expect(try DrillDatabase.scalar(database, "SELECT count(*) FROM issues") == sizes.count)
        #expect(try DrillDatabase.scalar(database, "SELECT count(*) FROM outbox") == 0)

        #expect(worker.stop() == 0)
        await DrillBroker.deleteVirtualHost(url)
    }
}
