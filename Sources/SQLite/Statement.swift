import CSQLite

/// A prepared statement: owns one `sqlite3_stmt` and finalizes it on deinit.
///
/// Only the `Database` that prepared it uses it, on that database's thread. A statement must be
/// released before its connection closes. The database ensures this because it keeps
/// statements only in its cache or for the length of one call.
final class Statement {
    /// The statement text, as prepared.
    let sql: String

    /// The number of `?` parameters, which is the highest parameter index.
    let parameterCount: Int

    /// Whether a call is stepping through this statement. The cache hands out a statement only
    /// when it is not in use, so a query run inside another's row loop gets its own statement.
    var isInUse = false

    /// The cache's clock reading at the last use, for least-recently-used eviction.
    var lastUse: UInt64 = 0

    private let handle: OpaquePointer
    private let connection: OpaquePointer
    private let path: String

    private var cachedColumnNames: [String] = []
    private var cachedColumnNamesReprepareCount: Int32 = -1

    /// Prepares the single statement in `sql`.
    ///
    /// - Parameter persistent: whether the statement will be kept for reuse, which lets SQLite
    ///   allocate it outside its short-lived memory pool.
    /// - Throws: `SQLiteError` when preparation fails, and `SQLITE_MISUSE` when `sql` contains
    ///   no statement or more than one.
    convenience init(connection: OpaquePointer, path: String, sql: String, persistent: Bool) throws(SQLiteError) {
        var handle: OpaquePointer?
        var hasMoreStatements = false
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0

        // Passing the length with the terminating NUL lets SQLite skip copying the text. -1
        // makes SQLite find the end itself, for text too long for an Int32 length.
        let length = Int32(exactly: sql.utf8.count + 1) ?? -1
        let code = sql.withCString { text in
            var tail: UnsafePointer<CChar>?
            let code = sqlite3_prepare_v3(connection, text, length, flags, &handle, &tail)
            if code == SQLITE_OK, let tail {
                hasMoreStatements = Statement.containsStatement(tail, connection: connection)
            }
            return code
        }
        do {
            try SQLiteError.check(code, connection: connection, sql: sql, path: path)
        } catch {
            sqlite3_finalize(handle)
            throw error
        }

        guard let handle else {
            throw SQLiteError.misuse("the SQL contains no statement", sql: sql, path: path)
        }
        guard !hasMoreStatements else {
            sqlite3_finalize(handle)
            throw SQLiteError.misuse(
                "the SQL contains more than one statement; run several statements with executeScript(_:)",
                sql: sql, path: path)
        }

        self.init(adopting: handle, connection: connection, path: path, sql: sql)
    }

    /// Takes ownership of a statement prepared elsewhere.
    init(adopting handle: OpaquePointer, connection: OpaquePointer, path: String, sql: String) {
        self.handle = handle
        self.connection = connection
        self.path = path
        self.sql = sql
        self.parameterCount = Int(sqlite3_bind_parameter_count(handle))
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Returns whether the text left after a statement contains another statement, rather
    /// than only white space, semicolons and comments.
    private static func containsStatement(_ text: UnsafePointer<CChar>, connection: OpaquePointer) -> Bool {
        var cursor = text
        while true {
            switch UInt8(bitPattern: cursor.pointee) {
            case 0: return false
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: ";"):
                cursor += 1
            default:
                // Comments and syntax errors need the parser: it yields no statement for a
                // comment, and an error for text that is not SQL.
                var extra: OpaquePointer?
                let code = sqlite3_prepare_v2(connection, cursor, -1, &extra, nil)
                sqlite3_finalize(extra)
                return code != SQLITE_OK || extra != nil
            }
        }
    }

    // MARK: Binding

    /// Binds `arguments` to parameters 1, 2, and so on.
    ///
    /// - Throws: `SQLITE_MISUSE` when the count differs from the statement's parameter count.
    func bind(_ arguments: [any SQLiteValueConvertible]) throws(SQLiteError) {
        guard arguments.count == parameterCount else {
            throw SQLiteError.misuse(
                "the statement has \(parameterCount) parameters, but \(arguments.count) arguments were given",
                sql: sql, path: path)
        }
        for (offset, argument) in arguments.enumerated() {
            try bind(argument.sqlValue, at: Int32(offset + 1))
        }
    }

