import Foundation
import SQLite
import Testing
@testable import TallyStore

@Suite struct StoreCustomerDataTests {
    static let now = RFC3339.date(from: "2026-06-15T12:34:56Z")!

    /// A document with every field set, so that export returns it unchanged.
    static var fullDocument: CustomerDataDocument {
        var document = ExampleData.document(now: now)
        document.customers[1].note = "Portuguese speakers."
        document.customers[2].accountManagers = [.init(userID: "admin", role: .primary), .init(userID: "zoe", role: .backup)]
        document.customers[2].note = ""
        return document
    }

    static func issues(_ json: String, store: Store? = nil) -> [ImportIssue] {
        do {
            if let store {
                _ = try store.importCustomerData(from: Data(json.utf8))
            } else {
                _ = try CustomerDataDocument.decode(from: Data(json.utf8))
            }
            return []
        } catch let error as StoreError {
            return error.importIssues
        } catch {
            return [ImportIssue(path: "?", reason: "\(error)")]
        }
    }

    @Test func documentRoundTripsThroughExport() throws {
        let temporary = try TemporaryStore()
        let data = try Self.fullDocument.jsonData()

        let report = try temporary.store.importCustomerData(from: data)
        #expect(report.customers == 3)
        #expect(report.contacts == 5)
        #expect(report.contracts == 3)
        #expect(report.supportLevels == 4)
        #expect(report.incidentTypes == 3)
        #expect(report.loweredTotals == [])

        let exported = try temporary.store.exportCustomerData()
        #expect(exported == Self.fullDocument)
        #expect(try exported.jsonData() == data)
    }

    @Test func jsonDecodesToSameDocument() throws {
        let data = try Self.fullDocument.jsonData()
        #expect(try CustomerDataDocument.decode(from: data) == Self.fullDocument)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"starts_at\" : \"2025-06-15T00:00:00Z\""))
        #expect(text.contains("\"max_first_response_seconds\" : 1800"))
    }

    @Test func importIsIdempotent() throws {
        let temporary = try TemporaryStore()
        let data = try Self.fullDocument.jsonData()
        _ = try temporary.store.importCustomerData(from: data)
        _ = try temporary.store.importCustomerData(from: data)
        #expect(try temporary.store.exportCustomerData() == Self.fullDocument)
    }

