import CRabbitMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A connection belongs to one thread; this rules out passing it to another.
@available(*, unavailable)
extension Connection: Sendable {}

/// How to reach and log in to a broker.
public struct ConnectionOptions: Sendable {
    public var url: AMQPURL
    /// The heartbeat interval to request; the broker may lower it, and zero disables
    /// heartbeats. Rounded up to whole seconds. A broker that sends nothing for two intervals
    /// is taken as lost (`AMQPError.Kind.heartbeatTimeout`).
    public var heartbeat: Duration = .seconds(30)
    /// The limit for the TCP connect, and separately for the TLS and AMQP handshakes.
    public var connectTimeout: Duration = .seconds(10)
    /// The largest frame to request, in bytes (4096 or more).
    public var frameMax: Int = 131_072
    /// A PEM file of the certificate authorities that sign the broker's certificate (TLS only).
    public var caCertificatePath: String? = nil
    /// Whether TLS checks the broker's certificate chain and that it names `url.host`.
    public var verifyPeer = true
    /// A PEM client certificate and its key, for brokers that require them (TLS only).
    public var clientCertificatePath: String? = nil
    public var clientKeyPath: String? = nil
    /// The `connection_name` client property, shown in the management UI and
    /// `rabbitmqctl list_connections`.
    public var connectionName: String? = nil

    /// Options with the defaults above, except that the URL's `heartbeat` and
    /// `connection_timeout` query parameters, when present, set `heartbeat` and
    /// `connectTimeout`.
    public init(url: AMQPURL) {
        self.url = url
        if let heartbeat = url.heartbeat {
            self.heartbeat = heartbeat
        }
        if let timeout = url.connectionTimeout {
            self.connectTimeout = timeout
        }
    }

    var heartbeatSeconds: Int {
        let (seconds, attoseconds) = heartbeat.components
        return Int(seconds) + (attoseconds > 0 ? 1 : 0)
    }

    func validate() throws {
        func invalid(_ detail: String) -> AMQPError {
            AMQPError(kind: .invalidArgument, operation: "connect", detail: detail)
        }
        guard heartbeat >= .zero, heartbeatSeconds <= 65_535 else {
            throw invalid("heartbeat must be from 0 to 65535 seconds")
        }
        guard connectTimeout > .zero else {
            throw invalid("connectTimeout must be positive")
        }
        guard (4096...Int(Int32.max)).contains(frameMax) else {
            throw invalid("frameMax must be from 4096 to \(Int32.max) bytes")
        }
        guard (clientCertificatePath == nil) == (clientKeyPath == nil) else {
            throw invalid("clientCertificatePath and clientKeyPath must be set together")
        }
    }
}

/// A blocking AMQP 0-9-1 connection to a broker, over librabbitmq.
///
/// A connection and its channels are confined to one thread: they are not `Sendable` and not
/// thread-safe, and every call blocks that thread. Run them on a thread of their own, not on
/// the cooperative pool of Swift concurrency.
///
/// The broker's asynchronous methods (deliveries, `connection.blocked`, consumer
/// cancellations) arrive through `nextEvent(timeout:)`. While another call waits for its
/// reply or for confirms, such methods are read and queued, and `nextEvent` returns them
/// later in arrival order. librabbitmq sends and checks heartbeats only while a call reads
/// or writes, so a connection that sits idle should call `nextEvent` at least once per
/// heartbeat interval.
///
/// Any failure that leaves the connection unusable (a broker `connection.close`, a lost
/// socket, a heartbeat time-out) frees the librabbitmq state. Later calls throw the same
/// error again (`closeReason`). Reconnect by creating a new connection. While the broker
/// blocks the connection it reads nothing from it, so calls that need a reply wait until
/// it unblocks.
public final class Connection {
    public let options: ConnectionOptions
    /// The largest frame the broker accepted, in bytes.
    public let negotiatedFrameMax: Int
    /// The heartbeat interval both sides agreed on; zero when heartbeats are off.
    public let negotiatedHeartbeat: Duration
    /// Whether the broker has blocked publishing on this connection (`connection.blocked`).
    public private(set) var isBlocked = false
    /// The reason the broker gave in its last `connection.blocked`.
    public private(set) var blockedReason: String?
    /// The error that ended the connection; nil while it is open or after `close()`.
    public private(set) var closeReason: AMQPError?

