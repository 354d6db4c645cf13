import CSQLite

/// A connection to one SQLite database file.
///
/// A `Database` is confined to one thread at a time: it opens the connection with
/// `SQLITE_OPEN_NOMUTEX`, so SQLite does no locking of its own, and the class is not `Sendable`.
/// Give each thread its own `Database`; SQLite's file locks and the busy timeout coordinate
/// connections to the same file, also across processes.
///
/// Statements are prepared once and kept in a cache keyed by their SQL text, so bind values as
/// arguments instead of writing them into the SQL. That also keeps them out of error messages.
public final class Database {
    /// Settings applied when the connection opens.
    public struct Configuration: Sendable {
        /// How long a statement waits for another connection's lock before failing with
        /// `SQLITE_BUSY`. Precision is milliseconds.
        public var busyTimeout: Duration = .seconds(5)

        /// Opens with `SQLITE_OPEN_READONLY`: writes fail with `SQLITE_READONLY`, and a missing
        /// file fails to open instead of being created.
        ///
        /// A read-only connection leaves the journal mode as the file has it. Reading a WAL
        /// database needs its `-shm` file. SQLite creates it when the folder is writable, and
        /// otherwise it must exist already because a writer has the database open. When
        /// neither is true, opening throws `isReadOnly` (`SQLITE_READONLY_DIRECTORY`).
        public var readOnly = false

        /// The journal mode set on open; ignored when `readOnly`. WAL mode lets readers run
        /// while one connection writes. It persists in the file.
        public var journalMode: JournalMode = .wal

        /// How often SQLite waits for the disk; `.full` makes each commit durable in WAL mode.
        public var synchronous: Synchronous = .full

        /// Whether SQLite enforces foreign key constraints.
        public var foreignKeys = true

        /// The number of prepared statements kept for reuse. Zero prepares every statement anew.
        public var statementCacheCapacity = 64

        public init() {}
    }

    /// The journal modes this wrapper supports, named as `PRAGMA journal_mode` names them.
    public enum JournalMode: String, Sendable {
        case wal
        case delete
        case truncate
        case memory
    }

    /// The `PRAGMA synchronous` levels.
    public enum Synchronous: String, Sendable {
        case off
        case normal
        case full
        case extra

        /// The number `PRAGMA synchronous` reads back.
        var level: Int64 {
            switch self {
            case .off: 0
            case .normal: 1
            case .full: 2
            case .extra: 3
            }
        }
    }

    /// The path given at open. `:memory:` opens a private in-memory database, which needs
    /// `journalMode = .memory`.
    public let path: String

    /// The settings the connection opened with.
    public let configuration: Configuration

    /// The `sqlite3` handle; `nil` once closed.
    private var connection: OpaquePointer?

    var statementCache: StatementCache

    /// Opens the database at `path` and applies `configuration`.
    ///
    /// Creates the file unless `configuration.readOnly`. Checks that the journal mode, the
    /// synchronous level and the foreign key setting took effect, and reads the schema so that
    /// a file that is not a database, or a WAL database that cannot be read, fails here.
    ///
    /// - Throws: `SQLiteError`. The connection is closed when any step fails.
    public init(path: String, configuration: Configuration = Configuration()) throws {
        self.path = path
        self.configuration = configuration
        self.statementCache = StatementCache(capacity: configuration.statementCacheCapacity)
        self.connection = try Database.openConnection(path: path, readOnly: configuration.readOnly)

        do {
            try configure()
        } catch {
            closeIgnoringErrors()
            throw error
        }
    }

    deinit {
        closeIgnoringErrors()
    }

    /// Settings of the SQLite library itself, made once per process before the first connection.
    ///
    /// Memory statistics are turned off: they take a global mutex on every allocation, and
    /// nothing here reads them. When another part of the process has already initialised
    /// SQLite, the call fails with `SQLITE_MISUSE` and only the speed-up is lost.
    private static let librarySettings: Void = {
        _ = tally_sqlite_disable_memory_statistics()
    }()

    private static func openConnection(path: String, readOnly: Bool) throws(SQLiteError) -> OpaquePointer {
        librarySettings

        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        flags |= readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)

