import CRabbitMQ

/// A channel belongs to its connection's thread; this rules out passing it to another.
@available(*, unavailable)
extension Channel: Sendable {}

/// An AMQP channel on a `Connection`, confined to the connection's thread.
///
/// Errors are `AMQPError`. A broker `channel.close` (for example 404 NOT_FOUND or 406
/// PRECONDITION_FAILED) closes the channel: the call throws `.channelClosed` with the reply
/// code and text, and later calls on the channel throw the same error. Open a new channel to
/// go on. The channel keeps its connection alive; `deinit` closes the channel when it is still
/// open.
public final class Channel {
    public let id: UInt16
    public let connection: Connection
    private let state: ChannelState

    init(connection: Connection, state: ChannelState) {
        self.connection = connection
        self.state = state
        self.id = state.id
    }

    deinit {
        if state.isOpen && connection.isOpen {
            try? close()
        }
    }

    /// Whether the channel can still be used.
    public var isOpen: Bool {
        state.isOpen && connection.isOpen
    }

    /// The error of the broker close that ended the channel, if any.
    public var closeReason: AMQPError? {
        state.closeError
    }

    // MARK: - Topology

    public func declareExchange(
        _ name: String, type: String, durable: Bool = true, autoDelete: Bool = false,
        internal: Bool = false, arguments: FieldTable = [:], passive: Bool = false
    ) throws {
        try call("exchange.declare", object: name) { connection, state in
            let pool = connection.encoder
            return amqp_exchange_declare(
                state, id, pool.bytes(name), pool.bytes(type), passive ? 1 : 0, durable ? 1 : 0,
                autoDelete ? 1 : 0, `internal` ? 1 : 0, pool.table(arguments))
        } extract: { _ in }
    }

    public func deleteExchange(_ name: String, ifUnused: Bool = false) throws {
        try call("exchange.delete", object: name) { connection, state in
            amqp_exchange_delete(state, id, connection.encoder.bytes(name), ifUnused ? 1 : 0)
        } extract: { _ in }
    }

    /// Declares a queue. With an empty `name` the broker chooses one and returns it.
    /// With `passive` the queue must exist (404 NOT_FOUND otherwise) and is not changed.
    @discardableResult
    public func declareQueue(
        _ name: String, durable: Bool = true, exclusive: Bool = false, autoDelete: Bool = false,
        arguments: FieldTable = [:], passive: Bool = false
    ) throws -> QueueDeclareOk {
        try call("queue.declare", object: name) { connection, state in
            let pool = connection.encoder
            return amqp_queue_declare(
                state, id, pool.bytes(name), passive ? 1 : 0, durable ? 1 : 0, exclusive ? 1 : 0,
                autoDelete ? 1 : 0, pool.table(arguments))
        } extract: { ok in
            QueueDeclareOk(
                name: ok.queue.string, messageCount: ok.message_count,
                consumerCount: ok.consumer_count)
        }
    }

    public func bindQueue(
        _ queue: String, exchange: String, routingKey: String, arguments: FieldTable = [:]
    ) throws {
        try call("queue.bind", object: queue) { connection, state in
            let pool = connection.encoder
            return amqp_queue_bind(
                state, id, pool.bytes(queue), pool.bytes(exchange), pool.bytes(routingKey),
                pool.table(arguments))
        } extract: { _ in }
    }

    public func unbindQueue(
        _ queue: String, exchange: String, routingKey: String, arguments: FieldTable = [:]
    ) throws {
        try call("queue.unbind", object: queue) { connection, state in
            let pool = connection.encoder
            return amqp_queue_unbind(
                state, id, pool.bytes(queue), pool.bytes(exchange), pool.bytes(routingKey),
                pool.table(arguments))
        } extract: { _ in }
    }

    /// Deletes a queue and returns the number of messages it held.
    @discardableResult
    public func deleteQueue(_ name: String, ifUnused: Bool = false, ifEmpty: Bool = false) throws
        -> UInt32
    {
        try call("queue.delete", object: name) { connection, state in
            amqp_queue_delete(
                state, id, connection.encoder.bytes(name), ifUnused ? 1 : 0, ifEmpty ? 1 : 0)
        } extract: { ok in
            ok.message_count
        }
    }

    /// Removes the queue's ready messages and returns how many there were.
    @discardableResult
    public func purgeQueue(_ name: String) throws -> UInt32 {
        try call("queue.purge", object: name) { connection, state in
            amqp_queue_purge(state, id, connection.encoder.bytes(name))
        } extract: { ok in
            ok.message_count
        }
    }

