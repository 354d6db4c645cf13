import CRabbitMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error from the broker, from librabbitmq or from an input check of this client.
///
/// `description` is one line for logs. It names the operation, the queue, exchange or endpoint
/// involved, and the broker's reply or librabbitmq's message. It never contains a password:
/// no error is built from the password or from the URL string it came in.
public struct AMQPError: Error, CustomStringConvertible, Sendable {
    /// The class of failure, stable enough to switch on.
    public enum Kind: Sendable, Equatable, Hashable {
        /// Nothing listens on the broker's port (TCP connection refused).
        case connectionRefused
        /// The broker's host name does not resolve.
        case hostNotFound
        /// A connect, login, remote procedure call or confirm wait did not finish in time.
        case timeout
        /// The broker rejected the user name or password (403 ACCESS_REFUSED during login).
        case authenticationFailed
        /// The broker refused access: an unknown virtual host or missing permission
        /// (530 NOT_ALLOWED, or 403 ACCESS_REFUSED after login).
        case accessRefused
        /// The broker closed the channel (`replyCode` gives the reason, for example 404 or 406).
        case channelClosed
        /// The broker closed the connection (`replyCode` gives the reason, for example 320), the
        /// socket reached end of file, or the connection was closed by this client.
        case connectionClosed
        /// No frame, heartbeats included, arrived from the broker for two heartbeat intervals.
        case heartbeatTimeout
        /// A socket call failed for a reason other than the ones above.
        case socketError
        /// TLS setup, the TLS handshake or certificate verification failed.
        case tls
        /// The broker sent data librabbitmq cannot decode, or an unexpected frame.
        case protocolError
        /// An argument is out of range or does not fit in a frame.
        case invalidArgument
    }

    public var kind: Kind
    /// The reply code of the broker's `channel.close` or `connection.close`.
    public var replyCode: UInt16?
    /// The reply text of the broker's `channel.close` or `connection.close`.
    public var replyText: String?
    /// The AMQP method or client step that failed, such as "queue.declare", "connect" or "login".
    public var operation: String
    /// The queue, exchange or consumer tag the operation named, or `host:port` for connection
    /// steps.
    public var object: String?
    /// The channel the error happened on; nil for connection-level errors.
    public var channel: UInt16?
    /// The `amqp_status_enum` value librabbitmq returned, when the failure came from it.
    public var librabbitmqStatus: Int32?
    /// Extra detail written by this client, such as the OS error of a failed connect.
    public var detail: String?

    public init(
        kind: Kind, operation: String, object: String? = nil, channel: UInt16? = nil,
        replyCode: UInt16? = nil, replyText: String? = nil, librabbitmqStatus: Int32? = nil,
        detail: String? = nil
    ) {
        self.kind = kind
        self.operation = operation
        self.object = object
        self.channel = channel
        self.replyCode = replyCode
        self.replyText = replyText
        self.librabbitmqStatus = librabbitmqStatus
        self.detail = detail
    }

    /// librabbitmq's text for `librabbitmqStatus` (`amqp_error_string2`).
    public var librabbitmqMessage: String? {
        librabbitmqStatus.map { String(cString: amqp_error_string2($0)) }
    }

    /// Whether reconnecting may help. It is true for lost connections, time-outs and broker
    /// shutdowns (320 CONNECTION_FORCED, 541 INTERNAL_ERROR, 506 RESOURCE_ERROR, 405
    /// RESOURCE_LOCKED). It is false for configuration errors such as a wrong password,
    /// missing permissions, 404 NOT_FOUND or 406 PRECONDITION_FAILED, because a retry repeats
    /// them.
    public var isRecoverable: Bool {
        switch kind {
        case .connectionRefused, .hostNotFound, .timeout, .heartbeatTimeout, .socketError:
            return true
        case .authenticationFailed, .accessRefused, .tls, .invalidArgument, .protocolError:
            return false
        case .channelClosed, .connectionClosed:
            guard let replyCode else { return true }
            return [320, 405, 506, 541].contains(replyCode)
        }
    }

    public var description: String {
        var text = operation
        if let object {
            let preposition = Self.preposition(for: operation)
            text += preposition == "to" ? " to \(object)" : " \(preposition) '\(object)'"
        }
        text += " failed: " + reason
        return text
    }

