import AMQPClient
import Foundation
import Testing

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

    @discardableResult
    static func runBrokerScript(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = repositoryRoot.appendingPathComponent("ops/broker")
        process.arguments = arguments
        process.currentDirectoryURL = repositoryRoot
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ScriptFailure(
                arguments: arguments, status: process.terminationStatus,
                output: String(decoding: errorData, as: UTF8.self))
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Closes the broker side of the connection whose connection_name is `name`.
    static func closeConnection(named name: String, reason: String) throws {
        let listing = try ctl(["list_connections", "--quiet", "--no-table-headers", "pid", "user_provided_name"])
        let line = listing.split(separator: "\n").first { $0.hasSuffix("\t" + name) }
        guard let line, let pid = line.split(separator: "\t").first else {
            throw ScriptFailure(arguments: ["list_connections"], status: 0, output: "no connection named \(name) in:\n\(listing)")
        }
        try ctl(["close_connection", String(pid), reason])
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
