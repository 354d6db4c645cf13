import AMQPClient
import Foundation
import TallyCore

/// Billing, the tracker and an operator in one: consumes the billing queue, the tracker's
/// results queue and the dead-letter queue, and keeps what the invariants need. Reconnects
/// after the broker restarts, so a delivery may arrive twice; each is kept once by message id.
final class ChaosObserver {
    /// One result message, by its message id.
    struct Result {
        var correlationID: String
        var routingKey: String
        var incidentType: String?
    }

    /// One dead letter, by its message id.
    struct DeadLetter {
        var reason: String?
        var routingKey: String
    }

    static let queues = [Topology.billingExampleQueue, Topology.trackerResultQueue, Topology.deadLetterQueue]

    private let url: AMQPURL
    private var connection: Connection?
    private var channel: Channel?
    private(set) var results: [String: Result] = [:]
    private(set) var deadLetters: [String: DeadLetter] = [:]
    /// Result ids by command id, for the one-outcome check.
    private(set) var resultIDsByCommand: [String: Set<String>] = [:]
    private(set) var deliveries = 0
    private(set) var duplicateDeliveries = 0
    private(set) var reconnects = 0

    init(url: AMQPURL) {
        self.url = url
    }

    /// Reads deliveries for `duration`, reconnecting when the connection fails.
    func poll(for duration: Duration) {
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline {
            do {
                let (connection, channel) = try connected()
                let remaining = deadline - ContinuousClock.now
                guard let event = try connection.nextEvent(timeout: min(remaining, .milliseconds(200))) else { continue }
                if case .delivery(let delivery) = event {
                    record(delivery)
                    try channel.ack(delivery.deliveryTag)
                }
            } catch {
                connection?.close()
                connection = nil
                channel = nil
                Thread.sleep(forTimeInterval: min(1, max(0, (deadline - ContinuousClock.now).chaosSeconds)))
            }
        }
    }

    func close() {
        connection?.close()
        connection = nil
    }

    private func connected() throws -> (Connection, Channel) {
        if let connection, let channel, connection.isOpen {
            return (connection, channel)
        }
        var options = ConnectionOptions(url: url)
        options.connectionName = "tally chaos observer"
        let newConnection = try Connection(options)
        do {
            let newChannel = try newConnection.openChannel()
            try newChannel.setPrefetch(count: 1000)
            for queue in Self.queues {
                _ = try newChannel.consume(queue: queue)
            }
            if connection != nil || reconnects > 0 || deliveries > 0 {
                reconnects += 1
            }
            connection = newConnection
            channel = newChannel
            return (newConnection, newChannel)
        } catch {
            newConnection.close()
            throw error
        }
    }

    private func record(_ delivery: Delivery) {
        deliveries += 1
        let messageID = delivery.properties.messageID ?? "missing-\(UUID().uuidString)"

        if delivery.exchange == Topology.deadLetterExchange {
            guard deadLetters[messageID] == nil else {
                duplicateDeliveries += 1
                return
            }
            deadLetters[messageID] = DeadLetter(
                reason: delivery.properties.headers[DeadLetterHeaders.reason]?.stringValue, routingKey: delivery.routingKey)
            return
        }

        guard results[messageID] == nil else {
            duplicateDeliveries += 1
            return
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(delivery.body))) as? [String: Any]
        let correlationID = delivery.properties.correlationID ?? "-"
        results[messageID] = Result(
            correlationID: correlationID, routingKey: delivery.routingKey,
            incidentType: object?["incident_type"] as? String)
        resultIDsByCommand[correlationID, default: []].insert(messageID)
    }
}
