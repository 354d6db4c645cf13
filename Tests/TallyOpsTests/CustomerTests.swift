import AMQPClient
import Foundation
import Testing
import TallyStore

/// `tallyctl customers`, `quota`, `ledger` and `verify` against real database files.
@Suite struct CustomerTests {
    @Test func exportRoundTripsImport() async throws {
        try await withFixture("customers-export", customers: false) { fixture in
            let document = ExampleData.document(now: Date())
            let file = fixture.folder.appendingPathComponent("in.json")
            try document.jsonData().write(to: file)

            let imported = await fixture.run(["customers", "import", file.path])
            let exported = await fixture.run(["customers", "export"])
            let toFile = await fixture.run(["customers", "export", "--output", fixture.folder.appendingPathComponent("out.json").path])
            let decoded = try CustomerDataDocument.decode(from: Data(exported.output.utf8))
            let written = try CustomerDataDocument.decode(from: Data(contentsOf: fixture.folder.appendingPathComponent("out.json")))

            #expect(imported.exitCode == 0, "\(imported.error)")
            #expect(imported.output == "imported 4 support levels, 3 incident types, 3 customers, 5 contacts, 3 contracts\n")
            #expect(exported.exitCode == 0)
            #expect(toFile.exitCode == 0)
            #expect(decoded == document)
            #expect(written == document)
        }
    }

    @Test func importRejectsInvalidFile() async throws {
        try await withFixture("customers-invalid", customers: false) { fixture in
            let file = fixture.folder.appendingPathComponent("bad.json")
            try Data(#"{"version": 1, "customers": [{"id": "9", "name": "", "contacts": []}]}"#.utf8).write(to: file)

            let result = await fixture.run(["customers", "import", file.path])
            let missing = await fixture.run(["customers", "import", fixture.folder.appendingPathComponent("none.json").path])

            #expect(result.exitCode == 1)
            #expect(result.error.hasPrefix("Error: The customer data is invalid"), "\(result.error)")
            #expect(result.error.contains("$.customers[0].name"))
            #expect(missing.exitCode == 1)
            #expect(missing.error.contains("no such file"))
        }
    }

    @Test func showPrintsCustomer() async throws {
        try await withFixture("customers-show") { fixture in
            let table = await fixture.run(["customers", "show", "1"])
            let json = await fixture.run(["customers", "show", "1", "--json"])
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
            let contracts = try #require(parsed["contracts"] as? [[String: Any]])
            let unknown = await fixture.run(["customers", "show", "999"])

            #expect(table.exitCode == 0, "\(table.error)")
            #expect(table.output.hasPrefix("Customer  1  Bryan's widget factory\n"))
            #expect(table.output.contains("Account managers  admin (primary)"))
            #expect(table.output.contains("Note  Prefers phone support."))
            #expect(table.output.contains("bryan@example.com"))
            #expect(table.output.contains("active"))
            #expect(table.output.contains("Last redemptions\n  none\n"))
            #expect(contracts.first?["status"] as? String == "active")
            #expect((contracts.first?["quotas"] as? [[String: Any]])?.count == 3)
            #expect(unknown.exitCode == 1)
            #expect(unknown.error.hasPrefix("Error: customer '999' not found"))
        }
    }

    @Test func quotaAndLedgerAfterRedeem() async throws {
        try await withFixture("customers-quota") { fixture in
            let worker = try fixture.startWorker("quota-w1")
            #expect(worker.waitForLog("msg=consuming"))
            for (routingKey, body, id) in [
                ("issue.create", Commands.createIssue(11), "create-11"), ("incident.redeem", Commands.redeem(11), "redeem-11"),
                ("incident.redeem", Commands.redeem(11, type: "email"), "redeem-11-email"),
            ] {
                let published = await fixture.run(["publish", routingKey, "--body", body, "--message-id", id])
                #expect(published.exitCode == 0, "\(published.error)")
            }
            #expect(eventually(timeout: .seconds(20)) { ((try? fixture.messageCount("billing.redemptions")) ?? 0) == 2 })

            let quota = await fixture.run(["quota", "1", "--type", "phone", "--json"])
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(quota.output.utf8)) as? [[String: Any]])
            let phone = try #require((parsed.first?["quotas"] as? [[String: Any]])?.first)
            let table = await fixture.run(["quota", "1"])
            let byIssue = await fixture.run(["ledger", "--issue", "11"])
            let byCustomer = await fixture.run(["ledger", "--customer", "1", "--since", "2000-01-01", "--json"])
            let future = await fixture.run(["ledger", "--customer", "1", "--since", "2999-01-01T00:00:00Z", "--json"])
            let unknownCustomer = await fixture.run(["ledger", "--customer", "999"])
            let show = await fixture.run(["customers", "show", "1"])
            let unknownType = await fixture.run(["quota", "1", "--type", "telepathy"])

            #expect(quota.exitCode == 0, "\(quota.error)")
            #expect(phone["incident_type"] as? String == "phone")
            #expect(phone["total"] as? Int == 10)
            #expect(phone["used"] as? Int == 1)
            #expect(phone["remaining"] as? Int == 9)
            #expect(phone["low_water_mark"] as? Int == 2)
            #expect(table.output.contains("email"))
            #expect(table.output.contains("LOW AT"))
            #expect(byIssue.output.contains("redeem-11-email"))
            #expect(byIssue.output.contains("redeem-11\n"))
            #expect((try JSONSerialization.jsonObject(with: Data(byCustomer.output.utf8)) as? [Any])?.count == 2)
            #expect(future.output == "[\n\n]\n")
            #expect(unknownCustomer.exitCode == 1)
            #expect(unknownCustomer.error.hasPrefix("Error: customer '999' not found"))
            #expect(show.output.contains("redeem-11"))
            #expect(unknownType.exitCode == 1)
        }
    }

    @Test func verifyFindsDifferences() async throws {
        try await withFixture("customers-verify") { fixture in
            let clean = await fixture.run(["verify"])

            // Break a counter behind the store's back, as a bad manual fix would.
            let store = try fixture.openStore()
            try store.database.execute("INSERT INTO incident_counts (contract_id, incident_type, used) VALUES ('1', 'phone', 3)")
            store.close()
            let broken = await fixture.run(["verify"])
            let json = await fixture.run(["verify", "--json"])

            #expect(clean.exitCode == 0)
            #expect(clean.output == "ledger agrees with the counts\n")
            #expect(broken.exitCode == 2)
            #expect(broken.output.contains("phone"))
            #expect(broken.error == "Error: 1 contract and type pairs disagree with the ledger\n")
            #expect(json.output.contains("\"ok\" : false"))
        }
    }
}
