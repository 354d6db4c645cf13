import Foundation
import SQLite
import TallyCore

/// The default customer backend: customers, contracts, issues and redemptions in the store's
/// SQLite database.
///
/// Every lookup is one indexed query (contracts add one for their totals). With a cache, the
/// customer data lookups that the rules make read the database again only after that data
/// changed. `redeem` and `unredeem` keep `redemptions`, `incident_counts` and `ledger` in step,
/// and throw when the counter does not come out as the rules computed, which rolls the
/// transaction back.
public final class SQLiteCustomerBackend: CustomerBackend {
    let database: Database
    private let cache: CustomerDataCache?

    /// - Parameter cache: a cache already validated against `database` in this transaction.
    init(database: Database, cache: CustomerDataCache? = nil) {
        self.database = database
        self.cache = cache
    }

    // MARK: Customers and contacts

    public func customer(id: CustomerID) throws -> Customer? {
        let load = {
            try self.database.queryFirst("SELECT id, name FROM customers WHERE id = ?", id).map {
                Customer(id: try $0.get(0), name: try $0.get(1))
            }
        }
        guard let cache else { return try load() }
        return try cache.customer(id: id, load: load)
    }

    public func contact(id: ContactID) throws -> Contact? {
        let load = {
            try self.database.queryFirst("SELECT id, customer_id, name, email FROM contacts WHERE id = ?", id).map(Self.contact)
        }
        guard let cache else { return try load() }
        return try cache.contact(id: id, load: load)
    }

    public func contacts(customerID: CustomerID) throws -> [Contact] {
        try database.query("SELECT id, customer_id, name, email FROM contacts WHERE customer_id = ? ORDER BY id", customerID)
            .map(Self.contact)
    }

    /// Returns the contacts with this e-mail, ignoring the case of ASCII letters (SQLite's NOCASE).
    public func contacts(email: String) throws -> [Contact] {
        try database.query(
            "SELECT id, customer_id, name, email FROM contacts WHERE email = ? COLLATE NOCASE ORDER BY id", email
        ).map(Self.contact)
    }

    public func accountManagers(customerID: CustomerID) throws -> [AccountManager] {
        try database.query(
            "SELECT customer_id, user_id, role FROM account_managers WHERE customer_id = ? ORDER BY role DESC, user_id",
            customerID
        ).map { row in
            let role: String = try row.get(2)
            guard let parsed = AccountManager.Role(rawValue: role) else {
                throw StoreError(.invalidData("account manager role \"\(role)\" of customer \(customerID)"))
            }
            return AccountManager(customerID: try row.get(0), userID: try row.get(1), role: parsed)
        }
    }

    public func note(customerID: CustomerID) throws -> CustomerNote? {
        try database.queryFirst("SELECT note FROM customer_notes WHERE customer_id = ?", customerID).map {
            CustomerNote(customerID: customerID, text: try $0.get(0))
        }
    }

    // MARK: Contracts and reference data

    public func contract(id: ContractID) throws -> Contract? {
        let load = {
            try self.database.queryFirst("SELECT \(Self.contractColumns) FROM contracts WHERE id = ?", id)
                .map(self.contract(from:))
        }
        guard let cache else { return try load() }
        return try cache.contract(id: id, load: load)
    }

    public func contracts(customerID: CustomerID) throws -> [Contract] {
        let load = {
            try self.database.query("SELECT \(Self.contractColumns) FROM contracts WHERE customer_id = ? ORDER BY id", customerID)
                .map(self.contract(from:))
        }
        guard let cache else { return try load() }
        return try cache.contracts(customerID: customerID, load: load)
    }

    public func supportLevel(id: String) throws -> SupportLevel? {
        let load = {
            try self.database.queryFirst(
                "SELECT id, name, level_group, max_first_response_seconds FROM support_levels WHERE id = ?", id
            ).map(Self.supportLevel)
        }
        guard let cache else { return try load() }
        return try cache.supportLevel(id: id, load: load)
    }

