extension ReadTransaction {
    /// Returns whether the inbox records `messageID`: a command with that id is then acked as a
    /// duplicate without effect. `tallyctl dead` uses it to warn before a replay that would do
    /// nothing.
    public func inboxContains(messageID: String) throws -> Bool {
        try database.queryFirst("SELECT 1 FROM inbox WHERE message_id = ?", messageID) != nil
    }
}
