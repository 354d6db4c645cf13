import AMQPClient
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The broker that `ops/test` started (TALLY_TEST_AMQP_URL, TALLY_TEST_MANAGEMENT_URL), on
/// loopback. Each test gets a virtual host of its own, so tests run side by side with Tally's
/// fixed queue names.
enum OpsTestBroker {
    struct SetupError: Error, CustomStringConvertible {
        let description: String
    }

    static var baseURL: AMQPURL {
        get throws {
            guard let text = ProcessInfo.processInfo.environment["TALLY_TEST_AMQP_URL"] else {
                throw SetupError(description: "TALLY_TEST_AMQP_URL is not set: run the tests through ops/test, or start a node with 'ops/broker start --port 5673' and export TALLY_TEST_AMQP_URL and TALLY_TEST_MANAGEMENT_URL")
            }
            return try AMQPURL(text)
        }
    }

    static var managementURL: String {
        get throws {
            if let text = ProcessInfo.processInfo.environment["TALLY_TEST_MANAGEMENT_URL"] {
                return text
            }
            let base = try baseURL
            return "http://\(base.host):\(base.port + 10000)"
        }
    }

    /// Creates a virtual host with full permissions for the test user; returns its URL.
    static func makeVirtualHost(_ label: String) async throws -> AMQPURL {
        let name = "ops-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        var url = try baseURL
        try await management("PUT", "/api/vhosts/\(name)", body: [:])
        try await grant(user: url.user, virtualHost: name)
        url.virtualHost = name
        return url
    }

    static func grant(user: String, virtualHost: String) async throws {
        try await management("PUT", "/api/permissions/\(virtualHost)/\(user)", body: ["configure": ".*", "write": ".*", "read": ".*"])
    }

    static func revoke(user: String, virtualHost: String) async throws {
        try await management("DELETE", "/api/permissions/\(virtualHost)/\(user)", body: nil)
    }

    static func deleteVirtualHost(_ url: AMQPURL) async {
        _ = try? await management("DELETE", "/api/vhosts/\(url.virtualHost)", body: nil)
    }

    @discardableResult
    static func management(_ method: String, _ path: String, body: [String: String]?) async throws -> Data {
        let base = try managementURL
        let url = try baseURL
        var request = URLRequest(url: URL(string: base + path)!)
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
            throw SetupError(description: "\(method) \(path) returned \(status): \(String(decoding: data, as: UTF8.self))")
        }
        return data
    }

    /// Returns the URL with the password in clear, for the environment of a test run.
    static func urlString(_ url: AMQPURL, password: String? = nil) -> String {
        let vhost = url.virtualHost.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? url.virtualHost
        return "amqp://\(url.user):\(password ?? url.password)@\(url.host):\(url.port)/\(vhost)"
    }
}

/// Polls `condition` every 50 ms until it is true or `timeout` passes.
func eventually(timeout: Duration, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return try condition()
}
