import Foundation
import SQLite
import Testing
@testable import TallyStore

/// The customer ledger queries, which walk `ledger_by_day_and_customer` day by day, against the
/// order the ledger promises: `at`, then `id`.
@Suite struct StoreLedgerByDayTests {
    typealias F = StoreFixtures

    struct Row {
        var id: Int64
        var customerID: String
        var at: Int64
    }

    static let firstDay = F.seconds(-40) / 86_400 * 86_400

    /// Ledger rows of customers 1 and 2 over 40 days, with days that have no rows, several rows
    /// on one day, equal times (ordered by id) and ids that do not follow time. Customer 1 also
    /// has rows around 1970-01-01: SQLite's integer division truncates toward zero, so seconds
    /// -86,399 to 86,399 share day 0.
    static let rows: [Row] = {
        var rows: [Row] = []
        var id: Int64 = 1000
        for day in 0..<40 where day % 3 != 1 {
            for index in 0..<(day % 4 + 1) {
                let at = firstDay + Int64(day) * 86_400 + Int64(index) * 3_600 + 7
                rows.append(Row(id: id, customerID: "1", at: at))
                rows.append(Row(id: id + 1, customerID: "2", at: at + 60))
                id -= 2
            }
        }
        rows.append(Row(id: 2000, customerID: "1", at: firstDay + 20 * 86_400 + 7))
        rows.append(Row(id: 2001, customerID: "1", at: firstDay + 39 * 86_400 + 86_399))
        rows += [-86_401, -86_399, -1, 0, 86_399].enumerated().map { index, at in
            Row(id: 3000 - Int64(index), customerID: "1", at: Int64(at))
        }
        return rows
    }()

    static func insert(_ rows: [Row], into database: Database) throws {
        for row in rows {
            try database.execute(
                """
                INSERT INTO ledger (id, command_id, action, actor, at, customer_id, contract_id, issue_id,
                    incident_type, total_after, used_after, remaining_after)
                VALUES (?, ?, 'redeem', 'admin', ?, ?, 'c1', ?, 'phone', 5, 1, 4)
                """,
                row.id, "m\(row.id)", row.at, row.customerID, row.id)
        }
    }

    static func store() throws -> TemporaryStore {
        let temporary = try TemporaryStore()
        try insert(rows, into: temporary.store.database)
        return temporary
    }

    /// The ids that a customer query must return, computed without SQL.
    static func expectedIDs(customer: String, since: Int64?) -> [Int64] {
        rows.filter { $0.customerID == customer && $0.at >= since ?? Int64.min }
            .sorted { ($0.at, $0.id) < ($1.at, $1.id) }
            .map(\.id)
    }

    static func expectedRecentIDs(customer: String, limit: Int) -> [Int64] {
        Array(expectedIDs(customer: customer, since: nil).reversed().prefix(limit < 0 ? Int.max : limit))
    }

    /// `since` values: none, before every row, at a row (inclusive), one second after it, on a
    /// day boundary, inside the pre-1970 day 0, after the newest row.
    static let sinceCases: [Int64?] = [
        nil, Int64.min / 2, -86_401, -86_400, 0, firstDay + 20 * 86_400 + 7, firstDay + 20 * 86_400 + 8,
        firstDay + 21 * 86_400, firstDay + 39 * 86_400 + 86_399, firstDay + 40 * 86_400,
    ]

    @Test(arguments: sinceCases)
    func ledgerSinceMatchesOrder(since: Int64?) throws {
        let temporary = try Self.store()
        let sinceDate = since.map { Date(timeIntervalSince1970: TimeInterval($0)) }
        for customer in ["1", "2"] {
            let entries = try temporary.store.read { try $0.ledger(customerID: customer, since: sinceDate) }
            #expect(entries.map(\.id) == Self.expectedIDs(customer: customer, since: since), "customer \(customer)")
            #expect(entries.allSatisfy { $0.customerID == customer })
        }
    }

    @Test func ledgerSinceSkipsOlderRows() throws {
        let temporary = try Self.store()
        let since = Self.firstDay + 30 * 86_400
        let entries = try temporary.store.read {
            try $0.ledger(customerID: "1", since: Date(timeIntervalSince1970: TimeInterval(since)))
        }
        #expect(!entries.isEmpty)
        #expect(entries.allSatisfy { StoredDate.seconds($0.at) >= since })
        #expect(entries.count == Self.rows.filter { $0.customerID == "1" && $0.at >= since }.count)
    }

    /// Limits inside the newest day, across several days, equal to and beyond all rows, zero and
    /// negative (no limit, as in SQLite).
    @Test(arguments: [1, 2, 3, 7, 25, 59, 60, 61, 1_000, 0, -1])
    func recentLedgerMatchesOrder(limit: Int) throws {
        let temporary = try Self.store()
        for customer in ["1", "2"] {
            let entries = try temporary.store.read { try $0.recentLedger(customerID: customer, limit: limit) }
            #expect(entries.map(\.id) == Self.expectedRecentIDs(customer: customer, limit: limit), "customer \(customer)")
        }
    }