    // MARK: - Consuming

    /// Limits unacked deliveries (`basic.qos`): per consumer, or per channel when `global` is
    /// true (RabbitMQ's meaning of the flag). Zero means no limit.
    public func setPrefetch(count: UInt16, global: Bool = false) throws {
        try call("basic.qos", object: nil) { _, state in
            amqp_basic_qos(state, id, 0, count, global ? 1 : 0)
        } extract: { _ in }
    }

    /// Starts a consumer and returns its tag (chosen by the broker when `consumerTag` is
    /// empty). Deliveries arrive as `Event.delivery` from `Connection.nextEvent`.
    @discardableResult
    public func consume(
        queue: String, consumerTag: String = "", noAck: Bool = false, exclusive: Bool = false,
        arguments: FieldTable = [:]
    ) throws -> String {
        try call("basic.consume", object: queue) { connection, state in
            let pool = connection.encoder
            return amqp_basic_consume(
                state, id, pool.bytes(queue), pool.bytes(consumerTag), 0, noAck ? 1 : 0,
                exclusive ? 1 : 0, pool.table(arguments))
        } extract: { ok in
            ok.consumer_tag.string
        }
    }

    /// Cancels a consumer. Deliveries that arrived before the broker's cancel-ok stay queued
    /// for `nextEvent`.
    public func cancel(consumerTag: String) throws {
        try call("basic.cancel", object: consumerTag) { connection, state in
            amqp_basic_cancel(state, id, connection.encoder.bytes(consumerTag))
        } extract: { _ in }
    }

    /// Acks a delivery, or with `multiple` every unacked delivery up to and including the tag.
    /// An unknown tag makes the broker close the channel with 406 PRECONDITION_FAILED, which
    /// shows up in a later call.
    public func ack(_ deliveryTag: UInt64, multiple: Bool = false) throws {
        let connectionState = try liveState(operation: "basic.ack")
        let status = amqp_basic_ack(connectionState, id, deliveryTag, multiple ? 1 : 0)
        try connection.check(status: status, channel: id, operation: "basic.ack")
    }

    /// Negatively acks a delivery; without `requeue` the broker dead-letters or drops it.
    public func nack(_ deliveryTag: UInt64, multiple: Bool = false, requeue: Bool) throws {
        let connectionState = try liveState(operation: "basic.nack")
        let status = amqp_basic_nack(
            connectionState, id, deliveryTag, multiple ? 1 : 0, requeue ? 1 : 0)
        try connection.check(status: status, channel: id, operation: "basic.nack")
    }

    /// Rejects one delivery; without `requeue` the broker dead-letters or drops it.
    public func reject(_ deliveryTag: UInt64, requeue: Bool) throws {
        let connectionState = try liveState(operation: "basic.reject")
        let status = amqp_basic_reject(connectionState, id, deliveryTag, requeue ? 1 : 0)
        try connection.check(status: status, channel: id, operation: "basic.reject")
    }

    /// Fetches one message with `basic.get`; nil when the queue is empty.
    public func get(queue: String, noAck: Bool = false) throws -> GetResult? {
        let connectionState = try liveState(operation: "basic.get")
        let reply = withAMQPBytes(queue) { queueBytes in
            amqp_basic_get(connectionState, id, queueBytes, noAck ? 1 : 0)
        }
        try connection.check(reply, channel: id, operation: "basic.get", object: queue)
        guard reply.reply.id == TALLY_AMQP_BASIC_GET_OK_METHOD else {
            amqp_maybe_release_buffers_on_channel(connectionState, id)
            return nil
        }

        let ok = reply.reply.decoded.assumingMemoryBound(to: amqp_basic_get_ok_t.self).pointee
        let exchange = ok.exchange.string
        let routingKey = ok.routing_key.string
        let (properties, body) = try connection.readContent(channel: id, operation: "basic.get")
        if let state = try? connection.liveState() {
            amqp_maybe_release_buffers_on_channel(state, id)
        }
        let delivery = Delivery(
            channel: id, deliveryTag: ok.delivery_tag, redelivered: ok.redelivered != 0,
            exchange: exchange, routingKey: routingKey, consumerTag: "", properties: properties,
            body: body)
        return GetResult(delivery: delivery, messageCount: ok.message_count)
    }

    // MARK: - Publishing

