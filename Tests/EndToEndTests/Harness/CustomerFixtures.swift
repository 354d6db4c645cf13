import Foundation
import TallyStore

/// Customer data built for the end-to-end tests. Dates are whole days from 00:00 UTC of `now`'s
/// day, as in `ExampleData`.
enum CustomerFixtures {
    static func day(_ offset: Int, from now: Date) -> Date {
        let today = (now.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400
        return Date(timeIntervalSince1970: today + TimeInterval(offset) * 86_400)
    }

    /// One customer per contract situation, each with one contact `<customer>-1`:
    /// - `act`: active, phone 3 (low-water mark 1), e-mail 5, on-site 1;
    /// - `low`: active, phone 2 with a low-water mark of 1;
    /// - `full`: active, phone 1;
    /// - `grace`: ended 10 days ago, in its 30 grace days, phone 1, overage allowed;
    /// - `old`: ended 100 days ago, expired;
    /// - `ending`: ended 40 days ago, expired 10 days ago;
    /// - `soon`: starts in 10 days;
    /// - `flat`: active but not per-incident;
    /// - `none`: no contract.
    static func situations(now: Date) -> CustomerDataDocument {
        func day(_ offset: Int) -> Date { Self.day(offset, from: now) }
        func contract(_ customer: String, _ start: Int, _ end: Int, perIncident: Bool = true, overage: Bool = false, _ incidents: [CustomerDataDocument.IncidentAllowance]) -> CustomerDataDocument.ContractEntry {
            .init(
                id: "\(customer)-c", customerID: customer, supportLevelID: "1", startsAt: day(start), endsAt: day(end),
                graceDays: 30, isPerIncident: perIncident, allowsOverage: overage, incidents: incidents)
        }

        let names = ["act", "low", "full", "grace", "old", "ending", "soon", "flat", "none"]
        return CustomerDataDocument(
            supportLevels: ExampleData.supportLevels,
            incidentTypes: ExampleData.incidentTypes,
            customers: names.map { name in
                .init(id: name, name: "Customer \(name)", contacts: [.init(id: "\(name)-1", name: "Contact of \(name)", email: "\(name)@example.test")])
            },
            contracts: [
                contract("act", -100, 100, [
                    .init(incidentType: "phone", total: 3, lowWaterMark: 1), .init(incidentType: "email", total: 5),
                    .init(incidentType: "onsite", total: 1),
                ]),
                contract("low", -100, 100, [.init(incidentType: "phone", total: 2, lowWaterMark: 1)]),
                contract("full", -100, 100, [.init(incidentType: "phone", total: 1)]),
                contract("grace", -400, -10, overage: true, [.init(incidentType: "phone", total: 1)]),
                contract("old", -900, -100, [.init(incidentType: "phone", total: 5)]),
                contract("ending", -300, -40, [.init(incidentType: "phone", total: 5)]),
                contract("soon", 10, 400, [.init(incidentType: "phone", total: 5)]),
                contract("flat", -100, 100, perIncident: false, []),
            ])
    }

    /// `count` customers `Q001` and up, each with contact `Q001-1` and one active contract
    /// `Q001-c` without overage, with `phone` and `email` totals of `total` each.
    static func tightQuotas(customers count: Int, total: Int, now: Date) -> CustomerDataDocument {
        var document = CustomerDataDocument(supportLevels: ExampleData.supportLevels, incidentTypes: ExampleData.incidentTypes)
        for index in 1...count {
            let id = "Q" + String(format: "%03d", index)
            document.customers.append(.init(id: id, name: "Tight customer \(index)", contacts: [.init(id: "\(id)-1", name: "Contact \(index)", email: "q\(index)@example.test")]))
            document.contracts.append(.init(
                id: "\(id)-c", customerID: id, supportLevelID: "1", startsAt: day(-30, from: now), endsAt: day(300, from: now),
                graceDays: 30, isPerIncident: true, allowsOverage: false,
                incidents: [.init(incidentType: "phone", total: total), .init(incidentType: "email", total: total)]))
        }
        return document
    }
}
