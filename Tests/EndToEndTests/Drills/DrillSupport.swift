import AMQPClient
import Foundation
import SQLite
import TallyStore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The broker of the test run (TALLY_TEST_AMQP_URL, TALLY_TEST_MANAGEMENT_URL and
/// TALLY_TEST_BROKER_PORT, as `ops/test` sets them), seen by the drills. Each drill works in a
/// virtual host of its own, so the drills run beside each other and beside other suites.
enum DrillBroker {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static var url: AMQPURL {
        get throws {
            guard let text = ProcessInfo.processInfo.environment["TALLY_TEST_AMQP_URL"], !text.isEmpty else {
                throw Failure(description: "TALLY_TEST_AMQP_URL is not set: run the drills through ops/test, or export TALLY_TEST_AMQP_URL, TALLY_TEST_MANAGEMENT_URL and TALLY_TEST_BROKER_PORT for a node started with ops/broker")
            }
            return try AMQPURL(text)
        }
    }

    static var port: Int {
        get throws {
            let base = try url
            return ProcessInfo.processInfo.environment["TALLY_TEST_BROKER_PORT"].flatMap { Int($0) } ?? base.port
        }
    }

    static var managementURL: String {
        get throws {
            if let text = ProcessInfo.processInfo.environment["TALLY_TEST_MANAGEMENT_URL"], !text.isEmpty {
                return text
            }
            return "http://127.0.0.1:\(try port + 10000)"
        }
    }

    /// Creates a virtual host with full permissions for the suite's user; returns its URL.
    static func makeVirtualHost(_ label: String) async throws -> AMQPURL {
        var vhostURL = try url
        let name = "drill-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        try await management("PUT", "/api/vhosts/\(name)", body: [:])
        try await setPermissions(vhost: name, user: vhostURL.user)
        vhostURL.virtualHost = name
        return vhostURL
    }

    static func deleteVirtualHost(_ vhostURL: AMQPURL) async {
        _ = try? await management("DELETE", "/api/vhosts/\(vhostURL.virtualHost)", body: nil)
    }

    /// Creates a user with no tags and a random password, for a drill that revokes access
    /// without locking out the suite's own user.
    static func makeUser(_ label: String) async throws -> (user: String, password: String) {
        let user = "drill-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        let password = UUID().uuidString
        try await management("PUT", "/api/users/\(user)", body: ["password": password, "tags": ""])
        return (user, password)
    }

    static func deleteUser(_ user: String) async {
        _ = try? await management("DELETE", "/api/users/\(user)", body: nil)
    }

    static func setPermissions(vhost: String, user: String) async throws {
        try await management("PUT", "/api/permissions/\(vhost)/\(user)", body: ["configure": ".*", "write": ".*", "read": ".*"])
    }

    /// Reads a queue's figures from the management API: `messages_ready`,
    /// `messages_unacknowledged`, `consumers`. The API refreshes them every few seconds.
    static func queueFigures(_ vhostURL: AMQPURL, queue: String) async throws -> [String: Any] {
        let data = try await management("GET", "/api/queues/\(vhostURL.virtualHost)/\(queue)", body: nil)
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    /// Returns the number of ready messages in a queue, read with a passive declare.
    static func readyCount(_ vhostURL: AMQPURL, queue: String) throws -> Int {
        let connection = try Connection(ConnectionOptions(url: vhostURL))
        defer { connection.close() }
        let channel = try connection.openChannel()
        return Int(try channel.declareQueue(queue, passive: true).messageCount)
    }

    @discardableResult
    static func management(_ method: String, _ path: String, body: [String: Any]?) async throws -> Data {
        let base = try url
        guard let endpoint = URL(string: try managementURL + path) else {
            throw Failure(description: "invalid management path \(path)")
        }
        var request = URLRequest(url: endpoint)
        request.httpMethod = method
        let credentials = Data("\(base.user):\(base.password)".utf8).base64EncodedString()
        request.setValue("Basic \(credentials)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
        }

        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            throw Failure(description: "\(method) \(path) returned HTTP \(status): \(String(decoding: data, as: UTF8.self))")
        }
        return data
    }

    /// Runs rabbitmqctl against the suite's node through `ops/broker ctl`.
    @discardableResult
    static func ctl(_ arguments: [String]) throws -> String {
        let result = try DrillProcess.run(
            Paths.repositoryRoot.appendingPathComponent("ops/broker"),
            ["ctl", "--port", String(try port), "--"] + arguments)
        guard result.status == 0 else {
            throw Failure(description: "rabbitmqctl \(arguments.joined(separator: " ")) failed: \(result.output)")
        }
        return result.output
    }
}

/// Short-lived helper processes: runs one to its end and returns its status and output.
enum DrillProcess {
    static func run(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("tally-drill-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let status = try spawnAndWait(executable.path, arguments, outputPath: outputPath)
        return (status, (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")
    }
}

/// A `tally-worker` process of one drill, logging to a file in the drill's folder. Ended by
/// its own PID only.
final class DrillWorker {
    let process = Process()
    let logURL: URL
    private let logHandle: FileHandle

    init(url: AMQPURL, database: String, workerID: String, folder: URL, arguments: [String] = []) throws {
        logURL = folder.appendingPathComponent("\(workerID).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        logHandle = try FileHandle(forWritingTo: logURL)

        process.executableURL = Paths.executable("tally-worker")
        process.arguments = ["--database", database, "--worker-id", workerID, "--log-format", "logfmt"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TALLY_AMQP_URL"] = Self.urlString(url)
        process.environment = environment
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            _ = eventually(timeout: .seconds(10)) { !process.isRunning }
        }
        try? logHandle.close()
    }

    /// Sends SIGTERM and waits up to `timeout` for the exit; returns the status, or nil.
    @discardableResult
    func stop(timeout: Duration = .seconds(30)) -> Int32? {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
        }
        return waitForExit(timeout: timeout)
    }

    func waitForExit(timeout: Duration) -> Int32? {
        let exited = eventually(timeout: timeout) { !process.isRunning }
        return exited ? process.terminationStatus : nil
    }

    var log: String {
        (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
    }

    /// Returns the log lines that contain `text`.
    func logLines(containing text: String) -> [Substring] {
        log.split(separator: "\n").filter { $0.contains(text) }
    }

    func waitForLog(_ text: String, timeout: Duration = .seconds(30)) -> Bool {
        eventually(timeout: timeout) { log.contains(text) }
    }

    /// Formats the URL with its password, for the worker's environment (not its command line, which
    /// `ps` shows).
    static func urlString(_ url: AMQPURL) -> String {
        let vhost = url.virtualHost.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? url.virtualHost
        let user = url.user.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? url.user
        let password = url.password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? url.password
        return "amqp://\(user):\(password)@\(url.host):\(url.port)/\(vhost)"
    }
}

/// The customer data of the drills: one customer with one contact and one active
/// per-incident contract, `phone` incidents up to `total`.
enum DrillCustomers {
    static let customerID = "drill-customer"
    static let contactID = "drill-contact"
    static let contractID = "drill-contract"

    static func document(total: Int) -> Data {
        let text = """
            {
              "version": 1,
              "support_levels": [{"id": "std", "name": "Standard", "group": "Standard", "max_first_response_seconds": 3600}],
              "incident_types": [{"id": "phone", "title": "Phone"}],
              "customers": [{"id": "\(customerID)", "name": "Drill Ltd", "contacts": [{"id": "\(contactID)", "name": "Ann", "email": "ann@example.com"}]}],
              "contracts": [{"id": "\(contractID)", "customer_id": "\(customerID)", "support_level_id": "std",
                "starts_at": "2020-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00Z", "grace_days": 0,
                "per_incident": true, "incidents": [{"type": "phone", "total": \(total)}]}]
            }
            """
        return Data(text.utf8)
    }

    /// Creates the database at `path` with the drill customer and closes it.
    static func makeDatabase(at path: String, total: Int) throws {
        let store = try Store(path: path)
        defer { store.close() }
        _ = try store.importCustomerData(from: document(total: total))
    }
}

/// Commands as the tracker publishes them, for the drill customer.
enum DrillCommands {
    static let timestamp = "2026-06-01T10:00:00Z"

    static func createIssue(_ issueID: Int, padding: Int = 0) -> (routingKey: String, body: [UInt8]) {
        ("issue.create", body([
            "\"issue_id\": \(issueID)", "\"project_id\": 1", "\"customer_id\": \"\(DrillCustomers.customerID)\"",
            "\"contact_id\": \"\(DrillCustomers.contactID)\"", "\"created_at\": \"\(timestamp)\"",
        ], padding: padding))
    }

    static func redeem(_ issueID: Int) -> (routingKey: String, body: [UInt8]) {
        ("incident.redeem", body([
            "\"issue_id\": \(issueID)", "\"incident_type\": \"phone\"", "\"redeemed_by\": \"staff\"",
            "\"requested_at\": \"\(timestamp)\"",
        ], padding: 0))
    }

    /// Encodes a JSON object of `members`. With `padding`, an unknown `padding` member, which
    /// the decoder ignores, brings the body to exactly `padding` bytes.
    static func body(_ members: [String], padding: Int) -> [UInt8] {
        let plain = "{" + members.joined(separator: ", ") + "}"
        guard padding > 0 else { return Array(plain.utf8) }
        let prefix = "{" + members.joined(separator: ", ") + ", \"padding\": \""
        let suffix = "\"}"
        let fill = padding - prefix.utf8.count - suffix.utf8.count
        precondition(fill >= 0, "padding \(padding) is smaller than the command")
        return Array((prefix + String(repeating: "x", count: fill) + suffix).utf8)
    }
}

/// Publishes commands with confirms on a connection of its own.
final class DrillPublisher {
    private let connection: Connection
    private let channel: Channel

    init(url: AMQPURL) throws {
        var options = ConnectionOptions(url: url)
        options.connectionName = "drill publisher"
        connection = try Connection(options)
        channel = try connection.openChannel()
        try channel.enableConfirms()
    }

    deinit {
        connection.close()
    }

    /// Publishes to `tally.commands` and waits for the confirms after every 500 commands, so
    /// that a long run keeps reading the socket; throws when any was nacked or returned.
    func publish(_ commands: [(messageID: String, routingKey: String, body: [UInt8])]) throws {
        for (index, command) in commands.enumerated() {
            var properties = MessageProperties()
            properties.contentType = "application/json"
            properties.persistent = true
            properties.messageID = command.messageID
            try channel.publish(exchange: "tally.commands", routingKey: command.routingKey, body: command.body, properties: properties, mandatory: true)
            if index % 500 == 499 || index == commands.count - 1 {
                let report = try channel.waitForConfirms(timeout: .seconds(60))
                guard report.nacked.isEmpty, report.returned.isEmpty else {
                    throw DrillBroker.Failure(description: "the broker nacked \(report.nacked.count) and returned \(report.returned.count) commands")
                }
            }
        }
    }
}

/// Consumes one queue and keeps every delivery, duplicates included.
final class DrillTap {
    private(set) var deliveries: [Delivery] = []
    private let connection: Connection
    private let channel: Channel

    init(url: AMQPURL, queue: String) throws {
        var options = ConnectionOptions(url: url)
        options.connectionName = "drill tap \(queue)"
        connection = try Connection(options)
        channel = try connection.openChannel()
        try channel.setPrefetch(count: 1000)
        _ = try channel.consume(queue: queue)
    }

    deinit {
        connection.close()
    }

    /// Reads deliveries until `condition` holds or `timeout` passes; returns whether it held.
    @discardableResult
    func collect(timeout: Duration, until condition: (DrillTap) -> Bool = { _ in false }) throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, !condition(self) {
            guard case .delivery(let delivery) = try connection.nextEvent(timeout: .milliseconds(100)) else { continue }
            deliveries.append(delivery)
            try channel.ack(delivery.deliveryTag)
        }
        return condition(self)
    }

    /// Distinct message ids of the deliveries, by correlation id (the command's message id).
    var resultIDsByCommand: [String: Set<String>] {
        var ids: [String: Set<String>] = [:]
        for delivery in deliveries {
            ids[delivery.properties.correlationID ?? "-", default: []].insert(delivery.properties.messageID ?? "-")
        }
        return ids
    }
}

/// Reads a drill's database from a connection of the test's own.
enum DrillDatabase {
    static func scalar(_ path: String, _ sql: String) throws -> Int {
        let store = try Store(path: path)
        defer { store.close() }
        return try store.read { _ in
            try store.database.queryFirst(sql)?.get(0, as: Int.self) ?? 0
        }
    }

    /// Runs `PRAGMA integrity_check` and returns its first row: "ok" for a sound file.
    static func integrityCheck(_ path: String) throws -> String {
        let store = try Store(path: path)
        defer { store.close() }
        return try store.database.queryFirst("PRAGMA integrity_check")?.get(0, as: String.self) ?? "-"
    }

    static func discrepancies(_ path: String) throws -> [LedgerDiscrepancy] {
        let store = try Store(path: path)
        defer { store.close() }
        return try store.read { transaction in try transaction.verifyLedger() }
    }
}

/// A RabbitMQ node that one test starts with `ops/broker` on a port of its own, for faults
/// that change the whole node (restart, alarms, settings). Stop it with `stop()`.
struct DrillOwnNode {
    let port: Int

    var url: AMQPURL {
        get throws { try AMQPURL("amqp://guest:guest@127.0.0.1:\(port)/%2F") }
    }

    /// Starts a fresh node and waits until it accepts connections.
    static func start(port: Int, folder: URL) throws -> DrillOwnNode {
        let status = try DrillProcess.spawnAndWait(
            Paths.repositoryRoot.appendingPathComponent("ops/broker").path,
            ["start", "--port", String(port), "--fresh", "--quiet"],
            outputPath: folder.appendingPathComponent("broker-start.out").path)
        guard status == 0 else {
            let output = (try? String(contentsOf: folder.appendingPathComponent("broker-start.out"), encoding: .utf8)) ?? ""
            throw DrillBroker.Failure(description: "ops/broker start --port \(port) failed with status \(status): \(output)")
        }
        return DrillOwnNode(port: port)
    }

    func stop(folder: URL) {
        _ = try? DrillProcess.spawnAndWait(
            Paths.repositoryRoot.appendingPathComponent("ops/broker").path, ["stop", "--port", String(port), "--quiet"],
            outputPath: folder.appendingPathComponent("broker-stop.out").path)
    }
}

extension DrillProcess {
    /// Runs `path` with its output in a file and waits with waitpid. `ops/broker start` leaves
    /// a node running that inherits the output descriptor, so a pipe would never reach its
    /// end. NOTE: Foundation's `Process.waitUntilExit` (Swift 6.3, Linux) was seen to hang on
    /// a child that had exited, when the child had itself restarted a broker node; the cause
    /// is not known, so short-lived helpers avoid it.
    static func spawnAndWait(_ path: String, _ arguments: [String], outputPath: String) throws -> Int32 {
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&fileActions, 1, 2)

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &fileActions, nil, argv, environ)
        guard spawned == 0 else {
            throw DrillBroker.Failure(description: "cannot start \(path): \(String(cString: strerror(spawned)))")
        }

        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