    /// Puts the channel in confirm mode (`confirm.select`): the broker then acks or nacks
    /// every publish, numbered 1, 2, ... in publish order.
    public func enableConfirms() throws {
        guard !state.confirmMode else { return }
        try call("confirm.select", object: nil) { _, state in
            amqp_confirm_select(state, id)
        } extract: { _ in }
        state.confirmMode = true
    }

    /// The maximum number of publishes awaiting a confirm. At this count `publish` blocks
    /// until confirms arrive. Only used in confirm mode.
    public var confirmWindow: Int {
        get { state.confirmWindow }
        set { state.confirmWindow = max(1, newValue) }
    }

    /// Publishes not yet acked or nacked.
    public var outstandingConfirms: Int {
        state.unconfirmed.count
    }

    /// Publishes a message and returns its sequence number in confirm mode (1, 2, ...), or 0.
    ///
    /// In confirm mode it first waits while `confirmWindow` publishes are unconfirmed. With
    /// `mandatory`, a message no queue takes comes back in `ConfirmReport.returned`. The
    /// broker reports a missing exchange by closing the channel (404), which a later call on
    /// this channel throws.
    @discardableResult
    public func publish(
        exchange: String, routingKey: String, body: [UInt8],
        properties: MessageProperties = MessageProperties(), mandatory: Bool = false
    ) throws -> UInt64 {
        _ = try liveState(operation: "basic.publish", object: exchange)
        try waitForConfirmWindow(object: exchange)

        let connectionState = try connection.liveState()
        let pool = connection.encoder
        var cProperties = pool.properties(properties)
        let status = withAMQPBytes(exchange) { exchangeBytes in
            withAMQPBytes(routingKey) { routingKeyBytes in
                body.withUnsafeBytes { buffer in
                    let bodyBytes = amqp_bytes_t(
                        len: buffer.count, bytes: UnsafeMutableRawPointer(mutating: buffer.baseAddress))
                    return amqp_basic_publish(
                        connectionState, id, exchangeBytes, routingKeyBytes, mandatory ? 1 : 0, 0,
                        &cProperties, bodyBytes)
                }
            }
        }
        pool.recycle()
        try connection.check(status: status, channel: id, operation: "basic.publish", object: exchange)

        return state.recordPublish(mandatory: mandatory, messageID: properties.messageID)
    }

    /// Publishes `messages` in order, with their frames written to the socket together, and
    /// returns their sequence numbers as one `publish` call per message would. In confirm mode
    /// they continue the channel's count, which single and batch publishes share. Outside
    /// confirm mode each is 0. An empty batch sends nothing and returns [].
    ///
    /// Every frame is encoded before any is written, so a message that fails its check throws
    /// `.invalidArgument` with nothing sent: an exchange, routing key or property string over
    /// 255 bytes, or properties larger than a frame. In confirm mode the frames go out in runs
    /// that keep at most `confirmWindow` publishes unconfirmed, with a wait for confirms
    /// between runs. `timeout` limits the wait for room in the socket buffer during each run,
    /// for example while the broker blocks publishing. When it passes, the connection ends
    /// with `.timeout`, because the broker may have part of a frame; a failed send ends it
    /// with `.socketError`.
    ///
    /// Over TLS (`amqps`) the TLS session owns the socket, so this falls back to one
    /// librabbitmq publish per message: there `timeout` does not apply, and a message that
    /// fails its check throws after the messages before it were sent.
    @discardableResult
    public func publish(_ messages: [OutgoingMessage], timeout: Duration = .seconds(30)) throws
        -> [UInt64]
    {
        _ = try liveState(operation: "basic.publish", object: messages.first?.exchange)
        guard !messages.isEmpty else { return [] }
        if connection.options.url.isTLS {
            return try messages.map { message in
                try publish(
                    exchange: message.exchange, routingKey: message.routingKey, body: message.body,
                    properties: message.properties, mandatory: message.mandatory)
            }
        }

        let frames = connection.publishFrames
        defer { frames.reset() }
        for message in messages {
            try frames.append(
                message, channel: id, frameMax: connection.negotiatedFrameMax,
                pool: connection.encoder)
        }

        var sequenceNumbers: [UInt64] = []
        sequenceNumbers.reserveCapacity(messages.count)
        var written = 0
        while written < messages.count {
            let exchange = messages[written].exchange
            try waitForConfirmWindow(object: exchange)
            var end = messages.count
            if state.confirmMode {
                end = min(end, written + state.confirmWindow - state.unconfirmed.count)
            }

            let start = written == 0 ? 0 : frames.messageEnds[written - 1]
            let run = UnsafeRawBufferPointer(rebasing: frames.bytes[start..<frames.messageEnds[end - 1]])
            try connection.write(
                run, until: .now + timeout, channel: id, operation: "basic.publish",
                object: exchange)

            for message in messages[written..<end] {
                sequenceNumbers.append(
                    state.recordPublish(
                        mandatory: message.mandatory, messageID: message.properties.messageID))
            }
            written = end
        }
        return sequenceNumbers
    }

