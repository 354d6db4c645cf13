import Foundation
import SQLite
@testable import TallyStore

/// A fresh database file in its own temporary folder, removed when the test ends.
final class TemporaryStore {
    let folder: URL
    let store: Store

    var path: String { store.path }

    init(_ name: String = #function) throws {
        let safeName = name.filter { $0.isLetter || $0.isNumber }
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("tally-store-\(safeName)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try Store(path: folder.appendingPathComponent("tally.sqlite").path)
    }

    deinit {
        store.close()
        try? FileManager.default.removeItem(at: folder)
    }
}

enum StoreFixtures {
    static let now = RFC3339.date(from: "2026-06-15T12:00:00Z")!
    static let day: TimeInterval = 86_400

    static func seconds(_ offsetDays: Double) -> Int64 {
        Int64(now.timeIntervalSince1970 + offsetDays * day)
    }

    /// Customers 1 to 5 with one contract each: c1 active (phone 2, email 5, phone low-water 1),
    /// c2 in grace with overage (phone 1), c3 expired, c4 not per-incident, c5 not started. Customer 6 has no contract.
    static func seed(_ database: Database) throws {
        try database.executeScript(
            """
            INSERT INTO support_levels VALUES ('1', 'Normal 1', 'Normal', 172800), ('3', 'Enhanced', 'Enhanced', 86400);
            INSERT INTO incident_types VALUES ('phone', 'Phone call'), ('email', 'E-mail'), ('onsite', 'On-site visit');
            INSERT INTO customers VALUES ('1', 'Bryan''s widget factory'), ('2', 'Joao, Inc.'), ('3', 'Example Corp.'),
                ('4', 'Plain Ltd.'), ('5', 'Future GmbH'), ('6', 'Nobody Corp.');
            INSERT INTO contacts VALUES ('87', '1', 'Bryan Alsdorf', 'bryan@example.com'),
                ('93', '1', 'Bob Smith', 'bob@example.com'), ('67', '2', 'Joao Prado Maia', 'jpm@example.com'),
                ('21', '3', 'J Man', 'j-man@example.com'), ('22', '3', 'John Doe', 'John.Doe@example.com'),
                ('40', '4', 'Plain', 'plain@example.com'), ('50', '5', 'Future', 'future@example.com'),
                ('60', '6', 'Nobody', 'nobody@example.com');
            """)
        let contracts: [(String, String, String, Int64, Int64, Int, Int, Int)] = [
            ("c1", "1", "1", seconds(-100), seconds(100), 30, 1, 0),
            ("c2", "2", "3", seconds(-400), seconds(-10), 30, 1, 1),
            ("c3", "3", "1", seconds(-900), seconds(-500), 30, 1, 0),
            ("c4", "4", "1", seconds(-10), seconds(10), 30, 0, 0),
            ("c5", "5", "1", seconds(10), seconds(400), 30, 1, 0),
        ]
        for contract in contracts {
            try database.execute(
                "INSERT INTO contracts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                contract.0, contract.1, contract.2, contract.3, contract.4, contract.5, contract.6, contract.7)
        }
        try database.executeScript(
            """
            INSERT INTO contract_totals VALUES ('c1', 'phone', 2, 1), ('c1', 'email', 5, NULL), ('c2', 'phone', 1, NULL),
                ('c3', 'phone', 5, NULL), ('c5', 'phone', 5, NULL);
            """)
    }

    static func createIssue(_ issueID: Int64, customer: String, contact: String, contract: String? = nil, at: Date = now) -> Command {
        .createIssue(IssueCreation(
            issueID: issueID, projectID: 1, customerID: customer, contactID: contact, contractID: contract, createdAt: at))
    }

    static func redeem(_ issueID: Int64, _ type: String, at: Date = now) -> Command {
        .redeem(IncidentRequest(issueID: issueID, incidentType: type, actor: "admin", requestedAt: at))
    }

    static func unredeem(_ issueID: Int64, _ type: String, at: Date = now) -> Command {
        .unredeem(IncidentRequest(issueID: issueID, incidentType: type, actor: "admin", requestedAt: at))
    }
}

extension CommandOutcome {
    /// The rejection reason, or the kind of success, of a single-result outcome, for test tables.
    var summary: String {
        switch self {
        case .issue(.accepted(let acceptance)): "accepted \(acceptance.contractID)"
        case .issue(.rejected(let rejection)): rejection.reason.rawValue
        case .incidents(let outcomes): outcomes.map(\.summary).joined(separator: ", ")
        }
    }

    var redemption: Redemption? {
        if case .incidents(let outcomes) = self, outcomes.count == 1 {
            switch outcomes[0] {
            case .redeemed(let redemption), .unredeemed(let redemption): return redemption
            case .rejected: return nil
            }
        }
        return nil
    }
}

extension IncidentOutcome {
    var summary: String {
        switch self {
        case .redeemed(let redemption): "redeemed \(redemption.quota.incidentType)"
        case .unredeemed(let redemption): "unredeemed \(redemption.quota.incidentType)"
        case .rejected(let rejection): rejection.reason.rawValue
        }
    }
}
