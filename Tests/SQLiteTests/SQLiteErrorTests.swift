import CSQLite
import SQLite
import Testing

@Suite struct SQLiteErrorTests {
    @Test func constraintErrorCarriesContext() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        try database.execute("CREATE TABLE customer (email TEXT UNIQUE)")
        try database.execute("INSERT INTO customer (email) VALUES (?)", "a@example.com")

        let error = try #require(throws: SQLiteError.self) {
            try database.execute("INSERT INTO customer (email) VALUES (?)", "a@example.com")
        }

        #expect(error.resultCode == SQLITE_CONSTRAINT)
        #expect(error.extendedResultCode == 2067)  // SQLITE_CONSTRAINT_UNIQUE
        #expect(error.isConstraintViolation)
        #expect(error.message == "UNIQUE constraint failed: customer.email")
        #expect(error.sql == "INSERT INTO customer (email) VALUES (?)")
        #expect(error.path == folder.file("test.sqlite"))
    }

    @Test func syntaxErrorCarriesSQL() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()

        let error = try #require(throws: SQLiteError.self) {
            try database.query("SELEC 1")
        }

        #expect(error.resultCode == SQLITE_ERROR)
        #expect(error.message == "near \"SELEC\": syntax error")
        #expect(error.sql == "SELEC 1")
    }

    static let failingStatements: [(schema: String, sql: String)] = [
        ("CREATE TABLE t (v TEXT UNIQUE); INSERT INTO t VALUES ('SECRET-4711')", "INSERT INTO t VALUES (?)"),
        ("CREATE TABLE t (v TEXT CHECK (length(v) < 5))", "INSERT INTO t VALUES (?)"),
        ("CREATE TABLE t (v INTEGER) STRICT", "INSERT INTO t VALUES (?)"),
        ("CREATE TABLE t (v TEXT NOT NULL)", "INSERT INTO t VALUES (?) RETURNING nosuchcolumn"),
        ("CREATE TABLE t (v TEXT)", "SELECT CAST(? AS INTEGER) FROM missing_table"),
    ]

    @Test(arguments: failingStatements)
    func errorNeverContainsBoundValues(schema: String, sql: String) throws {
        let secret = "SECRET-4711"
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        try database.executeScript(schema)

        let error = try #require(throws: SQLiteError.self) {
            try database.execute(sql, secret)
        }

        #expect(error.sql == sql)
        #expect(!error.description.contains(secret))
        #expect(!error.message.contains(secret))
        #expect(!String(reflecting: error).contains(secret))
    }

    @Test func descriptionIsOneLine() {
        let error = SQLiteError(
            extendedResultCode: SQLITE_BUSY, message: "database is locked", sql: "BEGIN IMMEDIATE",
            path: "/data/db.sqlite")

        #expect(error.description
            == "SQLite error 5 (SQLITE_BUSY): database is locked, in 'BEGIN IMMEDIATE' on /data/db.sqlite")
    }

    @Test func descriptionShowsExtendedCode() {
        let error = SQLiteError(extendedResultCode: 2067, message: "UNIQUE constraint failed: t.v")

        #expect(error.description
            == "SQLite error 19 (SQLITE_CONSTRAINT, extended code 2067): UNIQUE constraint failed: t.v")
    }

    struct Classification: Sendable, CustomStringConvertible {
        let code: Int32
        let isBusy: Bool
        let isDiskFull: Bool
        let isReadOnly: Bool
        let isConstraintViolation: Bool
        let isCannotOpen: Bool

        var description: String { "code \(code)" }
    }

    static let classifications: [Classification] = [
        Classification(code: SQLITE_BUSY, isBusy: true, isDiskFull: false, isReadOnly: false, isConstraintViolation: false, isCannotOpen: false),
        Classification(code: 517, isBusy: true, isDiskFull: false, isReadOnly: false, isConstraintViolation: false, isCannotOpen: false),  // SQLITE_BUSY_SNAPSHOT
        Classification(code: SQLITE_LOCKED, isBusy: true, isDiskFull: false, isReadOnly: false, isConstraintViolation: false, isCannotOpen: false),
        Classification(code: SQLITE_FULL, isBusy: false, isDiskFull: true, isReadOnly: false, isConstraintViolation: false, isCannotOpen: false),
        Classification(code: SQLITE_READONLY, isBusy: false, isDiskFull: false, isReadOnly: true, isConstraintViolation: false, isCannotOpen: false),
        Classification(code: 1032, isBusy: false, isDiskFull: false, isReadOnly: true, isConstraintViolation: false, isCannotOpen: false),  // SQLITE_READONLY_DBMOVED
        Classification(code: 787, isBusy: false, isDiskFull: false, isReadOnly: false, isConstraintViolation: true, isCannotOpen: false),  // SQLITE_CONSTRAINT_FOREIGNKEY
        Classification(code: SQLITE_CANTOPEN, isBusy: false, isDiskFull: false, isReadOnly: false, isConstraintViolation: false, isCannotOpen: true),
        Classification(code: SQLITE_IOERR, isBusy: false, isDiskFull: false, isReadOnly: false, isConstraintViolation: false, isCannotOpen: false),
    ]

    @Test(arguments: classifications)
    func classifiesResultCodes(_ expected: Classification) {
        let error = SQLiteError(extendedResultCode: expected.code, message: "test")

        #expect(error.resultCode == expected.code & 0xff)
        #expect(error.isBusy == expected.isBusy)
        #expect(error.isDiskFull == expected.isDiskFull)
        #expect(error.isReadOnly == expected.isReadOnly)
        #expect(error.isConstraintViolation == expected.isConstraintViolation)
        #expect(error.isCannotOpen == expected.isCannotOpen)
    }

    @Test func fullDatabaseIsDiskFull() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        try database.execute("CREATE TABLE a (payload BLOB)")
        // A page limit makes SQLite report SQLITE_FULL as it would on a full disk.
        _ = try database.query("PRAGMA max_page_count = 10")

        let error = try #require(throws: SQLiteError.self) {
            try database.transaction {
                for _ in 0..<100 {
                    try database.execute("INSERT INTO a VALUES (?)", [UInt8](repeating: 7, count: 4000))
                }
            }
        }

        #expect(error.isDiskFull)
        #expect(!database.isInTransaction)
        #expect(try database.queryFirst("SELECT count(*) FROM a")?[0] == .integer(0))
    }
}
