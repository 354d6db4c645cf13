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
}