        var connection: OpaquePointer?
        let code = sqlite3_open_v2(path, &connection, flags, nil)
        do {
            try SQLiteError.check(code, connection: connection, sql: nil, path: path)
        } catch {
            // SQLite allocates a handle even when opening fails, to carry the message.
            sqlite3_close_v2(connection)
            throw error
        }
        guard let connection else {
            throw SQLiteError(code: SQLITE_NOMEM, connection: nil, sql: nil, path: path)
        }
        return connection
    }

    private func configure() throws {
        let connection = try openConnection()

        let milliseconds = configuration.busyTimeout / .milliseconds(1)
        let timeout = Int32(clamping: Int64(milliseconds.rounded(.up)))
        try SQLiteError.check(sqlite3_busy_timeout(connection, timeout), connection: connection, sql: nil, path: path)

        try execute(configuration.foreignKeys ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF")
        try expectPragma("foreign_keys", toRead: .integer(configuration.foreignKeys ? 1 : 0))

        if configuration.readOnly {
            // Opening is lazy: read the schema now, so an unreadable file fails in init.
            _ = try queryFirst("SELECT count(*) FROM sqlite_master")
        } else {
            // Setting the journal mode reads the file, and returns the mode now in effect.
            let mode = try queryFirst("PRAGMA journal_mode = \(configuration.journalMode.rawValue)")?[0]
            try expect("journal_mode", mode, toBe: .text(configuration.journalMode.rawValue))
        }

        try execute("PRAGMA synchronous = \(configuration.synchronous.rawValue)")
        try expectPragma("synchronous", toRead: .integer(configuration.synchronous.level))
    }

    private func expectPragma(_ name: String, toRead expected: SQLValue) throws {
        try expect(name, try pragma(name), toBe: expected)
    }

    private func expect(_ name: String, _ value: SQLValue?, toBe expected: SQLValue) throws(SQLiteError) {
        var actual = value ?? .null
        if case .text(let text) = actual {
            actual = .text(text.lowercased())
        }
        guard actual == expected else {
            throw SQLiteError(
                extendedResultCode: SQLITE_ERROR,
                message: "PRAGMA \(name) reads \(Database.describe(actual)) after setting it to \(Database.describe(expected))",
                path: path)
        }
    }

    private static func describe(_ value: SQLValue) -> String {
        switch value {
        case .null: "nothing"
        case .integer(let integer): String(integer)
        case .real(let real): String(real)
        case .text(let text): "'\(text)'"
        case .blob: "a blob"
        }
    }

    // MARK: Connection state

    /// Returns the open `sqlite3` handle.
    ///
    /// - Throws: `SQLITE_MISUSE` when the database is closed.
    @inline(__always)
    func openConnection() throws(SQLiteError) -> OpaquePointer {
        guard let connection else {
            throw SQLiteError.misuse("the database is closed", path: path)
        }
        return connection
    }

    /// Whether `close()` has run successfully.
    public var isClosed: Bool {
        connection == nil
    }

    /// The number of rows changed by the last completed INSERT, UPDATE or DELETE; 0 when closed.
    public var changes: Int {
        guard let connection else {
            return 0
        }
        return Int(sqlite3_changes64(connection))
    }

    /// The rowid of the last successful INSERT on this connection; 0 when none or closed.
    public var lastInsertRowID: Int64 {
        guard let connection else {
            return 0
        }
        return sqlite3_last_insert_rowid(connection)
    }

    /// Whether a transaction is open: SQLite is outside autocommit mode.
    public var isInTransaction: Bool {
        guard let connection else {
            return false
        }
        return sqlite3_get_autocommit(connection) == 0
    }

    /// Whether the main database is read-only: opened with `readOnly`, or opened read-write on
    /// a file SQLite could only open for reading.
    public var isReadOnly: Bool {
        guard let connection else {
            return true
        }
        return sqlite3_db_readonly(connection, "main") == 1
    }

    // MARK: Closing

    /// Finalizes the cached statements and closes the connection. Calling it again does nothing.
    ///
    /// - Throws: `SQLITE_BUSY` when a statement is still being stepped through, for example
    ///   when called from inside `forEachRow`; the connection then stays open.
    public func close() throws {
        guard let connection else {
            return
        }

        statementCache.removeAll()
        try SQLiteError.check(sqlite3_close(connection), connection: connection, sql: nil, path: path)
        self.connection = nil
    }

    /// Closes without reporting errors: `sqlite3_close_v2` frees the connection once its last
    /// statement is finalized.
    private func closeIgnoringErrors() {
        guard let connection else {
            return
        }

        statementCache.removeAll()
        sqlite3_close_v2(connection)
        self.connection = nil
    }
}

// A connection opened with SQLITE_OPEN_NOMUTEX must not be shared between threads.
@available(*, unavailable)
extension Database: Sendable {}
