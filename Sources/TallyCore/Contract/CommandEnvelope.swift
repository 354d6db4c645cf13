/// The command types of message contract v1. The raw value is the routing key on exchange
/// `tally.commands`.
public enum CommandKind: String, Sendable, CaseIterable {
    case issueCreate = "issue.create"
    case incidentRedeem = "incident.redeem"
    case incidentUnredeem = "incident.unredeem"
    /// The exact set of redeemed incident types of an issue.
    case incidentUpdate = "incident.update"

    /// Creates the kind that matches a decoded command.
    public init(of command: Command) {
        switch command {
        case .createIssue: self = .issueCreate
        case .redeem: self = .incidentRedeem
        case .unredeem: self = .incidentUnredeem
        case .setRedeemedTypes: self = .incidentUpdate
        }
    }
}

/// The parts of one command delivery that the decoder reads.
public struct CommandEnvelope: Sendable, Equatable {
    public var routingKey: String
    /// The AMQP `message_id` property, the idempotency key; `nil` when the property is absent.
    public var messageID: String?
    /// The AMQP `content_type` property; `nil` when absent.
    public var contentType: String?
    /// The string-valued application headers, such as `customer-id`.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(routingKey: String, messageID: String?, contentType: String? = "application/json", headers: [String: String] = [:], body: [UInt8]) {
        self.routingKey = routingKey
        self.messageID = messageID
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }
}

/// A command that passed every check of the contract.
public struct DecodedCommand: Sendable, Equatable {
    public var kind: CommandKind
    /// The delivery's `message_id`: 1 to 128 characters.
    public var messageID: String
    public var command: Command

    public init(kind: CommandKind, messageID: String, command: Command) {
        self.kind = kind
        self.messageID = messageID
        self.command = command
    }
}

/// The reason a delivery is not a valid command. The raw value is the value of the
/// dead-letter header `x-tally-reason`.
public enum MalformedReason: String, Sendable, Equatable, CaseIterable {
    case bodyTooLarge = "body_too_large"
    case invalidUTF8 = "invalid_utf8"
    case invalidJSON = "invalid_json"
    case missingField = "missing_field"
    /// Wrong JSON type, out of range, or bad format.
    case invalidField = "invalid_field"
    case unknownRoutingKey = "unknown_routing_key"
    case missingMessageID = "missing_message_id"
    case invalidMessageID = "invalid_message_id"
    case unsupportedContentType = "unsupported_content_type"
}

/// A delivery that breaks the contract. It goes to `tally.dead` and is never retried.
public struct MalformedCommand: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: MalformedReason
    /// The JSON path of the field at fault, such as `issue_id` or `incident_types[2]`,
    /// or `nil` when the problem is not in one field.
    public var field: String?
    /// One sentence for people: the problem and the fix. Quoted values are cut to 64
    /// characters, so the detail never echoes a long body.
    public var detail: String

    public init(reason: MalformedReason, field: String? = nil, detail: String) {
        self.reason = reason
        self.field = field
        self.detail = detail
    }

    public var description: String {
        if let field { return "\(reason.rawValue) (\(field)): \(detail)" }
        return "\(reason.rawValue): \(detail)"
    }
}
