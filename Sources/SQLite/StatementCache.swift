/// Prepared statements keyed by their SQL text, evicting the least recently used one when full.
///
/// A lookup hit costs one dictionary access. Eviction scans all entries, which happens only on
/// a miss when the cache is full; capacities are small (tens of statements).
struct StatementCache {
    /// The maximum number of statements kept. Zero disables caching.
    let capacity: Int

    private var statements: [String: Statement] = [:]
    private var clock: UInt64 = 0

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    var count: Int {
        statements.count
    }

    /// Returns the cached statement for `sql` and marks it as the most recently used.
    mutating func statement(for sql: String) -> Statement? {
        guard let statement = statements[sql] else {
            return nil
        }
        clock &+= 1
        statement.lastUse = clock
        return statement
    }

    /// Returns whether a statement for `sql` is cached, without marking it as used.
    func contains(_ sql: String) -> Bool {
        statements[sql] != nil
    }

    /// Adds a statement, evicting the least recently used one when the cache is full.
    ///
    /// An evicted statement is finalized when its last reference goes, so a statement that a
    /// caller is still stepping through stays valid.
    mutating func insert(_ statement: Statement) {
        guard capacity > 0 else {
            return
        }

        if statements.count >= capacity, let oldest = statements.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            statements.removeValue(forKey: oldest.key)
        }

        clock &+= 1
        statement.lastUse = clock
        statements[statement.sql] = statement
    }

    /// Drops every statement. Statements not in use elsewhere are finalized now.
    mutating func removeAll() {
        statements.removeAll()
    }
}
