import Foundation

/// The result types of message contract v1. The raw value is the routing key on exchange
/// `tally.results` and the AMQP `type` property.
public enum ResultKind: String, Sendable, CaseIterable {
    case issueAccepted = "issue.accepted"
    case issueRejected = "issue.rejected"
    case incidentRedeemed = "incident.redeemed"
    case incidentUnredeemed = "incident.unredeemed"
    case incidentRejected = "incident.rejected"
    case quotaLow = "quota.low"
}

/// One message for exchange `tally.results`. The worker publishes it persistent and
/// `mandatory`, with content type `application/json`.
public struct ResultMessage: Sendable, Equatable {
    /// One of the `ResultKind` raw values.
    public var routingKey: String
    /// A deterministic id made by `ResultMessageID.make`: the same command gives the same id.
    public var messageID: String
    /// The command's message id.
    public var correlationID: String
    /// The AMQP `type` property: the same as `routingKey`.
    public var type: String
    /// String headers: `customer-id` whenever the outcome names the customer.
    public var headers: [String: String]
    /// The JSON body, with sorted keys.
    public var body: [UInt8]

    public static let contentType = "application/json"
    public static let customerIDHeader = "customer-id"

    public init(routingKey: String, messageID: String, correlationID: String, type: String, headers: [String: String], body: [UInt8]) {
        self.routingKey = routingKey
        self.messageID = messageID
        self.correlationID = correlationID
        self.type = type
        self.headers = headers
        self.body = body
    }
}

/// Message ids of results.
///
/// The plain form is `<command message id>:<result routing key>:<subject>`, where the subject is
/// `issue` for `issue.accepted` and `issue.rejected`, and the incident type for the other four
/// results, with `%` written as `%25` and `:` as `%3A`. Neither the routing key nor the escaped
/// subject contains `:`, so splitting at the last two colons gives back the command id, the
/// result type and the subject. Two different (command, result) pairs therefore never share a
/// plain id, even when the command id itself contains colons.
///
/// A plain id longer than 255 UTF-8 bytes (the AMQP short string limit) is replaced by
/// `sha256:<64 hex digits>`, the SHA-256 of the plain id. That form has exactly one colon and a
/// plain id has at least two, so the forms never meet; two long ids collide only if SHA-256
/// collides.
public enum ResultMessageID {
    public static let maximumBytes = 255

    public static func make(commandMessageID: String, kind: ResultKind, incidentType: IncidentTypeID?) -> String {
        var id = commandMessageID
        id += ":"
        id += kind.rawValue
        id += ":"
        switch kind {
        case .issueAccepted, .issueRejected:
            id += "issue"
        case .incidentRedeemed, .incidentUnredeemed, .incidentRejected, .quotaLow:
            appendEscaped(incidentType ?? "", to: &id)
        }

        guard id.utf8.count > maximumBytes else { return id }
        return "sha256:" + SHA256.hexDigest(id.utf8)
    }

    private static func appendEscaped(_ subject: String, to id: inout String) {
        guard subject.utf8.contains(where: { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "%") }) else {
            id += subject
            return
        }
        for scalar in subject.unicodeScalars {
            switch scalar {
            case "%": id += "%25"
            case ":": id += "%3A"
            default: id.unicodeScalars.append(scalar)
            }
        }
    }
}
