import Foundation
@testable import TallyCore

/// A small fixed world for the rule tables: customers, contacts and contracts around one instant.
enum RulesFixtures {
    static let day: TimeInterval = 86_400
    /// The instant most cases run at.
    static let now = RFC3339.date(from: "2026-06-15T12:00:00Z")!
    static let level = SupportLevel(id: "1", name: "Normal 1", group: "Normal", maximumFirstResponseSeconds: 172_800)
    static let incidentTypes: Set<IncidentTypeID> = ["phone", "email", "onsite"]

    static func contract(
        _ id: ContractID, customer: CustomerID, startsIn start: TimeInterval, endsIn end: TimeInterval,
        graceDays: Int = 30, perIncident: Bool = true, overage: Bool = false,
        totals: [IncidentTypeID: Int] = ["phone": 5, "email": 10], lowWater: [IncidentTypeID: Int] = [:]
    ) -> Contract {
        Contract(
            id: id, customerID: customer, supportLevelID: level.id, startsAt: now.addingTimeInterval(start),
            endsAt: now.addingTimeInterval(end), graceDays: graceDays, isPerIncident: perIncident,
            allowsOverage: overage, totals: totals, lowWaterMarks: lowWater)
    }

    static let customers: [Customer] = (1...8).map { Customer(id: String($0), name: "Customer \($0)") }

    static let contacts: [Contact] = [
        Contact(id: "87", customerID: "1", name: "Bryan Alsdorf", email: "bryan@example.com"),
        Contact(id: "93", customerID: "1", name: "Bob Smith", email: "bob@example.com"),
        Contact(id: "67", customerID: "2", name: "Joao Prado Maia", email: "jpm@example.com"),
        Contact(id: "21", customerID: "3", name: "J Man", email: "j-man@example.com"),
        Contact(id: "40", customerID: "4", name: "Four", email: "four@example.com"),
        Contact(id: "50", customerID: "5", name: "Five", email: "five@example.com"),
        Contact(id: "60", customerID: "6", name: "Six", email: "six@example.com"),
        Contact(id: "70", customerID: "7", name: "Seven", email: "seven@example.com"),
        Contact(id: "80", customerID: "8", name: "Eight", email: "eight@example.com"),
    ]

    /// Customer 1: one active contract and one expired. 2: in grace. 3: none. 4: two current.
    /// 5: two expired. 6: two not started. 7: one expired, one not started. 8: active, used up.
    static let contracts: [Contract] = [
        contract("c1", customer: "1", startsIn: -100 * day, endsIn: 100 * day),
        contract("c1-old", customer: "1", startsIn: -900 * day, endsIn: -500 * day),
        contract("c2", customer: "2", startsIn: -400 * day, endsIn: -10 * day),
        contract("c4a", customer: "4", startsIn: -10 * day, endsIn: 10 * day),
        contract("c4b", customer: "4", startsIn: -400 * day, endsIn: -1 * day),
        contract("c5a", customer: "5", startsIn: -900 * day, endsIn: -400 * day),
        contract("c5b", customer: "5", startsIn: -800 * day, endsIn: -200 * day),
        contract("c6a", customer: "6", startsIn: 50 * day, endsIn: 400 * day),
        contract("c6b", customer: "6", startsIn: 20 * day, endsIn: 400 * day),
        contract("c7a", customer: "7", startsIn: -900 * day, endsIn: -400 * day),
        contract("c7b", customer: "7", startsIn: 20 * day, endsIn: 400 * day),
        contract("c8", customer: "8", startsIn: -10 * day, endsIn: 10 * day, totals: ["phone": 1, "email": 2]),
    ]

    static let used: [ContractID: [IncidentTypeID: Int]] = ["c8": ["phone": 1, "email": 2], "c1": ["phone": 2]]

    static func state(_ contract: Contract) -> ContractState {
        ContractState(contract: contract, supportLevel: level, used: used[contract.id] ?? [:])
    }

    static func issueSnapshot(customer: CustomerID, contact: ContactID) -> IssueSnapshot {
        IssueSnapshot(
            customer: customers.first { $0.id == customer },
            contact: contacts.first { $0.id == contact },
            contracts: contracts.filter { $0.customerID == customer }.map(state))
    }
}
