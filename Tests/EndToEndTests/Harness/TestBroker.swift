import AMQPClient
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A RabbitMQ node on loopback: the suite's node that `ops/test` started, or a node a test
/// starts for itself because it restarts the broker or raises an alarm on it.
struct BrokerNode: Sendable {
    /// The AMQP URL of the default virtual host.
    var url: AMQPURL
    var managementURL: URL
    /// The AMQP port, for `ops/broker --port`.
    var port: Int

    struct MissingBrokerError: Error, CustomStringConvertible {
        var description: String {
            "TALLY_TEST_AMQP_URL is not set: run the broker tests through ops/test, or start a node with 'ops/broker start --port 5673' and export TALLY_TEST_AMQP_URL, TALLY_TEST_MANAGEMENT_URL and TALLY_TEST_BROKER_PORT as 'ops/test --help' shows"
        }
    }

    /// The node of this test run, from TALLY_TEST_AMQP_URL, TALLY_TEST_MANAGEMENT_URL and
    /// TALLY_TEST_BROKER_PORT.
    static var suite: BrokerNode {
        get throws {
            let environment = ProcessInfo.processInfo.environment
            guard let text = environment["TALLY_TEST_AMQP_URL"], !text.isEmpty else {
                throw MissingBrokerError()
            }
            let url = try AMQPURL(text)
            let port = environment["TALLY_TEST_BROKER_PORT"].flatMap { Int($0) } ?? url.port
            let management = environment["TALLY_TEST_MANAGEMENT_URL"].flatMap { URL(string: $0) }
                ?? URL(string: "http://\(url.host):\(port + 10000)")!
            return BrokerNode(url: url, managementURL: management, port: port)
        }
    }

    /// The node `ops/broker` runs on `port`, with the guest user and ports derived as it derives them.
    static func local(port: Int) throws -> BrokerNode {
        BrokerNode(
            url: try AMQPURL("amqp://guest:guest@127.0.0.1:\(port)/%2F"),
            managementURL: URL(string: "http://127.0.0.1:\(port + 10000)")!, port: port)
    }

    /// Creates a fresh virtual host with full permissions for the test user and returns a URL
    /// that points at it.
    func makeVirtualHost(_ label: String) async throws -> AMQPURL {
        let name = "test-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        var vhostURL = url
        try await management("PUT", "/api/vhosts/\(name)", body: [:])
        try await management("PUT", "/api/permissions/\(name)/\(url.user)", body: ["configure": ".*", "write": ".*", "read": ".*"])
        vhostURL.virtualHost = name
        return vhostURL
    }

    func deleteVirtualHost(_ vhostURL: AMQPURL) async {
        _ = try? await management("DELETE", "/api/vhosts/\(vhostURL.virtualHost)", body: nil)
    }

    @discardableResult
    func management(_ method: String, _ path: String, body: [String: String]?) async throws -> Data {
        var request = URLRequest(url: URL(string: managementURL.absoluteString + path)!)
        request.httpMethod = method
        let credentials = Data("\(url.user):\(url.password)".utf8).base64EncodedString()
        request.setValue("Basic \(credentials)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
        }

        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            throw BrokerScriptError(description: "\(method) \(path) returned HTTP \(status): \(String(decoding: data, as: UTF8.self))")
        }
        return data
    }

    /// Runs rabbitmqctl against this node through `ops/broker ctl`.
    @discardableResult
    func ctl(_ arguments: [String]) throws -> String {
        try BrokerScript.run(["ctl", "--port", String(port), "--"] + arguments)
    }
}

/// A node started by one test for itself with `ops/broker start --fresh`, on a port no other
/// test uses. `stop()` ends it; `deinit` stops it when a test fails before that.
final class OwnBrokerNode {
    let node: BrokerNode
    private var isRunning = false

    /// Starts the node, trying a second time after 5 s when the first start fails, because a
    /// port of a node stopped moments before may not be free yet.
    init(port: Int) throws {
        node = try BrokerNode.local(port: port)
        let arguments = ["start", "--port", String(port), "--fresh", "--quiet"]
        do {
            try BrokerScript.run(arguments)
        } catch {
            _ = try? BrokerScript.run(["stop", "--port", String(port), "--quiet"])
            Thread.sleep(forTimeInterval: 5)
            try BrokerScript.run(arguments)
        }
        isRunning = true
    }

    deinit {
        stop()
    }

    /// Shuts the node down and waits for its VM to exit. Idempotent.
    func stop() {
        guard isRunning else { return }
        isRunning = false
        _ = try? BrokerScript.run(["stop", "--port", String(node.port), "--quiet"])
    }

    /// Stops the node, keeping its message store, and returns once it is down.
    func shutDownKeepingState() throws {
        try BrokerScript.run(["stop", "--port", String(node.port), "--quiet"])
    }

    /// Starts the node again on its message store.
    func startAgain() throws {
        try BrokerScript.run(["start", "--port", String(node.port), "--quiet"])
    }
}

struct BrokerScriptError: Error, CustomStringConvertible {
    let description: String
}

/// `ops/broker` of this checkout.
enum BrokerScript {
    /// Runs `ops/broker` and returns its output.
    ///
    /// Spawned with `posix_spawn` and reaped with `waitpid`, not with `Process`. Foundation
    /// on Linux detects a child's exit when a socket the child inherits closes, and `start`
    /// leaves the node running with that socket open, so `Process` would wait for the node.
    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("tally-e2e-broker-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let script = Paths.repositoryRoot.appendingPathComponent("ops/broker").path

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let argv = ([script] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, script, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw BrokerScriptError(description: "ops/broker could not be started: \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}

        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WIFEXITED and WEXITSTATUS are macros Swift does not import.
        let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : -1
        guard exitStatus == 0 else {
            throw BrokerScriptError(description: "ops/broker \(arguments.joined(separator: " ")) failed with status \(exitStatus): \(text)")
        }
        return text
    }
}

enum Paths {
    static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 {
            url.deleteLastPathComponent()
        }
        return url
    }()

    /// The folder with the built executables, beside the test bundle.
    static let productsFolder: URL = {
        URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
    }()

    static func executable(_ name: String) -> URL {
        productsFolder.appendingPathComponent(name)
    }

    /// A new empty folder for one test's files.
    static func temporaryFolder(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tally-e2e-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Polls `condition` every 50 ms until it is true or `timeout` passes, and returns its last value.
func eventually(timeout: Duration, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return try condition()
}
