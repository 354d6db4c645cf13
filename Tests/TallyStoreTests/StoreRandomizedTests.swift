import Foundation
import Testing
@testable import TallyStore

/// Long random sequences of commands against the store and against a small reference model
/// written here independently of the rules. Set TALLY_TEST_SEED to replay one seed.
@Suite struct StoreRandomizedTests {
    static let now = RFC3339.date(from: "2026-06-15T12:00:00Z")!
    static let day = 86_400

    static func date(_ days: Int, seconds: Int = 0) -> Date {
        now.addingTimeInterval(TimeInterval(days * day + seconds))
    }

    struct ModelContract {
        var id: String
        var customer: String
        var starts: Date
        var ends: Date
        var grace: Int
        var perIncident: Bool
        var overage: Bool
        var totals: [String: Int]
        var expires: Date { ends.addingTimeInterval(TimeInterval(grace * StoreRandomizedTests.day)) }
    }

    static let contracts: [ModelContract] = [
        ModelContract(id: "1A", customer: "1", starts: date(-100), ends: date(100), grace: 30, perIncident: true, overage: false, totals: ["phone": 3, "email": 2]),
        ModelContract(id: "1B", customer: "1", starts: date(-10), ends: date(0, seconds: 60), grace: 0, perIncident: false, overage: false, totals: [:]),
        ModelContract(id: "2A", customer: "2", starts: date(-400), ends: date(-10), grace: 30, perIncident: true, overage: true, totals: ["phone": 1]),
        ModelContract(id: "3A", customer: "3", starts: date(-900), ends: date(-500), grace: 30, perIncident: true, overage: false, totals: ["phone": 9]),
        ModelContract(id: "3B", customer: "3", starts: date(0, seconds: 30), ends: date(300), grace: 30, perIncident: true, overage: false, totals: ["phone": 2]),
        ModelContract(id: "4A", customer: "4", starts: date(-1), ends: date(1), grace: 1, perIncident: true, overage: false, totals: ["phone": 1, "onsite": 1]),
    ]
    static let contacts: [String: String] = ["11": "1", "12": "1", "21": "2", "31": "3", "41": "4"]
    static let types: Set<String> = ["phone", "email", "onsite"]

    /// Instants at and around the contracts' boundaries.
    static let instants: [Date] = [
        now, date(0, seconds: 29), date(0, seconds: 30), date(0, seconds: 59), date(0, seconds: 60),
        date(1, seconds: -1), date(1), date(2, seconds: -1), date(2), date(20, seconds: -1), date(20), date(-1, seconds: -1),
    ]

    static var document: CustomerDataDocument {
        CustomerDataDocument(
            supportLevels: ExampleData.supportLevels, incidentTypes: ExampleData.incidentTypes,
            customers: ["1", "2", "3", "4"].map { customer in
                .init(
                    id: customer, name: "Customer \(customer)",
                    contacts: contacts.filter { $0.value == customer }.keys.sorted().map { .init(id: $0, name: "Contact \($0)", email: "c\($0)@example.test") })
            },
            contracts: contracts.map { contract in
                .init(
                    id: contract.id, customerID: contract.customer, supportLevelID: "1", startsAt: contract.starts, endsAt: contract.ends,
                    graceDays: contract.grace, isPerIncident: contract.perIncident, allowsOverage: contract.overage,
                    incidents: contract.totals.keys.sorted().map { .init(incidentType: $0, total: contract.totals[$0]!) })
            })
    }

    /// The reference model: issues, live redemptions and used counts.
    struct Model {
        var issues: [Int64: String] = [:]
        var redemptions: [Int64: [String: String]] = [:]
        var used: [String: [String: Int]] = [:]

        func contract(_ id: String) -> ModelContract {
            StoreRandomizedTests.contracts.first { $0.id == id }!
        }

        mutating func create(issue: Int64, customer: String, contact: String, named: String?, at instant: Date) -> String {
            guard ["1", "2", "3", "4"].contains(customer) else { return "unknown_customer" }
            guard let owner = StoreRandomizedTests.contacts[contact] else { return "unknown_contact" }
            guard owner == customer else { return "contact_not_of_customer" }
            let own = StoreRandomizedTests.contracts.filter { $0.customer == customer }
            var chosen: ModelContract
            if let named {
                guard let found = own.first(where: { $0.id == named }) else { return "unknown_contract" }
                chosen = found
            } else {
                let current = own.filter { $0.starts <= instant && instant < $0.expires }
                if current.count == 1 {
                    chosen = current[0]
                } else if current.count > 1 || own.isEmpty {
                    return "no_contract"
                } else if let last = own.filter({ $0.expires <= instant }).max(by: { $0.expires < $1.expires }) {
                    chosen = last
                } else {
                    chosen = own.min(by: { $0.starts < $1.starts })!
                }
            }
            if instant < chosen.starts { return "contract_not_started" }
            if instant >= chosen.expires { return "contract_expired" }
            issues[issue] = chosen.id
            return "accepted \(chosen.id)"
        }

