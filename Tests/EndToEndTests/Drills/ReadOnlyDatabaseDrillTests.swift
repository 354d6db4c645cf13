import Foundation
import Testing

/// A database file or folder without write permission: the worker refuses to start consuming,
/// names what is read-only, and exits 74. The tests run as root, which passes every permission
/// check of the kernel, so this also shows that the store checks the mode bits itself.
@Suite struct ReadOnlyDatabaseDrillTests {
    enum Target: String, CaseIterable, CustomTestStringConvertible {
        /// `chmod 444` on the database file.
        case file
        /// `chmod 555` on its folder, which must take the `-wal` and `-shm` files.
        case folder

        var testDescription: String { rawValue }
    }

    @Test(arguments: Target.allCases)
    func readOnlyStopsWorker(_ target: Target) throws {
        let root = try Paths.temporaryFolder("drill-read-only")
        let folder = root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let database = folder.appendingPathComponent("tally.sqlite").path
        try DrillCustomers.makeDatabase(at: database, total: 10)
        defer {
            chmod(folder.path, 0o755)
            chmod(database, 0o644)
            try? FileManager.default.removeItem(at: root)
        }

        let readOnlyPath = target == .file ? database : folder.path
        #expect(chmod(readOnlyPath, target == .file ? 0o444 : 0o555) == 0)

        let worker = try DrillWorker(url: try DrillBroker.url, database: database, workerID: "d12-\(target)", folder: root)
        let status = worker.waitForExit(timeout: .seconds(20))

        #expect(status == 74)
        let refusal = worker.logLines(containing: "Error:").joined(separator: "\n")
        #expect(refusal.contains(readOnlyPath), "the error names \(readOnlyPath): \(refusal)")
        #expect(refusal.contains("read-only"), "the error says read-only: \(refusal)")
        #expect(!refusal.contains("locked"))
        #expect(!worker.log.contains("msg=consuming"))
        #expect(!worker.log.contains("msg=connected"))
    }
}
