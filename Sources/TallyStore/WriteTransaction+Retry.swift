import Foundation
import SQLite

extension WriteTransaction {
    /// Removes a message id recorded in this transaction, for a command that is sent back for a
    /// later retry instead of being decided now. Returns whether the id was there.
    @discardableResult
    public func forgetInbox(messageID: String) throws -> Bool {
        try database.execute("DELETE FROM inbox WHERE message_id = ?", messageID)
        return database.changes == 1
    }
}
