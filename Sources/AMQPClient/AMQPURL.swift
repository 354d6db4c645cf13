import Foundation

/// An AMQP URI, `amqp://user:password@host:port/vhost?heartbeat=30`, after the RabbitMQ URI
/// specification.
///
/// - `amqps` selects TLS. The default port is 5672, or 5671 with TLS.
/// - User, password and virtual host are percent-decoded: the virtual host "/" is written
///   `%2F`. A missing or empty path means the virtual host "/".
/// - Without user information the user and password are "guest", as in RabbitMQ's default.
/// - Query parameters: `heartbeat` in seconds and `connection_timeout` in milliseconds, the
///   units RabbitMQ documents for URI query parameters. Any other parameter is rejected.
public struct AMQPURL: Sendable, Equatable, CustomStringConvertible {
    public var isTLS: Bool
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var virtualHost: String
    /// The heartbeat interval from the `heartbeat` query parameter.
    public var heartbeat: Duration?
    /// The connect and login time-out from the `connection_timeout` query parameter.
    public var connectionTimeout: Duration?

    /// Parses `string`; throws `AMQPURLError` naming the part that is wrong. The error never
    /// contains the password.
    public init(_ string: String) throws {
        let schemeEnd = string.range(of: "://")
        guard let schemeEnd else {
            throw AMQPURLError("missing scheme: expected amqp:// or amqps://")
        }
        let scheme = string[..<schemeEnd.lowerBound].lowercased()
        switch scheme {
        case "amqp": isTLS = false
        case "amqps": isTLS = true
        default: throw AMQPURLError("unsupported scheme '\(scheme)': expected amqp or amqps")
        }

        var rest = string[schemeEnd.upperBound...]
        if rest.contains("#") {
            throw AMQPURLError("a fragment (#...) is not allowed")
        }
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        var authority = rest
        var path: Substring?
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        }

        user = "guest"
        password = "guest"
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                user = try Self.percentDecoded(userInfo[..<colon], part: "user name")
                password = try Self.percentDecoded(
                    userInfo[userInfo.index(after: colon)...], part: "password")
            } else {
                user = try Self.percentDecoded(userInfo, part: "user name")
                password = ""
            }
        }

        (host, port) = try Self.parseHostPort(hostPort, defaultPort: isTLS ? 5671 : 5672)

        if let path, path.contains("/") {
            throw AMQPURLError("the virtual host must be one path segment; write '/' as %2F")
        }
        let decodedPath = try Self.percentDecoded(path ?? "", part: "virtual host")
        virtualHost = decodedPath.isEmpty ? "/" : decodedPath

        heartbeat = nil
        connectionTimeout = nil
        for item in query.split(separator: "&") where !item.isEmpty {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(pair[0])
            let value = pair.count == 2 ? pair[1] : ""
            switch key {
            case "heartbeat":
                heartbeat = .seconds(try Self.parseCount(value, parameter: key, max: 65_535))
            case "connection_timeout":
                connectionTimeout = .milliseconds(
                    try Self.parseCount(value, parameter: key, max: 86_400_000))
            default:
                throw AMQPURLError(
                    "unsupported query parameter '\(key)': only heartbeat and connection_timeout are accepted"
                )
            }
        }
    }

    /// The URL with the password replaced by "***".
    public var description: String {
        let scheme = isTLS ? "amqps" : "amqp"
        let hostPart = host.contains(":") ? "[\(host)]" : host
        var text = "\(scheme)://\(Self.percentEncoded(user)):***@\(hostPart):\(port)/"
        text += Self.percentEncoded(virtualHost)
        var items: [String] = []
        if let heartbeat {
            items.append("heartbeat=\(heartbeat.components.seconds)")
        }
        if let connectionTimeout {
            let (seconds, attoseconds) = connectionTimeout.components
            items.append("connection_timeout=\(seconds * 1000 + attoseconds / 1_000_000_000_000_000)")
        }
        if !items.isEmpty {
            text += "?" + items.joined(separator: "&")
        }
        return text
    }

    private static func parseHostPort(_ text: Substring, defaultPort: Int) throws -> (String, Int) {
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw AMQPURLError("missing ']' after the IPv6 address")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else if !after.isEmpty {
                throw AMQPURLError("unexpected text after the IPv6 address")
            }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            host = text
        }
        let decodedHost = try percentDecoded(host, part: "host")
        var port = defaultPort
        if let portText {
            guard let value = Int(portText), (1...65_535).contains(value) else {
                // The text is not echoed: in a URL that lacks its '@', it may be the password.
                throw AMQPURLError("invalid port: expected a number from 1 to 65535")
            }
            port = value
        }
        return (decodedHost.isEmpty ? "localhost" : decodedHost, port)
    }

    private static func parseCount(_ text: Substring, parameter: String, max: Int) throws -> Int {
        guard let value = Int(text), value >= 0, value <= max else {
            throw AMQPURLError(
                "invalid \(parameter) '\(text)': expected a whole number from 0 to \(max)")
        }
        return value
    }

    /// Decodes %XX escapes. `part` names the URL part in the error, never its value, because
    /// the part may be the password.
    private static func percentDecoded(_ text: Substring, part: String) throws -> String {
        guard text.contains("%") else {
            return String(text)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue)
            else {
                throw AMQPURLError("the \(part) contains an invalid percent-encoding")
            }
            bytes.append(high << 4 | low)
        }
        guard let decoded = String(bytes: bytes, encoding: .utf8) else {
            throw AMQPURLError("the \(part) is not valid UTF-8 after percent-decoding")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Encodes every byte outside the URI's unreserved set, so "/" becomes %2F.
    private static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                result += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return result
    }
}

/// A malformed AMQP URL. The message names the part that is wrong and never contains the
/// password.
public struct AMQPURLError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String

    init(_ message: String) {
        self.message = message
    }

    public var description: String {
        "invalid AMQP URL: \(message)"
    }
}
