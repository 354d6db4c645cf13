import AMQPClient
import Foundation
import TallyCore
import TallySupport

/// One connection to the broker: a channel in confirm mode that consumes the command queue and
/// publishes results. Deliveries read while waiting for something else (confirms, a retry
/// delay) are kept in `pending`, in delivery-tag order, until the worker takes them.
///
/// Confined to the worker's thread, like the `Connection` it owns.
final class BrokerSession {
    let connection: Connection
    let channel: Channel
    private(set) var consumerTag: String?
    private(set) var pending: [Delivery] = []
    /// True until `widenPrefetch()`: the consumer takes one delivery at a time.
    private(set) var isCautious = true
    private let prefetch: UInt16
    private let logger: Logger

    /// Connects, declares the topology, and starts consuming `queue`.
    ///
    /// - Throws: `AMQPError` when the broker cannot be reached or refuses us;
    ///   `TopologyMismatchError` when an existing queue or exchange was declared differently.
    init(configuration: WorkerConfiguration, logger: Logger) throws {
        self.logger = logger
        self.prefetch = configuration.prefetch

        var options = ConnectionOptions(url: configuration.amqpURL)
        options.heartbeat = configuration.amqpHeartbeat
        options.caCertificatePath = configuration.caCertificatePath
        options.connectionName = "tally-worker \(configuration.workerID)"
        let connection = try Connection(options)

        do {
            let channel = try connection.openChannel()
            let queueType = try configuration.commandQueueType ?? CommandQueueType.fromEnvironment()
            try TopologyDeclarer(channel: channel).declare(configuration.topology(commandQueueType: queueType))
            try channel.enableConfirms()
            try channel.setPrefetch(count: 1)
            self.connection = connection
            self.channel = channel
        } catch {
            connection.close()
            throw error
        }
    }

    /// Starts the consumer on the command queue, taking one delivery at a time.
    ///
    /// A quorum queue raises the delivery count of every delivery a crashed consumer held,
    /// and dead-letters a command at the delivery limit. The broker delivers the commands a
    /// crashed worker held first, so while they come, one at a time keeps a command that
    /// crashes the worker again from taking the commands behind it down with it.
    func startConsuming() throws {
        consumerTag = try channel.consume(queue: Topology.commandQueue)
    }

    /// Consumes with the configured prefetch from now on; call once a delivery arrives that
    /// no consumer held before. RabbitMQ applies a consumer's prefetch when the consumer
    /// starts, so this sets the new prefetch and replaces the consumer. Deliveries of the old
    /// consumer stay valid on this channel and are acked as usual.
    func widenPrefetch() throws {
        guard isCautious else { return }
        isCautious = false
        try channel.setPrefetch(count: prefetch)
        if let tag = consumerTag {
            try channel.cancel(consumerTag: tag)
            consumerTag = try channel.consume(queue: Topology.commandQueue)
        }
    }

    /// Cancels the consumer, so the broker sends no more deliveries. Those already sent stay in
    /// `pending` and may still be processed and acked.
    func stopConsuming() throws {
        guard let tag = consumerTag else { return }
        try channel.cancel(consumerTag: tag)
        consumerTag = nil
    }

    /// Reads incoming frames for up to `timeout` and returns the event, or nil on timeout.
    /// Deliveries go to `pending` and are also returned as `.delivery`.
    @discardableResult
    func pump(timeout: Duration?) throws -> Event? {
        guard let event = try connection.nextEvent(timeout: timeout) else { return nil }

        switch event {
        case .delivery(let delivery):
            pending.append(delivery)
        case .blocked(let reason):
            // Events read while waiting for confirms are handed out later; by then the block
            // may be over, and the confirm wait has already reported it.
            if connection.isBlocked {
                logger.warning("broker blocked publishing; holding acks", metadata: ["reason": "\(reason)"])
            }
        case .unblocked:
            logger.notice("broker unblocked publishing")
        case .consumerCancelled(_, let tag):
            consumerTag = nil
            throw ConsumerCancelledError(consumerTag: tag)
        }
        return event
    }

    /// Reads events for `duration`, keeping deliveries in `pending`. Used while the worker
    /// waits, so heartbeats keep flowing.
    func pump(for duration: Duration) throws {
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline {
            try pump(timeout: deadline - ContinuousClock.now)
        }
    }

    /// Moves up to `maximum` pending deliveries out, oldest first. Reads more from the socket
    /// without waiting when fewer are pending, and waits up to `wait` only when none are.
    func takeBatch(maximum: Int, wait: Duration) throws -> [Delivery] {
        if pending.isEmpty {
            try pump(timeout: wait)
        }
        while pending.count < maximum, try pump(timeout: .zero) != nil {}

        let count = min(maximum, pending.count)
        let batch = Array(pending.prefix(count))
        pending.removeFirst(count)
        return batch
    }

    /// Closes the channel and the connection. Unacked deliveries go back to their queue.
    func close() {
        try? channel.close()
        connection.close()
    }
}

/// The broker cancelled our consumer, for example because the queue was deleted.
struct ConsumerCancelledError: Error, CustomStringConvertible {
    let consumerTag: String
    var description: String { "the broker cancelled consumer \(consumerTag)" }
}