    /// `host:port`, for error messages.
    let endpoint: String
    let encoder = EncodingPool()
    /// The buffer of `Channel.publish(_:timeout:)`, kept between batches.
    let publishFrames = PublishFrames()
    private var handle: amqp_connection_state_t?
    private var channels: [UInt16: ChannelState] = [:]
    private var nextChannelID: UInt16 = 1
    private var events: [Event] = []
    private var eventHead = 0
    /// Broker closes of channels that no call was waiting on, thrown by `nextEvent`.
    private var pendingErrors: [AMQPError] = []

    /// Opens the socket and logs in with PLAIN authentication.
    ///
    /// The client properties advertise the capabilities this client handles:
    /// `publisher_confirms`, `basic.nack`, `consumer_cancel_notify`, `connection.blocked`,
    /// `exchange_exchange_bindings`, `per_consumer_qos` and `authentication_failure_close`.
    /// Throws `AMQPError` (`connectionRefused`, `hostNotFound`, `timeout`, `tls`,
    /// `authenticationFailed`, `accessRefused`, ...); the librabbitmq state is freed on
    /// failure.
    public init(_ options: ConnectionOptions) throws {
        try options.validate()
        let url = options.url
        let endpoint = url.host.contains(":") ? "[\(url.host)]:\(url.port)" : "\(url.host):\(url.port)"
        guard let state = amqp_new_connection() else {
            throw AMQPError(
                kind: .socketError, operation: "connect", object: endpoint,
                detail: "librabbitmq could not allocate a connection")
        }

        do {
            try Self.openSocket(state, options: options, endpoint: endpoint)
            try Self.logIn(state, options: options, endpoint: endpoint)
        } catch {
            amqp_destroy_connection(state)
            throw error
        }

        self.options = options
        self.endpoint = endpoint
        self.handle = state
        negotiatedFrameMax = Int(amqp_get_frame_max(state))
        negotiatedHeartbeat = .seconds(Int(amqp_get_heartbeat(state)))
    }

    deinit {
        close()
    }

    /// Whether the connection can still be used.
    public var isOpen: Bool {
        handle != nil
    }

    /// Closes the connection: sends `connection.close` and waits up to `connectTimeout` for
    /// the broker's reply, then frees the librabbitmq state. Does nothing when already
    /// closed. A blocked connection is dropped without `connection.close`, because the broker
    /// does not read from it.
    public func close() {
        guard let state = handle else { return }
        handle = nil
        markChannelsClosed(error: nil)
        if !isBlocked {
            var timeout = timeval(options.connectTimeout)
            amqp_set_rpc_timeout(state, &timeout)
            _ = amqp_connection_close(state, AMQP_REPLY_SUCCESS)
        }
        amqp_destroy_connection(state)
    }

    /// Opens a channel. Channel ids count up from 1 and are not reused until the count wraps
    /// at the negotiated channel maximum, so late frames of a closed channel cannot reach a
    /// new one.
    public func openChannel() throws -> Channel {
        let state = try liveState()
        let channelMax = max(1, Int(amqp_get_channel_max(state)))
        var id = nextChannelID
        var tried = 0
        while channels[id] != nil {
            id = id >= channelMax ? 1 : id + 1
            tried += 1
            guard tried < channelMax else {
                throw AMQPError(
                    kind: .invalidArgument, operation: "channel.open",
                    detail: "all \(channelMax) channels are open")
            }
        }
        nextChannelID = id >= channelMax ? 1 : id + 1

        if amqp_channel_open(state, id) == nil {
            try check(amqp_get_rpc_reply(state), channel: id, operation: "channel.open")
        }
        amqp_maybe_release_buffers_on_channel(state, id)
        let channelState = ChannelState(id: id)
        channels[id] = channelState
        return Channel(connection: self, state: channelState)
    }

    /// Reads and handles incoming frames for up to `timeout` (nil waits without limit) and
    /// returns the next event, or nil when the time passes first. Events queued during
    /// earlier calls come first.
    ///
    /// Throws the `AMQPError` of a broker close of a channel that no call was waiting on,
    /// and of any failure that ended the connection.
    public func nextEvent(timeout: Duration?) throws -> Event? {
        if !pendingErrors.isEmpty {
            throw pendingErrors.removeFirst()
        }
        if let event = popEvent() {
            return event
        }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while try readFrame(until: deadline, focus: nil, operation: "wait for events") {
            if let event = popEvent() {
                return event
            }
        }
        return nil
    }

