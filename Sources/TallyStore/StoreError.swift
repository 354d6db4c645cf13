import Foundation
import SQLite

/// A failure of the store: a file it cannot use, invalid customer data, or a database error.
///
/// `description` is one line that names the file or value and says how to fix it; it never
/// contains bound SQL values.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// The database file, or the folder that must hold its `-wal` and `-shm` files, is not writable.
        case readOnly(path: String)
        /// The folder meant to hold the database does not exist.
        case notFound(path: String)
        /// The file is not a database, or its integrity check failed.
        case corrupt(path: String, details: [String])
        /// Customer data that failed validation: every problem, with its JSON path.
        case importInvalid([ImportIssue])
        /// The database holds data the store cannot read back, such as a date in the wrong type.
        case invalidData(String)
        case sqlite(SQLiteError)
    }

    public var kind: Kind

    public init(_ kind: Kind) {
        self.kind = kind
    }

    /// True when another connection held the write lock for longer than the busy timeout.
    public var isBusy: Bool {
        if case .sqlite(let error) = kind { return error.isBusy }
        return false
    }

    /// The problems of an invalid import, empty for other kinds.
    public var importIssues: [ImportIssue] {
        if case .importInvalid(let issues) = kind { return issues }
        return []
    }

    public var description: String {
        switch kind {
        case .readOnly(let path):
            return "The database path \(path) is read-only: make it writable by the worker's user, "
                + "or choose another path (the folder must be writable for the -wal and -shm files)."
        case .notFound(let path):
            return "The folder \(path) does not exist: create it or choose another database path."
        case .corrupt(let path, let details):
            let first = details.first.map { ": \($0)" } ?? ""
            return "The database \(path) is damaged or not a Tally database\(first). Restore it from a backup."
        case .importInvalid(let issues):
            let lines = issues.map(\.description).joined(separator: "; ")
            return "The customer data is invalid (\(issues.count) problem\(issues.count == 1 ? "" : "s")): \(lines)"
        case .invalidData(let message):
            return "The database holds invalid data: \(message)"
        case .sqlite(let error):
            return error.description
        }
    }
}

/// One problem in a customer data file: where, as a JSON path such as
/// `$.contracts[1].ends_at`, and why.
public struct ImportIssue: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

/// Dates as the store keeps them.
enum StoredDate {
    /// Whole Unix seconds, rounded down.
    static func seconds(_ date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down))
    }

    static func date(seconds: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// Whole Unix milliseconds, rounded down.
    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000)
    }
}
