import AMQPClient
import Foundation

/// One message read from a result or dead-letter queue, with the fields the tests check.
struct ReceivedMessage: Sendable {
    var messageID: String
    var correlationID: String?
    var routingKey: String
    var headers: [String: String]
    /// The result's `reason`, for rejections.
    var reason: String?
    /// For an `unknown_issue` rejection: why Tally rejected the issue's creation, if it did.
    var issueRejectionReason: String?
    var incidentType: String?
    var contractID: String?
    var ledgerID: Int64?
    /// For `incident.unredeemed`: the ledger id of the redeem it gives back.
    var redemptionLedgerID: Int64?
    var isOverage: Bool?
    var redelivered: Bool

    init(_ delivery: Delivery) {
        messageID = delivery.properties.messageID ?? ""
        correlationID = delivery.properties.correlationID
        routingKey = delivery.routingKey
        redelivered = delivery.redelivered
        var headers: [String: String] = [:]
        for (key, value) in delivery.properties.headers {
            if let text = value.stringValue {
                headers[key] = text
            } else if let number = value.intValue {
                headers[key] = String(number)
            }
        }
        self.headers = headers

        let object = (try? JSONSerialization.jsonObject(with: Data(delivery.body))) as? [String: Any] ?? [:]
        reason = object["reason"] as? String
        issueRejectionReason = object["issue_rejection_reason"] as? String
        incidentType = object["incident_type"] as? String
        contractID = object["contract_id"] as? String
        ledgerID = (object["ledger_id"] as? NSNumber)?.int64Value
        redemptionLedgerID = (object["redemption_ledger_id"] as? NSNumber)?.int64Value
        isOverage = (object["overage"] as? NSNumber)?.boolValue
    }

    /// The kind and, for rejections, the reason: `incident.rejected/no_incidents_left`.
    var outcome: String {
        reason.map { "\(routingKey)/\($0)" } ?? routingKey
    }
}

/// Consumes one queue on a connection of its own and keeps every delivery in arrival order,
/// duplicates included. Reading happens only inside `collect` calls.
final class QueueTap {
    let queue: String
    private(set) var messages: [ReceivedMessage] = []
    private let connection: Connection
    private let channel: Channel

    init(url: AMQPURL, queue: String) throws {
        self.queue = queue
        var options = ConnectionOptions(url: url)
        options.connectionName = "e2e tap \(queue)"
        connection = try Connection(options)
        do {
            channel = try connection.openChannel()
            try channel.setPrefetch(count: 2000)
            _ = try channel.consume(queue: queue)
        } catch {
            connection.close()
            throw error
        }
    }

    deinit {
        connection.close()
    }

    /// Reads until `condition` holds or `timeout` passes; returns whether it held.
    @discardableResult
    func collect(timeout: Duration, until condition: (QueueTap) -> Bool) throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition(self) {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return false }
            try read(for: min(left, .milliseconds(100)))
        }
        return true
    }

    /// Reads for `duration`, to catch messages that should not arrive.
    func collect(for duration: Duration) throws {
        try read(for: duration)
    }

    /// Reads until `count` distinct message ids arrived or `timeout` passed.
    @discardableResult
    func collect(distinct count: Int, timeout: Duration) throws -> Bool {
        try collect(timeout: timeout) { $0.distinctIDs.count >= count }
    }

    private func read(for duration: Duration) throws {
        let deadline = ContinuousClock.now + duration
        var lastTag: UInt64 = 0
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero, let event = try connection.nextEvent(timeout: left) else { break }
            if case .delivery(let delivery) = event {
                messages.append(ReceivedMessage(delivery))
                lastTag = delivery.deliveryTag
            }
        }
        if lastTag > 0 {
            try channel.ack(lastTag, multiple: true)
        }
    }

    var distinctIDs: Set<String> {
        Set(messages.map(\.messageID))
    }

    /// The first delivery of each message id, in arrival order.
    var distinct: [ReceivedMessage] {
        var seen = Set<String>()
        return messages.filter { seen.insert($0.messageID).inserted }
    }

    /// Distinct messages grouped by the command they answer (the correlation id).
    var byCommand: [String: [ReceivedMessage]] {
        Dictionary(grouping: distinct) { $0.correlationID ?? "" }
    }

    /// Outcomes per command id, sorted, such as `["incident.redeemed", "quota.low"]`.
    var outcomesByCommand: [String: [String]] {
        byCommand.mapValues { $0.map(\.outcome).sorted() }
    }

    func close() {
        connection.close()
    }
}

extension Channel {
    /// The number of ready messages in `queue`, and its consumers, read with a passive declare.
    func queueState(_ queue: String) throws -> (ready: Int, consumers: Int) {
        let ok = try declareQueue(queue, passive: true)
        return (Int(ok.messageCount), Int(ok.consumerCount))
    }
}
