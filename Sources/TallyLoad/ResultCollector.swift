import AMQPClient
import Foundation

/// Consumes one queue of results, as billing or the tracker would, and keeps each result once
/// by its message id, however often the broker delivers it.
public final class ResultCollector {
    /// One result as received.
    public struct Result: Sendable {
        public var messageID: String
        public var correlationID: String?
        public var routingKey: String
        public var headers: [String: String]
        public var body: [String: any Sendable]
        /// Time from the command's publish (its timestamp, to the second) to receipt.
        public var receivedAt: Date
    }

    public private(set) var results: [String: Result] = [:]
    /// Deliveries whose message id had already been seen.
    public private(set) var duplicateDeliveries = 0
    private let connection: Connection
    private let channel: Channel
    private let queue: String

    /// Connects and starts consuming `queue`, which must exist.
    public init(url: AMQPURL, queue: String, connectionName: String = "tally result collector") throws {
        var options = ConnectionOptions(url: url)
        options.connectionName = connectionName
        connection = try Connection(options)
        self.queue = queue
        do {
            channel = try connection.openChannel()
            try channel.setPrefetch(count: 1000)
            _ = try channel.consume(queue: queue)
        } catch {
            connection.close()
            throw error
        }
    }

    deinit {
        connection.close()
    }

    /// Collects until `until` returns true or nothing arrives for `idleTimeout`, and at most
    /// for `timeout`. Returns whether `until` was satisfied.
    @discardableResult
    public func collect(idleTimeout: Duration, timeout: Duration, until: (ResultCollector) -> Bool = { _ in false }) throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        var lastReceipt = ContinuousClock.now
        var lastTag: UInt64 = 0
        var unacked = 0

        while ContinuousClock.now < deadline {
            if until(self) { break }
            if ContinuousClock.now - lastReceipt > idleTimeout { break }
            let event = try connection.nextEvent(timeout: .milliseconds(100))
            guard case .delivery(let delivery) = event else {
                if unacked > 0 {
                    try channel.ack(lastTag, multiple: true)
                    unacked = 0
                }
                continue
            }

            lastReceipt = ContinuousClock.now
            record(delivery)
            lastTag = delivery.deliveryTag
            unacked += 1
            if unacked >= 200 {
                try channel.ack(lastTag, multiple: true)
                unacked = 0
            }
        }
        if unacked > 0 {
            try channel.ack(lastTag, multiple: true)
        }
        return until(self)
    }

    private func record(_ delivery: Delivery) {
        let messageID = delivery.properties.messageID ?? "missing-\(delivery.deliveryTag)"
        guard results[messageID] == nil else {
            duplicateDeliveries += 1
            return
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(delivery.body))) as? [String: Any] ?? [:]
        var headers: [String: String] = [:]
        for (key, value) in delivery.properties.headers {
            headers[key] = value.stringValue
        }
        results[messageID] = Result(
            messageID: messageID, correlationID: delivery.properties.correlationID, routingKey: delivery.routingKey,
            headers: headers, body: object.mapValues { SendableJSON($0).value }, receivedAt: Date())
    }

    public func close() {
        connection.close()
    }
}

/// Turns a `JSONSerialization` value into a value that may cross threads.
struct SendableJSON {
    let value: any Sendable

    init(_ value: Any) {
        switch value {
        case let text as String: self.value = text
        case let number as NSNumber: self.value = number.doubleValue
        case let array as [Any]: self.value = array.map { SendableJSON($0).value }
        case let object as [String: Any]: self.value = object.mapValues { SendableJSON($0).value }
        default: self.value = "\(value)"
        }
    }
}
