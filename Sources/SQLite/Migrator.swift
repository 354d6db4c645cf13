/// Schema migrations, applied in version order and recorded in the table
/// `schema_migrations(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`.
///
/// The applied version is the highest version recorded. A migration registered with a version
/// at or below it never runs, so add new migrations with higher versions only.
public struct Migrator {
    private struct Migration {
        let version: Int
        let name: String
        let migrate: (Database) throws -> Void
    }

    /// Sorted by version.
    private var migrations: [Migration] = []

    public init() {}

    /// The highest registered version, 0 when none is registered.
    public var newestVersion: Int {
        migrations.last?.version ?? 0
    }

    /// Registers a migration. `migrate` runs inside the migration's transaction, so it must not
    /// begin one of its own.
    ///
    /// - Precondition: `version` is greater than 0 and not registered yet.
    public mutating func register(_ version: Int, _ name: String, _ migrate: @escaping (Database) throws -> Void) {
        precondition(version > 0, "migration versions start at 1")
        precondition(!migrations.contains { $0.version == version }, "migration version \(version) is registered twice")

        let migration = Migration(version: version, name: name, migrate: migrate)
        let index = migrations.firstIndex { $0.version > version } ?? migrations.endIndex
        migrations.insert(migration, at: index)
    }

    /// Applies each pending migration in its own IMMEDIATE transaction, in version order.
    ///
    /// Each transaction checks the applied version again after taking the write lock, so two
    /// processes migrating the same file apply each migration once.
    ///
    /// When the connection enforces foreign keys, they are off while migrations run, so that a
    /// migration can rebuild a table without cascading deletes into the tables that reference
    /// it. Before each commit, `PRAGMA foreign_key_check` must find no violation.
    ///
    /// - Throws: `MigrationError.databaseIsNewer` when the database has a version newer than
    ///   any registered, and `MigrationError.foreignKeyViolation` when a migration leaves rows
    ///   that violate a foreign key. `SQLITE_MISUSE` when a transaction is open on `database`,
    ///   because migrations run in transactions of their own. Otherwise the error of the
    ///   failing migration. The failing migration is rolled back, and earlier migrations stay
    ///   applied.
    public func migrate(_ database: Database) throws {
        let appliedVersion = try appliedVersion(database)
        try checkNotNewer(appliedVersion)
        let pending = migrations.filter { $0.version > appliedVersion }
        guard !pending.isEmpty else {
            return
        }

        let enforcesForeignKeys = try database.pragma("foreign_keys") == .integer(1)
        if enforcesForeignKeys {
            try database.execute("PRAGMA foreign_keys = OFF")
        }

        do {
            for migration in pending {
                try apply(migration, to: database, checkingForeignKeys: enforcesForeignKeys)
            }
        } catch {
            if enforcesForeignKeys {
                try? database.execute("PRAGMA foreign_keys = ON")
            }
            throw error
        }

        if enforcesForeignKeys {
            try database.execute("PRAGMA foreign_keys = ON")
        }
    }

    private func apply(_ migration: Migration, to database: Database, checkingForeignKeys: Bool) throws {
        try database.transaction(.immediate) {
            try database.executeScript(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at TEXT NOT NULL
                )
                """)

            let currentVersion = try appliedVersion(database)
            try checkNotNewer(currentVersion)
            guard currentVersion < migration.version else {
                return
            }

            try migration.migrate(database)

            if checkingForeignKeys, let violation = try database.queryFirst("PRAGMA foreign_key_check") {
                throw MigrationError.foreignKeyViolation(
                    version: migration.version, table: try violation.get("table"), parentTable: try violation.get("parent"))
            }

            try database.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                migration.version, migration.name)
        }
    }

    /// Returns the highest applied version: 0 for a database without `schema_migrations`.
    ///
    /// Reads only, so it works on a read-only connection.
    public func appliedVersion(_ database: Database) throws -> Int {
        let table = try database.queryFirst(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
        guard table != nil else {
            return 0
        }
        return try database.queryFirst("SELECT coalesce(max(version), 0) FROM schema_migrations")?.get(0) ?? 0
    }

    private func checkNotNewer(_ appliedVersion: Int) throws(MigrationError) {
        guard appliedVersion <= newestVersion else {
            throw .databaseIsNewer(appliedVersion: appliedVersion, newestKnownVersion: newestVersion)
        }
    }
}

/// A database schema that the registered migrations cannot handle.
public enum MigrationError: Error, CustomStringConvertible, Sendable {
    /// The database has a migration applied that is newer than any registered: a newer version
    /// of the program wrote it.
    case databaseIsNewer(appliedVersion: Int, newestKnownVersion: Int)

    /// The migration left a row in `table` whose reference to `parentTable` points nowhere.
    case foreignKeyViolation(version: Int, table: String, parentTable: String)

    public var description: String {
        switch self {
        case .databaseIsNewer(let appliedVersion, let newestKnownVersion):
            "the database schema is at version \(appliedVersion), newer than version \(newestKnownVersion), "
                + "the newest this program knows: a newer version of the program wrote it, so run that version"
        case .foreignKeyViolation(let version, let table, let parentTable):
            "migration \(version) left rows in table \(table) that reference missing rows in \(parentTable); "
                + "it was rolled back"
        }
    }
}
