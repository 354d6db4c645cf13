import Foundation

/// The three customers of Eventum's example customer backend, with per-incident contracts whose
/// dates move with the day the data is made, so that one contract is active, one is in its grace
/// period and one is expired.
public enum ExampleData {
    /// Returns the example data for `now`. Dates are whole days from 00:00 UTC of `now`'s day,
    /// so the document is the same all day long:
    /// - contract 1 (Bryan's widget factory, Normal 1): active from 365 days before to 365 days
    ///   after. Totals: phone 10 with a low-water mark of 2, e-mail 20, on-site 2.
    /// - contract 2 (Joao, Inc., Enhanced): ended 10 days ago, in its 30 grace days; phone 3,
    ///   e-mail 5, and overage allowed.
    /// - contract 3 (Example Corp., Ultra-Special): ended 60 days ago, expired 30 days ago.
    public static func document(now: Date) -> CustomerDataDocument {
        let today = (now.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400
        func day(_ offset: Int) -> Date {
            Date(timeIntervalSince1970: today + TimeInterval(offset) * 86_400)
        }

        return CustomerDataDocument(
            supportLevels: supportLevels,
            incidentTypes: incidentTypes,
            customers: [
                .init(
                    id: "1", name: "Bryan's widget factory",
                    contacts: [
                        .init(id: "87", name: "Bryan Alsdorf", email: "bryan@example.com"),
                        .init(id: "93", name: "Bob Smith", email: "bob@example.com"),
                    ],
                    accountManagers: [.init(userID: "admin", role: .primary)],
                    note: "Prefers phone support."),
                .init(
                    id: "2", name: "Joao, Inc.",
                    contacts: [.init(id: "67", name: "Joao Prado Maia", email: "jpm@example.com")],
                    accountManagers: [.init(userID: "admin", role: .primary)]),
                .init(
                    id: "3", name: "Example Corp.",
                    contacts: [
                        .init(id: "21", name: "J Man", email: "j-man@example.com"),
                        .init(id: "22", name: "John Doe", email: "John.Doe@example.com"),
                    ],
                    accountManagers: [.init(userID: "admin", role: .primary)]),
            ],
            contracts: [
                .init(
                    id: "1", customerID: "1", supportLevelID: "1", startsAt: day(-365), endsAt: day(365), graceDays: 30,
                    isPerIncident: true,
                    incidents: [
                        .init(incidentType: "email", total: 20),
                        .init(incidentType: "onsite", total: 2),
                        .init(incidentType: "phone", total: 10, lowWaterMark: 2),
                    ]),
                .init(
                    id: "2", customerID: "2", supportLevelID: "3", startsAt: day(-375), endsAt: day(-10), graceDays: 30,
                    isPerIncident: true, allowsOverage: true,
                    incidents: [.init(incidentType: "email", total: 5), .init(incidentType: "phone", total: 3)]),
                .init(
                    id: "3", customerID: "3", supportLevelID: "4", startsAt: day(-1_500), endsAt: day(-60), graceDays: 30,
                    isPerIncident: true,
                    incidents: [
                        .init(incidentType: "email", total: 50),
                        .init(incidentType: "onsite", total: 5),
                        .init(incidentType: "phone", total: 20),
                    ]),
            ])
    }

    /// Eventum's example support levels: maximum first response of 2 days for Normal, 1 day for
    /// Enhanced and 30 minutes for Ultra-Special.
    public static let supportLevels: [CustomerDataDocument.SupportLevelEntry] = [
        .init(id: "1", name: "Normal 1", group: "Normal", maxFirstResponseSeconds: 172_800),
        .init(id: "2", name: "Normal 2", group: "Normal", maxFirstResponseSeconds: 172_800),
        .init(id: "3", name: "Enhanced", group: "Enhanced", maxFirstResponseSeconds: 86_400),
        .init(id: "4", name: "Ultra-Special", group: "Ultra-Special", maxFirstResponseSeconds: 1_800),
    ]

    public static let incidentTypes: [IncidentType] = [
        IncidentType(id: "email", title: "E-mail"),
        IncidentType(id: "onsite", title: "On-site visit"),
        IncidentType(id: "phone", title: "Phone call"),
    ]
}