    public func supportLevels() throws -> [SupportLevel] {
        try database.query("SELECT id, name, level_group, max_first_response_seconds FROM support_levels ORDER BY id")
            .map(Self.supportLevel)
    }

    public func incidentTypes() throws -> [IncidentType] {
        let load = {
            try self.database.query("SELECT id, title FROM incident_types ORDER BY id").map {
                IncidentType(id: try $0.get(0), title: try $0.get(1))
            }
        }
        guard let cache else { return try load() }
        return try cache.incidentTypes(load: load)
    }

    // MARK: Issues and redemptions

    public func issue(id: Int64) throws -> IssueRecord? {
        try database.queryFirst(
            "SELECT id, project_id, customer_id, contact_id, contract_id, created_at FROM issues WHERE id = ?", id
        ).map { row in
            IssueRecord(
                issueID: try row.get(0), projectID: try row.get(1), customerID: try row.get(2),
                contactID: try row.get(3), contractID: try row.get(4),
                createdAt: StoredDate.date(seconds: try row.get(5)))
        }
    }

    public func usedCounts(contractID: ContractID) throws -> [IncidentTypeID: Int] {
        var counts: [IncidentTypeID: Int] = [:]
        try database.forEachRow(
            "SELECT incident_type, used FROM incident_counts WHERE contract_id = ?", arguments: [contractID]
        ) { row in
            counts[try row.get(0)] = try row.get(1)
        }
        return counts
    }

    public func redemptions(issueID: Int64) throws -> [LiveRedemption] {
        try database.query(
            """
            SELECT ledger_id, issue_id, incident_type, contract_id, redeemed_at
            FROM redemptions WHERE issue_id = ? ORDER BY incident_type
            """, issueID
        ).map { row in
            LiveRedemption(
                ledgerID: try row.get(0), issueID: try row.get(1), incidentType: try row.get(2),
                contractID: try row.get(3), redeemedAt: StoredDate.date(seconds: try row.get(4)))
        }
    }

    public func issueRejection(issueID: Int64) throws -> IssueRejectionReason? {
        guard let row = try database.queryFirst("SELECT reason FROM issue_rejections WHERE issue_id = ?", issueID) else {
            return nil
        }
        let text: String = try row.get(0)
        guard let reason = IssueRejectionReason(rawValue: text) else {
            throw StoreError(.invalidData("issue_rejections.reason of issue \(issueID) is '\(text)', not a known reason"))
        }
        return reason
    }

    // MARK: Changes

    public func saveIssueRejection(issueID: Int64, reason: IssueRejectionReason, at instant: Date) throws {
        try database.execute(
            """
            INSERT INTO issue_rejections (issue_id, reason, rejected_at) VALUES (?, ?, ?)
            ON CONFLICT (issue_id) DO UPDATE SET reason = excluded.reason, rejected_at = excluded.rejected_at
            """,
            issueID, reason.rawValue, StoredDate.seconds(instant))
    }

    public func saveIssue(_ issue: IssueRecord) throws {
        try database.execute(
            """
            INSERT INTO issues (id, project_id, customer_id, contact_id, contract_id, created_at)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                project_id = excluded.project_id, customer_id = excluded.customer_id,
                contact_id = excluded.contact_id, contract_id = excluded.contract_id,
                created_at = excluded.created_at
            """,
            issue.issueID, issue.projectID, issue.customerID, issue.contactID, issue.contractID,
            StoredDate.seconds(issue.createdAt))
    }

