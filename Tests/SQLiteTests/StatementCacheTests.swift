@testable import SQLite
import Testing

@Suite struct StatementCacheTests {
    @Test func sameSQLReusesStatement() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        try database.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT)")
        let countBefore = database.statementCache.count

        try database.execute("INSERT INTO a (name) VALUES (?)", "first")
        try database.execute("INSERT INTO a (name) VALUES (?)", "second")
        let first = try database.queryFirst("SELECT name FROM a WHERE id = ?", 1)
        let second = try database.queryFirst("SELECT name FROM a WHERE id = ?", 2)

        #expect(first?[0] == .text("first"))
        #expect(second?[0] == .text("second"))
        #expect(database.statementCache.count == countBefore + 2)
    }

    @Test func bindingsAreClearedAfterUse() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        let sql = "SELECT ?"
        _ = try database.queryFirst(sql, "private value")

        // Stepping the cached statement without binding shows what it still holds.
        let cached = database.statementCache.statement(for: sql)
        let statement = try #require(cached)
        #expect(try statement.step())
        #expect(try statement.value(at: 0) == .null)
        statement.reset()
    }

    @Test func statementWorksAfterFailure() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        try database.execute("CREATE TABLE a (name TEXT UNIQUE)")
        let insert = "INSERT INTO a (name) VALUES (?)"
        try database.execute(insert, "taken")

        #expect(throws: SQLiteError.self) {
            try database.execute(insert, "taken")
        }
        #expect(throws: SQLiteError.self) {
            try database.execute(insert, "first", "second")
        }
        try database.execute(insert, "free")

        #expect(try database.query("SELECT name FROM a ORDER BY name").map { $0[0] } == [.text("free"), .text("taken")])
    }

    @Test func leastRecentlyUsedIsEvicted() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase { $0.statementCacheCapacity = 2 }
        database.statementCache.removeAll()

        _ = try database.query("SELECT 1")
        _ = try database.query("SELECT 2")
        _ = try database.query("SELECT 1")
        _ = try database.query("SELECT 3")

        #expect(database.statementCache.count == 2)
        #expect(database.statementCache.contains("SELECT 1"))
        #expect(!database.statementCache.contains("SELECT 2"))
        #expect(database.statementCache.contains("SELECT 3"))
    }

    @Test func zeroCapacityCachesNothing() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase { $0.statementCacheCapacity = 0 }

        _ = try database.query("SELECT 1")
        _ = try database.query("SELECT 1")

        #expect(database.statementCache.count == 0)
    }

    @Test func nestedQueryOfSameSQL() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        try database.execute("CREATE TABLE a (id INTEGER PRIMARY KEY)")
        for id in 1...3 {
            try database.execute("INSERT INTO a (id) VALUES (?)", id)
        }
        let sql = "SELECT id FROM a WHERE id >= ? ORDER BY id"
        var pairs: [[Int]] = []

        try database.forEachRow(sql, arguments: [1]) { outer in
            let id = try outer.get(0, as: Int.self)
            let inner = try database.query(sql, id).map { try $0.get(0, as: Int.self) }
            pairs.append([id] + inner)
        }

        #expect(pairs == [[1, 1, 2, 3], [2, 2, 3], [3, 3]])
    }

    @Test func evictionDuringRowLoopKeepsStatement() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase { $0.statementCacheCapacity = 1 }
        var ids: [Int] = []

        try database.forEachRow("SELECT value FROM (SELECT 1 AS value UNION ALL SELECT 2)") { row in
            // Each new statement evicts the one the loop is stepping through.
            _ = try database.query("SELECT ?", row[0])
            _ = try database.query("SELECT 'other'")
            ids.append(try row.get(0, as: Int.self))
        }

        #expect(ids == [1, 2])
    }

    @Test func schemaChangeUpdatesColumnNames() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        try database.execute("CREATE TABLE a (id INTEGER)")
        try database.execute("INSERT INTO a VALUES (1)")
        #expect(try database.queryFirst("SELECT * FROM a")?.columnNames == ["id"])

        try database.execute("ALTER TABLE a ADD COLUMN name TEXT DEFAULT 'x'")
        let row = try #require(try database.queryFirst("SELECT * FROM a"))

        #expect(row.columnNames == ["id", "name"])
        #expect(row["name"] == .text("x"))
    }
}
