import CSQLite

extension Database {
    /// Reads `PRAGMA name` and returns the first column of its first row, or `nil` when the
    /// pragma returns no row.
    ///
    /// `name` may carry a schema prefix, as in `main.journal_mode`.
    /// - Throws: `SQLITE_MISUSE` when `name` contains characters other than ASCII letters,
    ///   digits, `_` and `.`, because it is written into the SQL.
    public func pragma(_ name: String) throws -> SQLValue? {
        let isValid = !name.isEmpty && name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        guard isValid else {
            throw SQLiteError.misuse("invalid pragma name '\(name)'", path: path)
        }
        return try queryFirst("PRAGMA \(name)")?[0]
    }

    /// Runs `PRAGMA integrity_check` and returns its lines: `["ok"]` for a sound database,
    /// otherwise one line per problem found (SQLite stops after 100).
    public func checkIntegrity() throws -> [String] {
        try query("PRAGMA integrity_check").map { row in
            try row.get(0, as: String.self)
        }
    }

    /// Copies the database to `destinationPath` with SQLite's online backup API, replacing
    /// what the file contains.
    ///
    /// The copy is consistent: when another connection writes to the source between steps,
    /// SQLite restarts the copy. Each step copies `pagesPerStep` pages under a read lock, and -1
    /// copies everything in one step. After three restarts the rest is copied in one step, so
    /// that a steady stream of writes cannot keep the copy from finishing. In WAL mode that
    /// step does not block writers. A step that finds the source or destination locked is
    /// retried every few milliseconds, up to the busy timeout in total.
    ///
    /// The copy is a complete database file. It keeps the source's journal mode, which SQLite
    /// stores in the file header.
    ///
    /// - Throws: `SQLiteError` with the destination path; `SQLITE_MISUSE` when the destination
    ///   is this database's own path.
    public func backup(to destinationPath: String, pagesPerStep: Int32 = 256) throws {
        _ = try copy(to: destinationPath, pagesPerStep: pagesPerStep)
    }

    /// Performs `backup(to:pagesPerStep:)` and returns how many restarts it saw. Tests pass
    /// `afterStep` to write between steps.
    func copy(
        to destinationPath: String, pagesPerStep: Int32, maximumRestarts: Int = 3, afterStep: () throws -> Void = {}
    ) throws -> Int {
        let source = try openConnection()
        guard destinationPath != path else {
            throw SQLiteError.misuse("cannot back up a database onto itself", path: destinationPath)
        }

        // The destination connection waits as long as this one for locks. Its journal mode
        // matters only while copying, because the copied header sets the copy's mode.
        var destinationConfiguration = Configuration()
        destinationConfiguration.busyTimeout = configuration.busyTimeout
        destinationConfiguration.journalMode = .delete
        destinationConfiguration.statementCacheCapacity = 0
        let destination = try Database(path: destinationPath, configuration: destinationConfiguration)
        let destinationConnection = try destination.openConnection()
        let backup = try Backup(source: source, destination: destinationConnection, destinationPath: destinationPath)

        let retryMilliseconds: Int32 = 5
        let timeoutMilliseconds = configuration.busyTimeout / .milliseconds(1)
        var waitedMilliseconds = 0.0
        var restarts = 0
        var previousRemaining = Int32.max
        while true {
            let pages = restarts < maximumRestarts ? pagesPerStep : -1
            let code = backup.step(pages: pages)
            if code == SQLITE_DONE {
                break
            }

            let primaryCode = code & 0xff
            if (primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED) && waitedMilliseconds < timeoutMilliseconds {
                sqlite3_sleep(retryMilliseconds)
                waitedMilliseconds += Double(retryMilliseconds)
                continue
            }
            try SQLiteError.check(code, connection: destinationConnection, sql: nil, path: destinationPath)

            // A step without restart leaves fewer pages to copy. A restart starts again at the
            // first page, so as many or more remain: more when the writes grew the file.
            let remaining = backup.remainingPages
            if remaining >= previousRemaining {
                restarts += 1
            }
            previousRemaining = remaining
            try afterStep()
        }

        try SQLiteError.check(backup.finish(), connection: destinationConnection, sql: nil, path: destinationPath)
        try destination.close()
        return restarts
    }
}

/// An `sqlite3_backup` operation: owns the handle and finishes it on deinit.
private final class Backup {
    private var handle: OpaquePointer?

    init(source: OpaquePointer, destination: OpaquePointer, destinationPath: String) throws(SQLiteError) {
        // On failure SQLite stores the error in the destination connection.
        guard let handle = sqlite3_backup_init(destination, "main", source, "main") else {
            throw SQLiteError(
                code: sqlite3_extended_errcode(destination), connection: destination, sql: nil, path: destinationPath)
        }
        self.handle = handle
    }

    deinit {
        _ = finish()
    }

    /// Copies up to `pages` pages and returns `SQLITE_OK` while pages remain, `SQLITE_DONE`
    /// when the copy is complete, or an error code.
    func step(pages: Int32) -> Int32 {
        guard let handle else {
            return SQLITE_MISUSE
        }
        return sqlite3_backup_step(handle, pages)
    }

    /// The number of pages left to copy after the last step.
    var remainingPages: Int32 {
        guard let handle else {
            return 0
        }
        return sqlite3_backup_remaining(handle)
    }

    /// Releases the operation and returns `SQLITE_OK`, or the error of a failed step. Calling
    /// it again returns `SQLITE_OK`.
    func finish() -> Int32 {
        guard let handle else {
            return SQLITE_OK
        }
        self.handle = nil
        return sqlite3_backup_finish(handle)
    }
}