    /// In confirm mode, reads frames until fewer than `confirmWindow` publishes are
    /// unconfirmed.
    private func waitForConfirmWindow(object: String) throws {
        guard state.confirmMode else { return }
        while state.unconfirmed.count >= state.confirmWindow {
            _ = try connection.readFrame(
                until: nil, focus: id, operation: "basic.publish (confirm window)")
            _ = try liveState(operation: "basic.publish", object: object)
        }
    }

    /// Waits until every publish so far is acked or nacked, then returns the confirms and
    /// returns received since the previous report.
    ///
    /// Throws `.timeout` when `timeout` passes first; nothing is lost, so the caller may wait
    /// again. Deliveries that arrive meanwhile are queued for `Connection.nextEvent`.
    public func waitForConfirms(timeout: Duration) throws -> ConfirmReport {
        _ = try liveState(operation: "wait for confirms")
        let deadline = ContinuousClock.now + timeout
        while state.unconfirmed.count > 0 {
            let read = try connection.readFrame(
                until: deadline, focus: id, operation: "wait for confirms")
            _ = try liveState(operation: "wait for confirms")
            if !read {
                throw AMQPError(
                    kind: .timeout, operation: "wait for confirms", channel: id,
                    detail: "\(state.unconfirmed.count) publishes are still unconfirmed")
            }
        }
        return state.takeReport()
    }

    /// Returns the confirms and returns received so far without waiting, and clears them.
    public func takeConfirmReport() -> ConfirmReport {
        state.takeReport()
    }

    // MARK: - Closing

    /// Closes the channel (`channel.close`). Does nothing when it is already closed.
    public func close() throws {
        guard state.isOpen else { return }
        state.markClosed(error: nil)
        connection.forget(channel: id)
        guard let connectionState = try? connection.liveState() else { return }
        let reply = amqp_channel_close(connectionState, id, AMQP_REPLY_SUCCESS)
        do {
            try connection.check(reply, channel: id, operation: "channel.close")
        } catch let error as AMQPError where error.kind == .channelClosed && error.channel == id {
            // The broker closed the channel at the same time; both sides are done with it.
        }
        if let state = try? connection.liveState() {
            amqp_maybe_release_buffers_on_channel(state, id)
        }
    }

    // MARK: - Internals

    /// The connection's state, after checking that this channel is open.
    private func liveState(operation: String, object: String? = nil) throws
        -> amqp_connection_state_t
    {
        if !state.isOpen {
            throw state.closeError
                ?? AMQPError(
                    kind: .channelClosed, operation: operation, object: object, channel: id,
                    detail: "the channel was closed by this client")
        }
        return try connection.liveState()
    }

    /// Runs a synchronous librabbitmq method, turns a failure into `AMQPError` and copies the
    /// reply out before librabbitmq reuses its memory.
    private func call<Reply, Result>(
        _ operation: String, object: String?,
        _ invoke: (Connection, amqp_connection_state_t) -> UnsafeMutablePointer<Reply>?,
        extract: (Reply) -> Result
    ) throws -> Result {
        let connectionState = try liveState(operation: operation, object: object)
        let reply = invoke(connection, connectionState)
        connection.encoder.recycle()
        guard let reply else {
            try connection.check(
                amqp_get_rpc_reply(connectionState), channel: id, operation: operation,
                object: object)
            throw connection.fail(
                AMQPError(
                    kind: .protocolError, operation: operation, object: object, channel: id,
                    detail: "librabbitmq returned no reply"))
        }
        let result = extract(reply.pointee)
        amqp_maybe_release_buffers_on_channel(connectionState, id)
        return result
    }
}

