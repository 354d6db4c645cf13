import Foundation

/// Decodes command deliveries by message contract v1.
///
/// Checks run in this order, and the first failure is returned: message id, routing key,
/// content type, body size, UTF-8, JSON syntax, then the body's fields. Fields are checked in
/// the order they appear in the body. When all present fields are valid, the first missing
/// required field in the order of the contract is reported. Unknown fields are ignored because v1 only ever adds fields.
/// `null` for an optional field means absent; `null` for a required field is invalid.
public enum CommandDecoder {
    /// A default for `maximumBodySize`, in bytes: far above the largest valid `issue.create`
    /// (a 1000-character summary written as `\u` escapes takes 12 000 bytes).
    public static let defaultMaximumBodySize = 65_536

    /// Decodes one delivery; `maximumBodySize` is in bytes, and a body of exactly that size is
    /// accepted.
    public static func decode(_ envelope: CommandEnvelope, maximumBodySize: Int) -> Result<DecodedCommand, MalformedCommand> {
        Result { () throws(MalformedCommand) -> DecodedCommand in
            try decodeOrThrow(envelope, maximumBodySize: maximumBodySize)
        }
    }

    static func decodeOrThrow(_ envelope: CommandEnvelope, maximumBodySize: Int) throws(MalformedCommand) -> DecodedCommand {
        let messageID = try checkMessageID(envelope.messageID)

        guard let kind = CommandKind(rawValue: envelope.routingKey) else {
            throw MalformedCommand(
                reason: .unknownRoutingKey,
                detail: "Routing key \(RenderedValue.quoted(envelope.routingKey)) is not a command type, which must be issue.create, incident.redeem, incident.unredeem or incident.update."
            )
        }

        try checkContentType(envelope.contentType)

        guard envelope.body.count <= maximumBodySize else {
            throw MalformedCommand(
                reason: .bodyTooLarge,
                detail: "The body has \(envelope.body.count) bytes, more than the limit of \(maximumBodySize) bytes."
            )
        }

        let root = try parseBody(envelope.body)
        guard case .object(let members) = root else {
            throw MalformedCommand(
                reason: .invalidJSON,
                detail: "The body must be a JSON object, but it is \(root.typeDescription)."
            )
        }

        let command: Command = switch kind {
        case .issueCreate: .createIssue(try FieldReader.issueCreation(members))
        case .incidentRedeem: .redeem(try FieldReader.incidentRequest(members))
        case .incidentUnredeem: .unredeem(try FieldReader.incidentRequest(members))
        case .incidentUpdate: .setRedeemedTypes(try FieldReader.redeemedTypesUpdate(members))
        }
        return DecodedCommand(kind: kind, messageID: messageID, command: command)
    }

    // MARK: - Properties

    static let maximumMessageIDCharacters = 128

    private static func checkMessageID(_ messageID: String?) throws(MalformedCommand) -> String {
        guard let messageID, !messageID.isEmpty else {
            throw MalformedCommand(
                reason: .missingMessageID,
                detail: "The delivery has no message_id property, but every command needs one of 1 to 128 characters as its idempotency key."
            )
        }
        guard FieldReader.hasLength(messageID, in: 1...maximumMessageIDCharacters) else {
            throw MalformedCommand(
                reason: .invalidMessageID,
                detail: "The message_id property must have 1 to 128 characters, but it has \(messageID.unicodeScalars.count)."
            )
        }
        return messageID
    }

    /// Accepts an absent or empty content type, or `application/json` with at most a
    /// `charset=utf-8` parameter, in any letter case. Empty parameters (`application/json;`)
    /// are ignored.
    private static func checkContentType(_ contentType: String?) throws(MalformedCommand) {
        guard let contentType, !contentType.isEmpty, contentType != "application/json" else { return }

        let parts = contentType.split(separator: ";", omittingEmptySubsequences: false)
        let mediaType = parts[0].trimmingCharacters(in: .whitespaces).lowercased()
        var isSupported = mediaType == "application/json"
        for parameter in parts.dropFirst() where !parameter.allSatisfy(\.isWhitespace) {
            let pair = parameter.split(separator: "=", maxSplits: 1).map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            }
            let isUTF8Charset = pair.count == 2 && pair[0] == "charset"
                && (pair[1] == "utf-8" || pair[1] == "\"utf-8\"" || pair[1] == "utf8")
            if !isUTF8Charset { isSupported = false }
        }

        guard isSupported else {
            throw MalformedCommand(
                reason: .unsupportedContentType,
                detail: "The content_type property must be application/json, optionally with charset=utf-8, but it is \(RenderedValue.quoted(contentType))."
            )
        }
    }

    // MARK: - Body

    private static func parseBody(_ body: [UInt8]) throws(MalformedCommand) -> JSONValue {
        let result: Result<JSONValue, MalformedCommand> = body.withUnsafeBufferPointer { bytes in
            if let offset = UTF8Validation.firstInvalidOffset(in: bytes) {
                let byte = String(bytes[offset], radix: 16, uppercase: true)
                return .failure(MalformedCommand(
                    reason: .invalidUTF8,
                    detail: "The body must be UTF-8, but the byte 0x\(byte.count == 1 ? "0" : "")\(byte) at offset \(offset) does not start a valid sequence."
                ))
            }
            do throws(JSONSyntaxError) {
                return .success(try JSONReader.parse(bytes))
            } catch {
                return .failure(MalformedCommand(
                    reason: .invalidJSON,
                    field: error.path,
                    detail: "The body is not valid JSON because \(error.problem) (at byte \(error.offset))."
                ))
            }
        }
        return try result.get()
    }
}
