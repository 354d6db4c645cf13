import CSQLite

extension Database {
    /// Runs every statement in `sql`, in order, without arguments: for migrations and pragmas.
    ///
    /// Statements are prepared one at a time and not cached, and rows they return are skipped.
    /// - Throws: `SQLiteError` naming the failing statement. Statements before it stay applied
    ///   unless a transaction around the call rolls them back.
    public func executeScript(_ sql: String) throws {
        let connection = try openConnection()

        try sql.withCString { script in
            var cursor = script
            while cursor.pointee != 0 {
                var handle: OpaquePointer?
                var tail: UnsafePointer<CChar>?
                let code = sqlite3_prepare_v2(connection, cursor, -1, &handle, &tail)
                let end = tail ?? Database.endOfString(cursor)
                let text = Database.trimmedText(from: cursor, to: end)
                try SQLiteError.check(code, connection: connection, sql: text, path: path)

                // A stretch of white space or comments prepares to no statement.
                if let handle {
                    let statement = Statement(adopting: handle, connection: connection, path: path, sql: text)
                    while try statement.step() {}
                }
                guard end > cursor else {
                    break
                }
                cursor = end
            }
        }
    }

    private static func endOfString(_ start: UnsafePointer<CChar>) -> UnsafePointer<CChar> {
        var end = start
        while end.pointee != 0 {
            end += 1
        }
        return end
    }

    /// Returns the text between two pointers into one C string, without surrounding white space.
    private static func trimmedText(from start: UnsafePointer<CChar>, to end: UnsafePointer<CChar>) -> String {
        let bytes = UnsafeRawBufferPointer(start: start, count: end - start)
        let isSpace = { (byte: UInt8) in byte == 0x20 || (0x09...0x0d).contains(byte) }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }

    // MARK: Single statements

    /// Runs one statement with arguments bound to its `?` parameters, in order.
    ///
    /// Pass an array of arguments with the `arguments:` label. Without it, an array literal
    /// such as `[5]` is one `[UInt8]` argument and binds as a blob.
    ///
    /// - Throws: `SQLiteError`; `SQLITE_MISUSE` when the argument count differs from the
    ///   parameter count or `sql` contains more than one statement.
    public func execute(_ sql: String, _ arguments: any SQLiteValueConvertible...) throws {
        try execute(sql, arguments: arguments)
    }

    /// Runs one statement with arguments bound to its `?` parameters, in order.
    public func execute(_ sql: String, arguments: [any SQLiteValueConvertible]) throws {
        try withStatement(sql, arguments: arguments) { statement in
            while try statement.step() {}
        }
    }

    /// Runs a query and returns all its rows.
    public func query(_ sql: String, _ arguments: any SQLiteValueConvertible...) throws -> [Row] {
        try query(sql, arguments: arguments)
    }

    /// Runs a query and returns all its rows.
    public func query(_ sql: String, arguments: [any SQLiteValueConvertible]) throws -> [Row] {
        try withStatement(sql, arguments: arguments) { statement in
            guard try statement.step() else {
                return []
            }

            let columnNames = statement.columnNames
            var rows: [Row] = []
            repeat {
                rows.append(try statement.makeRow(columnNames: columnNames))
            } while try statement.step()
            return rows
        }
    }

    /// Runs a query and returns its first row, or `nil` when it returns none. Stops after the
    /// first row.
    public func queryFirst(_ sql: String, _ arguments: any SQLiteValueConvertible...) throws -> Row? {
        try queryFirst(sql, arguments: arguments)
    }

    /// Runs a query and returns its first row, or `nil` when it returns none. Stops after the
    /// first row.
    public func queryFirst(_ sql: String, arguments: [any SQLiteValueConvertible]) throws -> Row? {
        try withStatement(sql, arguments: arguments) { statement in
            guard try statement.step() else {
                return nil
            }
            return try statement.makeRow(columnNames: statement.columnNames)
        }
    }

    /// Runs a query and calls `body` with each row as SQLite produces it, without collecting
    /// them in an array.
    ///
    /// The rows share one value buffer: when `body` keeps no copy of its row, reading the next
    /// row allocates nothing beyond the text and blob values themselves. `body` may run other
    /// statements on this database, including the same SQL. An error from `body` stops the
    /// query and is rethrown.
    public func forEachRow(
        _ sql: String, arguments: [any SQLiteValueConvertible] = [], _ body: (Row) throws -> Void
    ) throws {
        try withStatement(sql, arguments: arguments) { statement in
            guard try statement.step() else {
                return
            }

            let columnNames = statement.columnNames
            var row = Row(columnNames: columnNames, values: Array(repeating: .null, count: columnNames.count))
            repeat {
                try statement.readValues(into: &row.values)
                try body(row)
            } while try statement.step()
        }
    }

    // MARK: Statement cache

    /// Binds `arguments` to a prepared statement for `sql`, calls `body`, then resets the
    /// statement and clears its bindings, also when `body` throws.
    ///
    /// The statement comes from the cache. When an enclosing call is using the cached one, a
    /// fresh statement serves this call and is finalized at its end.
    func withStatement<Result>(
        _ sql: String, arguments: [any SQLiteValueConvertible], _ body: (Statement) throws -> Result
    ) throws -> Result {
        let statement = try preparedStatement(for: sql)
        statement.isInUse = true
        defer {
            statement.reset()
            statement.isInUse = false
        }

        try statement.bind(arguments)
        return try body(statement)
    }

    private func preparedStatement(for sql: String) throws(SQLiteError) -> Statement {
        let connection = try openConnection()
        if let statement = statementCache.statement(for: sql) {
            if !statement.isInUse {
                return statement
            }
            return try Statement(connection: connection, path: path, sql: sql, persistent: false)
        }

        let cacheable = statementCache.capacity > 0
        let statement = try Statement(connection: connection, path: path, sql: sql, persistent: cacheable)
        if cacheable {
            statementCache.insert(statement)
        }
        return statement
    }
}
