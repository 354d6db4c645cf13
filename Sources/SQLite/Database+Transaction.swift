import CSQLite

extension Database {
    /// The locking mode of a transaction, which decides when it takes the write lock.
    public enum TransactionKind: Sendable {
        /// Takes locks at the first read or write. In WAL mode a deferred transaction that
        /// reads and then writes can fail with `SQLITE_BUSY` without waiting, if another
        /// connection wrote in between.
        case deferred

        /// Takes the write lock at BEGIN, waiting up to the busy timeout for it. Readers in WAL
        /// mode are not blocked.
        case immediate

        /// Takes the write lock at BEGIN. In WAL mode this is the same as `immediate`.
        case exclusive

        var beginSQL: String {
            switch self {
            case .deferred: "BEGIN DEFERRED"
            case .immediate: "BEGIN IMMEDIATE"
            case .exclusive: "BEGIN EXCLUSIVE"
            }
        }
    }

    /// Runs `body` in a transaction: BEGIN, `body`, COMMIT, and returns what `body` returned.
    ///
    /// An error thrown by `body` or by COMMIT rolls the transaction back and is rethrown.
    /// Transactions do not nest: calling this inside an open transaction throws `SQLITE_MISUSE`
    /// and leaves the open transaction as it is.
    ///
    /// - Throws: the error of BEGIN, `body` or COMMIT. A busy BEGIN or COMMIT has `isBusy`.
    ///   `SQLITE_MISUSE` when `body` returns after the transaction ended: `body` ran COMMIT or
    ///   ROLLBACK itself, or caught an error after which SQLite rolled back on its own (such as
    ///   `SQLITE_FULL`).
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        guard !isInTransaction else {
            throw SQLiteError.misuse(
                "cannot begin a transaction inside another: transaction(_:_:) does not nest", sql: kind.beginSQL,
                path: path)
        }

        try execute(kind.beginSQL)

        do {
            let result = try body()
            guard isInTransaction else {
                throw SQLiteError.misuse(
                    "the transaction ended before its body returned, so its changes may be lost", path: path)
            }
            try execute("COMMIT")
            return result
        } catch {
            rollbackAfterError()
            throw error
        }
    }

    /// Rolls back the open transaction, if SQLite has not already rolled it back.
    ///
    /// NOTE: a failing ROLLBACK is not reported, because the caller rethrows the error that
    /// caused the rollback. The transaction would then stay open, and the next call to
    /// `transaction(_:_:)` would throw the nesting error.
    private func rollbackAfterError() {
        guard isInTransaction else {
            return
        }
        try? execute("ROLLBACK")
    }
}
