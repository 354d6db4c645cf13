import Foundation
import SQLite
import TallyStore

/// Opens the database for tallyctl and turns store failures into one line with exit code 4.
enum DatabaseAccess {
    /// Opens the existing database at `settings.path`. tallyctl never creates a database
    /// unless `allowCreating` is set (by `customers import`), so a mistyped path fails.
    ///
    /// - Throws: `TallyctlError` with exit code 4 when the file is missing, read-only, damaged
    ///   or cannot be opened.
    static func open(_ settings: DatabaseSettings, allowCreating: Bool = false) throws -> Store {
        if !allowCreating, !FileManager.default.fileExists(atPath: settings.path) {
            throw TallyctlError.database(
                "the database file \(settings.path) does not exist: check --database (TALLY_DATABASE) or the 'database' key of the configuration file")
        }
        do {
            return try Store(path: settings.path, busyTimeout: settings.busyTimeout)
        } catch {
            throw describe(error, path: settings.path)
        }
    }

    /// Runs `body` and maps a store failure to a `TallyctlError`.
    static func mapping<T>(path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as TallyctlError {
            throw error
        } catch let error as StoreError {
            if case .importInvalid = error.kind {
                throw TallyctlError(error.description)
            }
            throw describe(error, path: path)
        } catch let error as SQLiteError {
            throw describe(StoreError(.sqlite(error)), path: path)
        }
    }

    /// Describes a failure in one line that names the file or folder and what to check.
    static func describe(_ error: any Error, path: String) -> TallyctlError {
        guard let storeError = error as? StoreError else {
            return TallyctlError.database("cannot use the database \(path): \(error)")
        }
        switch storeError.kind {
        case .readOnly(let culprit):
            let what = culprit == path ? "file" : "folder"
            return TallyctlError.database(
                "the database \(what) \(culprit) is read-only: make it writable by this user (SQLite writes the -wal and -shm files beside the database even to read)")
        case .notFound(let folder):
            return TallyctlError.database("the database folder \(folder) does not exist: check --database (TALLY_DATABASE)")
        case .corrupt:
            return TallyctlError.database(storeError.description)
        case .sqlite(let sqliteError) where sqliteError.isBusy:
            return TallyctlError.database(
                "the database \(path) stayed locked by another process for longer than --busy-timeout: try again, or raise --busy-timeout")
        case .sqlite(let sqliteError) where sqliteError.isReadOnly:
            return TallyctlError.database(
                "the database \(path) is read-only: make the file and its folder writable by this user")
        default:
            return TallyctlError.database("cannot use the database \(path): \(storeError)")
        }
    }
}