    public func redeem(_ entry: LedgerEntry) throws -> Int64 {
        precondition(entry.action == .redeem, "redeem(_:) takes a redeem entry")
        let ledgerID = try appendLedger(entry)
        try database.execute(
            "INSERT INTO redemptions (ledger_id, issue_id, incident_type, contract_id, redeemed_at) VALUES (?, ?, ?, ?, ?)",
            ledgerID, entry.issueID, entry.incidentType, entry.contractID, StoredDate.seconds(entry.at))
        let used = try database.queryFirst(
            """
            INSERT INTO incident_counts (contract_id, incident_type, used) VALUES (?, ?, 1)
            ON CONFLICT (contract_id, incident_type) DO UPDATE SET used = used + 1
            RETURNING used
            """, entry.contractID, entry.incidentType)
        try expectUsed(used, entry)
        return ledgerID
    }

    public func unredeem(_ entry: LedgerEntry) throws -> Int64 {
        precondition(entry.action == .unredeem, "unredeem(_:) takes an un-redeem entry")
        try database.execute(
            "DELETE FROM redemptions WHERE issue_id = ? AND incident_type = ? AND contract_id = ?",
            entry.issueID, entry.incidentType, entry.contractID)
        guard database.changes == 1 else {
            throw StoreError(.invalidData(
                "issue \(entry.issueID) has no live \(entry.incidentType) redemption on contract \(entry.contractID) to give back"))
        }
        let used = try database.queryFirst(
            """
            UPDATE incident_counts SET used = used - 1
            WHERE contract_id = ? AND incident_type = ? RETURNING used
            """, entry.contractID, entry.incidentType)
        try expectUsed(used, entry)
        return try appendLedger(entry)
    }

    /// Joins the open transaction, or runs `body` in a new IMMEDIATE one.
    public func withTransaction<T>(_ body: () throws -> T) throws -> T {
        if database.isInTransaction {
            return try body()
        }
        return try database.transaction(.immediate, body)
    }

    // MARK: Rows

    private func appendLedger(_ entry: LedgerEntry) throws -> Int64 {
        try database.execute(
            """
            INSERT INTO ledger (command_id, action, actor, at, customer_id, contract_id, issue_id, incident_type,
                                total_after, used_after, remaining_after)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            entry.commandID, entry.action.rawValue, entry.actor, StoredDate.seconds(entry.at), entry.customerID,
            entry.contractID, entry.issueID, entry.incidentType, entry.totalAfter, entry.usedAfter, entry.remainingAfter)
        return database.lastInsertRowID
    }

    private func expectUsed(_ row: Row?, _ entry: LedgerEntry) throws {
        let used: Int? = try row?.get(0)
        guard used == entry.usedAfter else {
            throw StoreError(.invalidData(
                "the used count of \(entry.incidentType) on contract \(entry.contractID) is \(used.map(String.init) ?? "missing") "
                    + "after the \(entry.action.rawValue), but the rules expected \(entry.usedAfter); run verification"))
        }
    }

    static let contractColumns =
        "id, customer_id, support_level_id, starts_at, ends_at, grace_days, is_per_incident, allows_overage"

    private func contract(from row: Row) throws -> Contract {
        let id: String = try row.get(0)
        var contract = Contract(
            id: id, customerID: try row.get(1), supportLevelID: try row.get(2),
            startsAt: StoredDate.date(seconds: try row.get(3)), endsAt: StoredDate.date(seconds: try row.get(4)),
            graceDays: try row.get(5), isPerIncident: try row.get(6), allowsOverage: try row.get(7))
        try database.forEachRow(
            "SELECT incident_type, total, low_water_mark FROM contract_totals WHERE contract_id = ?", arguments: [id]
        ) { total in
            let type: String = try total.get(0)
            contract.totals[type] = try total.get(1)
            if let mark: Int = try total.get(2) {
                contract.lowWaterMarks[type] = mark
            }
        }
        return contract
    }

    private static func contact(_ row: Row) throws -> Contact {
        Contact(id: try row.get(0), customerID: try row.get(1), name: try row.get(2), email: try row.get(3))
    }

    private static func supportLevel(_ row: Row) throws -> SupportLevel {
        SupportLevel(
            id: try row.get(0), name: try row.get(1), group: try row.get(2),
            maximumFirstResponseSeconds: try row.get(3))
    }
}