    @Test func customerWithoutRowsGetsNone() throws {
        let temporary = try Self.store()
        #expect(try temporary.store.read { try $0.ledger(customerID: "3", since: nil) } == [])
        #expect(try temporary.store.read { try $0.recentLedger(customerID: "3", limit: 10) } == [])
    }

    @Test func emptyLedgerGetsNone() throws {
        let temporary = try TemporaryStore()
        #expect(try temporary.store.read { try $0.ledger(customerID: "1", since: nil) } == [])
        #expect(try temporary.store.read { try $0.recentLedger(customerID: "1", limit: 10) } == [])
    }

    /// Returns the detail lines of the query plan of `sql` with `arguments`.
    static func plan(_ database: Database, _ sql: String, _ arguments: any SQLiteValueConvertible...) throws -> [String] {
        try database.query("EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { try $0.get(3, as: String.self) }
    }

    @Test(arguments: [ReadTransaction.customerLedgerSQL, ReadTransaction.recentCustomerLedgerSQL])
    func customerQuerySeeksDayAndCustomer(sql: String) throws {
        let temporary = try Self.store()
        let details = try Self.plan(temporary.store.database, sql, "1", Self.firstDay)

        let seek = "SEARCH ledger USING INDEX ledger_by_day_and_customer (<expr>=? AND customer_id=?"
        #expect(details.contains { $0.hasPrefix(seek) }, "plan: \(details)")
        #expect(!details.contains { $0.hasPrefix("SCAN ledger") }, "plan: \(details)")
        let otherIndexes = details.filter { $0.contains("SEARCH ledger USING") && !$0.contains("ledger_by_day_and_customer") }
        #expect(otherIndexes.isEmpty, "plan: \(details)")
    }

    /// The customer queries of schema version 4, which read `ledger_by_customer`.
    static let version4CustomerLedgerSQL =
        "SELECT \(ReadTransaction.ledgerColumns) FROM ledger WHERE customer_id = ? AND at >= ? ORDER BY at, id"
    static let version4RecentLedgerSQL =
        "SELECT \(ReadTransaction.ledgerColumns) FROM ledger WHERE customer_id = ? ORDER BY at DESC, id DESC LIMIT ?"

    @Test func migrationFromVersion4KeepsResults() throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("tally-store-migration-v4-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("tally.sqlite").path

        // A version 4 database with ledger rows, and the results of version 4's queries on it.
        var version4 = Migrator()
        version4.register(1, "version 1") { try $0.executeScript(Schema.version1) }
        version4.register(2, "version 2") { try $0.executeScript(Schema.version2) }
        version4.register(3, "version 3") { try $0.executeScript(Schema.version3) }
        version4.register(4, "version 4") { try $0.executeScript(Schema.version4) }
        let database = try Database(path: path)
        try version4.migrate(database)
        try Self.insert(Self.rows, into: database)
        let since = Self.firstDay + 20 * 86_400 + 7
        let customers = ["1", "2", "3"]
        var ledgerBefore: [String: [LedgerEntry]] = [:]
        var recentBefore: [String: [LedgerEntry]] = [:]
        for customer in customers {
            ledgerBefore[customer] = try database.query(Self.version4CustomerLedgerSQL, customer, since)
                .map(ReadTransaction.ledgerEntry)
            recentBefore[customer] = try database.query(Self.version4RecentLedgerSQL, customer, 7)
                .map(ReadTransaction.ledgerEntry)
        }
        try database.close()

        // Opening it as a store migrates it.
        let store = try Store(path: path)
        defer { store.close() }
        let version = try store.database.queryFirst("SELECT max(version) FROM schema_migrations")?.get(0, as: Int.self)
        #expect(version == Schema.migrator.newestVersion)
        let indexes = try store.database.query("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            .map { try $0.get(0, as: String.self) }
        #expect(indexes.contains("ledger_by_day_and_customer"))
        #expect(indexes.contains("ledger_by_issue"))
        #expect(!indexes.contains("ledger_by_customer"))
        #expect(!indexes.contains("redemptions_by_contract"))

        for customer in customers {
            let ledger = try store.read {
                try $0.ledger(customerID: customer, since: Date(timeIntervalSince1970: TimeInterval(since)))
            }
            let recent = try store.read { try $0.recentLedger(customerID: customer, limit: 7) }
            #expect(ledger == ledgerBefore[customer], "customer \(customer)")
            #expect(recent == recentBefore[customer], "customer \(customer)")
            #expect(ledger.map(\.id) == Self.expectedIDs(customer: customer, since: since), "customer \(customer)")
        }
        #expect(ledgerBefore["1"]?.isEmpty == false)
    }
}
