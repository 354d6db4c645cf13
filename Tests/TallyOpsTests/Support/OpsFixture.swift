import AMQPClient
import Foundation
import TallyOps
import TallyStore
import TallySupport

/// What one tallyctl run printed and returned.
struct RunResult {
    var exitCode: Int32
    var output: String
    var error: String
}

/// Runs tallyctl in this process with `environment` as its environment, capturing its output.
func tallyctl(_ arguments: [String], environment: [String: String] = [:]) async -> RunResult {
    let console = Console.capturing()
    let outcome = await CommandLineTool.execute(TallyctlCommand.makeRoot(console: console), arguments: arguments, environment: environment)
    return RunResult(
        exitCode: outcome.exitCode, output: outcome.standardOutput + console.output,
        error: outcome.standardError + console.errorOutput)
}

/// One test's world: its own virtual host with Tally's topology, and its own database file
/// with Eventum's example customers.
final class OpsFixture {
    let url: AMQPURL
    let folder: URL
    let databasePath: String
    private(set) var workers: [WorkerProcess] = []

    /// The environment that points tallyctl at this fixture.
    var environment: [String: String]

    private init(url: AMQPURL, folder: URL, managementURL: String) {
        self.url = url
        self.folder = folder
        databasePath = folder.appendingPathComponent("tally.sqlite").path
        environment = [
            "TALLY_AMQP_URL": OpsTestBroker.urlString(url),
            "TALLY_MANAGEMENT_URL": managementURL,
            "TALLY_DATABASE": databasePath,
        ]
    }

    /// Creates the virtual host, declares the topology (without the example consumer queues
    /// unless `exampleQueues`) and imports the example customers, all through tallyctl.
    static func make(_ label: String, customers: Bool = true, exampleQueues: Bool = true) async throws -> OpsFixture {
        let url = try await OpsTestBroker.makeVirtualHost(label)
        let fixture = OpsFixture(url: url, folder: try temporaryFolder(label), managementURL: try OpsTestBroker.managementURL)

        let apply = exampleQueues ? ["topology", "apply"] : ["topology", "apply", "--no-example-queues"]
        let applied = await tallyctl(apply, environment: fixture.environment)
        guard applied.exitCode == 0 else {
            throw OpsTestBroker.SetupError(description: "topology apply failed: \(applied.error)")
        }
        if customers {
            let file = fixture.folder.appendingPathComponent("customers.json")
            try ExampleData.document(now: Date()).jsonData().write(to: file)
            let imported = await tallyctl(["customers", "import", file.path], environment: fixture.environment)
            guard imported.exitCode == 0 else {
                throw OpsTestBroker.SetupError(description: "customers import failed: \(imported.error)")
            }
        }
        return fixture
    }

    /// Stops the workers, deletes the virtual host and the folder.
    func tearDown() async {
        for worker in workers {
            worker.terminate()
            _ = worker.waitForExit(timeout: .seconds(20))
        }
        await OpsTestBroker.deleteVirtualHost(url)
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs tallyctl against this fixture; `extra` overrides variables.
    func run(_ arguments: [String], extra: [String: String] = [:]) async -> RunResult {
        await tallyctl(arguments, environment: environment.merging(extra) { _, new in new })
    }

    /// Starts a tally-worker process on this fixture.
    @discardableResult
    /// Starts a worker on the fixture's database, creating an empty one first if the test has
    /// not, because the worker refuses to create it.
    func startWorker(_ id: String) throws -> WorkerProcess {
        if !FileManager.default.fileExists(atPath: databasePath) {
            try Store(path: databasePath).close()
        }
        let worker = try WorkerProcess(url: url, database: databasePath, workerID: id, folder: folder)
        workers.append(worker)
        return worker
    }

    /// Opens a connection to this fixture's virtual host.
    func connect() throws -> Connection {
        try Connection(ConnectionOptions(url: url))
    }

    /// Publishes one message with confirms, as a tracker would.
    func publish(exchange: String = "tally.commands", routingKey: String, body: String, messageID: String?) throws {
        let connection = try connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        try channel.enableConfirms()
        var properties = MessageProperties(contentType: "application/json", persistent: true)
        properties.messageID = messageID
        try channel.publish(exchange: exchange, routingKey: routingKey, body: Array(body.utf8), properties: properties, mandatory: true)
        _ = try channel.waitForConfirms(timeout: .seconds(10))
    }

    /// Ready messages in a queue, by passive declare.
    func messageCount(_ queue: String) throws -> Int {
        let connection = try connect()
        defer { connection.close() }
        return Int(try connection.openChannel().declareQueue(queue, passive: true).messageCount)
    }

    /// Returns the ready count of `queue` once it equals `expected`, else the last count after
    /// 10 s. Messages that a closed channel or a crashed process releases become ready a little
    /// after the client's call returns.
    func settledCount(_ queue: String, expecting expected: Int) throws -> Int {
        var count = try messageCount(queue)
        let deadline = ContinuousClock.now + .seconds(10)
        while count != expected, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            count = try messageCount(queue)
        }
        return count
    }

    /// Takes one message from `queue` and rejects it without requeue, so the broker
    /// dead-letters it (reason `rejected`, with `x-death`) when the queue has a dead-letter
    /// exchange.
    func rejectOne(from queue: String) throws -> Bool {
        let connection = try connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        guard let result = try channel.get(queue: queue, noAck: false) else { return false }
        try channel.reject(result.delivery.deliveryTag, requeue: false)
        try channel.close()
        return true
    }

    /// Opens the fixture's database.
    func openStore() throws -> Store {
        try Store(path: databasePath)
    }
}

/// Creates a new empty folder for one test's files.
func temporaryFolder(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tallyops-\(label)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Returns the path of a built executable, beside the test bundle.
func executable(_ name: String) -> URL {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
}

/// A command body with the current instant, for Eventum's example customer 1 (contact 87,
/// contract 1, active).
enum Commands {
    static var now: String { Format.now }

    static func createIssue(_ issueID: Int) -> String {
        #"{"issue_id": \#(issueID), "project_id": 1, "customer_id": "1", "contact_id": "87", "contract_id": "1", "summary": "Printer on fire", "created_at": "\#(now)"}"#
    }

    static func redeem(_ issueID: Int, type: String = "phone") -> String {
        #"{"issue_id": \#(issueID), "incident_type": "\#(type)", "redeemed_by": "jdoe", "requested_at": "\#(now)"}"#
    }

    enum Format {
        static var now: String {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime]
            return formatter.string(from: Date())
        }
    }
}

/// Runs `body` with a new fixture and tears the fixture down afterwards, also when `body` throws.
func withFixture(
    _ label: String, customers: Bool = true, exampleQueues: Bool = true, _ body: (OpsFixture) async throws -> Void
) async throws {
    let fixture = try await OpsFixture.make(label, customers: customers, exampleQueues: exampleQueues)
    do {
        try await body(fixture)
    } catch {
        await fixture.tearDown()
        throw error
    }
    await fixture.tearDown()
}
