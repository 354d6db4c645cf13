import CSQLite

/// An error returned by SQLite, or a misuse of this wrapper reported as `SQLITE_MISUSE`.
///
/// The error carries the statement text but never the values bound to it, so it is safe to log
/// as long as callers bind values instead of writing them into the SQL.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    /// The primary result code, such as `SQLITE_BUSY` (5): the low 8 bits of the extended code.
    public let resultCode: Int32

    /// The extended result code, such as `SQLITE_CONSTRAINT_UNIQUE` (2067).
    public let extendedResultCode: Int32

    /// The message from `sqlite3_errmsg`, or from `sqlite3_errstr` when no connection message
    /// matches the code.
    public let message: String

    /// The statement text, without bound values.
    public let sql: String?

    /// The database file, when known.
    public let path: String?

    /// Creates an error from a result code. Tests use it to build errors SQLite rarely returns,
    /// such as `SQLITE_FULL`.
    public init(extendedResultCode: Int32, message: String, sql: String? = nil, path: String? = nil) {
        self.resultCode = extendedResultCode & 0xff
        self.extendedResultCode = extendedResultCode
        self.message = message
        self.sql = sql
        self.path = path
    }

    /// Whether another connection holds a lock this operation needed: `SQLITE_BUSY` or
    /// `SQLITE_LOCKED`. Retrying the whole transaction later may succeed.
    public var isBusy: Bool {
        resultCode == SQLITE_BUSY || resultCode == SQLITE_LOCKED
    }

    /// Whether the disk or the database size limit is full (`SQLITE_FULL`).
    public var isDiskFull: Bool {
        resultCode == SQLITE_FULL
    }

    /// Whether a write hit a read-only database (`SQLITE_READONLY` and its extended codes).
    public var isReadOnly: Bool {
        resultCode == SQLITE_READONLY
    }

    /// Whether a constraint failed: unique, primary key, foreign key, check or not null.
    public var isConstraintViolation: Bool {
        resultCode == SQLITE_CONSTRAINT
    }

    /// Whether SQLite could not open the database file or one of its journal files.
    public var isCannotOpen: Bool {
        resultCode == SQLITE_CANTOPEN
    }

    /// A one-line summary, for example
    /// `SQLite error 5 (SQLITE_BUSY): database is locked, in 'BEGIN IMMEDIATE' on /data/db.sqlite`.
    public var description: String {
        var text = "SQLite error \(resultCode) (\(SQLiteError.name(ofResultCode: resultCode))"
        if extendedResultCode != resultCode {
            text += ", extended code \(extendedResultCode)"
        }
        text += "): \(message)"
        if let sql {
            text += ", in '\(sql)'"
        }
        if let path {
            text += " on \(path)"
        }
        return text
    }

    /// Returns the C name of a primary result code, such as `SQLITE_BUSY`.
    static func name(ofResultCode code: Int32) -> String {
        switch code {
        case SQLITE_OK: "SQLITE_OK"
        case SQLITE_ERROR: "SQLITE_ERROR"
        case SQLITE_INTERNAL: "SQLITE_INTERNAL"
        case SQLITE_PERM: "SQLITE_PERM"
        case SQLITE_ABORT: "SQLITE_ABORT"
        case SQLITE_BUSY: "SQLITE_BUSY"
        case SQLITE_LOCKED: "SQLITE_LOCKED"
        case SQLITE_NOMEM: "SQLITE_NOMEM"
        case SQLITE_READONLY: "SQLITE_READONLY"
        case SQLITE_INTERRUPT: "SQLITE_INTERRUPT"
        case SQLITE_IOERR: "SQLITE_IOERR"
        case SQLITE_CORRUPT: "SQLITE_CORRUPT"
        case SQLITE_NOTFOUND: "SQLITE_NOTFOUND"
        case SQLITE_FULL: "SQLITE_FULL"
        case SQLITE_CANTOPEN: "SQLITE_CANTOPEN"
        case SQLITE_PROTOCOL: "SQLITE_PROTOCOL"
        case SQLITE_EMPTY: "SQLITE_EMPTY"
        case SQLITE_SCHEMA: "SQLITE_SCHEMA"
        case SQLITE_TOOBIG: "SQLITE_TOOBIG"
        case SQLITE_CONSTRAINT: "SQLITE_CONSTRAINT"
        case SQLITE_MISMATCH: "SQLITE_MISMATCH"
        case SQLITE_MISUSE: "SQLITE_MISUSE"
        case SQLITE_NOLFS: "SQLITE_NOLFS"
        case SQLITE_AUTH: "SQLITE_AUTH"
        case SQLITE_FORMAT: "SQLITE_FORMAT"
        case SQLITE_RANGE: "SQLITE_RANGE"
        case SQLITE_NOTADB: "SQLITE_NOTADB"
        case SQLITE_NOTICE: "SQLITE_NOTICE"
        case SQLITE_WARNING: "SQLITE_WARNING"
        case SQLITE_ROW: "SQLITE_ROW"
        case SQLITE_DONE: "SQLITE_DONE"
        default: "unknown result code"
        }
    }
}

extension SQLiteError {
    /// Throws an `SQLiteError` unless `code` is `SQLITE_OK`, `SQLITE_ROW` or `SQLITE_DONE`.
    ///
    /// Every SQLite call in this module passes its return code through here. The message comes
    /// from the connection when its last error is this code, and from `sqlite3_errstr` otherwise.
    @inline(__always)
    static func check(_ code: Int32, connection: OpaquePointer?, sql: String?, path: String?) throws(SQLiteError) {
        guard code == SQLITE_OK || code == SQLITE_ROW || code == SQLITE_DONE else {
            throw SQLiteError(code: code, connection: connection, sql: sql, path: path)
        }
    }

    init(code: Int32, connection: OpaquePointer?, sql: String?, path: String?) {
        let message: String
        if let connection, sqlite3_extended_errcode(connection) == code, let text = sqlite3_errmsg(connection) {
            message = String(cString: text)
        } else if let text = sqlite3_errstr(code) {
            message = String(cString: text)
        } else {
            message = "unknown error"
        }
        self.init(extendedResultCode: code, message: message, sql: sql, path: path)
    }

    /// Creates the error for a misuse of this wrapper, such as a call on a closed database.
    static func misuse(_ message: String, sql: String? = nil, path: String? = nil) -> SQLiteError {
        SQLiteError(extendedResultCode: SQLITE_MISUSE, message: message, sql: sql, path: path)
    }
}
