import Foundation
import SQLite
import Synchronization
import Testing

/// Two connections to one file, each on its own thread, as two worker processes would be.
@Suite struct ConcurrencyTests {
    /// Synchronous on purpose: the holder must commit 300 ms after the waiter starts waiting,
    /// and a task on the shared cooperative pool can resume far later than that when other
    /// suites block its threads.
    @Test func waitingWriterSucceedsAfterCommit() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("test.sqlite")
        let holder = try Database(path: path)
        try holder.execute("CREATE TABLE entry (writer TEXT)")
        try holder.execute("BEGIN IMMEDIATE")
        try holder.execute("INSERT INTO entry VALUES ('holder')")
        let isWaiting = Atomic(false)
        let outcome = Mutex<Result<Double, any Error>?>(nil)
        let finished = DispatchSemaphore(value: 0)

        let waiterThread = Thread {
            let result = Result { () throws -> Double in
                // A long busy timeout: this test is about waiting, not about the timeout.
                var configuration = Database.Configuration()
                configuration.busyTimeout = .seconds(60)
                let waiter = try Database(path: path, configuration: configuration)
                isWaiting.store(true, ordering: .sequentiallyConsistent)
                return try measure {
                    try waiter.transaction(.immediate) {
                        try waiter.execute("INSERT INTO entry VALUES ('waiter')")
                    }
                }
            }
            outcome.withLock { $0 = result }
            finished.signal()
        }
        waiterThread.start()
        while !isWaiting.load(ordering: .sequentiallyConsistent) {
            Thread.sleep(forTimeInterval: 0.005)
        }
        Thread.sleep(forTimeInterval: 0.3)
        try holder.execute("COMMIT")
        finished.wait()

        let waited = try #require(outcome.withLock { $0 }).get()
        #expect(waited >= 0.25)
        #expect(try holder.query("SELECT writer FROM entry ORDER BY rowid").map { $0[0] }
            == [.text("holder"), .text("waiter")])
    }

    @Test func writerFailsBusyAfterTimeout() async throws {
        let folder = try TemporaryFolder()
        let path = folder.file("test.sqlite")
        let holder = try Database(path: path)
        try holder.execute("CREATE TABLE entry (writer TEXT)")
        try holder.execute("BEGIN IMMEDIATE")

        let (error, waited) = try await onThread { () -> (SQLiteError?, Double) in
            var configuration = Database.Configuration()
            configuration.busyTimeout = .milliseconds(100)
            let waiter = try Database(path: path, configuration: configuration)
            var caught: SQLiteError?
            let waited = measure {
                do {
                    try waiter.transaction(.immediate) {
                        try waiter.execute("INSERT INTO entry VALUES ('waiter')")
                    }
                } catch {
                    caught = error as? SQLiteError
                }
            }
            return (caught, waited)
        }
        try holder.execute("COMMIT")

        #expect(error?.isBusy == true)
        #expect(error?.sql == "BEGIN IMMEDIATE")
        #expect(waited >= 0.09)
        #expect(try holder.queryFirst("SELECT count(*) FROM entry")?[0] == .integer(0))
    }

    @Test func concurrentIncrementsLoseNoWrite() async throws {
        let folder = try TemporaryFolder()
        let path = folder.file("test.sqlite")
        let setup = try Database(path: path)
        try setup.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
        try setup.execute("INSERT INTO counter VALUES (1, 0)")

        let increment: @Sendable () throws -> Void = {
            let database = try Database(path: path)
            for _ in 0..<500 {
                try database.transaction(.immediate) {
                    let value = try database.queryFirst("SELECT value FROM counter WHERE id = 1")?.get(0, as: Int.self) ?? 0
                    try database.execute("UPDATE counter SET value = ? WHERE id = 1", value + 1)
                }
            }
        }
        async let first: Void = onThread(increment)
        async let second: Void = onThread(increment)
        _ = try await (first, second)

        #expect(try setup.queryFirst("SELECT value FROM counter WHERE id = 1")?[0] == .integer(1000))
    }

    @Test func readerSeesCommittedDataDuringWrite() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("test.sqlite")
        let writer = try Database(path: path)
        let reader = try Database(path: path)
        try writer.execute("CREATE TABLE entry (id INTEGER)")
        try writer.execute("INSERT INTO entry VALUES (1)")

        try writer.transaction {
            try writer.execute("INSERT INTO entry VALUES (2)")
            // In WAL mode the reader is not blocked, and it reads only committed rows.
            #expect(try reader.queryFirst("SELECT count(*) FROM entry")?[0] == .integer(1))
        }

        #expect(try reader.queryFirst("SELECT count(*) FROM entry")?[0] == .integer(2))
    }
}
