import Foundation
import SQLite
import Testing

/// Disk full: the database lives on a small tmpfs that the drill fills while a worker runs.
/// The worker logs a "disk full" failure naming the database, holds its deliveries unacked and
/// waits (little CPU, no nack loop), acks and publishes nothing for rows it could not write,
/// and once space is freed processes every command once, with a sound database file.
///
/// Mounting needs root (CAP_SYS_ADMIN); where `mount` is refused, the test records an issue
/// that says so rather than passing.
@Suite struct DiskFullDrillTests {
    static let commands = 100

    @Test func diskFullPausesThenRecovers() async throws {
        let root = try Paths.temporaryFolder("drill-d11")
        let mountPoint = root.appendingPathComponent("tmpfs")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        let mount = try DrillProcess.run(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=3m", "tmpfs", mountPoint.path])
        try #require(mount.status == 0, "mounting a tmpfs failed, so the disk-full drill cannot run here: \(mount.output)")
        defer {
            _ = try? DrillProcess.run(URL(fileURLWithPath: "/bin/umount"), [mountPoint.path])
            try? FileManager.default.removeItem(at: root)
        }

        let url = try await DrillBroker.makeVirtualHost("d11")
        let database = mountPoint.appendingPathComponent("tally.sqlite").path
        try DrillCustomers.makeDatabase(at: database, total: 1000)
        try Self.truncateWAL(database)

        let worker = try DrillWorker(url: url, database: database, workerID: "d11", folder: root)
        #expect(worker.waitForLog("msg=consuming"), "log: \(worker.log)")
        let filler = mountPoint.appendingPathComponent("filler")
        let filled = try Self.fill(filler)
        #expect(filled > 0)

        let results = try DrillTap(url: url, queue: "tracker.results")
        try DrillPublisher(url: url).publish((1...Self.commands).map { ("d11-\($0)", "issue.create", DrillCommands.createIssue($0).body) })

        // Full: the failure names the database and reports a full disk, and nothing moves.
        #expect(worker.waitForLog("failure=disk_full", timeout: .seconds(30)), "log: \(worker.log)")
        let failure = worker.logLines(containing: "failure=disk_full").first ?? ""
        #expect(failure.contains("database=\(database)"))
        #expect(failure.contains("disk is full"))
        let cpuBefore = Self.cpuSeconds(worker.process.processIdentifier)
        try results.collect(timeout: .seconds(5))
        let cpuUsed = Self.cpuSeconds(worker.process.processIdentifier) - cpuBefore
        #expect(cpuUsed < 1.5, "a waiting worker uses little CPU; it used \(cpuUsed) s in 5 s")
        #expect(results.deliveries.isEmpty, "no result is published for a row not written")
        let queued = try DrillBroker.ctl(["list_queues", "-p", url.virtualHost, "-q", "--no-table-headers", "name", "messages"])
        #expect(queued.split(separator: "\n").contains { $0.hasPrefix("tally.commands") && $0.hasSuffix("\t\(Self.commands)") }, "no command is acked: \(queued)")
        #expect(worker.process.isRunning)

        // Freed: every command is processed once.
        try FileManager.default.removeItem(at: filler)
        #expect(try results.collect(timeout: .seconds(60)) { $0.resultIDsByCommand.count >= Self.commands })
        #expect(worker.waitForLog("database writable again", timeout: .seconds(10)))
        #expect(worker.stop() == 0)

        #expect(results.resultIDsByCommand.count == Self.commands)
        #expect(results.resultIDsByCommand.values.allSatisfy { $0.count == 1 })
        #expect(try DrillDatabase.scalar(database, "SELECT count(*) FROM issues") == Self.commands)
        #expect(try DrillDatabase.scalar(database, "SELECT count(*) FROM inbox") == Self.commands)
        #expect(try DrillDatabase.scalar(database, "SELECT count(*) FROM outbox") == 0)
        #expect(try DrillDatabase.integrityCheck(database) == "ok")
        #expect(try DrillDatabase.discrepancies(database).isEmpty)
        await DrillBroker.deleteVirtualHost(url)
    }

    /// Empties the write-ahead log, so that the worker's next writes must grow it.
    static func truncateWAL(_ path: String) throws {
        let database = try Database(path: path)
        defer { try? database.close() }
        _ = try database.query("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// Writes to `url` until the file system is full; returns the bytes written.
    static func fill(_ url: URL) throws -> Int {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let descriptor = open(url.path, O_WRONLY)
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 0x55, count: 16 * 1024)
        var written = 0
        while true {
            let count = chunk.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            written += count
        }
        return written
    }

    /// Returns the user and system CPU time of a process in seconds, read from /proc.
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        // After the command name: state is field 3, utime field 14, stime field 15.
        let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
