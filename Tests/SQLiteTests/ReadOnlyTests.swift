import Foundation
import SQLite
import Testing

@Suite struct ReadOnlyTests {
    private func makeDatabase(_ folder: TemporaryFolder, _ name: String = "test.sqlite") throws {
        let database = try folder.openDatabase(name)
        try database.execute("CREATE TABLE entry (id INTEGER)")
        try database.execute("INSERT INTO entry VALUES (1)")
        try database.close()
    }

    @Test func readOnlyConnectionRejectsWrites() throws {
        let folder = try TemporaryFolder()
        try makeDatabase(folder)
        let database = try folder.openDatabase { $0.readOnly = true }

        let error = try #require(throws: SQLiteError.self) {
            try database.execute("INSERT INTO entry VALUES (2)")
        }

        #expect(error.isReadOnly)
        #expect(database.isReadOnly)
        #expect(try database.queryFirst("SELECT count(*) FROM entry")?[0] == .integer(1))
    }

    @Test func readOnlyOpenOfMissingFileFails() throws {
        let folder = try TemporaryFolder()

        let error = try #require(throws: SQLiteError.self) {
            try folder.openDatabase("missing.sqlite") { $0.readOnly = true }
        }

        #expect(error.isCannotOpen)
        #expect(!FileManager.default.fileExists(atPath: folder.file("missing.sqlite")))
    }

    @Test func readOnlyConnectionReadsWhileWriterIsOpen() throws {
        let folder = try TemporaryFolder()
        let writer = try folder.openDatabase()
        try writer.execute("CREATE TABLE entry (id INTEGER)")
        let reader = try folder.openDatabase { $0.readOnly = true }

        try writer.execute("INSERT INTO entry VALUES (1)")

        #expect(try reader.pragma("journal_mode") == .text("wal"))
        #expect(try reader.queryFirst("SELECT count(*) FROM entry")?[0] == .integer(1))
    }

    /// A file without write permission: a non-root user gets a read-only connection and
    /// `isReadOnly` on write. Root bypasses file permissions, so as root the write succeeds;
    /// only `readOnly` in the configuration protects a file from a process running as root.
    @Test func fileWithoutWritePermission() throws {
        let folder = try TemporaryFolder()
        try makeDatabase(folder)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: folder.file("test.sqlite"))

        if getuid() == 0 {
            let database = try folder.openDatabase()
            try database.execute("INSERT INTO entry VALUES (2)")
            #expect(!database.isReadOnly)
            #expect(try database.queryFirst("SELECT count(*) FROM entry")?[0] == .integer(2))
        } else {
            let error = try #require(throws: SQLiteError.self) {
                let database = try folder.openDatabase()
                try database.execute("INSERT INTO entry VALUES (2)")
            }
            #expect(error.isReadOnly)
        }

        let readOnly = try folder.openDatabase { $0.readOnly = true }
        let error = try #require(throws: SQLiteError.self) {
            try readOnly.execute("INSERT INTO entry VALUES (3)")
        }
        #expect(error.isReadOnly)
    }
}

/// Read-only WAL databases in a folder the process cannot write. Root bypasses file
/// permissions, so these run only under another user.
@Suite(.enabled(if: getuid() != 0, "root can write any folder"))
struct ReadOnlyFolderTests {
    @Test func walWithoutSharedMemoryFileFailsAtOpen() throws {
        let folder = try TemporaryFolder()
        let writer = try folder.openDatabase()
        try writer.execute("CREATE TABLE entry (id INTEGER)")
        try writer.close()
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path) }

        let error = try #require(throws: SQLiteError.self) {
            try folder.openDatabase { $0.readOnly = true }
        }

        #expect(error.isReadOnly)
        #expect(error.extendedResultCode == 1544)  // SQLITE_READONLY_DIRECTORY
    }

    @Test func walWithOpenWriterIsReadable() throws {
        let folder = try TemporaryFolder()
        let writer = try folder.openDatabase()
        try writer.execute("CREATE TABLE entry (id INTEGER)")
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path) }

        let reader = try folder.openDatabase { $0.readOnly = true }
        try writer.execute("INSERT INTO entry VALUES (1)")

        #expect(try reader.queryFirst("SELECT count(*) FROM entry")?[0] == .integer(1))
    }
}
