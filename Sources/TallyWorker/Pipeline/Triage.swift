import AMQPClient
import Foundation
import TallyCore

/// What the worker makes of one delivery before touching the database.
enum Triage {
    /// A well-formed command, with the number of times it has already been sent back for retry.
    case command(DecodedCommand, retryAttempt: Int)
    /// A command that can never be processed; it goes to the dead-letter exchange at once.
    case malformed(MalformedCommand)

    static let retryAttemptHeader = "x-tally-attempt"

    init(_ delivery: Delivery, maximumBodySize: Int) {
        let envelope = CommandEnvelope(delivery)
        switch CommandDecoder.decode(envelope, maximumBodySize: maximumBodySize) {
        case .success(let decoded):
            self = .command(decoded, retryAttempt: delivery.retryAttempt)
        case .failure(let malformed):
            self = .malformed(malformed)
        }
    }
}

extension CommandEnvelope {
    init(_ delivery: Delivery) {
        self.init(
            routingKey: delivery.routingKey,
            messageID: delivery.properties.messageID,
            contentType: delivery.properties.contentType,
            headers: delivery.properties.headers.stringValues,
            body: delivery.body)
    }
}

extension Delivery {
    /// How many times Tally has sent this command back through a retry queue (0 for the first try).
    var retryAttempt: Int {
        guard let value = properties.headers[Triage.retryAttemptHeader] else { return 0 }
        if let number = value.intValue { return Int(clamping: number) }
        if let text = value.stringValue, let number = Int(text) { return number }
        return 0
    }

    /// True when the broker has delivered this message before, to this or another consumer.
    /// Such a delivery may be the one that crashed a worker, so it is applied on its own.
    var mayHaveCrashedBefore: Bool {
        redelivered || (properties.headers["x-delivery-count"]?.intValue ?? 0) > 0
    }
}

extension FieldTable {
    /// The headers whose values are strings (or numbers and booleans, written as text).
    var stringValues: [String: String] {
        var result: [String: String] = [:]
        for (key, value) in self {
            if let text = value.stringValue {
                result[key] = text
            } else if let number = value.intValue {
                result[key] = String(number)
            } else if case .bool(let flag) = value {
                result[key] = flag ? "true" : "false"
            }
        }
        return result
    }
}