    /// Binds one value to a 1-based parameter index. SQLite copies text and blobs (the shim's
    /// transient destructor), so the Swift buffers need to live only for the call.
    func bind(_ value: SQLValue, at index: Int32) throws(SQLiteError) {
        let code: Int32
        switch value {
        case .null:
            code = sqlite3_bind_null(handle, index)

        case .integer(let integer):
            code = sqlite3_bind_int64(handle, index, integer)

        case .real(let real):
            code = sqlite3_bind_double(handle, index, real)

        case .text(var text):
            code = text.withUTF8 { buffer in
                // A null pointer would bind NULL, and an empty buffer may have no address.
                guard let base = buffer.baseAddress, !buffer.isEmpty else {
                    return sqlite3_bind_text(handle, index, "", 0, tally_sqlite_transient())
                }
                return base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { characters in
                    sqlite3_bind_text64(
                        handle, index, characters, UInt64(buffer.count), tally_sqlite_transient(), UInt8(SQLITE_UTF8))
                }
            }

        case .blob(let bytes):
            if bytes.isEmpty {
                // A null pointer would bind NULL, so an empty blob is a zero-length zeroblob.
                code = sqlite3_bind_zeroblob(handle, index, 0)
            } else {
                code = bytes.withUnsafeBytes { buffer in
                    sqlite3_bind_blob64(handle, index, buffer.baseAddress, UInt64(buffer.count), tally_sqlite_transient())
                }
            }
        }
        try SQLiteError.check(code, connection: connection, sql: sql, path: path)
    }

    // MARK: Stepping

    /// Advances to the next row: returns `true` when a row is ready, `false` when done.
    @inline(__always)
    func step() throws(SQLiteError) -> Bool {
        let code = sqlite3_step(handle)
        try SQLiteError.check(code, connection: connection, sql: sql, path: path)
        return code == SQLITE_ROW
    }

    /// Rewinds the statement and clears its bindings, so the cache keeps no copies of values.
    ///
    /// `sqlite3_reset` repeats the error of a failed step, which `step()` has already thrown,
    /// so its return code is not checked here.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    // MARK: Reading the current row

    /// The result column names, read again only after SQLite re-prepared the statement (for
    /// example after a schema change), because the columns of `SELECT *` may change then.
    var columnNames: [String] {
        let reprepareCount = sqlite3_stmt_status(handle, SQLITE_STMTSTATUS_REPREPARE, 0)
        if reprepareCount != cachedColumnNamesReprepareCount {
            let count = sqlite3_column_count(handle)
            cachedColumnNames = (0..<count).map { column in
                sqlite3_column_name(handle, column).map { String(cString: $0) } ?? ""
            }
            cachedColumnNamesReprepareCount = reprepareCount
        }
        return cachedColumnNames
    }

    /// Copies the value of a 0-based column of the current row.
    ///
    /// - Throws: `SQLITE_NOMEM` when SQLite cannot allocate the converted text or blob.
    @inline(__always)
    func value(at column: Int32) throws(SQLiteError) -> SQLValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(handle, column))

        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(handle, column))

        case SQLITE_TEXT:
            // The pointer first, then the byte count: the order the C API documentation requires.
            guard let text = sqlite3_column_text(handle, column) else {
                try checkOutOfMemory()
                return .text("")
            }
            let count = Int(sqlite3_column_bytes(handle, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))

        case SQLITE_BLOB:
            // SQLite returns a null pointer for a zero-length blob.
            guard let blob = sqlite3_column_blob(handle, column) else {
                try checkOutOfMemory()
                return .blob([])
            }
            let count = Int(sqlite3_column_bytes(handle, column))
            return .blob(Array(UnsafeRawBufferPointer(start: blob, count: count)))

        default:
            return .null
        }
    }

    /// Replaces `values` with the current row's values, reusing the array's storage when the
    /// caller holds the only reference to it.
    @inline(__always)
    func readValues(into values: inout [SQLValue]) throws(SQLiteError) {
        let count = sqlite3_column_count(handle)
        values.removeAll(keepingCapacity: true)
        for column in 0..<count {
            values.append(try value(at: column))
        }
    }

    /// Returns a snapshot of the current row.
    func makeRow(columnNames: [String]) throws(SQLiteError) -> Row {
        var values: [SQLValue] = []
        values.reserveCapacity(columnNames.count)
        try readValues(into: &values)
        return Row(columnNames: columnNames, values: values)
    }

    private func checkOutOfMemory() throws(SQLiteError) {
        let code = sqlite3_errcode(connection)
        if code == SQLITE_NOMEM {
            try SQLiteError.check(code, connection: connection, sql: sql, path: path)
        }
    }
}

@available(*, unavailable)
extension Statement: Sendable {}
