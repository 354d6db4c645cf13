import Foundation
import Testing

/// "database is locked" under several writers: four workers share one database file with a
/// process that holds the write lock for 200 ms out of every 400 ms, longer than the workers'
/// busy timeout of 50 ms. A write that cannot get the lock in time is retried and its
/// deliveries stay unacked, so the used count equals the accepted redemptions exactly.
///
/// The drill redeems one incident on each of `issues` issues of one contract whose total is
/// two thirds of that. TALLY_DRILL_LOCKED_ISSUES sets `issues` (default 1,000, so 2,000
/// commands); `ops/chaos` runs it with 20,000.
@Suite struct LockedDatabaseDrillTests {
    static var issues: Int {
        ProcessInfo.processInfo.environment["TALLY_DRILL_LOCKED_ISSUES"].flatMap { Int($0) } ?? 1_000
    }

    @Test func fourWorkersAndLockHolder() async throws {
        let issues = Self.issues
        let total = issues * 2 / 3
        let url = try await DrillBroker.makeVirtualHost("d10")
        let folder = try Paths.temporaryFolder("drill-d10")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("tally.sqlite").path
        try DrillCustomers.makeDatabase(at: database, total: total)

        let workers = try (1...4).map { index in
            try DrillWorker(url: url, database: database, workerID: "d10-\(index)", folder: folder, arguments: ["--busy-timeout", "0.05", "--batch-size", "50"])
        }
        for worker in workers {
            #expect(worker.waitForLog("msg=consuming"), "log: \(worker.log)")
        }
        let locker = Process()
        locker.executableURL = Paths.executable("tally-bench")
        locker.arguments = ["chaos", "lock", "--database", database, "--hold", "0.2", "--pause", "0.2"]
        locker.standardOutput = FileHandle.nullDevice
        try locker.run()
        defer {
            if locker.isRunning { kill(locker.processIdentifier, SIGKILL) }
        }

        // About 200 commands a second on two busy cores, with room to spare.
        let timeout = Duration.seconds(max(240, issues / 25))
        let results = try DrillTap(url: url, queue: "tracker.results")
        try DrillPublisher(url: url).publish((1...issues).map { ("d10-create-\($0)", "issue.create", DrillCommands.createIssue($0).body) })
        #expect(try results.collect(timeout: timeout) { $0.resultIDsByCommand.count >= issues })
        // New connections: one opened before would sit unread past its heartbeat while the
        // issues are created, and the broker would close it.
        let billing = try DrillTap(url: url, queue: "billing.redemptions")
        try DrillPublisher(url: url).publish((1...issues).map { ("d10-redeem-\($0)", "incident.redeem", DrillCommands.redeem($0).body) })

        // Every redeem ends as incident.redeemed (billing) or incident.rejected (the tracker).
        let redeemed = { billing.resultIDsByCommand.keys.filter { $0.hasPrefix("d10-redeem-") }.count }
        let rejected = { results.resultIDsByCommand.keys.filter { $0.hasPrefix("d10-redeem-") }.count }
        let deadline = ContinuousClock.now + timeout
        while redeemed() + rejected() < issues, ContinuousClock.now < deadline {
            try billing.collect(timeout: .milliseconds(200))
            try results.collect(timeout: .milliseconds(200))
        }
        kill(locker.processIdentifier, SIGTERM)
        _ = eventually(timeout: .seconds(10)) { !locker.isRunning }

        #expect(redeemed() == total)
        #expect(rejected() == issues - total)
        #expect(Set(billing.resultIDsByCommand.keys).isDisjoint(with: results.resultIDsByCommand.keys.filter { $0.hasPrefix("d10-redeem-") }))
        for (command, ids) in billing.resultIDsByCommand {
            #expect(ids.count == 1, "one result id for \(command)")
        }

        let used = try DrillDatabase.scalar(database, "SELECT used FROM incident_counts WHERE contract_id = '\(DrillCustomers.contractID)' AND incident_type = 'phone'")
        #expect(used == redeemed())
        #expect(try DrillDatabase.scalar(database, "SELECT count(*) FROM ledger WHERE action = 'redeem'") == redeemed())
        #expect(try DrillDatabase.scalar(database, "SELECT count(*) FROM inbox") == 2 * issues)
        #expect(try DrillDatabase.discrepancies(database).isEmpty)
        #expect(try DrillBroker.readyCount(url, queue: "tally.commands") == 0)
        #expect(try DrillDatabase.scalar(database, "SELECT count(*) FROM worker_heartbeats WHERE worker_id = 'chaos-lock-writer'") == 1)

        let lockedRetries = workers.map { $0.logLines(containing: "failure=locked").count }.reduce(0, +)
        #expect(lockedRetries > 0, "the lock holder made writes wait past the busy timeout")
        for worker in workers {
            #expect(worker.stop() == 0)
            #expect(!worker.log.contains("dead-lettering"))
        }
        await DrillBroker.deleteVirtualHost(url)
    }
}