        mutating func redeem(issue: Int64, type: String, at instant: Date) -> String {
            guard let contractID = issues[issue] else { return "unknown_issue" }
            guard StoreRandomizedTests.types.contains(type) else { return "unknown_incident_type" }
            let contract = contract(contractID)
            guard contract.perIncident else { return "not_per_incident" }
            if instant < contract.starts { return "contract_not_started" }
            if instant >= contract.expires { return "contract_expired" }
            if redemptions[issue]?[type] != nil { return "already_redeemed" }
            let count = used[contractID]?[type] ?? 0
            if count >= (contract.totals[type] ?? 0) && !contract.overage { return "no_incidents_left" }
            used[contractID, default: [:]][type] = count + 1
            redemptions[issue, default: [:]][type] = contractID
            return "redeemed \(type)"
        }

        mutating func unredeem(issue: Int64, type: String) -> String {
            guard let issueContract = issues[issue] else { return "unknown_issue" }
            guard StoreRandomizedTests.types.contains(type) else { return "unknown_incident_type" }
            let contractID = redemptions[issue]?[type] ?? issueContract
            guard contract(contractID).perIncident else { return "not_per_incident" }
            guard redemptions[issue]?[type] != nil else { return "not_redeemed" }
            redemptions[issue]?[type] = nil
            used[contractID, default: [:]][type, default: 0] -= 1
            return "unredeemed \(type)"
        }

        mutating func setTypes(issue: Int64, types: Set<String>, at instant: Date) -> String {
            let current = Set(redemptions[issue]?.keys.map { $0 } ?? [])
            let extra = current.subtracting(types).sorted().map { unredeem(issue: issue, type: $0) }
            let missing = types.subtracting(current).sorted().map { redeem(issue: issue, type: $0, at: instant) }
            return (extra + missing).joined(separator: ", ")
        }
    }

    static var seeds: [UInt64] {
        if let text = ProcessInfo.processInfo.environment["TALLY_TEST_SEED"], let seed = UInt64(text) {
            return [seed]
        }
        return [1, 2, 3]
    }

    @Test(arguments: seeds)
    func randomSequenceMatchesModel(seed: UInt64) throws {
        let temporary = try TemporaryStore("random\(seed)")
        _ = try temporary.store.importCustomerData(from: try Self.document.jsonData())
        var model = Model()
        var random = SplitMix64(seed: seed)
        let customers = ["1", "2", "3", "4", "9"]
        let contactIDs = Self.contacts.keys.sorted() + ["99"]
        let contractNames: [String?] = [nil, nil, nil, "1A", "1B", "2A", "3A", "3B", "4A", "zz"]
        let typeChoices = ["phone", "phone", "email", "onsite", "fax"]

        for step in 0..<2_500 {
            let issue = Int64(1 + random.next(below: 25))
            let instant = Self.instants[random.next(below: Self.instants.count)]
            let command: Command
            let predicted: String
            switch random.next(below: 10) {
            case 0, 1:
                let customer = customers[random.next(below: customers.count)]
                let contact = random.next(below: 3) == 0
                    ? contactIDs[random.next(below: contactIDs.count)]
                    : (Self.contacts.first { $0.value == customer }?.key ?? "99")
                let named = contractNames[random.next(below: contractNames.count)]
                command = .createIssue(IssueCreation(issueID: issue, projectID: 1, customerID: customer, contactID: contact, contractID: named, createdAt: instant))
                predicted = model.create(issue: issue, customer: customer, contact: contact, named: named, at: instant)
            case 2, 3, 4, 5:
                let type = typeChoices[random.next(below: typeChoices.count)]
                command = .redeem(IncidentRequest(issueID: issue, incidentType: type, requestedAt: instant))
                predicted = model.redeem(issue: issue, type: type, at: instant)
            case 6, 7, 8:
                let type = typeChoices[random.next(below: typeChoices.count)]
                command = .unredeem(IncidentRequest(issueID: issue, incidentType: type, requestedAt: instant))
                predicted = model.unredeem(issue: issue, type: type)
            default:
                let types = Set(["phone", "email", "onsite"].filter { _ in random.next(below: 2) == 0 })
                command = .setRedeemedTypes(RedeemedTypesUpdate(issueID: issue, incidentTypes: types, requestedAt: instant))
                predicted = model.setTypes(issue: issue, types: types, at: instant)
            }

            let outcome = try temporary.store.write { try $0.apply(command, commandID: "s\(seed)-\(step)") }
            try #require(outcome.summary == predicted, "seed \(seed), step \(step): \(command)")

            for contract in Self.contracts {
                let stored = try temporary.store.read { try $0.backend.usedCounts(contractID: contract.id) }.filter { $0.value != 0 }
                let expected = (model.used[contract.id] ?? [:]).filter { $0.value != 0 }
                try #require(stored == expected, "seed \(seed), step \(step): counts of \(contract.id)")
                try #require(stored.values.allSatisfy { $0 >= 0 }, "seed \(seed), step \(step)")
                if !contract.overage {
                    try #require(stored.allSatisfy { $0.value <= contract.totals[$0.key] ?? 0 }, "seed \(seed), step \(step): overdrawn \(contract.id)")
                }
            }
            if step % 50 == 0 {
                try #require(try temporary.store.read { try $0.verifyLedger() } == [], "seed \(seed), step \(step)")
            }
        }
        #expect(try temporary.store.read { try $0.verifyLedger() } == [])
    }
}
