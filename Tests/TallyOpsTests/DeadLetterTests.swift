import AMQPClient
import Foundation
import Testing
import TallyStore

/// `tallyctl dead` against a real broker: dead letters made by a real worker and by the
/// broker's own dead-lettering.
@Suite struct DeadLetterTests {
    /// Publishes two malformed commands and waits until the worker dead-lettered both.
    private func makeWorkerDeadLetters(_ fixture: OpsFixture) throws {
        let worker = try fixture.startWorker("dead-w1")
        #expect(worker.waitForLog("msg=consuming"))
        try fixture.publish(routingKey: "incident.redeem", body: #"{"issue_id": 1, "incident_type": "phone"}"#, messageID: "bad-field")
        try fixture.publish(routingKey: "incident.refund", body: "{}", messageID: "bad-key")
        let dead = eventually(timeout: .seconds(20)) { ((try? fixture.messageCount("tally.dead")) ?? 0) == 2 }
        #expect(dead)
    }

    @Test func listShowsReasonsAndKeepsLetters() async throws {
        try await withFixture("dead-list", customers: false) { fixture in
            try makeWorkerDeadLetters(fixture)

            let table = await fixture.run(["dead", "list"])
            let json = await fixture.run(["dead", "list", "--json"])
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
            let letters = try #require(parsed["dead_letters"] as? [[String: Any]])

            #expect(table.exitCode == 0, "\(table.error)")
            #expect(table.output.hasPrefix("2 dead letters in tally.dead\n"))
            #expect(table.output.contains("bad-field"))
            #expect(table.output.contains("missing_field"))
            #expect(table.output.contains("requested_at"))
            #expect(table.output.contains(#"{"issue_id": 1, "incident_type": "phone"}"#))
            #expect(letters.count == 2)
            let badKey = try #require(letters.first { $0["id"] as? String == "bad-key" })
            #expect(badKey["reason"] as? String == "unknown_routing_key")
            #expect(badKey["routing_key"] as? String == "incident.refund")
            #expect(badKey["worker"] as? String == "dead-w1")
            #expect(try fixture.settledCount("tally.dead", expecting: 2) == 2)
        }
    }

    @Test func showPrintsHeadersAndBody() async throws {
        try await withFixture("dead-show", customers: false) { fixture in
            try makeWorkerDeadLetters(fixture)

            let result = await fixture.run(["dead", "show", "bad-field"])
            let missing = await fixture.run(["dead", "show", "no-such-id"])

            #expect(result.exitCode == 0, "\(result.error)")
            let lines = result.output.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
            #expect(lines.contains("Replay the copy would be acked by the worker as a duplicate without effect"))
            #expect(lines.contains("Reason missing_field"))
            #expect(lines.contains("Header x-tally-field requested_at"))
            #expect(lines.contains("Routing key incident.redeem"))
            #expect(result.output.contains("Body:\n{\"issue_id\": 1, \"incident_type\": \"phone\"}\n"))
            #expect(missing.exitCode == 1)
            #expect(missing.error.hasPrefix("Error: no dead letter 'no-such-id' among the first 2 in tally.dead"))
        }
    }

    @Test func brokerDeadLetterWithoutIDUsesPosition() async throws {
        try await withFixture("dead-position", customers: false) { fixture in
            try fixture.publish(routingKey: "issue.create", body: Commands.createIssue(1), messageID: nil)
            #expect(try fixture.rejectOne(from: "tally.commands"))
            #expect(eventually(timeout: .seconds(10)) { ((try? fixture.messageCount("tally.dead")) ?? 0) == 1 })

            let list = await fixture.run(["dead", "list", "--json"])
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(list.output.utf8)) as? [String: Any])
            let letter = try #require((parsed["dead_letters"] as? [[String: Any]])?.first)
            let purge = await fixture.run(["dead", "purge", "#1"])

            #expect(letter["id"] as? String == "#1")
            #expect(letter["reason"] as? String == "broker:rejected")
            #expect(letter["broker_queue"] as? String == "tally.commands")
            #expect(letter["routing_key"] as? String == "issue.create")
            #expect(letter["death_count"] as? Int == 1)
            #expect(purge.exitCode == 0, "\(purge.error)")
            #expect(purge.output == "1 dead letters purged from tally.dead\n")
            #expect(try fixture.settledCount("tally.dead", expecting: 0) == 0)
        }
    }

    @Test func listWithoutTopologyNamesFix() async throws {
        let url = try await OpsTestBroker.makeVirtualHost("dead-notopology")

        let result = await tallyctl(["dead", "list"], environment: ["TALLY_AMQP_URL": OpsTestBroker.urlString(url)])
        await OpsTestBroker.deleteVirtualHost(url)

        #expect(result.exitCode == 1)
        #expect(result.error.contains("'tally.dead' failed: it does not exist in virtual host '\(url.virtualHost)'. Run 'tallyctl topology apply'"), "\(result.error)")
    }

    @Test func listShowsBothReasons() async throws {
        try await withFixture("dead-both", customers: false) { fixture in
            // A copy that already carries the worker's reason, dead-lettered again by the broker.
            let connection = try fixture.connect()
            let channel = try connection.openChannel()
            try channel.enableConfirms()
            let properties = MessageProperties(
                contentType: "application/json", headers: ["x-tally-reason": "invalid_field"], persistent: true,
                messageID: "both-1")
            try channel.publish(exchange: "tally.commands", routingKey: "issue.create", body: Array("{}".utf8), properties: properties)
            _ = try channel.waitForConfirms(timeout: .seconds(10))
            connection.close()
            #expect(try fixture.rejectOne(from: "tally.commands"))
            #expect(eventually(timeout: .seconds(10)) { ((try? fixture.messageCount("tally.dead")) ?? 0) == 1 })

            let result = await fixture.run(["dead", "list"])

            #expect(result.output.contains("invalid_field+broker:rejected"), "\(result.output)")
        }
    }

    @Test func purgeRemovesOnlyChosen() async throws {
        try await withFixture("dead-purge", customers: false) { fixture in
            try makeWorkerDeadLetters(fixture)

            let one = await fixture.run(["dead", "purge", "bad-key", "unknown-id"])
            let remaining = try fixture.settledCount("tally.dead", expecting: 1)
            let all = await fixture.run(["dead", "purge", "--all"])

            #expect(one.exitCode == 1)
            #expect(one.output == "1 dead letters purged from tally.dead\n")
            #expect(one.error.contains("no dead letter 'unknown-id'"))
            #expect(remaining == 1)
            #expect(all.exitCode == 0)
            #expect(all.output == "1 dead letters purged from tally.dead\n")
            #expect(try fixture.settledCount("tally.dead", expecting: 0) == 0)
        }
    }

    @Test func replayAllStopsAtLimit() async throws {
        try await withFixture("dead-replay-all", customers: false) { fixture in
            try makeWorkerDeadLetters(fixture)

            let first = await fixture.run(["dead", "replay", "--all", "--limit", "1"])
            let remaining = try fixture.settledCount("tally.dead", expecting: 1)

            #expect(first.exitCode == 0, "\(first.error)")
            #expect(first.output.hasSuffix("1 replayed to tally.commands\n1 more dead letters beyond --limit 1 were not read; run the replay again\n"))
            #expect(remaining == 1)
        }
    }

    @Test func replayOfMalformedIsDuplicate() async throws {
        try await withFixture("dead-replay-dup", customers: false) { fixture in
            try makeWorkerDeadLetters(fixture)

            let result = await fixture.run(["dead", "replay", "bad-field"])
            let acked = eventually(timeout: .seconds(20)) {
                fixture.workers[0].log.contains("duplicate commands acked without effect")
            }

            #expect(result.exitCode == 0, "\(result.error)")
            #expect(result.output == "replayed bad-field\n1 replayed to tally.commands\n")
            #expect(result.error == "warning: the inbox shows that the copy of bad-field will be acked by the worker as a duplicate without effect\n")
            #expect(acked)
            #expect(try fixture.settledCount("tally.dead", expecting: 1) == 1)
        }
    }

    @Test func replaySkipsMadeUpMessageID() async throws {
        try await withFixture("dead-replay-noid", customers: false) { fixture in
            let worker = try fixture.startWorker("noid-w1")
            #expect(worker.waitForLog("msg=consuming"))
            try fixture.publish(routingKey: "issue.create", body: Commands.createIssue(3), messageID: nil)
            #expect(eventually(timeout: .seconds(20)) { ((try? fixture.messageCount("tally.dead")) ?? 0) == 1 })

            let list = await fixture.run(["dead", "list", "--json"])
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(list.output.utf8)) as? [String: Any])
            let letter = try #require((parsed["dead_letters"] as? [[String: Any]])?.first)
            let id = try #require(letter["id"] as? String)
            let skipped = await fixture.run(["dead", "replay", id])
            let remaining = try fixture.settledCount("tally.dead", expecting: 1)
            let forced = await fixture.run(["dead", "replay", id, "--force"])

            #expect(letter["reason"] as? String == "missing_message_id")
            #expect(id.hasPrefix("unidentified-"))
            #expect(skipped.exitCode == 1)
            #expect(skipped.output == "0 replayed to tally.commands\n")
            #expect(skipped.error.contains("its reason is missing_message_id, so its message id was made up by the worker"))
            #expect(remaining == 1)
            #expect(forced.exitCode == 0, "\(forced.error)")
            #expect(forced.output.hasPrefix("replayed \(id)\n"))
        }
    }

    /// A replay that stops between the confirm of its copy and the ack of the dead letter leaves
    /// the dead letter in place. Replaying again publishes a second copy, and the worker
    /// processes the command exactly once.
    @Test func interruptedReplayProcessesOnce() async throws {
        try await withFixture("dead-replay-crash") { fixture in
            try fixture.publish(routingKey: "incident.redeem", body: Commands.redeem(41), messageID: "redeem-41")
            #expect(try fixture.rejectOne(from: "tally.commands"))
            #expect(eventually(timeout: .seconds(10)) { ((try? fixture.messageCount("tally.dead")) ?? 0) == 1 })
            try fixture.publish(routingKey: "issue.create", body: Commands.createIssue(41), messageID: "create-41")

            let crashed = try runTallyctlProcess(
                ["dead", "replay", "redeem-41"], fixture: fixture, extra: ["TALLY_FAULT_EXIT_AFTER_REPLAY_CONFIRM": "1"])
            #expect(crashed == 75)
            #expect(try fixture.settledCount("tally.dead", expecting: 1) == 1)
            #expect(try fixture.settledCount("tally.commands", expecting: 2) == 2)

            let replayed = await fixture.run(["dead", "replay", "redeem-41"])
            #expect(replayed.exitCode == 0, "\(replayed.error)")
            #expect(try fixture.settledCount("tally.dead", expecting: 0) == 0)
            #expect(try fixture.settledCount("tally.commands", expecting: 3) == 3)

            let worker = try fixture.startWorker("replay-w1")
            let drained = eventually(timeout: .seconds(30)) {
                worker.log.contains("duplicate commands acked without effect")
                    && ((try? fixture.messageCount("billing.redemptions")) ?? 0) == 1
            }
            #expect(drained, "\(worker.log)")
            #expect(try fixture.settledCount("tally.commands", expecting: 0) == 0)
            #expect(try fixture.settledCount("billing.redemptions", expecting: 1) == 1)

            let ledger = await fixture.run(["ledger", "--issue", "41", "--json"])
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(ledger.output.utf8)) as? [[String: Any]])
            #expect(rows.count == 1)
            #expect(rows.first?["command_id"] as? String == "redeem-41")
            let verify = await fixture.run(["verify"])
            #expect(verify.exitCode == 0)
        }
    }

    /// Runs the tallyctl executable as a child process and returns its exit status.
    private func runTallyctlProcess(_ arguments: [String], fixture: OpsFixture, extra: [String: String]) throws -> Int32 {
        let process = Process()
        process.executableURL = executable("tallyctl")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(fixture.environment.merging(extra) { _, new in new }) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
