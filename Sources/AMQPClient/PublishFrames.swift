import CRabbitMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The encoded frames of a batch of publishes, in one growable buffer, ready for one write.
///
/// Each message takes a method frame (`basic.publish`), a content header frame and zero or
/// more body frames of at most `frameMax - 8` payload bytes. An AMQP 0-9-1 frame is a type
/// octet, the channel (16 bits), the payload size (32 bits), the payload and the frame-end
/// octet 0xCE. librabbitmq encodes the method arguments and the properties; this
/// type writes the frame headers and copies the bodies.
final class PublishFrames {
    /// The offset just past each encoded message, in encoding order.
    private(set) var messageEnds: [Int] = []
    private(set) var count = 0
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int

    /// The capacity kept between batches; a larger buffer is freed after use.
    private static let retainedCapacity = 1 << 20
    private static let initialCapacity = 1 << 16
    private static let frameEnd: UInt8 = 0xCE
    private static let basicPublishMethod: amqp_method_number_t = 0x003C_0028
    private static let basicClass: UInt16 = 60
    /// Type, channel and size before the payload, and the frame-end octet after it.
    private static let frameOverhead = 8
    /// The largest encoded `basic.publish` arguments: ticket, two short strings of at most
    /// 255 bytes with their length octets, and the flag octet.
    private static let maxPublishArguments = 2 + 256 + 256 + 1

    init() {
        capacity = Self.initialCapacity
        storage = .allocate(byteCount: capacity, alignment: 8)
    }

    deinit {
        storage.deallocate()
    }

    var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage, count: count)
    }

    /// Empties the buffer and frees memory above the retained capacity.
    func reset() {
        count = 0
        messageEnds.removeAll(keepingCapacity: true)
        if capacity > Self.retainedCapacity {
            storage.deallocate()
            capacity = Self.initialCapacity
            storage = .allocate(byteCount: capacity, alignment: 8)
        }
    }

    /// Appends the frames of one publish on `channel`.
    ///
    /// Throws `.invalidArgument` when the exchange or routing key is longer than 255 bytes or
    /// the encoded properties do not fit in one frame of `frameMax` bytes. The buffer is then
    /// left with a partial message: call `reset()` before reusing it.
    func append(
        _ message: OutgoingMessage, channel: UInt16, frameMax: Int, pool: EncodingPool
    ) throws {
        let payloadMax = frameMax - Self.frameOverhead
        try appendMethodFrame(message, channel: channel)
        try appendHeaderFrame(message, channel: channel, payloadMax: payloadMax, pool: pool)
        appendBodyFrames(message.body, channel: channel, payloadMax: payloadMax)
        messageEnds.append(count)
    }

    private func appendMethodFrame(_ message: OutgoingMessage, channel: UInt16) throws {
        for (name, value) in [("exchange", message.exchange), ("routing key", message.routingKey)]
        where value.utf8.count > 255 {
            throw AMQPError(
                kind: .invalidArgument, operation: "basic.publish", object: message.exchange,
                channel: channel,
                detail: "the \(name) is \(value.utf8.count) bytes long; AMQP allows at most 255")
        }

        reserve(Self.frameOverhead + 4 + Self.maxPublishArguments)
        let sizeOffset = beginFrame(type: UInt8(AMQP_FRAME_METHOD), channel: channel)
        appendBigEndian(Self.basicPublishMethod)
        let status = withAMQPBytes(message.exchange) { exchange in
            withAMQPBytes(message.routingKey) { routingKey in
                var arguments = amqp_basic_publish_t(
                    ticket: 0, exchange: exchange, routing_key: routingKey,
                    mandatory: message.mandatory ? 1 : 0, immediate: 0)
                return amqp_encode_method(
                    Self.basicPublishMethod, &arguments,
                    amqp_bytes_t(len: capacity - count, bytes: storage + count))
            }
        }
        guard status >= 0 else {
            var error = AMQPError.library(
                status, operation: "basic.publish", object: message.exchange, channel: channel)
            error.kind = .invalidArgument
            throw error
        }
        count += Int(status)
        endFrame(sizeOffset: sizeOffset)
    }

    private func appendHeaderFrame(
        _ message: OutgoingMessage, channel: UInt16, payloadMax: Int, pool: EncodingPool
    ) throws {
        reserve(Self.frameOverhead + payloadMax)
        let sizeOffset = beginFrame(type: UInt8(AMQP_FRAME_HEADER), channel: channel)
        appendBigEndian(Self.basicClass)
        appendBigEndian(UInt16(0))  // weight, unused
        appendBigEndian(UInt64(message.body.count))

        var properties = pool.properties(message.properties)
        let room = payloadMax - 12
        let status = amqp_encode_properties(
            Self.basicClass, &properties, amqp_bytes_t(len: room, bytes: storage + count))
        pool.recycle()
        guard status >= 0 else {
            var error = AMQPError.library(
                status, operation: "basic.publish", object: message.exchange, channel: channel)
            error.kind = .invalidArgument
            error.detail = "the properties do not fit in one frame of \(payloadMax + Self.frameOverhead) bytes, or a property string is longer than 255 bytes"
            throw error
        }
        count += Int(status)
        endFrame(sizeOffset: sizeOffset)
    }

    private func appendBodyFrames(_ body: [UInt8], channel: UInt16, payloadMax: Int) {
        let frameCount = (body.count + payloadMax - 1) / payloadMax
        reserve(body.count + frameCount * Self.frameOverhead)
        body.withUnsafeBytes { source in
            var offset = 0
            while offset < source.count {
                let length = min(payloadMax, source.count - offset)
                let sizeOffset = beginFrame(type: UInt8(AMQP_FRAME_BODY), channel: channel)
                (storage + count).copyMemory(from: source.baseAddress! + offset, byteCount: length)
                count += length
                endFrame(sizeOffset: sizeOffset)
                offset += length
            }
        }
    }

    /// Writes the frame type and channel and leaves room for the payload size; returns the
    /// size field's offset for `endFrame`.
    private func beginFrame(type: UInt8, channel: UInt16) -> Int {
        appendBigEndian(type)
        appendBigEndian(channel)
        let sizeOffset = count
        count += 4
        return sizeOffset
    }

    /// Fills in the payload size of the frame begun at `sizeOffset` and appends the frame end.
    private func endFrame(sizeOffset: Int) {
        let payloadSize = UInt32(count - sizeOffset - 4)
        withUnsafeBytes(of: payloadSize.bigEndian) { size in
            (storage + sizeOffset).copyMemory(from: size.baseAddress!, byteCount: 4)
        }
        appendBigEndian(Self.frameEnd)
    }

    /// Appends an integer in network byte order; the caller has reserved the room.
    private func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes in
            (storage + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
        count += MemoryLayout<T>.size
    }

    /// Grows the buffer, doubling, so that `extra` more bytes fit.
    private func reserve(_ extra: Int) {
        let needed = count + extra
        guard needed > capacity else { return }
        var newCapacity = capacity * 2
        while newCapacity < needed {
            newCapacity *= 2
        }
        let newStorage = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 8)
        newStorage.copyMemory(from: storage, byteCount: count)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
    }
}

