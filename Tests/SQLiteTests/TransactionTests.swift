import SQLite
import Testing

@Suite struct TransactionTests {
    struct Abort: Error, Equatable {}

    private func makeDatabase(_ folder: TemporaryFolder) throws -> Database {
        let database = try folder.openDatabase()
        try database.execute("CREATE TABLE entry (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL)")
        return database
    }

    private func count(_ database: Database) throws -> Int {
        try database.queryFirst("SELECT count(*) FROM entry")?.get(0) ?? -1
    }

    @Test func commitKeepsRowsAndReturnsResult() throws {
        let folder = try TemporaryFolder()
        let database = try makeDatabase(folder)

        let id = try database.transaction {
            try database.execute("INSERT INTO entry (amount) VALUES (?)", 5)
            return database.lastInsertRowID
        }

        #expect(id == 1)
        #expect(try count(database) == 1)
        #expect(!database.isInTransaction)
    }

    @Test(arguments: [Database.TransactionKind.deferred, .immediate, .exclusive])
    func everyKindCommits(_ kind: Database.TransactionKind) throws {
        let folder = try TemporaryFolder()
        let database = try makeDatabase(folder)

        try database.transaction(kind) {
            #expect(database.isInTransaction)
            try database.execute("INSERT INTO entry (amount) VALUES (?)", 1)
        }

        #expect(try count(database) == 1)
    }

    @Test func thrownErrorRollsBack() throws {
        let folder = try TemporaryFolder()
        let database = try makeDatabase(folder)

        #expect(throws: Abort()) {
            try database.transaction {
                try database.execute("INSERT INTO entry (amount) VALUES (?)", 1)
                try database.execute("INSERT INTO entry (amount) VALUES (?)", 2)
                throw Abort()
            }
        }

        #expect(try count(database) == 0)
        #expect(!database.isInTransaction)
    }

    @Test func failingStatementRollsBack() throws {
        let folder = try TemporaryFolder()
        let database = try makeDatabase(folder)

        let error = try #require(throws: SQLiteError.self) {
            try database.transaction {
                try database.execute("INSERT INTO entry (amount) VALUES (?)", 1)
                try database.execute("INSERT INTO entry (amount) VALUES (?)", SQLValue.null)
            }
        }

        #expect(error.isConstraintViolation)
        #expect(try count(database) == 0)
        #expect(!database.isInTransaction)
    }

    @Test func nestedTransactionIsRejected() throws {
        let folder = try TemporaryFolder()
        let database = try makeDatabase(folder)
        var nestedError: SQLiteError?

        try database.transaction {
            try database.execute("INSERT INTO entry (amount) VALUES (?)", 1)
            do {
                try database.transaction {
                    try database.execute("INSERT INTO entry (amount) VALUES (?)", 2)
                }
            } catch let error as SQLiteError {
                nestedError = error
            }
        }

        #expect(nestedError?.resultCode == 21)  // SQLITE_MISUSE
        #expect(try count(database) == 1)
    }

    @Test func bodyEndingTransactionIsRejected() throws {
        let folder = try TemporaryFolder()
        let database = try makeDatabase(folder)

        let error = try #require(throws: SQLiteError.self) {
            try database.transaction {
                try database.execute("INSERT INTO entry (amount) VALUES (?)", 1)
                try database.execute("ROLLBACK")
            }
        }

        #expect(error.resultCode == 21)  // SQLITE_MISUSE
        #expect(!database.isInTransaction)
        #expect(try count(database) == 0)
    }

    @Test func failingCommitRollsBack() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        try database.executeScript(
            """
            CREATE TABLE customer (id INTEGER PRIMARY KEY);
            CREATE TABLE contract (
                id INTEGER PRIMARY KEY,
                customer_id INTEGER REFERENCES customer DEFERRABLE INITIALLY DEFERRED
            );
            """)

        // A deferred foreign key is checked at COMMIT, which then fails and leaves the
        // transaction open.
        let error = try #require(throws: SQLiteError.self) {
            try database.transaction {
                try database.execute("INSERT INTO contract VALUES (1, 99)")
            }
        }

        #expect(error.isConstraintViolation)
        #expect(error.sql == "COMMIT")
        #expect(!database.isInTransaction)
        #expect(try database.queryFirst("SELECT count(*) FROM contract")?[0] == .integer(0))
    }

    /// A deferred transaction that read before another connection committed cannot upgrade to
    /// a writer, and SQLite fails it at once instead of waiting for the busy timeout.
    @Test func deferredUpgradeFailsBusyAfterOtherCommit() throws {
        let folder = try TemporaryFolder()
        let first = try folder.openDatabase()
        let second = try folder.openDatabase()
        try first.execute("CREATE TABLE entry (id INTEGER)")

        var caught: SQLiteError?
        let elapsed = measure {
            do {
                try first.transaction(.deferred) {
                    _ = try first.query("SELECT * FROM entry")
                    try second.execute("INSERT INTO entry VALUES (1)")
                    try first.execute("INSERT INTO entry VALUES (2)")
                }
            } catch {
                caught = error as? SQLiteError
            }
        }

        let error = try #require(caught)
        #expect(elapsed < 1)  // the busy timeout is 5 seconds
        #expect(error.isBusy)
        #expect(error.extendedResultCode == 517)  // SQLITE_BUSY_SNAPSHOT
        #expect(!first.isInTransaction)
        #expect(try first.query("SELECT id FROM entry").map { $0[0] } == [.integer(1)])
    }
}
