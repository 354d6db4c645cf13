import AMQPClient
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The broker that `ops/test` started for this run, on loopback. Each test gets a virtual host
/// of its own, so tests run side by side with the worker's fixed queue names.
enum TestBroker {
    struct MissingBrokerError: Error, CustomStringConvertible {
        var description: String {
            "TALLY_TEST_AMQP_URL is not set: run the broker tests through ops/test, or start a node with 'ops/broker start --port 5673' and export the variables that 'ops/broker env --port 5673' prints (with TEST_ in their names)"
        }
    }

    struct ManagementError: Error, CustomStringConvertible {
        let description: String
    }

    static var baseURL: AMQPURL {
        get throws {
            guard let text = ProcessInfo.processInfo.environment["TALLY_TEST_AMQP_URL"] else {
                throw MissingBrokerError()
            }
            return try AMQPURL(text)
        }
    }

    static var managementURL: URL {
        get throws {
            if let text = ProcessInfo.processInfo.environment["TALLY_TEST_MANAGEMENT_URL"], let url = URL(string: text) {
                return url
            }
            let base = try baseURL
            return URL(string: "http://\(base.host):\(base.port + 10000)")!
        }
    }

    /// The AMQP port, for `ops/broker ctl --port`.
    static var port: Int {
        get throws { try baseURL.port }
    }

    /// Creates a fresh virtual host with full permissions for the test user and returns a URL
    /// that points at it.
    static func makeVirtualHost(_ label: String) async throws -> AMQPURL {
        let name = "test-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        var url = try baseURL
        try await management("PUT", "/api/vhosts/\(name)", body: [:])
        try await management("PUT", "/api/permissions/\(name)/\(url.user)", body: ["configure": ".*", "write": ".*", "read": ".*"])
        url.virtualHost = name
        return url
    }

    static func deleteVirtualHost(_ url: AMQPURL) async {
        _ = try? await management("DELETE", "/api/vhosts/\(url.virtualHost)", body: nil)
    }

    /// Message counts of a queue: ready and unacknowledged, read with a passive declare.
    static func messageCount(_ url: AMQPURL, queue: String) throws -> Int {
        let connection = try Connection(ConnectionOptions(url: url))
        defer { connection.close() }
        let channel = try connection.openChannel()
        return Int(try channel.declareQueue(queue, passive: true).messageCount)
    }

    @discardableResult
    static func management(_ method: String, _ path: String, body: [String: String]?) async throws -> Data {
        let base = try managementURL
        let url = try baseURL
        var request = URLRequest(url: URL(string: base.absoluteString + path)!)
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
            throw ManagementError(description: "\(method) \(path) answered \(status): \(String(decoding: data, as: UTF8.self))")
        }
        return data
    }

    /// Runs rabbitmqctl against the test node through `ops/broker ctl`.
    @discardableResult
    static func ctl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = Paths.repositoryRoot.appendingPathComponent("ops/broker")
        process.arguments = ["ctl", "--port", String(try port), "--"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw ManagementError(description: "rabbitmqctl \(arguments.joined(separator: " ")) failed: \(text)")
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
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tally-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes.
func eventually(timeout: Duration, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return try condition()
}