    private var reason: String {
        var parts: [String] = []
        switch kind {
        case .channelClosed where replyCode != nil:
            let subject = channel.map { "channel \($0)" } ?? "channel"
            parts.append("\(subject) closed by the broker with \(replyCode!) \(replyText ?? "")")
        case .connectionClosed where replyCode != nil,
            .authenticationFailed where replyCode != nil,
            .accessRefused where replyCode != nil:
            parts.append("connection closed by the broker with \(replyCode!) \(replyText ?? "")")
        case .accessRefused:
            parts.append(replyText ?? "access refused")
        default:
            parts.append(Self.summary(of: kind))
        }
        if let detail {
            parts.append(detail)
        }
        if let librabbitmqStatus {
            let hex = String(UInt32(bitPattern: -librabbitmqStatus), radix: 16)
            parts.append("librabbitmq: \(librabbitmqMessage ?? "unknown") (status -0x\(hex))")
        }
        return parts.joined(separator: "; ")
    }

    private static func summary(of kind: Kind) -> String {
        switch kind {
        case .connectionRefused: "connection refused"
        case .hostNotFound: "host not found"
        case .timeout: "timed out"
        case .authenticationFailed: "authentication failed"
        case .accessRefused: "access refused"
        case .channelClosed: "channel is closed"
        case .connectionClosed: "connection is closed"
        case .heartbeatTimeout: "no heartbeat from the broker for two heartbeat intervals"
        case .socketError: "socket error"
        case .tls: "TLS error"
        case .protocolError: "protocol error"
        case .invalidArgument: "invalid argument"
        }
    }

    /// Returns the words that join an operation to its object in `description`.
    private static func preposition(for operation: String) -> String {
        if operation.hasPrefix("queue.") || operation == "basic.consume"
            || operation == "basic.get"
        {
            return "on queue"
        }
        if operation.hasPrefix("exchange.") || operation == "basic.publish" {
            return "on exchange"
        }
        if operation == "basic.cancel" {
            return "of consumer"
        }
        return "to"
    }
}

extension AMQPError {
    /// Maps a librabbitmq status code to an error, splitting socket errors by `errno`.
    static func library(
        _ status: Int32, operation: String, object: String? = nil, channel: UInt16? = nil,
        errno osError: Int32 = 0
    ) -> AMQPError {
        var kind: Kind
        var detail: String?
        switch amqp_status_enum(rawValue: status) {
        case AMQP_STATUS_HOSTNAME_RESOLUTION_FAILED:
            kind = .hostNotFound
        case AMQP_STATUS_TIMEOUT:
            kind = .timeout
        case AMQP_STATUS_HEARTBEAT_TIMEOUT:
            kind = .heartbeatTimeout
        case AMQP_STATUS_CONNECTION_CLOSED, AMQP_STATUS_SOCKET_CLOSED:
            kind = .connectionClosed
        case AMQP_STATUS_SOCKET_ERROR, AMQP_STATUS_TCP_ERROR:
            kind = osError == ECONNREFUSED ? .connectionRefused : .socketError
            if kind == .socketError && osError != 0 {
                detail = String(cString: strerror(osError))
            }
        case AMQP_STATUS_SSL_ERROR, AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED,
            AMQP_STATUS_SSL_PEER_VERIFY_FAILED, AMQP_STATUS_SSL_CONNECTION_FAILED,
            AMQP_STATUS_SSL_SET_ENGINE_FAILED:
            kind = .tls
        case AMQP_STATUS_INVALID_PARAMETER, AMQP_STATUS_TABLE_TOO_BIG:
            kind = .invalidArgument
        default:
            kind = .protocolError
        }
        return AMQPError(
            kind: kind, operation: operation, object: object, channel: channel,
            librabbitmqStatus: status, detail: detail)
    }

    /// Returns whether a librabbitmq status leaves the connection unusable.
    static func isFatal(_ status: Int32) -> Bool {
        switch amqp_status_enum(rawValue: status) {
        case AMQP_STATUS_INVALID_PARAMETER, AMQP_STATUS_TABLE_TOO_BIG:
            return false
        default:
            return true
        }
    }
}
