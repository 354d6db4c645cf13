import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A blocking client of the RabbitMQ management HTTP API, for the figures AMQP cannot give:
/// unacknowledged counts, rates, bindings and consumers.
///
/// It uses the user and password of the AMQP URL with HTTP basic authentication. Call it from
/// a thread that may block, never from the cooperative pool.
struct ManagementClient {
    /// The reason the management API returned no usable response.
    enum Failure: Error, CustomStringConvertible {
        /// No response: the plugin is off, or the port is wrong or closed.
        case unreachable(String)
        /// 401 or 403: the user cannot log in to the API or lacks the `monitoring` or
        /// `management` tag, or has no access to the virtual host.
        case refused(status: Int, user: String, virtualHost: String)
        /// Any other status or a body that is not the expected JSON.
        case failed(String)

        var description: String {
            switch self {
            case .unreachable(let reason):
                return "the management API did not respond (\(reason))"
            case .refused(let status, let user, let virtualHost):
                return "the management API refused user '\(user)' for virtual host '\(virtualHost)' (HTTP \(status)): check the user's password, its 'management' or 'monitoring' tag and its permissions"
            case .failed(let reason):
                return "the management API failed: \(reason)"
            }
        }
    }

    let baseURL: String
    let user: String
    let password: String
    let virtualHost: String
    var timeout: TimeInterval = 5

    /// Fetches the queues of the virtual host, as JSON objects.
    func queues() throws(Failure) -> [[String: Any]] {
        try getArray("/api/queues/\(Self.encode(virtualHost))")
    }

    /// Fetches the bindings whose source is `exchange`.
    func bindings(fromExchange exchange: String) throws(Failure) -> [[String: Any]] {
        try getArray("/api/exchanges/\(Self.encode(virtualHost))/\(Self.encode(exchange))/bindings/source")
    }

    /// Fetches the consumers of the virtual host.
    func consumers() throws(Failure) -> [[String: Any]] {
        try getArray("/api/consumers/\(Self.encode(virtualHost))")
    }

    private func getArray(_ path: String) throws(Failure) -> [[String: Any]] {
        let data = try get(path)
        guard let array = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else {
            throw .failed("GET \(path) returned no JSON array")
        }
        return array
    }

    private func get(_ path: String) throws(Failure) -> Data {
        let trimmedBase = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        guard let url = URL(string: trimmedBase + path) else {
            throw .failed("invalid URL \(trimmedBase + path)")
        }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        let credentials = Data("\(user):\(password)".utf8).base64EncodedString()
        request.setValue("Basic \(credentials)", forHTTPHeaderField: "Authorization")

        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        // FoundationNetworking on Linux waits forever on a 401 challenge that no delegate
        // handles, so this delegate cancels the challenge and keeps the status.
        let challenges = ChallengeCanceller()
        let session = URLSession(configuration: configuration, delegate: challenges, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }

        let box = ResponseBox()
        let semaphore = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: request) { data, response, error in
            box.set(data: data, response: response, error: error)
            semaphore.signal()
        }
        task.resume()
        if semaphore.wait(timeout: .now() + timeout + 1) == .timedOut {
            task.cancel()
            throw .unreachable("no response within \(Int(timeout)) s from \(trimmedBase)")
        }

        let (data, response, error) = box.get()
        if let status = challenges.challengedStatus {
            throw .refused(status: status, user: user, virtualHost: virtualHost)
        }
        if let error {
            throw .unreachable("\(trimmedBase): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        if status == 401 || status == 403 {
            throw .refused(status: status, user: user, virtualHost: virtualHost)
        }
        guard (200..<300).contains(status), let data else {
            throw .failed("GET \(path) returned HTTP \(status)")
        }
        return data
    }

    /// Percent-encodes one path segment, so that the virtual host `/` becomes `%2F`.
    static func encode(_ segment: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment
    }
}

/// Cancels every authentication challenge and records the status of the response that raised
/// it, so a wrong password ends the request with that status instead of a retry.
private final class ChallengeCanceller: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    // The lock guards `status`.
    private let lock = NSLock()
    private var status: Int?

    var challengedStatus: Int? {
        lock.lock()
        defer { lock.unlock() }
        return status
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
        completionHandler: @escaping @Sendable (URLSession.AuthChallengeDisposition, URLCredential?) -> Void
    ) {
        lock.lock()
        status = (challenge.failureResponse as? HTTPURLResponse)?.statusCode ?? 401
        lock.unlock()
        completionHandler(.cancelAuthenticationChallenge, nil)
    }
}

/// The result of one data task, handed from URLSession's queue to the waiting thread.
private final class ResponseBox: @unchecked Sendable {
    // The lock guards the three fields.
    private let lock = NSLock()
    private var data: Data?
    private var response: URLResponse?
    private var error: (any Error)?

    func set(data: Data?, response: URLResponse?, error: (any Error)?) {
        lock.lock()
        defer { lock.unlock() }
        self.data = data
        self.response = response
        self.error = error
    }

    func get() -> (Data?, URLResponse?, (any Error)?) {
        lock.lock()
        defer { lock.unlock() }
        return (data, response, error)
    }
}

extension [String: Any] {
    func int(_ key: String) -> Int? {
        (self[key] as? NSNumber)?.intValue
    }

    func string(_ key: String) -> String? {
        self[key] as? String
    }

    /// Returns the `rate` of `message_stats.<name>_details`, in messages per second.
    func rate(_ name: String) -> Double? {
        guard let stats = self["message_stats"] as? [String: Any],
            let details = stats["\(name)_details"] as? [String: Any]
        else { return nil }
        return (details["rate"] as? NSNumber)?.doubleValue
    }
}
