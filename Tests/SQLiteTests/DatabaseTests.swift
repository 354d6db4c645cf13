import Foundation
@testable import SQLite
import Testing

@Suite struct DatabaseTests {
    @Test func openSetsDurablePragmas() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()

        #expect(try database.pragma("synchronous") == .integer(2))
        #expect(try database.pragma("journal_mode") == .text("wal"))
        #expect(try database.pragma("foreign_keys") == .integer(1))
        #expect(try database.pragma("busy_timeout") == .integer(5000))
        #expect(FileManager.default.fileExists(atPath: folder.file("test.sqlite")))
    }

    @Test func openAppliesConfiguration() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase { configuration in
            configuration.journalMode = .delete
            configuration.synchronous = .normal
            configuration.foreignKeys = false
            configuration.busyTimeout = .milliseconds(250)
        }

        #expect(try database.pragma("journal_mode") == .text("delete"))
        #expect(try database.pragma("main.synchronous") == .integer(1))
        #expect(try database.pragma("foreign_keys") == .integer(0))
        #expect(try database.pragma("busy_timeout") == .integer(250))
    }

    @Test func openInMemoryNeedsMemoryJournal() throws {
        var configuration = Database.Configuration()
        configuration.journalMode = .memory

        let database = try Database(path: ":memory:", configuration: configuration)

        #expect(try database.pragma("journal_mode") == .text("memory"))
        #expect(throws: SQLiteError.self) {
            try Database(path: ":memory:")
        }
    }

    @Test func openMissingFolderCannotOpen() throws {
        let folder = try TemporaryFolder()

        let error = try #require(throws: SQLiteError.self) {
            try Database(path: folder.file("missing/test.sqlite"))
        }

        #expect(error.isCannotOpen)
        #expect(error.path == folder.file("missing/test.sqlite"))
    }

    @Test func openRejectsFileThatIsNotDatabase() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("notes.txt")
        try String(repeating: "not a database ", count: 100).write(toFile: path, atomically: true, encoding: .utf8)

        let error = try #require(throws: SQLiteError.self) {
            try Database(path: path)
        }

        #expect(error.resultCode == 26)  // SQLITE_NOTADB
    }

    @Test func pragmaRejectsInvalidName() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()

        let error = try #require(throws: SQLiteError.self) {
            try database.pragma("user_version = 5")
        }

        #expect(error.resultCode == 21)  // SQLITE_MISUSE
        #expect(try database.pragma("user_version") == .integer(0))
    }

    @Test func executeScriptRunsEveryStatement() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()

        try database.executeScript(
            """
            -- A comment before the first statement.
            CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
            INSERT INTO customer (name) VALUES ('Ada');   /* trailing comment */
            INSERT INTO customer (name) VALUES ('Grace');
            SELECT * FROM customer;

            """)

        #expect(try database.query("SELECT name FROM customer ORDER BY id").map { try $0.get(0, as: String.self) }
            == ["Ada", "Grace"])
    }

    @Test func executeScriptNamesFailingStatement() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()

        let error = try #require(throws: SQLiteError.self) {
            try database.executeScript(
                """
                CREATE TABLE customer (id INTEGER PRIMARY KEY);
                INSERT INTO missing_table VALUES (1);
                CREATE TABLE never_created (id INTEGER);
                """)
        }

        #expect(error.sql == "INSERT INTO missing_table VALUES (1);")
        #expect(error.message == "no such table: missing_table")
        #expect(try database.queryFirst("SELECT 1 FROM sqlite_master WHERE name = 'customer'") != nil)
        #expect(try database.queryFirst("SELECT 1 FROM sqlite_master WHERE name = 'never_created'") == nil)
    }

    @Test func executeRejectsSeveralStatements() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()

        let error = try #require(throws: SQLiteError.self) {
            try database.execute("CREATE TABLE a (x); CREATE TABLE b (x)")
        }

        #expect(error.resultCode == 21)  // SQLITE_MISUSE
        #expect(try database.queryFirst("SELECT 1 FROM sqlite_master WHERE name = 'a'") == nil)
    }

    @Test func executeAcceptsTrailingSemicolonAndComment() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()

        try database.execute("CREATE TABLE a (x); -- done\n")

        #expect(try database.queryFirst("SELECT 1 FROM sqlite_master WHERE name = 'a'") != nil)
    }

    @Test func executeRejectsWrongArgumentCount() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        try database.execute("CREATE TABLE a (x, y)")

        let error = try #require(throws: SQLiteError.self) {
            try database.execute("INSERT INTO a VALUES (?, ?)", 1)
        }

        #expect(error.resultCode == 21)  // SQLITE_MISUSE
        #expect(error.message == "the statement has 2 parameters, but 1 arguments were given")
    }

    @Test func changesAndLastInsertRowID() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        try database.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, x)")

        try database.execute("INSERT INTO a (x) VALUES (?)", 10)
        try database.execute("INSERT INTO a (x) VALUES (?)", 20)
        #expect(database.lastInsertRowID == 2)
        #expect(database.changes == 1)

        try database.execute("UPDATE a SET x = x + 1")
        #expect(database.changes == 2)
    }

    @Test func queryReturnsRowsInOrder() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        try database.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT)")
        for name in ["a", "b", "c"] {
            try database.execute("INSERT INTO a (name) VALUES (?)", name)
        }

        let rows = try database.query("SELECT id, name FROM a WHERE id >= ? ORDER BY id", 2)

        #expect(rows.count == 2)
        #expect(rows.first?.columnNames == ["id", "name"])
        #expect(rows.map { $0["name"] } == [.text("b"), .text("c")])
        #expect(try database.query("SELECT * FROM a WHERE id > 99").isEmpty)
        #expect(try database.queryFirst("SELECT * FROM a WHERE id > 99") == nil)
    }

    @Test func forEachRowStreamsEveryRow() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        try database.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT)")
        try database.transaction {
            for index in 1...1000 {
                try database.execute("INSERT INTO a (name) VALUES (?)", "name \(index)")
            }
        }
        var keptRows: [Row] = []
        var sum = 0

        try database.forEachRow("SELECT id, name FROM a ORDER BY id") { row in
            sum += try row.get("id", as: Int.self)
            if sum == 1 || row[0] == .integer(1000) {
                keptRows.append(row)
            }
        }

        #expect(sum == 500_500)
        // Rows kept by the body must not change when the next row is read.
        #expect(keptRows.map { $0[1] } == [.text("name 1"), .text("name 1000")])
    }

    static let countTo100 =
        "WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < 100) SELECT value FROM n"

    @Test func forEachRowStopsOnBodyError() throws {
        struct Stop: Error {}
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        var seen = 0

        #expect(throws: Stop.self) {
            try database.forEachRow(Self.countTo100) { _ in
                seen += 1
                if seen == 3 {
                    throw Stop()
                }
            }
        }

        #expect(seen == 3)
        #expect(try database.query(Self.countTo100).count == 100)
    }

    @Test func closeIsIdempotent() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        try database.execute("CREATE TABLE a (x)")

        try database.close()
        try database.close()

        #expect(database.isClosed)
        #expect(!database.isInTransaction)
        let error = try #require(throws: SQLiteError.self) {
            try database.query("SELECT * FROM a")
        }
        #expect(error.resultCode == 21)  // SQLITE_MISUSE
        #expect(error.message == "the database is closed")
    }

    @Test func closeInsideRowLoopFailsBusy() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        var closeError: SQLiteError?

        try database.forEachRow("SELECT 1") { _ in
            do {
                try database.close()
            } catch {
                closeError = error as? SQLiteError
            }
        }

        #expect(closeError?.isBusy == true)
        #expect(!database.isClosed)
        #expect(try database.queryFirst("SELECT 1")?[0] == .integer(1))
    }

    @Test func checkIntegrityReadsOk() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        try database.execute("CREATE TABLE a (x UNIQUE)")
        try database.execute("INSERT INTO a VALUES (1)")

        #expect(try database.checkIntegrity() == ["ok"])
    }
}
