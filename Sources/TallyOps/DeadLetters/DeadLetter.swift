import AMQPClient
import Foundation
import TallyCore

/// One message in the dead-letter queue, with the reasons the worker and the broker gave.
struct DeadLetter: Sendable {
    /// Position in the queue when read, from 1.
    var position: Int
    var messageID: String?
    /// The routing key the command was published with: the worker's
    /// `x-tally-original-routing-key`, else the first `x-death` entry's, else the delivery's.
    var originalRoutingKey: String
    /// The worker's reason (`x-tally-reason`), such as `invalid_field`.
    var tallyReason: String?
    var tallyField: String?
    var tallyDetail: String?
    var tallyWorker: String?
    /// The broker's reason (`x-first-death-reason`, else the first `x-death` entry's), such as
    /// `delivery_limit` or `rejected`.
    var brokerReason: String?
    /// The queue the broker dead-lettered from (`x-first-death-queue`).
    var brokerQueue: String?
    /// The sum of the `count` fields of `x-death`: how often the broker dead-lettered it.
    var deathCount: Int
    var contentType: String?
    var properties: MessageProperties
    var body: [UInt8]
    var deliveryTag: UInt64

    init(_ delivery: Delivery, position: Int) {
        self.position = position
        self.deliveryTag = delivery.deliveryTag
        self.properties = delivery.properties
        self.body = delivery.body
        self.messageID = delivery.properties.messageID
        self.contentType = delivery.properties.contentType

        let headers = delivery.properties.headers
        tallyReason = headers[DeadLetterHeaders.reason]?.stringValue
        tallyField = headers[DeadLetterHeaders.field]?.stringValue
        tallyDetail = headers[DeadLetterHeaders.detail]?.stringValue
        tallyWorker = headers[DeadLetterHeaders.worker]?.stringValue

        let deaths = headers["x-death"]?.arrayValue?.compactMap(\.tableValue) ?? []
        let firstDeath = deaths.last
        brokerReason = headers["x-first-death-reason"]?.stringValue ?? firstDeath?["reason"]?.stringValue
        brokerQueue = headers["x-first-death-queue"]?.stringValue ?? firstDeath?["queue"]?.stringValue
        deathCount = deaths.reduce(0) { $0 + Int($1["count"]?.intValue ?? 1) }

        let deathRoutingKey = firstDeath?["routing-keys"]?.arrayValue?.first?.stringValue
        originalRoutingKey = headers[DeadLetterHeaders.originalRoutingKey]?.stringValue
            ?? deathRoutingKey ?? delivery.routingKey
    }

    /// The id shown in listings: the message id, or `#position` for a dead letter without one.
    var displayID: String {
        if let messageID, !messageID.isEmpty { return messageID }
        return "#\(position)"
    }

    /// One reason for tables and metrics: the worker's reason, the broker's prefixed with
    /// `broker:`, both joined by `+` when both are set, else `unknown`.
    var reason: String {
        switch (tallyReason, brokerReason) {
        case let (tally?, broker?): "\(tally)+broker:\(broker)"
        case let (tally?, nil): tally
        case let (nil, broker?): "broker:\(broker)"
        case (nil, nil): "unknown"
        }
    }

    /// Returns whether `id` names this dead letter: its message id, or its `#position`.
    func matches(_ id: String) -> Bool {
        if id.hasPrefix("#"), let position = Int(id.dropFirst()) {
            return position == self.position && (messageID ?? "").isEmpty
        }
        return messageID == id
    }

    /// Returns the first `lines` lines of the body as text, each cut at `width` characters. A
    /// body that is not UTF-8 is described, not printed.
    func bodyPreview(lines: Int, width: Int = 120) -> [String] {
        guard let text = String(bytes: body, encoding: .utf8) else {
            return ["(\(body.count) bytes, not UTF-8)"]
        }
        let allLines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var preview = allLines.prefix(lines).map { line in
            line.count > width ? String(line.prefix(width)) + "…" : String(line)
        }
        if allLines.count > lines {
            preview.append("… (\(allLines.count - lines) more lines)")
        }
        return preview
    }

    /// The properties of a copy for `tally.commands`: the original message id, content type,
    /// correlation id and type, and the headers without Tally's and the broker's dead-letter
    /// bookkeeping (`x-tally-*`, `x-death`, `x-first-death-*`, `x-last-death-*`,
    /// `x-delivery-count`).
    var replayProperties: MessageProperties {
        var copy = properties
        var headers = FieldTable()
        for (key, value) in properties.headers where !Self.isBookkeepingHeader(key) {
            headers[key] = value
        }
        copy.headers = headers
        copy.persistent = true
        copy.expiration = nil
        return copy
    }

    /// Whether the worker dead-lettered it for a missing or invalid message id, so that its
    /// message id (`unidentified-…`) is the worker's, not the tracker's.
    var hasMadeUpMessageID: Bool {
        tallyReason == "missing_message_id" || tallyReason == "invalid_message_id"
    }

    static func isBookkeepingHeader(_ key: String) -> Bool {
        key.hasPrefix("x-tally-") || key.hasPrefix("x-death") || key.hasPrefix("x-first-death-")
            || key.hasPrefix("x-last-death-") || key == "x-delivery-count"
    }
}
