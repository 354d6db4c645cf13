import Foundation
import Testing

/// The worker's user loses its permissions on the virtual host while the worker runs, and its
/// connection is closed. Every refused attempt is logged with the user, the virtual host and
/// the refusal, attempts are seconds apart (a few a minute at most), and once the permissions
/// are back the worker consumes again without a restart. The drill uses a user of its own, so
/// the suite's user keeps its access.
@Suite struct RevokedAccessDrillTests {
    @Test func revokedPermissionsThenRestored() async throws {
        let adminURL = try await DrillBroker.makeVirtualHost("d7")
        let (user, password) = try await DrillBroker.makeUser("d7")
        try await DrillBroker.setPermissions(vhost: adminURL.virtualHost, user: user)
        var workerURL = adminURL
        workerURL.user = user
        workerURL.password = password

        let folder = try Paths.temporaryFolder("drill-d7")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("tally.sqlite").path
        try DrillCustomers.makeDatabase(at: database, total: 100)
        let worker = try DrillWorker(url: workerURL, database: database, workerID: "d7", folder: folder)
        #expect(worker.waitForLog("msg=consuming"), "log: \(worker.log)")

        let results = try DrillTap(url: adminURL, queue: "tracker.results")
        let publisher = try DrillPublisher(url: adminURL)
        try publisher.publish((1...5).map { ("d7-before-\($0)", DrillCommands.createIssue($0).routingKey, DrillCommands.createIssue($0).body) })
        #expect(try results.collect(timeout: .seconds(30)) { $0.deliveries.count >= 5 })

        // Revoke, then close the worker's connection so that it must log in again.
        try DrillBroker.ctl(["clear_permissions", "-p", adminURL.virtualHost, user])
        let revokedAt = ContinuousClock.now
        let connections = try DrillBroker.ctl(["list_connections", "-q", "--no-table-headers", "pid", "user"])
        for line in connections.split(separator: "\n") where line.hasSuffix("\t\(user)") {
            let pid = String(line.split(separator: "\t")[0])
            try DrillBroker.ctl(["close_connection", pid, "drill: permissions revoked"])
        }
        try publisher.publish((6...10).map { ("d7-during-\($0)", DrillCommands.createIssue($0).routingKey, DrillCommands.createIssue($0).body) })

        #expect(worker.waitForLog("broker refused the connection", timeout: .seconds(10)))
        // The second refused attempt comes 5 to 10 s after the first; restore after it.
        _ = eventually(timeout: .seconds(12)) { worker.logLines(containing: "broker refused the connection").count >= 2 }
        let refusals = worker.logLines(containing: "broker refused the connection")
        let revokedFor = ContinuousClock.now - revokedAt
        try await DrillBroker.setPermissions(vhost: adminURL.virtualHost, user: user)

        #expect(refusals.count >= 2)
        #expect(Double(refusals.count) <= 1 + revokedFor.seconds / 5, "\(refusals.count) refused attempts in \(revokedFor)")
        for line in refusals {
            #expect(line.contains("user=\(user)"), "the user: \(line)")
            #expect(line.contains("vhost=\(adminURL.virtualHost)"), "the virtual host: \(line)")
            #expect(line.contains("refused"), "the refusal: \(line)")
            let delay = line.split(separator: " ").first { $0.hasPrefix("retry_in_ms=") }.flatMap { Int($0.dropFirst(12)) }
            #expect(delay.map { (5_000...60_000).contains($0) } == true, "a capped delay of seconds: \(line)")
        }
        #expect(!worker.log.contains(password))

        // Resumes by itself: the commands published meanwhile get their results.
        #expect(try results.collect(timeout: .seconds(45)) { $0.deliveries.count >= 10 })
        #expect(Set(results.deliveries.compactMap(\.properties.correlationID)).count == 10)
        #expect(worker.process.isRunning)

        #expect(worker.stop() == 0)
        await DrillBroker.deleteVirtualHost(adminURL)
        await DrillBroker.deleteUser(user)
    }
}

extension Duration {
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
