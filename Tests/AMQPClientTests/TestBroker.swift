import AMQPClient
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The broker the tests use: the node `ops/test` started, found through the environment.
enum TestBroker {
    static let urlVariable = "TALLY_TEST_AMQP_URL"
    static let portVariable = "TALLY_TEST_BROKER_PORT"

    /// The broker's URL from TALLY_TEST_AMQP_URL; records an issue and throws when it is not
    /// set, so broker tests fail instead of passing without a broker.
    static func url() throws -> AMQPURL {
        guard let text = ProcessInfo.processInfo.environment[urlVariable], !text.isEmpty else {
            Issue.record(
                "\(urlVariable) is not set: run the broker tests through ops/test, or start a node with ops/broker start --port 5682 and set \(urlVariable)=amqp://guest:guest@127.0.0.1:5682/%2F"
            )
            throw MissingBroker()
        }
        return try AMQPURL(text)
    }

    static func options(heartbeat: Duration = .seconds(10), name: String = #function) throws
        -> ConnectionOptions
    {
        var options = ConnectionOptions(url: try url())
        options.heartbeat = heartbeat
        options.connectTimeout = .seconds(5)
        options.connectionName = "AMQPClientTests \(name)"
        return options
    }

    static func connect(heartbeat: Duration = .seconds(10), name: String = #function) throws
        -> Connection
    {
        try Connection(options(heartbeat: heartbeat, name: name))
    }

    /// The port for `ops/broker ctl`: TALLY_TEST_BROKER_PORT, or the URL's port.
    static func port() throws -> Int {
        if let text = ProcessInfo.processInfo.environment[portVariable], let port = Int(text) {
            return port
        }
        return try url().port
    }

    /// A name no other test uses, for queues, exchanges and users.
    static func uniqueName(_ label: String) -> String {
        "amqp-test.\(label).\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// The repository root, found from this file's path.
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// Runs `ops/broker ctl --port PORT -- ARGUMENTS` and returns its standard output; throws
    /// when it exits with a failure.
    @discardableResult
    static func ctl(_ arguments: [String], port: Int? = nil) throws -> String {
        try runBrokerScript(["ctl", "--port", String(try port ?? self.port()), "--"] + arguments)
    }

    /// Runs `ops/broker` with `arguments` and returns its standard output.
    @discardableResult
    static func runBrokerScript(_ arguments: [String]) throws -> String {
        try run(repositoryRoot.appendingPathComponent("ops/broker").path, arguments)
    }

    /// Runs a program, waits for it and returns its standard output; throws when it fails.
    @discardableResult
    static func run(_ program: String, _ arguments: [String]) throws -> String {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("amqp-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outputPath = folder.appendingPathComponent("stdout").path
        let errorPath = folder.appendingPathComponent("stderr").path

        let pid = try spawn(program, arguments, outputPath: outputPath, errorPath: errorPath)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}

        let outputText = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exitCode = (status >> 8) & 0xff
        guard status & 0x7f == 0, exitCode == 0 else {
            let errorText = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
            throw ScriptFailure(
                arguments: [program] + arguments, status: exitCode, output: errorText)
        }
        return outputText
    }

    /// Starts a program with its output in the given files and returns its pid.
    ///
    /// It uses posix_spawn with every descriptor above 2 closed: `ops/broker start` leaves the
    /// node running with the descriptors it inherited, and Foundation's `Process` (and
    /// `swift test`) would wait for those to close.
    static func spawn(_ program: String, _ arguments: [String], outputPath: String, errorPath: String)
        throws -> pid_t
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // glibc 2.34 and later have it; Swift does not import it because it is a GNU extension.
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
        let symbol = try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np"))
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)

        // Test threads block signals, and a child inherits the mask: without this reset a
        // spawned socat or broker would ignore SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptySet = sigset_t()
        sigemptyset(&emptySet)
        var defaultSet = sigset_t()
        sigemptyset(&defaultSet)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] {
            sigaddset(&defaultSet, signal)
        }
        posix_spawnattr_setsigmask(&attributes, &emptySet)
        posix_spawnattr_setsigdefault(&attributes, &defaultSet)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, program, &actions, &attributes, argv, environ)
        guard spawned == 0 else {
            throw ScriptFailure(
                arguments: [program] + arguments, status: spawned,
                output: "posix_spawn failed: \(String(cString: strerror(spawned)))")
        }
        return pid
    }

    /// The client properties of the connection whose connection_name is `name`, as the JSON
    /// text rabbitmqctl prints.
    static func clientProperties(ofConnectionNamed name: String) throws -> String {
        let listing = try ctl([
            "list_connections", "--quiet", "--formatter", "json", "client_properties",
        ])
        let records = try JSONSerialization.jsonObject(with: Data(listing.utf8)) as? [[String: Any]]
        for record in records ?? [] {
            let data = try JSONSerialization.data(withJSONObject: record)
            let json = String(decoding: data, as: UTF8.self)
            if json.contains("\"\(name)\"") {
                return json
            }
        }
        throw ScriptFailure(
            arguments: ["list_connections"], status: 0,
            output: "no connection named \(name) in:\n\(listing)")
    }
}