    static let invalidFiles: [(String, String, [String])] = [
        ("not JSON", "{", ["$: not valid JSON"]),
        ("not an object", "[]", ["$: not an object"]),
        ("missing version", "{}", ["$.version: missing"]),
        ("unsupported version", #"{"version": 2}"#, ["$.version: version 2 is not supported; this program reads version 1"]),
        ("unknown key", #"{"version": 1, "customer": []}"#,
         ["$.customer: unknown key; expected one of contracts, customers, incident_types, support_levels, version"]),
        ("missing email", #"{"version": 1, "customers": [{"id": "1", "name": "A", "contacts": [{"id": "9", "name": "B"}]}]}"#,
         ["$.customers[0].contacts[0].email: missing"]),
        ("bad email", #"{"version": 1, "customers": [{"id": "1", "name": "A", "contacts": [{"id": "9", "name": "B", "email": "nope"}]}]}"#,
         ["$.customers[0].contacts[0].email: not an e-mail address"]),
        ("long customer id", #"{"version": 1, "customers": [{"id": "\#(String(repeating: "x", count: 129))", "name": "A"}]}"#,
         ["$.customers[0].id: longer than 128 characters"]),
        ("duplicate contact", #"{"version": 1, "customers": [{"id": "1", "name": "A", "contacts": [{"id": "9", "name": "B", "email": "b@x.example"}]}, {"id": "2", "name": "C", "contacts": [{"id": "9", "name": "D", "email": "d@x.example"}]}]}"#,
         ["$.customers[1].contacts[0].id: duplicate contact id \"9\", first defined at $.customers[0].contacts[0].id"]),
        ("bad role", #"{"version": 1, "customers": [{"id": "1", "name": "A", "account_managers": [{"user_id": "u", "role": "boss"}]}]}"#,
         ["$.customers[0].account_managers[0].role: must be \"primary\" or \"backup\""]),
        ("bad date and range", #"{"version": 1, "contracts": [{"id": "c", "customer_id": "1", "support_level_id": "1", "starts_at": "2026-01-01T00:00:00Z", "ends_at": "yesterday", "grace_days": -1, "per_incident": "yes"}]}"#,
         ["$.contracts[0].ends_at: not an RFC 3339 date in whole seconds, such as 2026-03-10T00:00:00Z",
          "$.contracts[0].grace_days: -1 is out of range: must be from 0 to 36500",
          "$.contracts[0].per_incident: not true or false"]),
        ("ends before start", #"{"version": 1, "contracts": [{"id": "c", "customer_id": "1", "support_level_id": "1", "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2025-01-01T00:00:00Z", "grace_days": 0, "per_incident": true}]}"#,
         ["$.contracts[0].ends_at: is before starts_at"]),
        ("fractional total", #"{"version": 1, "contracts": [{"id": "c", "customer_id": "1", "support_level_id": "1", "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z", "grace_days": 0, "per_incident": true, "incidents": [{"type": "phone", "total": 1.5}, {"type": "phone", "total": true}]}]}"#,
         ["$.contracts[0].incidents[0].total: not an integer",
          "$.contracts[0].incidents[1].total: not an integer",
          "$.contracts[0].incidents[1].type: duplicate incident type id \"phone\", first defined at $.contracts[0].incidents[0].type"]),
        ("fractional seconds", #"{"version": 1, "contracts": [{"id": "c", "customer_id": "1", "support_level_id": "1", "starts_at": "2026-01-01T00:00:00.5Z", "ends_at": "2027-01-01T00:00:00Z", "grace_days": 0, "per_incident": true}]}"#,
         ["$.contracts[0].starts_at: not an RFC 3339 date in whole seconds, such as 2026-03-10T00:00:00Z"]),
    ]

    @Test(arguments: invalidFiles)
    func invalidFileNamesPaths(name: String, json: String, expected: [String]) {
        #expect(Self.issues(json).map(\.description) == expected, "\(name)")
    }

    @Test func everyProblemIsReported() {
        let json = #"{"version": 1, "customers": [{"id": "", "contacts": [{"id": "9"}]}], "incident_types": [{"id": 5, "title": "x"}]}"#
        #expect(Self.issues(json).map(\.description) == [
            "$.incident_types[0].id: not a string",
            "$.customers[0].id: empty",
            "$.customers[0].name: missing",
            "$.customers[0].contacts[0].name: missing",
            "$.customers[0].contacts[0].email: missing",
        ])
    }

    @Test func referencesCheckedAgainstFileAndDatabase() throws {
        let temporary = try TemporaryStore()
        _ = try temporary.store.importCustomerData(from: try ExampleData.document(now: Self.now).jsonData())
        let before = try temporary.store.exportCustomerData()

        let json = #"""
            {"version": 1,
             "customers": [{"id": "4", "name": "New", "contacts": [{"id": "400", "name": "N", "email": "n@x.example"}]}],
             "contracts": [
               {"id": "4", "customer_id": "4", "support_level_id": "1", "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z", "grace_days": 0, "per_incident": true, "incidents": [{"type": "phone", "total": 1}]},
               {"id": "5", "customer_id": "9", "support_level_id": "7", "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z", "grace_days": 0, "per_incident": true, "incidents": [{"type": "fax", "total": 1}]},
               {"id": "1", "customer_id": "2", "support_level_id": "1", "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z", "grace_days": 0, "per_incident": false}
             ]}
            """#
        #expect(Self.issues(json, store: temporary.store).map(\.description) == [
            "$.contracts[1].customer_id: customer \"9\" is not defined in this file or the database",
            "$.contracts[1].support_level_id: support level \"7\" is not defined in this file or the database",
            "$.contracts[1].incidents[0].type: incident type \"fax\" is not defined in this file or the database",
            "$.contracts[2].customer_id: contract \"1\" belongs to customer \"1\" in the database and cannot move to another customer",
        ])
        #expect(try temporary.store.exportCustomerData() == before)
    }

    @Test func invalidImportLeavesDatabaseUnchanged() throws {
        let temporary = try TemporaryStore()
        _ = try temporary.store.importCustomerData(from: try ExampleData.document(now: Self.now).jsonData())
        let before = try temporary.store.exportCustomerData()

        var changed = ExampleData.document(now: Self.now)
        changed.customers[0].name = "Renamed"
        changed.contracts[0].incidents = [.init(incidentType: "pager", total: 1)]
        #expect(throws: StoreError.self) {
            _ = try temporary.store.importCustomerData(from: try changed.jsonData())
        }
        #expect(try temporary.store.exportCustomerData() == before)
    }

    @Test func loweringTotalKeepsRedemptions() throws {
        let temporary = try TemporaryStore()
        _ = try temporary.store.importCustomerData(from: try ExampleData.document(now: Self.now).jsonData())
        for issue: Int64 in 1...3 {
            _ = try temporary.store.write { transaction in
                _ = try transaction.apply(.createIssue(IssueCreation(issueID: issue, projectID: 1, customerID: "1", contactID: "87", createdAt: Self.now)), commandID: "c\(issue)")
                _ = try transaction.apply(.redeem(IncidentRequest(issueID: issue, incidentType: "phone", requestedAt: Self.now)), commandID: "r\(issue)")
            }
        }

        var lowered = ExampleData.document(now: Self.now)
        lowered.contracts[0].incidents = [.init(incidentType: "phone", total: 1)]
        let report = try temporary.store.importCustomerData(from: try lowered.jsonData())

        #expect(report.loweredTotals == [.init(contractID: "1", incidentType: "phone", total: 1, used: 3)])
        let quotas = try #require(try temporary.store.read { try $0.quotas(customerID: "1", at: Self.now) })
        #expect(quotas.first?.quotas == [IncidentQuota(incidentType: "phone", total: 1, used: 3)])
        #expect(quotas.first?.quotas.first?.remaining == 0)
        #expect(try temporary.store.read { try $0.verifyLedger() } == [])

        let outcome = try temporary.store.write { try $0.apply(.unredeem(IncidentRequest(issueID: 1, incidentType: "phone", requestedAt: Self.now)), commandID: "u1") }
        #expect(outcome.redemption?.quota.remaining == 0)
        #expect(outcome.redemption?.quota.used == 2)
    }

    @Test(arguments: [
        RFC3339.date(from: "2026-06-15T00:00:00Z")!, RFC3339.date(from: "2026-06-15T23:59:59Z")!,
        RFC3339.date(from: "2031-02-28T08:00:00Z")!,
    ])
    func exampleDataHasEveryStatus(now: Date) throws {
        let document = ExampleData.document(now: now)
        let statuses = document.contracts.map { $0.contract.status(at: now) }
        #expect(statuses == [.active, .inGracePeriod, .expired])
        #expect(document.contracts.contains { $0.allowsOverage })
        #expect(document.contracts.contains { $0.incidents.contains { $0.lowWaterMark != nil } })
        #expect(document.customers.flatMap(\.contacts).map(\.id) == ["87", "93", "67", "21", "22"])
        #expect(try CustomerDataDocument.decode(from: document.jsonData()) == document)
    }

    @Test func exampleDataAcceptsIssuesAsExpected() throws {
        let temporary = try TemporaryStore()
        _ = try temporary.store.importCustomerData(from: try ExampleData.document(now: Self.now).jsonData())
        let outcomes = try temporary.store.write { transaction in
            try [("1", "87"), ("2", "67"), ("3", "21")].enumerated().map { index, pair in
                try transaction.apply(
                    .createIssue(IssueCreation(issueID: Int64(index + 1), projectID: 1, customerID: pair.0, contactID: pair.1, createdAt: Self.now)),
                    commandID: "m\(index)")
            }
        }
        #expect(outcomes.map(\.summary) == ["accepted 1", "accepted 2", "contract_expired"])
    }

    @Test func syntheticDataIsDeterministicAndValid() throws {
        let first = SyntheticData.document(customers: 2_000, seed: 42, now: Self.now)
        let second = SyntheticData.document(customers: 2_000, seed: 42, now: Self.now)
        let other = SyntheticData.document(customers: 2_000, seed: 43, now: Self.now)
        #expect(first == second)
        #expect(first != other)
        #expect(first.customers.count == 2_000)
        #expect(first.contracts.count == 2_400)

        var statuses: [ContractStatus: Int] = [:]
        for contract in first.contracts where !contract.id.hasSuffix("-OLD") {
            statuses[contract.contract.status(at: Self.now), default: 0] += 1
        }
        #expect(statuses[.active, default: 0] > 1_300)
        #expect(statuses[.inGracePeriod, default: 0] > 100)
        #expect(statuses[.expired, default: 0] > 100)
        #expect(statuses[.notStarted, default: 0] > 40)
        #expect(first.contracts.contains { $0.incidents.contains { $0.incidentType == "phone" && $0.total <= 2 } })

        let temporary = try TemporaryStore()
        let report = try temporary.store.importCustomerData(from: try first.jsonData())
        #expect(report.customers == 2_000)
        #expect(try temporary.store.exportCustomerData() == first)
    }

    @Test func splitMixIsStable() {
        var random = SplitMix64(seed: 0)
        // Reference outputs of SplitMix64 for seed 0.
        #expect(random.next() == 0xE220_A839_7B1D_CDAF)
        #expect(random.next() == 0x6E78_9E6A_A1B9_65F4)
        var bounded = SplitMix64(seed: 7)
        #expect((0..<1_000).allSatisfy { _ in (0..<3).contains(bounded.next(below: 3)) })
    }
}
