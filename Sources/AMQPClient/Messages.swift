import Foundation

/// The basic properties of a message (the content header).
///
/// `timestamp` travels as whole seconds since 1970: fractions of a second are dropped.
public struct MessageProperties: Sendable, Equatable {
    public var contentType: String?
    public var contentEncoding: String?
    public var headers: FieldTable
    /// Delivery mode 2 when true; when false the delivery mode is left out (transient).
    public var persistent: Bool
    public var priority: UInt8?
    public var correlationID: String?
    public var replyTo: String?
    /// Per-message time-to-live in milliseconds, written as decimal text ("60000").
    public var expiration: String?
    public var messageID: String?
    public var timestamp: Date?
    public var type: String?
    /// RabbitMQ rejects a publish whose user ID differs from the connection's user.
    public var userID: String?
    public var appID: String?

    public init(
        contentType: String? = nil, contentEncoding: String? = nil, headers: FieldTable = [:],
        persistent: Bool = false, priority: UInt8? = nil, correlationID: String? = nil,
        replyTo: String? = nil, expiration: String? = nil, messageID: String? = nil,
        timestamp: Date? = nil, type: String? = nil, userID: String? = nil, appID: String? = nil
    ) {
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.headers = headers
        self.persistent = persistent
        self.priority = priority
        self.correlationID = correlationID
        self.replyTo = replyTo
        self.expiration = expiration
        self.messageID = messageID
        self.timestamp = timestamp
        self.type = type
        self.userID = userID
        self.appID = appID
    }
}

/// A message for the batch publish, `Channel.publish(_:timeout:)`.
public struct OutgoingMessage: Sendable {
    public var exchange: String
    public var routingKey: String
    public var body: [UInt8]
    public var properties: MessageProperties
    /// Whether the broker returns the message (`basic.return`) when no queue takes it.
    public var mandatory: Bool

    public init(
        exchange: String, routingKey: String, body: [UInt8],
        properties: MessageProperties = MessageProperties(), mandatory: Bool = false
    ) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.properties = properties
        self.mandatory = mandatory
    }
}

/// A message the broker delivered to a consumer (`basic.deliver`) or returned from `basic.get`.
public struct Delivery: Sendable {
    public var channel: UInt16
    /// The tag to pass to `ack`, `nack` or `reject` on the same channel.
    public var deliveryTag: UInt64
    public var redelivered: Bool
    public var exchange: String
    public var routingKey: String
    /// The consumer the message was delivered to; empty for `basic.get`.
    public var consumerTag: String
    public var properties: MessageProperties
    public var body: [UInt8]
}

/// The result of `Channel.get`: the message and the number of messages left in the queue.
public struct GetResult: Sendable {
    public var delivery: Delivery
    public var messageCount: UInt32
}

/// Something the broker sent that is not the reply to a call in progress.
public enum Event: Sendable {
    case delivery(Delivery)
    /// The broker stopped reading from this connection (`connection.blocked`), usually on a
    /// memory or disk alarm.
    case blocked(reason: String)
    case unblocked
    /// The broker cancelled a consumer (`basic.cancel`), for example because its queue was
    /// deleted.
    case consumerCancelled(channel: UInt16, consumerTag: String)
}

/// The reply to `queue.declare`.
public struct QueueDeclareOk: Sendable, Equatable {
    /// The queue's name, chosen by the broker when the declaration passed an empty name.
    public var name: String
    public var messageCount: UInt32
    public var consumerCount: UInt32
}

/// A mandatory message the broker could not route (`basic.return`).
public struct ReturnedMessage: Sendable {
    /// For example 312 NO_ROUTE.
    public var replyCode: UInt16
    public var replyText: String
    public var exchange: String
    public var routingKey: String
    public var properties: MessageProperties
    public var body: [UInt8]
    /// The publish sequence number of the returned message, or nil when it cannot be known.
    ///
    /// `basic.return` carries no sequence number, and the confirms of other messages may
    /// arrive between a return and its own confirm. So the channel remembers the sequence
    /// number of each mandatory publish in confirm mode by its message id, and gives it back
    /// here. It is nil outside confirm mode and for a message without a message id; with several
    /// unconfirmed publishes of one message id, the oldest is taken.
    public var sequenceNumber: UInt64?
}

/// Publisher confirms received on a channel since the previous report.
///
/// Every sequence number appears in exactly one of `acked` and `nacked`. A returned message
/// is also confirmed (RabbitMQ acks an unroutable message after returning it), so its
/// sequence number is in `acked` and in `returned`: treat it as not delivered.
public struct ConfirmReport: Sendable {
    /// Sequence numbers the broker acked, in the order the confirms arrived.
    public var acked: [UInt64] = []
    /// Sequence numbers the broker nacked: the broker could not take responsibility for them.
    public var nacked: [UInt64] = []
    /// Mandatory messages the broker could not route, in the order they were returned.
    public var returned: [ReturnedMessage] = []

    public init() {}

    public var isEmpty: Bool {
        acked.isEmpty && nacked.isEmpty && returned.isEmpty
    }
}