    // MARK: - Internals shared with Channel

    func liveState() throws -> amqp_connection_state_t {
        if let handle {
            return handle
        }
        throw closeReason
            ?? AMQPError(
                kind: .connectionClosed, operation: "use connection", object: endpoint,
                detail: "the connection was closed by this client")
    }

    func forget(channel id: UInt16) {
        channels[id] = nil
    }

    /// Reads one frame and handles it; returns false when `deadline` passes first.
    ///
    /// `focus` is the channel whose call waits here: a broker close of that channel is thrown,
    /// while a close of another channel is kept for `nextEvent`. With a nil focus every close
    /// is thrown.
    func readFrame(until deadline: ContinuousClock.Instant?, focus: UInt16?, operation: String)
        throws -> Bool
    {
        let state = try liveState()
        var frame = amqp_frame_t()
        let status: Int32
        if let deadline {
            var timeout = timeval(deadline - .now)
            status = amqp_simple_wait_frame_noblock(state, &frame, &timeout)
        } else {
            status = amqp_simple_wait_frame_noblock(state, &frame, nil)
        }
        if status == AMQP_STATUS_TIMEOUT.rawValue {
            return false
        }
        guard status == AMQP_STATUS_OK.rawValue else {
            throw fail(.library(status, operation: operation, object: endpoint))
        }

        try dispatch(frame, state: state, focus: focus)
        if let handle {
            amqp_maybe_release_buffers_on_channel(handle, frame.channel)
        }
        return true
    }

