import TallyCore
import TallyStore

/// The worker's handling of a replayed copy of a dead letter, judged from its body and the inbox
/// entry of its message id, with the worker's rules:
/// - a well-formed command is applied unless the inbox records its id as processed;
/// - a processed id with the same body is a duplicate, acked without effect;
/// - a processed id with another body is dead-lettered again as `message_id_reused`;
/// - a malformed body is dead-lettered again, unless the inbox already records that same body,
///   which makes it a duplicate.
enum ReplayForecast: Equatable, Sendable {
    case applied
    case duplicate
    case deadLetteredAgain(reason: String)

    init(_ letter: DeadLetter, inboxEntry: InboxEntry?) {
        let envelope = CommandEnvelope(
            routingKey: letter.originalRoutingKey, messageID: letter.messageID, contentType: letter.contentType,
            headers: [:], body: letter.body)
        let malformedReason: String?
        // NOTE: judged with the default body limit (64 KiB); a worker run with a larger
        // --max-body-size accepts bodies that this forecast calls body_too_large.
        switch CommandDecoder.decode(envelope, maximumBodySize: CommandDecoder.defaultMaximumBodySize) {
        case .success: malformedReason = nil
        case .failure(let malformed): malformedReason = malformed.reason.rawValue
        }

        let sameBody = inboxEntry?.hasBody(digest: BodyDigest.sha256(letter.body)) ?? false
        switch (inboxEntry?.disposition, malformedReason) {
        case (nil, nil), (.deadLettered?, nil):
            self = .applied
        case (.processed?, nil):
            self = sameBody ? .duplicate : .deadLetteredAgain(reason: "message_id_reused")
        case (_, let reason?):
            self = inboxEntry != nil && sameBody ? .duplicate : .deadLetteredAgain(reason: reason)
        }
    }

    /// One phrase for people, such as "applied as a new command".
    var description: String {
        switch self {
        case .applied: "applied by the worker"
        case .duplicate: "acked by the worker as a duplicate without effect"
        case .deadLetteredAgain(let reason): "dead-lettered again as \(reason)"
        }
    }

    /// The value in `--json` output: `applied`, `duplicate` or `dead_lettered_again`.
    var code: String {
        switch self {
        case .applied: "applied"
        case .duplicate: "duplicate"
        case .deadLetteredAgain: "dead_lettered_again"
        }
    }
}
