import SQLite
import Testing

@Suite struct MigratorTests {
    /// Returns a migrator with the first `count` of three migrations, each creating one table.
    static func migrator(upTo count: Int) -> Migrator {
        var migrator = Migrator()
        let steps: [(Int, String, String)] = [
            (1, "create customer", "CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT NOT NULL)"),
            (2, "create contract", "CREATE TABLE contract (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customer)"),
            (3, "add contract level", "ALTER TABLE contract ADD COLUMN level TEXT NOT NULL DEFAULT 'basic'"),
        ]
        for (version, name, sql) in steps.prefix(count) {
            migrator.register(version, name) { database in
                try database.executeScript(sql)
            }
        }
        return migrator
    }

    private func tableNames(_ database: Database) throws -> [String] {
        try database.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").map { try $0.get(0) }
    }

    @Test func emptyDatabaseHasVersionZero() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()

        #expect(try Self.migrator(upTo: 3).appliedVersion(database) == 0)
        #expect(try tableNames(database).isEmpty)
    }

    @Test(arguments: [0, 1, 2, 3])
    func migratesFromEarlierVersion(_ startVersion: Int) throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        try Self.migrator(upTo: startVersion).migrate(database)
        #expect(try Self.migrator(upTo: 3).appliedVersion(database) == startVersion)

        try Self.migrator(upTo: 3).migrate(database)

        #expect(try Self.migrator(upTo: 3).appliedVersion(database) == 3)
        #expect(try tableNames(database) == ["contract", "customer", "schema_migrations"])
        #expect(try database.queryFirst("SELECT level FROM contract") == nil)
        let recorded = try database.query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
        #expect(try recorded.map { try $0.get("version", as: Int.self) } == [1, 2, 3])
        #expect(try recorded.map { try $0.get("name", as: String.self) }
            == ["create customer", "create contract", "add contract level"])
        #expect(try recorded.allSatisfy { try $0.get("applied_at", as: String.self).hasSuffix("Z") })
    }

    @Test func migratesStepByStep() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()

        for version in 1...3 {
            try Self.migrator(upTo: version).migrate(database)
            #expect(try Self.migrator(upTo: 3).appliedVersion(database) == version)
        }

        #expect(try database.queryFirst("SELECT count(*) FROM schema_migrations")?[0] == .integer(3))
    }

    @Test func migrateTwiceChangesNothing() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()

        try Self.migrator(upTo: 3).migrate(database)
        try Self.migrator(upTo: 3).migrate(database)

        #expect(try database.queryFirst("SELECT count(*) FROM schema_migrations")?[0] == .integer(3))
    }

    @Test func newerDatabaseIsRejected() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        try Self.migrator(upTo: 3).migrate(database)

        let error = try #require(throws: MigrationError.self) {
            try Self.migrator(upTo: 2).migrate(database)
        }

        guard case .databaseIsNewer(let appliedVersion, let newestKnownVersion) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(appliedVersion == 3)
        #expect(newestKnownVersion == 2)
        #expect(error.description.contains("version 3"))
        #expect(error.description.contains("version 2"))
    }

    @Test func failedMigrationRollsBack() throws {
        struct Broken: Error {}
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        var migrator = Self.migrator(upTo: 1)
        migrator.register(2, "half done") { database in
            try database.execute("CREATE TABLE half (id INTEGER)")
            throw Broken()
        }

        #expect(throws: Broken.self) {
            try migrator.migrate(database)
        }

        #expect(try migrator.appliedVersion(database) == 1)
        #expect(try tableNames(database) == ["customer", "schema_migrations"])
        #expect(!database.isInTransaction)
    }

    @Test func registrationOrderDoesNotMatter() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        var order: [Int] = []
        var migrator = Migrator()
        for version in [3, 1, 2] {
            migrator.register(version, "step \(version)") { _ in order.append(version) }
        }

        try migrator.migrate(database)

        #expect(order == [1, 2, 3])
        #expect(migrator.newestVersion == 3)
    }
}

@Suite struct MigratorForeignKeyTests {
    private func makeDatabase(_ folder: TemporaryFolder) throws -> Database {
        let database = try folder.openDatabase()
        var migrator = Migrator()
        migrator.register(1, "create customer and contract") { database in
            try database.executeScript(
                """
                CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
                CREATE TABLE contract (
                    id INTEGER PRIMARY KEY,
                    customer_id INTEGER NOT NULL REFERENCES customer ON DELETE CASCADE
                );
                INSERT INTO customer VALUES (1, 'Ada');
                INSERT INTO contract VALUES (10, 1);
                """)
        }
        try migrator.migrate(database)
        return database
    }

    /// Rebuilding a referenced table drops it, which would cascade into the referencing rows
    /// if foreign keys were enforced during the migration.
    @Test func tableRebuildKeepsReferencingRows() throws {
        let folder = try TemporaryFolder()
        let database = try makeDatabase(folder)
        var migrator = Migrator()
        migrator.register(1, "create customer and contract") { _ in }
        migrator.register(2, "rebuild customer") { database in
            try database.executeScript(
                """
                CREATE TABLE customer_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);
                INSERT INTO customer_new (id, name) SELECT id, name FROM customer;
                DROP TABLE customer;
                ALTER TABLE customer_new RENAME TO customer;
                """)
        }

        try migrator.migrate(database)

        #expect(try database.queryFirst("SELECT count(*) FROM contract")?[0] == .integer(1))
        #expect(try database.pragma("foreign_keys") == .integer(1))
    }

    @Test func violationRollsBackMigration() throws {
        let folder = try TemporaryFolder()
        let database = try makeDatabase(folder)
        var migrator = Migrator()
        migrator.register(1, "create customer and contract") { _ in }
        migrator.register(2, "orphan contract") { database in
            try database.execute("INSERT INTO contract VALUES (11, 99)")
        }

        let error = try #require(throws: MigrationError.self) {
            try migrator.migrate(database)
        }

        guard case .foreignKeyViolation(let version, let table, let parentTable) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(version == 2)
        #expect(table == "contract")
        #expect(parentTable == "customer")
        #expect(try migrator.appliedVersion(database) == 1)
        #expect(try database.queryFirst("SELECT count(*) FROM contract")?[0] == .integer(1))
        #expect(try database.pragma("foreign_keys") == .integer(1))
    }

    @Test func migrateInsideTransactionIsRejected() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()

        #expect(throws: SQLiteError.self) {
            try database.transaction {
                try MigratorTests.migrator(upTo: 1).migrate(database)
            }
        }
        #expect(try MigratorTests.migrator(upTo: 1).appliedVersion(database) == 0)
    }
}