    /// Throws an `AMQPError` for a failed RPC reply. A broker close gets its close-ok first.
    func check(
        _ reply: amqp_rpc_reply_t, channel: UInt16, operation: String, object: String? = nil
    ) throws {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            if reply.reply.id == TALLY_AMQP_CHANNEL_CLOSE_METHOD {
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_channel_close_t.self)
                throw closeChannelFromBroker(
                    channel, close: close.pointee, operation: operation, object: object)
            }
            if reply.reply.id == TALLY_AMQP_CONNECTION_CLOSE_METHOD {
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_connection_close_t.self)
                throw closeConnectionFromBroker(close.pointee, operation: operation, object: object)
            }
            throw fail(
                AMQPError(
                    kind: .protocolError, operation: operation, object: object, channel: channel,
                    detail: "unexpected reply method 0x\(String(reply.reply.id, radix: 16))"))
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            let error = AMQPError.library(
                reply.library_error, operation: operation, object: object, channel: channel)
            throw AMQPError.isFatal(reply.library_error) ? fail(error) : error
        default:
            throw fail(
                AMQPError(
                    kind: .connectionClosed, operation: operation, object: object,
                    channel: channel, detail: "the broker closed the socket"))
        }
    }

    /// Turns the status of a send (publish, ack, ...) into nothing or a thrown `AMQPError`.
    func check(status: Int32, channel: UInt16, operation: String, object: String? = nil) throws {
        guard status != AMQP_STATUS_OK.rawValue else { return }
        let error = AMQPError.library(status, operation: operation, object: object, channel: channel)
        throw AMQPError.isFatal(status) ? fail(error) : error
    }

    /// Ends the connection after a failure and returns `error` for throwing.
    @discardableResult
    func fail(_ error: AMQPError) -> AMQPError {
        guard let state = handle else { return closeReason ?? error }
        handle = nil
        closeReason = error
        markChannelsClosed(error: error)
        amqp_destroy_connection(state)
        return error
    }

    /// Reads the content header and body that follow a `basic.deliver`, `basic.return` or
    /// `basic.get-ok` on `channel`.
    func readContent(channel: UInt16, operation: String) throws -> (MessageProperties, [UInt8]) {
        let state = try liveState()
        var message = amqp_message_t()
        let reply = amqp_read_message(state, channel, &message, 0)
        guard reply.reply_type == AMQP_RESPONSE_NORMAL else {
            try check(reply, channel: channel, operation: operation)
            throw fail(AMQPError(kind: .protocolError, operation: operation, channel: channel))
        }
        defer { amqp_destroy_message(&message) }
        return (MessageProperties(message.properties), message.body.byteArray)
    }

    // MARK: - Frame dispatch

    private func dispatch(_ frame: amqp_frame_t, state: amqp_connection_state_t, focus: UInt16?)
        throws
    {
        // Content frames always follow a method that reads them with amqp_read_message, so a
        // stray one here has no message to belong to and is dropped.
        guard frame.frame_type == AMQP_FRAME_METHOD else { return }
        let channel = frame.channel
        let method = frame.payload.method

        switch method.id {
        case TALLY_AMQP_BASIC_DELIVER_METHOD:
            let deliver = method.decoded.assumingMemoryBound(to: amqp_basic_deliver_t.self).pointee
            let consumerTag = deliver.consumer_tag.string
            let exchange = deliver.exchange.string
            let routingKey = deliver.routing_key.string
            let (properties, body) = try readContent(channel: channel, operation: "basic.deliver")
            // A delivery for a channel that is already closed cannot be acked; the broker
            // requeues it when the channel closes.
            guard channels[channel] != nil else { return }
            pushEvent(
                .delivery(
                    Delivery(
                        channel: channel, deliveryTag: deliver.delivery_tag,
                        redelivered: deliver.redelivered != 0, exchange: exchange,
                        routingKey: routingKey, consumerTag: consumerTag, properties: properties,
                        body: body)))

        case TALLY_AMQP_BASIC_ACK_METHOD:
            let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
            channels[channel]?.confirm(ack.delivery_tag, multiple: ack.multiple != 0, acked: true)

        case TALLY_AMQP_BASIC_NACK_METHOD:
            let nack = method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
            channels[channel]?.confirm(nack.delivery_tag, multiple: nack.multiple != 0, acked: false)

        case TALLY_AMQP_BASIC_RETURN_METHOD:
            let returned = method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
            let replyCode = returned.reply_code
            let replyText = returned.reply_text.string
            let exchange = returned.exchange.string
            let routingKey = returned.routing_key.string
            let (properties, body) = try readContent(channel: channel, operation: "basic.return")
            channels[channel]?.recordReturn(
                ReturnedMessage(
                    replyCode: replyCode, replyText: replyText, exchange: exchange,
                    routingKey: routingKey, properties: properties, body: body))

        case TALLY_AMQP_BASIC_CANCEL_METHOD:
            let cancel = method.decoded.assumingMemoryBound(to: amqp_basic_cancel_t.self).pointee
            let consumerTag = cancel.consumer_tag.string
            if cancel.nowait == 0 {
                var ok = amqp_basic_cancel_ok_t(consumer_tag: cancel.consumer_tag)
                try check(
                    status: amqp_send_method(state, channel, TALLY_AMQP_BASIC_CANCEL_OK_METHOD, &ok),
                    channel: channel, operation: "basic.cancel-ok", object: consumerTag)
            }
            pushEvent(.consumerCancelled(channel: channel, consumerTag: consumerTag))

        case TALLY_AMQP_CHANNEL_CLOSE_METHOD:
            let close = method.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            let operation = Self.methodName(classID: close.class_id, methodID: close.method_id)
            let error = closeChannelFromBroker(channel, close: close, operation: operation)
            if focus == nil || focus == channel {
                throw error
            }
            pendingErrors.append(error)

        case TALLY_AMQP_CONNECTION_CLOSE_METHOD:
            let close = method.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            let operation = Self.methodName(classID: close.class_id, methodID: close.method_id)
            throw closeConnectionFromBroker(close, operation: operation, object: endpoint)

        case TALLY_AMQP_CONNECTION_BLOCKED_METHOD:
            let blocked = method.decoded.assumingMemoryBound(to: amqp_connection_blocked_t.self).pointee
            let reason = blocked.reason.string
            isBlocked = true
            blockedReason = reason
            pushEvent(.blocked(reason: reason))

        case TALLY_AMQP_CONNECTION_UNBLOCKED_METHOD:
            isBlocked = false
            pushEvent(.unblocked)

        default:
            // For example the close-ok of a channel whose close raced the broker's.
            break
        }
    }

    /// Replies close-ok to a broker `channel.close` and marks the channel closed.
    private func closeChannelFromBroker(
        _ channel: UInt16, close: amqp_channel_close_t, operation: String, object: String? = nil
    ) -> AMQPError {
        let kind: AMQPError.Kind = close.reply_code == 403 ? .accessRefused : .channelClosed
        let error = AMQPError(
            kind: kind, operation: operation, object: object, channel: channel,
            replyCode: close.reply_code, replyText: close.reply_text.string)
        if let state = handle {
            var ok = amqp_channel_close_ok_t()
            let status = amqp_send_method(state, channel, TALLY_AMQP_CHANNEL_CLOSE_OK_METHOD, &ok)
            if status != AMQP_STATUS_OK.rawValue {
                return fail(.library(status, operation: "channel.close-ok", channel: channel))
            }
        }
        channels[channel]?.markClosed(error: error)
        channels[channel] = nil
        return error
    }

    /// Replies close-ok to a broker `connection.close` and ends the connection.
    private func closeConnectionFromBroker(
        _ close: amqp_connection_close_t, operation: String, object: String?
    ) -> AMQPError {
        let kind: AMQPError.Kind =
            switch close.reply_code {
            case 403, 530: .accessRefused
            default: .connectionClosed
            }
        let error = AMQPError(
            kind: kind, operation: operation, object: object, replyCode: close.reply_code,
            replyText: close.reply_text.string)
        if let state = handle {
            var ok = amqp_connection_close_ok_t()
            _ = amqp_send_method(state, 0, TALLY_AMQP_CONNECTION_CLOSE_OK_METHOD, &ok)
        }
        return fail(error)
    }

    private func markChannelsClosed(error: AMQPError?) {
        for state in channels.values {
            state.markClosed(error: error)
        }
        channels.removeAll()
    }

    private func pushEvent(_ event: Event) {
        events.append(event)
    }

    private func popEvent() -> Event? {
        guard eventHead < events.count else { return nil }
        let event = events[eventHead]
        eventHead += 1
        if eventHead == events.count {
            events.removeAll(keepingCapacity: true)
            eventHead = 0
        } else if eventHead >= 4096 {
            events.removeFirst(eventHead)
            eventHead = 0
        }
        return event
    }

    /// The AMQP name of a method the broker names in a close, such as "basic.publish".
    static func methodName(classID: UInt16, methodID: UInt16) -> String {
        let names: [UInt32: String] = [
            0x0028_000A: "exchange.declare", 0x0028_0014: "exchange.delete",
            0x0032_000A: "queue.declare", 0x0032_0014: "queue.bind", 0x0032_0032: "queue.unbind",
            0x0032_001E: "queue.purge", 0x0032_0028: "queue.delete", 0x003C_000A: "basic.qos",
            0x003C_0014: "basic.consume", 0x003C_001E: "basic.cancel",
            0x003C_0028: "basic.publish", 0x003C_0046: "basic.get", 0x003C_0050: "basic.ack",
            0x003C_005A: "basic.reject", 0x003C_0078: "basic.nack",
            0x0055_000A: "confirm.select", 0x0014_000A: "channel.open",
        ]
        if classID == 0 && methodID == 0 {
            return "broker close"
        }
        return names[UInt32(classID) << 16 | UInt32(methodID)]
            ?? "method \(classID).\(methodID)"
    }

    // MARK: - Connecting

    private static func openSocket(
        _ state: amqp_connection_state_t, options: ConnectionOptions, endpoint: String
    ) throws {
        let url = options.url
        let socket: OpaquePointer?
        if url.isTLS {
            socket = try makeTLSSocket(state, options: options, endpoint: endpoint)
        } else {
            socket = amqp_tcp_socket_new(state)
        }
        guard let socket else {
            throw AMQPError(
                kind: .socketError, operation: "connect", object: endpoint,
                detail: "librabbitmq could not create the socket")
        }

        var timeout = timeval(options.connectTimeout)
        let status = amqp_socket_open_noblock(socket, url.host, Int32(url.port), &timeout)
        guard status != AMQP_STATUS_OK.rawValue else { return }

        // librabbitmq reports every failed TCP connect as one socket error and keeps the OS
        // error to itself, so a second connect attempt finds out whether it was refused.
        var osError: Int32 = 0
        if status == AMQP_STATUS_SOCKET_ERROR.rawValue || status == AMQP_STATUS_TCP_ERROR.rawValue {
            osError = probeConnectError(
                host: url.host, port: url.port, timeout: min(options.connectTimeout, .seconds(2)))
        }
        throw AMQPError.library(status, operation: "connect", object: endpoint, errno: osError)
    }

    /// Tries a TCP connect to `host:port` and returns the OS error of the first address that
    /// fails, or 0 when one connects or the attempt runs out of time.
    private static func probeConnectError(host: String, port: Int, timeout: Duration) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = streamSocketType
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            return 0
        }
        defer { freeaddrinfo(list) }

        var result: Int32 = 0
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let address = cursor {
            cursor = address.pointee.ai_next
            let descriptor = socket(
                address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            guard descriptor >= 0 else { continue }
            defer { closeDescriptor(descriptor) }
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)

            if connect(descriptor, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 {
                return 0
            }
            result = errno
            guard result == EINPROGRESS else { continue }

            var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            let milliseconds = Int32(timeout.components.seconds * 1000)
                + Int32(timeout.components.attoseconds / 1_000_000_000_000_000)
            guard poll(&poller, 1, milliseconds) == 1 else { return 0 }
            var socketError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &socketError, &length)
            if socketError == 0 {
                return 0
            }
            result = socketError
        }
        return result
    }

    private static func makeTLSSocket(
        _ state: amqp_connection_state_t, options: ConnectionOptions, endpoint: String
    ) throws -> OpaquePointer {
        guard let socket = amqp_ssl_socket_new(state) else {
            throw AMQPError(
                kind: .tls, operation: "connect", object: endpoint,
                detail: "librabbitmq could not create the TLS socket")
        }
        if let path = options.caCertificatePath {
            let status = amqp_ssl_socket_set_cacert(socket, path)
            if status != AMQP_STATUS_OK.rawValue {
                var error = AMQPError.library(status, operation: "load CA certificate", object: path)
                error.kind = .tls
                throw error
            }
        }
        amqp_ssl_socket_set_verify_peer(socket, options.verifyPeer ? 1 : 0)
        amqp_ssl_socket_set_verify_hostname(socket, options.verifyPeer ? 1 : 0)
        if let certificate = options.clientCertificatePath, let key = options.clientKeyPath {
            let status = amqp_ssl_socket_set_key(socket, certificate, key)
            if status != AMQP_STATUS_OK.rawValue {
                var error = AMQPError.library(
                    status, operation: "load client certificate", object: certificate)
                error.kind = .tls
                throw error
            }
        }
        return socket
    }

    private static func logIn(
        _ state: amqp_connection_state_t, options: ConnectionOptions, endpoint: String
    ) throws {
        let url = options.url
        let capabilities: FieldTable = [
            "publisher_confirms": true, "basic.nack": true, "consumer_cancel_notify": true,
            "connection.blocked": true, "exchange_exchange_bindings": true,
            "per_consumer_qos": true, "authentication_failure_close": true,
        ]
        var clientProperties: FieldTable = [
            "product": "AMQPClient", "platform": "Swift",
            "version": .string("librabbitmq \(String(cString: amqp_version()))"),
            "capabilities": .table(capabilities),
        ]
        if let name = options.connectionName {
            clientProperties["connection_name"] = .string(name)
        }
        let pool = EncodingPool()
        var table = pool.table(clientProperties)

        var timeout = timeval(options.connectTimeout)
        amqp_set_handshake_timeout(state, &timeout)
        let reply = tally_amqp_login_plain(
            state, url.virtualHost, 0, Int32(options.frameMax), Int32(options.heartbeatSeconds),
            &table, url.user, url.password)

        let object = "virtual host '\(url.virtualHost)' at \(endpoint) as user '\(url.user)'"
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_SERVER_EXCEPTION where reply.reply.id == TALLY_AMQP_CONNECTION_CLOSE_METHOD:
            let close = reply.reply.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            var ok = amqp_connection_close_ok_t()
            _ = amqp_send_method(state, 0, TALLY_AMQP_CONNECTION_CLOSE_OK_METHOD, &ok)
            let kind: AMQPError.Kind =
                switch close.reply_code {
                case 403: .authenticationFailed
                case 530: .accessRefused
                default: .connectionClosed
                }
            throw AMQPError(
                kind: kind, operation: "login", object: object, replyCode: close.reply_code,
                replyText: close.reply_text.string)
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            throw AMQPError.library(reply.library_error, operation: "login", object: object)
        default:
            throw AMQPError(
                kind: .connectionClosed, operation: "login", object: object,
                detail: "the broker closed the socket during login")
        }
    }
}

#if canImport(Glibc)
private let streamSocketType = Int32(SOCK_STREAM.rawValue)
private func closeDescriptor(_ descriptor: Int32) { _ = Glibc.close(descriptor) }
#else
private let streamSocketType = SOCK_STREAM
private func closeDescriptor(_ descriptor: Int32) { _ = Darwin.close(descriptor) }
#endif
