import Foundation
import SQLite

/// What became of a command whose message id is in the inbox.
public enum InboxDisposition: String, Sendable {
    /// The rules decided it and its results went to the outbox.
    case processed
    /// It was malformed or failed, and went to the dead-letter exchange. A corrected command
    /// may reuse its message id.
    case deadLettered = "dead_lettered"
}

/// A command's entry in the inbox.
public struct InboxEntry: Sendable, Equatable {
    public var messageID: String
    public var routingKey: String
    /// SHA-256 of the body; nil for entries written before digests were kept.
    public var bodyDigest: [UInt8]?
    public var disposition: InboxDisposition

    public init(messageID: String, routingKey: String, bodyDigest: [UInt8]?, disposition: InboxDisposition) {
        self.messageID = messageID
        self.routingKey = routingKey
        self.bodyDigest = bodyDigest
        self.disposition = disposition
    }

    /// Whether `digest` is this entry's body, counting an entry without a digest as a match.
    public func hasBody(digest: [UInt8]) -> Bool {
        bodyDigest == nil || bodyDigest == digest
    }
}

extension WriteTransaction {
    /// Records `entry` unless its message id is already in the inbox. Returns nil when it was
    /// recorded, or the entry already there. One statement in the usual case of a new id.
    public func claimInbox(_ entry: InboxEntry, receivedAt: Date) throws -> InboxEntry? {
        try database.execute(
            """
            INSERT INTO inbox (message_id, routing_key, received_at_ms, body_digest, disposition)
            VALUES (?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING
            """,
            entry.messageID, entry.routingKey, StoredDate.milliseconds(receivedAt), entry.bodyDigest,
            entry.disposition.rawValue)
        guard database.changes == 0 else { return nil }
        return try inboxEntry(messageID: entry.messageID)
    }

    /// Replaces the inbox entry of `entry.messageID`, as when a corrected command takes over the
    /// id of a dead-lettered one.
    public func replaceInbox(_ entry: InboxEntry, receivedAt: Date) throws {
        try database.execute(
            """
            INSERT INTO inbox (message_id, routing_key, received_at_ms, body_digest, disposition)
            VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (message_id) DO UPDATE SET
                routing_key = excluded.routing_key, received_at_ms = excluded.received_at_ms,
                body_digest = excluded.body_digest, disposition = excluded.disposition
            """,
            entry.messageID, entry.routingKey, StoredDate.milliseconds(receivedAt), entry.bodyDigest,
            entry.disposition.rawValue)
    }
}

extension ReadTransaction {
    /// The inbox entry of a message id, or nil when the id is not there.
    public func inboxEntry(messageID: String) throws -> InboxEntry? {
        guard let row = try database.queryFirst(
            "SELECT message_id, routing_key, body_digest, disposition FROM inbox WHERE message_id = ?", messageID)
        else { return nil }

        let dispositionText: String = try row.get(3)
        guard let disposition = InboxDisposition(rawValue: dispositionText) else {
            throw StoreError(.invalidData("inbox.disposition of message \(messageID) is '\(dispositionText)'"))
        }
        return InboxEntry(
            messageID: try row.get(0), routingKey: try row.get(1), bodyDigest: try row.get(2), disposition: disposition)
    }
}
