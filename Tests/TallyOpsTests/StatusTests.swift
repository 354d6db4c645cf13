import AMQPClient
import Foundation
import Testing
import TallyCore
@testable import TallyOps
import TallyStore

/// `tallyctl status` against a real broker and a real database file.
@Suite struct StatusTests {
    @Test func statusReadsManagementAPI() async throws {
        try await withFixture("status-mgmt") { fixture in
            try fixture.publish(routingKey: "issue.create", body: Commands.createIssue(1), messageID: "status-1")

            let result = await fixture.run(["status", "--json"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
            let broker = try #require(json["broker"] as? [String: Any])
            let queues = try #require(json["queues"] as? [[String: Any]])

            #expect(result.exitCode == 0, "\(result.error)")
            #expect(broker["source"] as? String == "management")
            #expect((broker["missing_figures"] as? [Any])?.isEmpty == true)
            let names = queues.compactMap { $0["name"] as? String }
            #expect(names == ["tally.commands", "tally.retry.1s", "tally.retry.5s", "tally.retry.30s", "tally.dead", "billing.redemptions", "tracker.results"])
            let commands = try #require(queues.first { $0["name"] as? String == "tally.commands" })
            #expect(commands["unacknowledged"] as? Int == 0)
            #expect(commands["publish_rate"] != nil)
        }
    }

    /// Without the example consumer queues, status lists the queues billing bound instead
    /// and does not report the example queues missing.
    @Test func statusWithoutExampleQueues() async throws {
        try await withFixture("status-noexample", exampleQueues: false) { fixture in
            let connection = try fixture.connect()
            defer { connection.close() }
            let channel = try connection.openChannel()
            for queue in ["billing.redemptions", "tracker.results"] {
                #expect(throws: AMQPError.self, "\(queue) was declared") {
                    try connection.openChannel().declareQueue(queue, durable: true, passive: true)
                }
            }
            let unbound = await fixture.run(["status", "--json"])
            let unboundJSON = try #require(try JSONSerialization.jsonObject(with: Data(unbound.output.utf8)) as? [String: Any])
            #expect(unboundJSON["unrouted_result_keys"] as? [String] == ResultKind.allCases.map(\.rawValue))
            #expect(unbound.output.contains("'tallyctl topology apply' declares the example queues"), "\(unbound.output)")

            // With --no-example-queues, status neither lists the example queues as missing nor
            // offers to declare them, with or without the management API.
            let noExampleQueues = await fixture.run(["status", "--check"], extra: ["TALLY_NO_EXAMPLE_QUEUES": "1"])
            #expect(!noExampleQueues.output.contains("billing.redemptions"), "\(noExampleQueues.output)")
            #expect(noExampleQueues.output.contains("see 'Binding your own queue' in docs/INTEGRATION.md"), "\(noExampleQueues.output)")
            #expect(!noExampleQueues.output.contains("topology apply"), "\(noExampleQueues.output)")
            let withoutManagement = await fixture.run(
                ["status", "--check", "--management-url", "http://127.0.0.1:1"], extra: ["TALLY_NO_EXAMPLE_QUEUES": "1"])
            #expect(!withoutManagement.output.contains("does not exist"), "\(withoutManagement.output)")
            #expect(withoutManagement.output.contains("the result keys no queue takes"), "\(withoutManagement.output)")

            try channel.declareQueue("billing.invoices", durable: true)
            try channel.bindQueue("billing.invoices", exchange: "tally.results", routingKey: "incident.redeemed")

            let result = await fixture.run(["status", "--json"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
            let queues = try #require(json["queues"] as? [[String: Any]])
            let names = queues.compactMap { $0["name"] as? String }
            #expect(names == ["tally.commands", "tally.retry.1s", "tally.retry.5s", "tally.retry.30s", "tally.dead", "billing.invoices"])
            #expect(!result.output.contains("does not exist"), "\(result.output)")
            #expect(json["unrouted_result_keys"] as? [String] == ["issue.accepted", "issue.rejected", "incident.unredeemed", "incident.rejected", "quota.low"])
        }
    }

    @Test func unroutedKeysFollowTopicBindings() {
        func bindings(_ keys: [String]) -> [[String: Any]] {
            keys.map { ["destination": "q", "destination_type": "queue", "routing_key": $0] }
        }

        #expect(StatusCollector.unroutedResultKeys([]) == ResultKind.allCases.map(\.rawValue))
        #expect(StatusCollector.unroutedResultKeys(bindings(["#"])) == [])
        #expect(StatusCollector.unroutedResultKeys(bindings(["incident.*", "issue.accepted"])) == ["issue.rejected", "quota.low"])
        #expect(StatusCollector.unroutedResultKeys([["destination": "audit", "destination_type": "exchange", "routing_key": "*.low"]])
            == ["issue.accepted", "issue.rejected", "incident.redeemed", "incident.unredeemed", "incident.rejected"])
    }

    @Test func statusFallsBackWithoutManagement() async throws {
        try await withFixture("status-fallback") { fixture in
            try fixture.publish(routingKey: "issue.create", body: Commands.createIssue(1), messageID: "fallback-1")
            try fixture.publish(routingKey: "issue.create", body: Commands.createIssue(2), messageID: "fallback-2")

            // Port 1 on loopback is closed: nothing of ours listens there.
            let table = await fixture.run(["status", "--management-url", "http://127.0.0.1:1"])
            let json = await fixture.run(["status", "--management-url", "http://127.0.0.1:1", "--json"])
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
            let broker = try #require(parsed["broker"] as? [String: Any])
            let queues = try #require(parsed["queues"] as? [[String: Any]])
            let commands = try #require(queues.first { $0["name"] as? String == "tally.commands" })

            #expect(table.exitCode == 0, "\(table.error)")
            #expect(table.output.contains("counts from AMQP passive declares only"))
            #expect(table.output.contains("Management API not used: the management API did not respond"))
            #expect(table.output.contains("Missing without it: unacknowledged counts, publish, deliver and ack rates"))
            #expect(broker["source"] as? String == "amqp")
            #expect(broker["missing_figures"] as? [String] == ["unacknowledged", "publish_rate", "deliver_rate", "ack_rate", "consumer_names", "result_bindings"])
            #expect(commands["ready"] as? Int == 2)
            #expect(commands["unacknowledged"] == nil)
            #expect(commands["publish_rate"] == nil)
        }
    }

    @Test func statusShowsWorkerAndHealth() async throws {
        try await withFixture("status-worker") { fixture in
            let worker = try fixture.startWorker("status-w1")
            #expect(worker.waitForLog("msg=consuming"))
            try fixture.publish(routingKey: "issue.create", body: Commands.createIssue(7), messageID: "worker-1")
            let processed = eventually(timeout: .seconds(20)) { ((try? fixture.messageCount("tracker.results")) ?? 0) == 1 }
            #expect(processed)

            // The worker writes its heartbeat every 5 s.
            var result = await fixture.run(["status"])
            for _ in 0..<40 where !result.output.contains("Workers  1 alive of 1") {
                try await Task.sleep(for: .milliseconds(500))
                result = await fixture.run(["status"])
            }
            let check = await fixture.run(["status", "--check"])

            #expect(result.exitCode == 0, "\(result.error)")
            #expect(result.output.contains("Workers  1 alive of 1"), "\(result.output)")
            #expect(result.output.contains("status-w1"))
            #expect(result.output.contains("Inbox   1 message ids"))
            #expect(check.exitCode == 0, "\(check.output)")
            #expect(check.output.contains("Health  OK"))
        }
    }

    @Test func idleWorkerWithFreshHeartbeatIsAlive() async throws {
        try await withFixture("status-idle") { fixture in
            let store = try fixture.openStore()
            try store.write { transaction in
                try transaction.recordHeartbeat(WorkerHeartbeat(
                    workerID: "idle", pid: 4242, host: "elsewhere.example", startedAt: Date(timeIntervalSinceNow: -7200),
                    lastActivityAt: Date(timeIntervalSinceNow: -3600), state: "consuming"))
            }
            store.close()

            let result = await fixture.run(["status"])

            #expect(result.output.contains("Workers  1 alive of 1"), "\(result.output)")
            #expect(result.output.contains("alive (heartbeat)"), "\(result.output)")
        }
    }

    /// A worker that has just started consuming is alive at once: its first heartbeat does not
    /// wait for the housekeeping interval.
    @Test func startedWorkerIsAliveAtOnce() async throws {
        try await withFixture("status-started") { fixture in
            let worker = try fixture.startWorker("started-w1")
            #expect(worker.waitForLog("msg=consuming"))

            let result = await fixture.run(["status", "--check"])

            #expect(result.output.contains("Workers  1 alive of 1"), "\(result.output)")
            #expect(!result.output.contains("no live worker"), "\(result.output)")
        }
    }

    @Test func statusCheckCriticalWithoutWorker() async throws {
        try await withFixture("status-noworker") { fixture in
            let store = try fixture.openStore()
            try store.write { transaction in
                try transaction.recordHeartbeat(WorkerHeartbeat(
                    workerID: "gone", pid: 4242, host: "elsewhere.example", startedAt: Date(timeIntervalSinceNow: -7200),
                    lastActivityAt: Date(timeIntervalSinceNow: -3600), state: "consuming",
                    recordedAt: Date(timeIntervalSinceNow: -3600)))
            }
            store.close()

            let result = await fixture.run(["status", "--check"])
            let lenient = await fixture.run(["status", "--check", "--stale-after", "2h"])

            #expect(result.exitCode == 2)
            #expect(result.output.contains("warning: worker gone on elsewhere.example is stale"))
            #expect(result.output.contains("critical: no live worker"))
            #expect(lenient.exitCode == 0, "\(lenient.output)")
        }
    }

    @Test func statusShowsOutboxBacklog() async throws {
        // A result that no queue takes stays in the outbox; status must show the backlog.
        try await withFixture("status-outbox") { fixture in
            let store = try fixture.openStore()
            _ = try store.write { transaction in
                try transaction.enqueueOutbox(OutboxMessage(
                    exchange: "tally.results", routingKey: "nowhere.bound", messageID: "stuck-1", body: Array("{}".utf8),
                    createdAt: Date(timeIntervalSinceNow: -300), attempts: 4, lastError: "returned unroutable: 312 NO_ROUTE"))
            }
            store.close()

            let result = await fixture.run(["status", "--json"])
            let table = await fixture.run(["status", "--check"])
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
            let database = try #require(parsed["database"] as? [String: Any])

            #expect(database["outbox_count"] as? Int == 1)
            #expect(((database["outbox_oldest_age_seconds"] as? Double) ?? 0) >= 299)
            #expect(table.output.contains("Outbox  1 waiting, oldest 5 min"))
            #expect(table.output.contains("warning: the oldest outbox entry waits for 5 min"))
        }
    }

    @Test func statusShowsUnroutableResults() async throws {
        try await withFixture("status-unroutable") { fixture in
            // Without tracker.results, the worker's issue.accepted result matches no queue. The
            // worker declares the topology when it starts, so the queue goes after that.
            let worker = try fixture.startWorker("unroutable-w1")
            #expect(worker.waitForLog("msg=consuming"))
            let connection = try fixture.connect()
            try connection.openChannel().deleteQueue("tracker.results")
            connection.close()
            try fixture.publish(routingKey: "issue.create", body: Commands.createIssue(8), messageID: "unroutable-8")
            #expect(worker.waitForLog("result unroutable; kept in outbox"))

            let result = await fixture.run(["status", "--json"])
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
            let database = try #require(parsed["database"] as? [String: Any])
            let queues = try #require(parsed["queues"] as? [[String: Any]])
            let table = await fixture.run(["status"])

            #expect(database["outbox_count"] as? Int == 1)
            #expect(queues.first { $0["name"] as? String == "tracker.results" }?["exists"] as? Bool == false)
            #expect(parsed["unrouted_result_keys"] as? [String] == ["issue.accepted", "issue.rejected", "incident.rejected", "quota.low"])
            #expect(table.output.contains("Outbox  1 waiting, oldest"))
            #expect(table.output.contains("tracker.results      results       missing"))
            #expect(table.output.contains("no queue is bound to tally.results for issue.accepted, issue.rejected, incident.rejected, quota.low"), "\(table.output)")
            #expect(!table.output.contains("queue tracker.results does not exist"), "\(table.output)")
        }
    }

    @Test func statusCountsDeadLettersByReason() async throws {
        try await withFixture("status-dead") { fixture in
            try fixture.publish(routingKey: "issue.create", body: Commands.createIssue(1), messageID: "reject-1")
            #expect(try fixture.rejectOne(from: "tally.commands"))

            let result = await fixture.run(["status", "--check"])
            let metrics = await fixture.run(["metrics"])

            #expect(result.output.contains("Dead letters  1"))
            #expect(result.output.contains("broker:rejected"))
            #expect(result.output.contains("warning: 1 dead letters in tally.dead"))
            #expect(try fixture.settledCount("tally.dead", expecting: 1) == 1)
            #expect(metrics.output.contains("tally_dead_letters_by_reason{reason=\"broker:rejected\"} 1"))
        }
    }

    @Test func statusReportsWrongPassword() async throws {
        try await withFixture("status-password", customers: false) { fixture in
            let wrong = OpsTestBroker.urlString(fixture.url, password: "not-the-password")

            let result = await fixture.run(["status"], extra: ["TALLY_AMQP_URL": wrong])
            let check = await fixture.run(["status", "--check"], extra: ["TALLY_AMQP_URL": wrong])

            #expect(result.exitCode == 3)
            #expect(result.error.contains("refused the login of user '\(fixture.url.user)' (virtual host '\(fixture.url.virtualHost)')"), "\(result.error)")
            #expect(!result.error.contains("not-the-password"))
            #expect(!result.output.contains("not-the-password"))
            #expect(check.exitCode == 2)
        }
    }

    @Test func statusReportsManagementRefusal() async throws {
        try await withFixture("status-notag") { fixture in
            // A user with AMQP permissions but no management tag: the API refuses it.
            let user = "ops-notag-\(UUID().uuidString.prefix(8).lowercased())"
            let body = ["password": "notag-secret", "tags": ""]
            try await OpsTestBroker.management("PUT", "/api/users/\(user)", body: body)
            try await OpsTestBroker.grant(user: user, virtualHost: fixture.url.virtualHost)
            var url = fixture.url
            url.user = user

            let started = ContinuousClock.now
            let result = await fixture.run(["status"], extra: ["TALLY_AMQP_URL": OpsTestBroker.urlString(url, password: "notag-secret")])
            let elapsed = ContinuousClock.now - started
            try await OpsTestBroker.management("DELETE", "/api/users/\(user)", body: nil)

            #expect(result.exitCode == 0, "\(result.error)")
            #expect(result.output.contains("counts from AMQP passive declares only"))
            #expect(result.output.contains("the management API refused user '\(user)' for virtual host '\(fixture.url.virtualHost)' (HTTP 401)"), "\(result.output)")
            // FoundationNetworking used to wait for its 60 s request timeout on a 401; anything
            // well below that shows the challenge is cancelled, also on a loaded machine.
            #expect(elapsed < .seconds(30))
        }
    }

    @Test func statusReportsRevokedPermission() async throws {
        try await withFixture("status-revoked", customers: false) { fixture in
            try await OpsTestBroker.revoke(user: fixture.url.user, virtualHost: fixture.url.virtualHost)

            let result = await fixture.run(["status"])

            #expect(result.exitCode == 3)
            #expect(result.error.contains("refused user '\(fixture.url.user)' access to virtual host '\(fixture.url.virtualHost)'"), "\(result.error)")
            #expect(result.output.contains("Unavailable:"))
        }
    }

    @Test func statusReportsUnreachableBroker() async throws {
        let folder = try temporaryFolder("status-down")
        defer { try? FileManager.default.removeItem(at: folder) }

        let result = await tallyctl(["status", "--database", folder.appendingPathComponent("none.sqlite").path], environment: [
            "TALLY_AMQP_URL": "amqp://guest:guest@127.0.0.1:1/%2F", "TALLY_MANAGEMENT_URL": "http://127.0.0.1:1",
        ])

        #expect(result.exitCode == 3)
        #expect(result.error.contains("cannot connect to the broker at 127.0.0.1:1"))
        #expect(result.error.split(separator: "\n").count == 1)
    }

    @Test func statusReportsReadOnlyFolder() async throws {
        try await withFixture("status-readonly") { fixture in
            #expect(chmod(fixture.folder.path, 0o555) == 0)

            let result = await fixture.run(["status"])
            chmod(fixture.folder.path, 0o755)

            #expect(result.exitCode == 4)
            #expect(result.error.contains("the database folder \(fixture.folder.path) is read-only"), "\(result.error)")
            #expect(!result.error.contains("locked"))
        }
    }

    @Test func statusReportsReadOnlyFile() async throws {
        try await withFixture("status-readonly-file") { fixture in
            #expect(chmod(fixture.databasePath, 0o444) == 0)

            let result = await fixture.run(["status"])
            chmod(fixture.databasePath, 0o644)

            #expect(result.exitCode == 4)
            #expect(result.error.contains("the database file \(fixture.databasePath) is read-only"), "\(result.error)")
            #expect(!result.error.contains("locked"))
        }
    }

    @Test func statusWatchRefreshes() async throws {
        try await withFixture("status-watch") { fixture in
            let output = fixture.folder.appendingPathComponent("watch.out")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            let handle = try FileHandle(forWritingTo: output)
            let process = Process()
            process.executableURL = executable("tallyctl")
            process.arguments = ["status", "--watch", "1"]
            process.environment = ProcessInfo.processInfo.environment.merging(fixture.environment) { _, new in new }
            process.standardOutput = handle
            process.standardError = FileHandle.nullDevice
            try process.run()

            let refreshed = eventually(timeout: .seconds(15)) {
                let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
                return text.components(separatedBy: "Health  ").count >= 3
            }
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
            try handle.close()

            #expect(refreshed)
        }
    }

    @Test func statusReportsMissingDatabase() async throws {
        try await withFixture("status-missing", customers: false) { fixture in

            let result = await fixture.run(["status"])

            #expect(result.exitCode == 4)
            #expect(result.error == "Error: the database file \(fixture.databasePath) does not exist: check --database (TALLY_DATABASE) or the 'database' key of the configuration file\n")
        }
    }
}
