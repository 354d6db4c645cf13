import AMQPClient
import Foundation
import TallyCore

/// The relay ceiling: the least work any client must do per command on this broker.
///
/// It consumes a queue, publishes one small persistent result per delivery to a result queue
/// with publisher confirms, and acks the deliveries (multiple) only after the broker confirmed
/// their results: the worker's delivery discipline, without a database and without JSON.
/// Results carry the delivery's message id as their correlation id and keep its
/// `x-bench-sent-ns` header.
public final class Relay {
    /// The form of the result the relay publishes per delivery.
    public enum ResultShape: String, Sendable, CaseIterable {
        /// 7 bytes without headers, to the result queue through the default exchange.
        case minimal
        /// An `incident.redeemed` body with the properties and header the worker sets,
        /// published `mandatory` through a topic exchange. It costs the broker what a worker's
        /// results cost it, without the worker's database and JSON work.
        case tally
    }

    /// The topic exchange of `ResultShape.tally`, bound to the result queue with `#`.
    public static let shapedExchange = "bench.relay.topic"

    public struct Options: Sendable {
        public var queue: String
        public var resultQueue: String
        /// The result queue's `x-queue-type`.
        public var resultQueueType = "quorum"
        public var prefetch: UInt16 = 500
        /// Most deliveries whose results are published before waiting for their confirms.
        public var batchSize = 200
        public var resultShape = ResultShape.minimal

        public init(queue: String, resultQueue: String) {
            self.queue = queue
            self.resultQueue = resultQueue
        }
    }

    public let options: Options
    /// Results the broker nacked; their deliveries were acked all the same.
    public private(set) var nacked = 0
    private let connection: Connection
    private let channel: Channel
    private static let resultBody = Array("relayed".utf8)

    /// Connects, declares the result queue and starts consuming `options.queue`.
    public init(url: AMQPURL, options: Options) throws {
        self.options = options
        var connectionOptions = ConnectionOptions(url: url)
        connectionOptions.connectionName = "tally-bench relay"
        connection = try Connection(connectionOptions)
        do {
            channel = try connection.openChannel()
            _ = try channel.declareQueue(options.resultQueue, arguments: ["x-queue-type": .string(options.resultQueueType)])
            if options.resultShape == .tally {
                try channel.declareExchange(Self.shapedExchange, type: "topic")
                try channel.bindQueue(options.resultQueue, exchange: Self.shapedExchange, routingKey: "#")
            }
            try channel.enableConfirms()
            try channel.setPrefetch(count: options.prefetch)
            _ = try channel.consume(queue: options.queue)
        } catch {
            connection.close()
            throw error
        }
    }

    deinit {
        connection.close()
    }

    /// Relays until `count` deliveries are acked, or until none arrives for `idleTimeout`.
    ///
    /// - Returns: the number of deliveries relayed and acked.
    public func run(count: Int, idleTimeout: Duration) throws -> Int {
        var relayed = 0
        var batch: [Delivery] = []
        batch.reserveCapacity(options.batchSize)
        var results: [OutgoingMessage] = []
        results.reserveCapacity(options.batchSize)

        while relayed < count {
            guard let first = try connection.nextEvent(timeout: idleTimeout) else { break }
            if case .delivery(let delivery) = first {
                batch.append(delivery)
            }
            while batch.count < options.batchSize, let event = try connection.nextEvent(timeout: .zero) {
                if case .delivery(let delivery) = event {
                    batch.append(delivery)
                }
            }
            guard let last = batch.last else { continue }

            // One batch publish, as the worker sends its results, so the ceiling stays fair.
            results.removeAll(keepingCapacity: true)
            for delivery in batch {
                results.append(result(for: delivery))
            }
            try channel.publish(results)
            nacked += try channel.waitForConfirms(timeout: .seconds(60)).nacked.count
            try channel.ack(last.deliveryTag, multiple: true)

            relayed += batch.count
            batch.removeAll(keepingCapacity: true)
        }
        return relayed
    }

    private func result(for delivery: Delivery) -> OutgoingMessage {
        var properties = MessageProperties()
        properties.persistent = true
        properties.correlationID = delivery.properties.messageID
        if let sent = delivery.properties.headers[BenchClock.sentHeader] {
            properties.headers = [BenchClock.sentHeader: sent]
        }

        switch options.resultShape {
        case .minimal:
            return OutgoingMessage(exchange: "", routingKey: options.resultQueue, body: Self.resultBody, properties: properties)
        case .tally:
            properties.contentType = ResultMessage.contentType
            properties.messageID = "\(delivery.properties.messageID ?? "-"):\(Self.shapedResult.type)"
            properties.type = Self.shapedResult.type
            properties.timestamp = Date()
            for (key, value) in Self.shapedResult.headers {
                properties.headers[key] = .string(value)
            }
            return OutgoingMessage(
                exchange: Self.shapedExchange, routingKey: Self.shapedResult.routingKey, body: Self.shapedResult.body,
                properties: properties, mandatory: true)
        }
    }

    /// A typical `incident.redeemed` result, encoded once: the relay does no JSON per delivery.
    private static let shapedResult: ResultMessage = {
        let now = Date()
        let redemption = Redemption(
            ledgerID: 1_234_567, issueID: 100_042, customerID: "synthetic-0421", contractID: "synthetic-0421-a",
            contractStatus: .active,
            supportLevel: SupportLevel(id: "2", name: "Standard", group: "Standard", maximumFirstResponseSeconds: 86_400),
            quota: IncidentQuota(incidentType: "phone", total: 10, used: 4), isOverage: false, isLowQuota: false,
            lowWaterMark: 2, actor: "tracker-user-17", at: now)
        let command = Command.redeem(IncidentRequest(issueID: 100_042, incidentType: "phone", actor: "tracker-user-17", requestedAt: now))
        return ResultEncoder.results(
            for: .incidents([.redeemed(redemption)]), command: command,
            commandMessageID: "bench-0000000000-000000", processedAt: now)[0]
    }()

    public func close() {
        connection.close()
    }
}
