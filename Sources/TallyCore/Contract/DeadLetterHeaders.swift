/// The headers the worker sets when it dead-letters a malformed command to `tally.dead`.
/// Values are strings. The command's own properties and body stay as they arrived.
public enum DeadLetterHeaders {
    /// A `MalformedReason` raw value, such as `invalid_field`.
    public static let reason = "x-tally-reason"
    /// The JSON path of the field at fault; absent when the problem is not in one field.
    public static let field = "x-tally-field"
    /// One sentence for people: the problem and the fix.
    public static let detail = "x-tally-detail"
    /// The routing key the command was published with.
    public static let originalRoutingKey = "x-tally-original-routing-key"
    /// The worker that dead-lettered the command, such as `host-1:4242`.
    public static let worker = "x-tally-worker"

    /// Builds the headers for one malformed command.
    public static func headers(for malformed: MalformedCommand, originalRoutingKey: String, worker: String) -> [String: String] {
        var headers = [
            reason: malformed.reason.rawValue,
            detail: malformed.detail,
            Self.originalRoutingKey: originalRoutingKey,
            Self.worker: worker,
        ]
        if let field = malformed.field {
            headers[Self.field] = field
        }
        return headers
    }
}
