@_exported import TallyCore
import Foundation
import SQLite

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tally's database: customer data, issues, redemptions, the ledger, the inbox, the outbox and
/// worker heartbeats, in one SQLite file in WAL mode.
///
/// One `Store` is one SQLite connection: use it from one thread at a time. Several processes
/// may open the same file; `write` takes the write lock at BEGIN, so their check-and-change
/// transactions run one after the other. Each store keeps the customer data the rules read in
/// a `CustomerDataCache`, checked against the database's generation counter in every
/// transaction, so another process's import is seen at once.
public final class Store {
    public let path: String
    private let connection: Database
    private let customerDataCache = CustomerDataCache()

    /// The SQLite connection, for backups and tests.
    public var database: Database { connection }

    /// Opens or creates the database at `path` (WAL, synchronous FULL) and migrates it.
    ///
    /// - Parameter busyTimeout: how long a transaction waits for another connection's write lock.
    /// - Throws: `StoreError` with kind
    ///   - `notFound` when the folder is missing,
    ///   - `readOnly` when the file or its folder is not writable, because the folder must take
    ///     the `-wal` and `-shm` files,
    ///   - `corrupt` when the file is not a database,
    ///   - `sqlite` for other failures.
    public init(path: String, busyTimeout: Duration = .seconds(5)) throws {
        self.path = path
        try Self.checkWritable(path)

        var configuration = Database.Configuration()
        configuration.busyTimeout = busyTimeout
        do {
            connection = try Database(path: path, configuration: configuration)
        } catch let error as SQLiteError {
            throw Self.openError(error, path: path)
        }

        do {
            try Schema.migrator.migrate(connection)
        } catch let error as SQLiteError {
            try? connection.close()
            throw Self.openError(error, path: path)
        } catch {
            try? connection.close()
            throw error
        }
    }

    /// Runs `body` in a BEGIN IMMEDIATE transaction and commits, or rolls back when it throws.
    /// Waits up to the busy timeout for another connection's write lock.
    ///
    /// - Throws: what `body` throws; SQLite failures as `StoreError` with kind `sqlite`.
    public func write<T>(_ body: (WriteTransaction) throws -> T) throws -> T {
        do {
            return try Self.mappingSQLiteErrors {
                try connection.transaction(.immediate) {
                    let transaction = WriteTransaction(database: connection, cache: customerDataCache)
                    defer { transaction.isOpen = false }
                    return try body(transaction)
                }
            }
        } catch {
            // The cache may hold customer data that this transaction wrote and rolled back.
            customerDataCache.removeAll()
            throw error
        }
    }

    /// Runs `body` in a BEGIN DEFERRED transaction, so all its reads come from one snapshot.
    public func read<T>(_ body: (ReadTransaction) throws -> T) throws -> T {
        try Self.mappingSQLiteErrors {
            try connection.transaction(.deferred) {
                let transaction = ReadTransaction(database: connection, cache: customerDataCache)
                defer { transaction.isOpen = false }
                return try body(transaction)
            }
        }
    }

    /// Closes the connection. Idempotent; `deinit` closes what is left open.
    public func close() {
        // NOTE: a failing close (statements still open) is dropped: the connection is released
        // when the Database is deinitialised.
        try? connection.close()
    }

    static func mappingSQLiteErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SQLiteError {
            throw StoreError(.sqlite(error))
        }
    }

    private static func openError(_ error: SQLiteError, path: String) -> StoreError {
        // SQLITE_NOTADB is 26, SQLITE_CORRUPT 11.
        if error.resultCode == 26 || error.resultCode == 11 {
            return StoreError(.corrupt(path: path, details: [error.message]))
        }
        if error.isReadOnly {
            return StoreError(.readOnly(path: path))
        }
        return StoreError(.sqlite(error))
    }

    /// Checks the file and its folder before SQLite opens them, because root passes every
    /// `access` check: a file or folder without any write bit is refused for root too.
    private static func checkWritable(_ path: String) throws {
        guard path != ":memory:", !path.isEmpty else { return }

        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var folderStatus = stat()
        guard stat(folder, &folderStatus) == 0 else {
            throw StoreError(.notFound(path: folder))
        }
        if access(folder, W_OK) != 0 || folderStatus.st_mode & 0o222 == 0 {
            throw StoreError(.readOnly(path: folder))
        }

        var fileStatus = stat()
        if stat(path, &fileStatus) == 0, access(path, W_OK) != 0 || fileStatus.st_mode & 0o222 == 0 {
            throw StoreError(.readOnly(path: path))
        }
    }
}
