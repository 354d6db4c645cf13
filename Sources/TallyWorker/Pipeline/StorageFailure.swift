import SQLite
import TallyStore

/// A database error that waiting may fix: the worker holds its deliveries unacked and tries the
/// write again, instead of nacking them into a loop or acking work that was not written.
enum StorageFailure: String {
    /// Another process held the lock longer than the busy timeout.
    case locked
    /// The disk or the file system quota is full.
    case diskFull = "disk_full"
    /// The file or its folder became read-only.
    case readOnly = "read_only"
    /// The operating system reported an I/O error.
    case ioError = "io_error"

    init?(_ error: any Error) {
        if let storeError = error as? StoreError, case .readOnly = storeError.kind {
            self = .readOnly
            return
        }
        guard let sqliteError = Self.sqliteError(in: error) else { return nil }
        if sqliteError.isBusy {
            self = .locked
        } else if sqliteError.isDiskFull {
            self = .diskFull
        } else if sqliteError.isReadOnly {
            self = .readOnly
        } else if sqliteError.resultCode == 10 {  // SQLITE_IOERR
            self = .ioError
        } else {
            return nil
        }
    }

    private static func sqliteError(in error: any Error) -> SQLiteError? {
        if let sqliteError = error as? SQLiteError {
            return sqliteError
        }
        if let storeError = error as? StoreError, case .sqlite(let sqliteError) = storeError.kind {
            return sqliteError
        }
        return nil
    }
}