/// The state of one channel that the connection's frame dispatch updates: open or closed,
/// and publisher confirms.
final class ChannelState {
    let id: UInt16
    private(set) var isOpen = true
    private(set) var closeError: AMQPError?
    var confirmMode = false
    var confirmWindow = 1000
    var nextSequenceNumber: UInt64 = 1
    var unconfirmed = SequenceNumbers()
    private var report = ConfirmReport()
    /// Unconfirmed mandatory publishes by message id, oldest first, and the reverse, so that
    /// a return can be given its sequence number and confirmed entries can be dropped.
    private var mandatorySequenceNumbers: [String: [UInt64]] = [:]
    private var mandatoryMessageIDs: [UInt64: String] = [:]

    init(id: UInt16) {
        self.id = id
    }

    func markClosed(error: AMQPError?) {
        isOpen = false
        if closeError == nil {
            closeError = error
        }
    }

    /// Records a `basic.ack` (acked) or `basic.nack` from the broker.
    func confirm(_ deliveryTag: UInt64, multiple: Bool, acked: Bool) {
        var confirmed: [UInt64] = []
        if multiple {
            unconfirmed.removeAll(through: deliveryTag, into: &confirmed)
        } else if unconfirmed.remove(deliveryTag) {
            confirmed.append(deliveryTag)
        }

        if acked {
            report.acked += confirmed
        } else {
            report.nacked += confirmed
        }
        if !mandatoryMessageIDs.isEmpty {
            for sequenceNumber in confirmed {
                forgetMandatory(sequenceNumber)
            }
        }
    }

    /// Records a `basic.return`. It arrives before the confirm of its message, so the message's
    /// mandatory publish is still remembered.
    func recordReturn(_ returned: ReturnedMessage) {
        var returned = returned
        if confirmMode, let messageID = returned.properties.messageID,
            let sequenceNumber = mandatorySequenceNumbers[messageID]?.first
        {
            returned.sequenceNumber = sequenceNumber
            forgetMandatory(sequenceNumber)
        }
        report.returned.append(returned)
    }

    /// Numbers a publish that was just sent: returns its sequence number in confirm mode and
    /// remembers a mandatory one for its return, or returns 0 outside confirm mode.
    func recordPublish(mandatory: Bool, messageID: String?) -> UInt64 {
        guard confirmMode else { return 0 }
        let sequenceNumber = nextSequenceNumber
        nextSequenceNumber += 1
        unconfirmed.append(sequenceNumber)
        if mandatory, let messageID {
            rememberMandatory(sequenceNumber, messageID: messageID)
        }
        return sequenceNumber
    }

    private func rememberMandatory(_ sequenceNumber: UInt64, messageID: String) {
        mandatorySequenceNumbers[messageID, default: []].append(sequenceNumber)
        mandatoryMessageIDs[sequenceNumber] = messageID
    }

    private func forgetMandatory(_ sequenceNumber: UInt64) {
        guard let messageID = mandatoryMessageIDs.removeValue(forKey: sequenceNumber) else { return }
        mandatorySequenceNumbers[messageID]?.removeAll { $0 == sequenceNumber }
        if mandatorySequenceNumbers[messageID]?.isEmpty == true {
            mandatorySequenceNumbers[messageID] = nil
        }
    }

    func takeReport() -> ConfirmReport {
        defer { report = ConfirmReport() }
        return report
    }
}

/// Unconfirmed publish sequence numbers in ascending order.
///
/// Publishes append in order; confirms remove a prefix (multiple) or single numbers, which
/// may come out of order when a message goes to several queues.
struct SequenceNumbers {
    private var storage: [UInt64] = []
    private var head = 0

    var count: Int { storage.count - head }

    mutating func append(_ number: UInt64) {
        storage.append(number)
    }

    /// Removes every number up to and including `limit`, appending them to `target`.
    mutating func removeAll(through limit: UInt64, into target: inout [UInt64]) {
        let end = firstIndex(above: limit)
        guard end > head else { return }
        target.append(contentsOf: storage[head..<end])
        head = end
        compact()
    }

    /// Removes `number`; returns false when it was not present.
    mutating func remove(_ number: UInt64) -> Bool {
        let index = firstIndex(above: number) - 1
        guard index >= head, storage[index] == number else { return false }
        if index == head {
            head += 1
        } else {
            storage.remove(at: index)
        }
        compact()
        return true
    }

    /// The index of the first stored number greater than `number` (binary search).
    private func firstIndex(above number: UInt64) -> Int {
        var low = head
        var high = storage.count
        while low < high {
            let middle = (low + high) / 2
            if storage[middle] <= number {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }

    private mutating func compact() {
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024 && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }
}