struct MissingBroker: Error, CustomStringConvertible {
    var description: String { "no test broker: \(TestBroker.urlVariable) is not set" }
}

struct ScriptFailure: Error, CustomStringConvertible {
    var arguments: [String]
    var status: Int32
    var output: String
    var description: String {
        "ops/broker \(arguments.joined(separator: " ")) failed with status \(status): \(output)"
    }
}

/// Reads events until `match` returns a value or `timeout` passes.
func waitForEvent<T>(
    _ connection: Connection, timeout: Duration = .seconds(10), _ match: (Event) -> T?
) throws -> T? {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        guard let event = try connection.nextEvent(timeout: deadline - .now) else { return nil }
        if let value = match(event) {
            return value
        }
    }
    return nil
}

/// Reads deliveries until `count` arrived or `timeout` passes.
func collectDeliveries(_ connection: Connection, count: Int, timeout: Duration = .seconds(10))
    throws -> [Delivery]
{
    var deliveries: [Delivery] = []
    let deadline = ContinuousClock.now + timeout
    while deliveries.count < count, ContinuousClock.now < deadline {
        guard let event = try connection.nextEvent(timeout: deadline - .now) else { break }
        if case .delivery(let delivery) = event {
            deliveries.append(delivery)
        }
    }
    return deliveries
}

/// Headers of every field type and every basic property set, for round-trip tests.
enum EveryProperty {
    static let headers: FieldTable = [
        "bool": .bool(true), "int8": .int8(-8), "uint8": .uint8(200), "int16": .int16(-1600),
        "uint16": .uint16(65_000), "int32": .int32(-320_000), "uint32": .uint32(4_000_000_000),
        "int64": .int64(-64_000_000_000), "float": .float(1.5), "double": .double(-2.25),
        "decimal": .decimal(scale: 2, value: 12_345), "string": .string("grüße"),
        "bytes": .bytes([0, 1, 254, 255]),
        "array": .array([.string("a"), .int32(2), .array([.bool(false)])]),
        "table": .table(["nested": .string("yes"), "deeper": .table(["n": .int64(1)])]),
        "timestamp": .timestamp(Date(timeIntervalSince1970: 1_700_000_000)), "void": .void,
    ]

    /// Returns every property set, with `userID` the test broker's user, which the broker checks.
    static func properties() throws -> MessageProperties {
        MessageProperties(
            contentType: "application/json", contentEncoding: "identity", headers: headers,
            persistent: true, priority: 7, correlationID: "correlation-1", replyTo: "reply.queue",
            expiration: "600000", messageID: "message-1",
            timestamp: Date(timeIntervalSince1970: 1_700_000_123), type: "incident.redeem",
            userID: try TestBroker.url().user, appID: "eventum")
    }
}