extension Connection {
    /// Writes `bytes` to the connection's TCP socket, waiting for room in the socket buffer
    /// until `deadline`.
    ///
    /// Writing beside librabbitmq is safe because librabbitmq (0.11) finishes each send before
    /// its call returns and buffers nothing for later. It must not be used over TLS, whose
    /// records librabbitmq's OpenSSL session writes. Every failure ends the connection,
    /// because a frame may be cut in half: a send error throws `.socketError` with the OS
    /// error (EPIPE, ECONNRESET, ...), as librabbitmq's own sends do, and a socket still full
    /// at `deadline` throws `.timeout`.
    func write(
        _ bytes: UnsafeRawBufferPointer, until deadline: ContinuousClock.Instant, channel: UInt16,
        operation: String, object: String?
    ) throws {
        let descriptor = amqp_get_sockfd(try liveState())
        guard descriptor >= 0 else {
            throw fail(
                AMQPError(
                    kind: .socketError, operation: operation, object: object, channel: channel,
                    detail: "librabbitmq has no socket for this connection"))
        }

        #if canImport(Darwin)
        // NOTE: untested; the package is built and tested on Linux only.
        var noSignal: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_NOSIGPIPE, &noSignal, socklen_t(MemoryLayout<Int32>.size))
        #endif

        var offset = 0
        while offset < bytes.count {
            // MSG_DONTWAIT makes the send return EAGAIN on a full buffer even when the socket
            // is in blocking mode, so the wait below is the only place this call blocks.
            let sent = send(
                descriptor, bytes.baseAddress! + offset, bytes.count - offset,
                sendFlags | Int32(MSG_DONTWAIT))
            if sent > 0 {
                offset += sent
                continue
            }

            let osError = sent < 0 ? errno : EAGAIN
            switch osError {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                try waitUntilWritable(
                    descriptor, until: deadline, channel: channel, operation: operation,
                    object: object, progress: "\(offset) of \(bytes.count) bytes written")
            default:
                throw fail(
                    .library(
                        AMQP_STATUS_SOCKET_ERROR.rawValue, operation: operation, object: object,
                        channel: channel, errno: osError))
            }
        }
    }

    private func waitUntilWritable(
        _ descriptor: Int32, until deadline: ContinuousClock.Instant, channel: UInt16,
        operation: String, object: String?, progress: String
    ) throws {
        while true {
            let remaining = deadline - .now
            guard remaining > .zero else {
                var error = AMQPError.library(
                    AMQP_STATUS_TIMEOUT.rawValue, operation: operation, object: object,
                    channel: channel)
                error.detail = "the broker read nothing more before the deadline (\(progress))"
                throw fail(error)
            }

            var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            let (seconds, attoseconds) = remaining.components
            let milliseconds = min(
                Int64(Int32.max), seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            let ready = poll(&poller, 1, Int32(milliseconds))
            if ready > 0 {
                // Writable, or an error or hang-up that the next send reports.
                return
            }
            if ready < 0 && errno != EINTR {
                throw fail(
                    .library(
                        AMQP_STATUS_SOCKET_ERROR.rawValue, operation: operation, object: object,
                        channel: channel, errno: errno))
            }
        }
    }
}

#if canImport(Glibc)
/// Turns a write to a socket the broker closed into EPIPE instead of SIGPIPE, as librabbitmq
/// does on Linux.
private let sendFlags = Int32(MSG_NOSIGNAL)
#else
/// Darwin has no MSG_NOSIGNAL: `write` sets SO_NOSIGPIPE on the socket instead.
private let sendFlags: Int32 = 0
#endif
