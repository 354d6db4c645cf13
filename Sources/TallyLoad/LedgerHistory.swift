import Foundation
import SQLite
import TallyStore

/// Fills a database with a history of redemptions, so that benchmarks can compare a worker on a
/// large database with one on an empty database.
///
/// Writes in bulk with SQL over the store's own connection, far faster than applying commands.
/// The history has issues, ledger rows (two redeems per issue) and live redemptions, all on the
/// customer data already in the database. It leaves the per-contract counts alone, so the same
/// workload meets the same quotas with or without history.
public enum LedgerHistory {
    /// Seconds the history covers: 365 days.
    static let span: Int64 = 365 * 86_400

    /// Adds `ledgerRows` ledger rows (rounded down to even) for issues numbered from
    /// `firstIssueID`, in one transaction.
    ///
    /// The rows are spread evenly over the 365 days before `end`, oldest first, so ledger ids
    /// grow with time as the worker's do. Each issue is created at the time of its first
    /// redeem, and each redemption keeps the time of its ledger row.
    ///
    /// - Throws: `LedgerHistoryError` when the database has no contract with a contact or
    ///   fewer than two incident types; SQLite errors from the inserts.
    public static func load(into store: Store, ledgerRows: Int, firstIssueID: Int64, endingAt end: Date) throws {
        let database = store.database
        let issues = ledgerRows / 2
        let rows = Int64(issues * 2)
        let start = Int64(end.timeIntervalSince1970) - span

        try database.transaction(.immediate) {
            try database.executeScript("""
                DROP TABLE IF EXISTS temp.history_contracts;
                CREATE TEMP TABLE history_contracts AS
                    SELECT row_number() OVER (ORDER BY c.id) - 1 AS n, c.id AS contract_id, c.customer_id,
                        (SELECT min(id) FROM contacts WHERE customer_id = c.customer_id) AS contact_id
                    FROM contracts c
                    WHERE EXISTS (SELECT 1 FROM contacts WHERE customer_id = c.customer_id);
                DROP TABLE IF EXISTS temp.history_types;
                CREATE TEMP TABLE history_types AS
                    SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM incident_types;
                """)
            let contracts = try database.queryFirst("SELECT count(*) FROM temp.history_contracts")?.get(0, as: Int64.self) ?? 0
            let types = try database.queryFirst("SELECT count(*) FROM temp.history_types")?.get(0, as: Int64.self) ?? 0
            guard contracts > 0, types >= 2 else {
                throw LedgerHistoryError(message: "the database needs a contract whose customer has a contact, and two incident types")
            }
            let firstLedgerID = try database.queryFirst("SELECT coalesce(max(id), 0) + 1 FROM ledger")?.get(0, as: Int64.self) ?? 1

            try database.execute("""
                INSERT INTO issues (id, project_id, customer_id, contact_id, contract_id, created_at)
                WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ?)
                SELECT ? + i, 1, c.customer_id, c.contact_id, c.contract_id, ? + 2 * i * ? / ?
                FROM seq JOIN temp.history_contracts c ON c.n = seq.i % ?
                """, Int64(issues), firstIssueID, start, span, rows, contracts)
            try database.execute("""
                INSERT INTO ledger (id, command_id, action, actor, at, customer_id, contract_id, issue_id,
                    incident_type, total_after, used_after, remaining_after)
                WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ?)
                SELECT ? + i, 'history-' || i, 'redeem', 'staff', ? + i * ? / ?, c.customer_id, c.contract_id,
                    ? + i / 2, t.id, 1000000, 1 + i % 1000, 999999 - i % 1000
                FROM seq
                JOIN temp.history_contracts c ON c.n = (i / 2) % ?
                JOIN temp.history_types t ON t.n = (i / 2 + i % 2) % ?
                """, rows, firstLedgerID, start, span, rows, firstIssueID, contracts, types)
            try database.execute("""
                INSERT INTO redemptions (ledger_id, issue_id, incident_type, contract_id, redeemed_at)
                SELECT id, issue_id, incident_type, contract_id, at FROM ledger WHERE id >= ?
                """, firstLedgerID)
            try database.executeScript("DROP TABLE temp.history_contracts; DROP TABLE temp.history_types;")
        }
    }
}

public struct LedgerHistoryError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
