@testable import SQLite
import Synchronization
import Testing

@Suite struct BackupTests {
    @Test func backupCopiesRows() throws {
        let folder = try TemporaryFolder()
        let source = try folder.openDatabase("source.sqlite")
        try source.execute("CREATE TABLE entry (id INTEGER PRIMARY KEY, payload BLOB)")
        try source.transaction {
            for _ in 0..<200 {
                try source.execute("INSERT INTO entry (payload) VALUES (?)", [UInt8](repeating: 1, count: 1000))
            }
        }

        try source.backup(to: folder.file("copy.sqlite"))

        let copy = try folder.openDatabase("copy.sqlite") { $0.readOnly = true }
        #expect(try copy.checkIntegrity() == ["ok"])
        #expect(try copy.queryFirst("SELECT count(*) FROM entry")?[0] == .integer(200))
        #expect(try copy.pragma("journal_mode") == .text("wal"))
    }

    @Test func backupOntoItselfIsRejected() throws {
        let folder = try TemporaryFolder()
        let source = try folder.openDatabase("source.sqlite")

        let error = try #require(throws: SQLiteError.self) {
            try source.backup(to: folder.file("source.sqlite"))
        }

        #expect(error.resultCode == 21)  // SQLITE_MISUSE
    }

    /// Another connection keeps writing while the backup copies one page per step, so the
    /// copy restarts; the result must still be one consistent snapshot.
    @Test func backupIsConsistentWhileAnotherConnectionWrites() async throws {
        let folder = try TemporaryFolder()
        let path = folder.file("source.sqlite")
        let source = try Database(path: path)
        try source.executeScript(
            """
            CREATE TABLE entry (id INTEGER PRIMARY KEY, payload BLOB);
            CREATE TABLE total (id INTEGER PRIMARY KEY, entries INTEGER NOT NULL);
            INSERT INTO total VALUES (1, 0);
            """)
        try source.transaction {
            for _ in 0..<300 {
                try source.execute("INSERT INTO entry (payload) VALUES (?)", [UInt8](repeating: 2, count: 1000))
            }
            try source.execute("UPDATE total SET entries = 300")
        }
        let isWriting = Atomic(true)
        let writesStarted = Atomic(0)

        async let writes: Int = onThread {
            let writer = try Database(path: path)
            var count = 0
            while isWriting.load(ordering: .sequentiallyConsistent) {
                try writer.transaction {
                    try writer.execute("INSERT INTO entry (payload) VALUES (?)", [UInt8](repeating: 3, count: 1000))
                    try writer.execute("UPDATE total SET entries = entries + 1")
                }
                count += 1
                writesStarted.store(count, ordering: .sequentiallyConsistent)
            }
            return count
        }
        while writesStarted.load(ordering: .sequentiallyConsistent) < 5 {
            try await Task.sleep(for: .milliseconds(1))
        }
        try source.backup(to: folder.file("copy.sqlite"), pagesPerStep: 1)
        isWriting.store(false, ordering: .sequentiallyConsistent)
        let writeCount = try await writes

        let copy = try folder.openDatabase("copy.sqlite")
        let entries = try #require(try copy.queryFirst("SELECT count(*) FROM entry")?.get(0, as: Int.self))
        #expect(try copy.checkIntegrity() == ["ok"])
        #expect(entries >= 305)
        #expect(try copy.queryFirst("SELECT entries FROM total")?[0] == .integer(Int64(entries)))
        #expect(try source.queryFirst("SELECT count(*) FROM entry")?[0] == .integer(Int64(300 + writeCount)))
    }

    /// A write by another connection between every two steps restarts the copy. After three
    /// restarts the rest is copied in one step, which must include every committed write.
    @Test(arguments: [
        "INSERT INTO entry (payload) VALUES (zeroblob(1000))",
        "UPDATE entry SET payload = randomblob(1000) WHERE id = 1",
    ])
    func backupFinishesDespiteWritesBetweenSteps(write: String) throws {
        let folder = try TemporaryFolder()
        let path = folder.file("source.sqlite")
        let source = try Database(path: path)
        let writer = try Database(path: path)
        try source.execute("CREATE TABLE entry (id INTEGER PRIMARY KEY, payload BLOB)")
        try source.transaction {
            for _ in 0..<100 {
                try source.execute("INSERT INTO entry (payload) VALUES (?)", [UInt8](repeating: 4, count: 1000))
            }
        }
        var steps = 0

        let restarts = try source.copy(to: folder.file("copy.sqlite"), pagesPerStep: 5) {
            steps += 1
            try writer.execute(write)
        }
        let expectedCount = try source.queryFirst("SELECT count(*) FROM entry")?[0]

        let copy = try folder.openDatabase("copy.sqlite")
        #expect(restarts == 3)
        #expect(try copy.checkIntegrity() == ["ok"])
        #expect(steps >= 3)
        #expect(try copy.queryFirst("SELECT count(*) FROM entry")?[0] == expectedCount)
        #expect(try copy.queryFirst("SELECT payload FROM entry WHERE id = 1")
            == source.queryFirst("SELECT payload FROM entry WHERE id = 1"))
    }
}
