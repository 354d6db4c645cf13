import Foundation
import SQLite

/// Reads inside one `Store.read` or `Store.write` transaction. Valid only inside that closure.
public class ReadTransaction {
    let database: Database
    var isOpen = true
    private let cache: CustomerDataCache?

    init(database: Database, cache: CustomerDataCache? = nil) {
        self.database = database
        self.cache = cache
    }

    /// Customer, contract and issue lookups. Each backend checks the store's customer data
    /// cache against the database first, so its lookups return customer data changed a moment
    /// before, in this transaction or by another connection.
    public var backend: SQLiteCustomerBackend {
        get throws {
            precondition(isOpen, "a transaction is used after its closure returned")
            try cache?.validate(against: database)
            return SQLiteCustomerBackend(database: database, cache: cache)
        }
    }

    // MARK: Inbox and outbox

    /// Returns up to `limit` outbox messages, oldest first, optionally only those created before
    /// an instant.
    public func pendingOutbox(limit: Int, createdBefore: Date? = nil) throws -> [OutboxMessage] {
        let rows: [Row]
        if let createdBefore {
            rows = try database.query(
                "SELECT \(Self.outboxColumns) FROM outbox WHERE created_at_ms < ? ORDER BY id LIMIT ?",
                StoredDate.milliseconds(createdBefore), limit)
        } else {
            rows = try database.query("SELECT \(Self.outboxColumns) FROM outbox ORDER BY id LIMIT ?", limit)
        }
        return try rows.map(Self.outboxMessage)
    }

    /// Returns the number of messages waiting in the outbox and the creation time of the oldest.
    public func outboxStatistics() throws -> (count: Int, oldestCreatedAt: Date?) {
        let row = try database.queryFirst("SELECT count(*), min(created_at_ms) FROM outbox")
        let count: Int = try row?.get(0) ?? 0
        let oldest: Int64? = try row?.get(1)
        return (count, oldest.map { StoredDate.date(milliseconds: $0) })
    }

    /// Returns the number of message ids recorded in the inbox.
    public func inboxCount() throws -> Int {
        try database.queryFirst("SELECT count(*) FROM inbox")?.get(0) ?? 0
    }

    /// Returns every worker's last heartbeat, sorted by worker id.
    public func heartbeats() throws -> [WorkerHeartbeat] {
        try database.query(
            """
            SELECT worker_id, pid, host, started_at_ms, last_activity_at_ms, state, counters, recorded_at_ms
            FROM worker_heartbeats ORDER BY worker_id
            """
        ).map { row in
            let countersJSON: String = try row.get(6)
            return WorkerHeartbeat(
                workerID: try row.get(0), pid: try row.get(1), host: try row.get(2),
                startedAt: StoredDate.date(milliseconds: try row.get(3)),
                lastActivityAt: StoredDate.date(milliseconds: try row.get(4)), state: try row.get(5),
                counters: try JSONText.decode(countersJSON, as: [String: Int].self, what: "heartbeat counters"),
                recordedAt: try row.get(7, as: Int64?.self).map(StoredDate.date(milliseconds:)))
        }
    }

    // MARK: Ledger

    /// Returns the ledger rows of one issue, oldest first.
    public func ledger(issueID: Int64) throws -> [LedgerEntry] {
        try database.query("SELECT \(Self.ledgerColumns) FROM ledger WHERE issue_id = ? ORDER BY id", issueID)
            .map(Self.ledgerEntry)
    }

    /// Returns the ledger rows of one customer at or after `since`, oldest first.
    public func ledger(customerID: CustomerID, since: Date?) throws -> [LedgerEntry] {
        try database.query(Self.customerLedgerSQL, customerID, since.map(StoredDate.seconds) ?? Int64.min)
            .map(Self.ledgerEntry)
    }

    /// Returns the newest `limit` ledger rows of one customer, newest first. A negative `limit`
    /// returns all of them, as SQLite reads a negative LIMIT.
    public func recentLedger(customerID: CustomerID, limit: Int) throws -> [LedgerEntry] {
        try database.query(Self.recentCustomerLedgerSQL, customerID, limit < 0 ? Int.max : limit)
            .map(Self.ledgerEntry)
    }

    /// The rows of customer `?1` at or after `?2` (Unix seconds), ordered by `at` and `id`.
    ///
    /// `ledger_by_day_and_customer` leads with the UTC day (`at / 86400`), so the query walks the
    /// days that have ledger rows from `?2` on instead of scanning the index. Each day costs one
    /// index seek to find it and one to find the customer's rows in it.
    static let customerLedgerSQL = """
        WITH RECURSIVE days(day) AS (
            SELECT min(at / 86400) FROM ledger WHERE at / 86400 >= ?2 / 86400
            UNION ALL
            SELECT (SELECT min(at / 86400) FROM ledger WHERE at / 86400 > days.day) FROM days WHERE day IS NOT NULL
        )
        SELECT \(ledgerColumns) FROM days CROSS JOIN ledger
        WHERE ledger.at / 86400 = days.day AND ledger.customer_id = ?1 AND ledger.at >= ?2
        ORDER BY ledger.at, ledger.id
        """

    /// The newest `?2` rows of customer `?1`, ordered by `at` and `id`, descending.
    ///
    /// Walks the days that have ledger rows from the newest back, counting the customer's rows
    /// in each, and stops after the day that brings the count to `?2`: older rows cannot be
    /// among the newest.
    static let recentCustomerLedgerSQL = """
        WITH RECURSIVE days(day, found) AS (
            SELECT (SELECT max(at / 86400) FROM ledger), 0
            UNION ALL
            SELECT (SELECT max(at / 86400) FROM ledger WHERE at / 86400 < days.day),
                found + (SELECT count(*) FROM ledger WHERE at / 86400 = days.day AND customer_id = ?1)
            FROM days WHERE day IS NOT NULL AND found < ?2
        )
        SELECT \(ledgerColumns) FROM days CROSS JOIN ledger
        WHERE ledger.at / 86400 = days.day AND ledger.customer_id = ?1
        ORDER BY ledger.at DESC, ledger.id DESC LIMIT ?2
        """

    /// Compares, per contract and incident type, the used counter, the number of live
    /// redemptions, redeems minus un-redeems in the ledger, and `used_after` of the newest ledger
    /// row. Returns one discrepancy per pair where they differ, sorted; empty when all agree.
    ///
    /// Reads the whole ledger: meant for operators and tests, not for the command path.
    public func verifyLedger() throws -> [LedgerDiscrepancy] {
        struct Key: Hashable, Comparable {
            var contract: String
            var type: String
            static func < (a: Key, b: Key) -> Bool { (a.contract, a.type) < (b.contract, b.type) }
        }

        func counts(_ sql: String) throws -> [Key: Int] {
            var result: [Key: Int] = [:]
            try database.forEachRow(sql) { row in
                result[Key(contract: try row.get(0), type: try row.get(1))] = try row.get(2)
            }
            return result
        }

        let counters = try counts("SELECT contract_id, incident_type, used FROM incident_counts")
        let live = try counts("SELECT contract_id, incident_type, count(*) FROM redemptions GROUP BY contract_id, incident_type")
        let ledger = try counts(
            """
            SELECT contract_id, incident_type, sum(CASE action WHEN 'redeem' THEN 1 ELSE -1 END)
            FROM ledger GROUP BY contract_id, incident_type
            """)
        let lastUsedAfter = try counts(
            """
            SELECT contract_id, incident_type, used_after FROM ledger
            WHERE id IN (SELECT max(id) FROM ledger GROUP BY contract_id, incident_type)
            """)

        let keys = Set(counters.keys).union(live.keys).union(ledger.keys)
        return keys.sorted().compactMap { key in
            let implied = ledger[key] ?? 0
            let used = counters[key] ?? 0
            let liveCount = live[key] ?? 0
            let last = lastUsedAfter[key]
            guard used != implied || liveCount != implied || (last ?? 0) != implied else { return nil }
            return LedgerDiscrepancy(
                contractID: key.contract, incidentType: key.type, usedCount: used, ledgerCount: implied,
                liveRedemptions: liveCount, lastUsedAfter: last)
        }
    }

    // MARK: Quotas and reports

    /// Returns each contract of the customer with its status at `instant`, support level and
    /// per-type counters, sorted by contract id; `nil` when the customer is not defined.
    public func quotas(customerID: CustomerID, at instant: Date) throws -> [ContractQuotas]? {
        let backend = try backend
        guard try backend.customer(id: customerID) != nil else { return nil }
        return try backend.contracts(customerID: customerID).map { contract in
            guard let level = try backend.supportLevel(id: contract.supportLevelID) else {
                throw StoreError(.invalidData("support level \(contract.supportLevelID) of contract \(contract.id) is missing"))
            }
            let state = ContractState(contract: contract, supportLevel: level, used: try backend.usedCounts(contractID: contract.id))
            return ContractQuotas(contract: contract, status: contract.status(at: instant), supportLevel: level, quotas: state.quotas)
        }
    }

    /// Returns what is known about one customer at `instant`, with the newest
    /// `recentLedgerLimit` ledger rows; `nil` when the customer is not defined.
    public func customerReport(customerID: CustomerID, at instant: Date, recentLedgerLimit: Int = 10) throws -> CustomerReport? {
        let backend = try backend
        guard let customer = try backend.customer(id: customerID), let contracts = try quotas(customerID: customerID, at: instant) else {
            return nil
        }
        return CustomerReport(
            customer: customer, contacts: try backend.contacts(customerID: customerID), contracts: contracts,
            accountManagers: try backend.accountManagers(customerID: customerID),
            note: try backend.note(customerID: customerID)?.text,
            recentLedger: try recentLedger(customerID: customerID, limit: recentLedgerLimit))
    }

    // MARK: Rows

    static let outboxColumns =
        "id, exchange, routing_key, message_id, correlation_id, type, headers, body, created_at_ms, attempts, last_error, content_type"

    static func outboxMessage(_ row: Row) throws -> OutboxMessage {
        let headersJSON: String = try row.get(6)
        return OutboxMessage(
            id: try row.get(0), exchange: try row.get(1), routingKey: try row.get(2), messageID: try row.get(3),
            correlationID: try row.get(4), type: try row.get(5),
            headers: try JSONText.decode(headersJSON, as: [String: String].self, what: "outbox headers"),
            body: try row.get(7), createdAt: StoredDate.date(milliseconds: try row.get(8)), attempts: try row.get(9),
            lastError: try row.get(10), contentType: try row.get(11))
    }

    static let ledgerColumns = """
        id, command_id, action, actor, at, customer_id, contract_id, issue_id, incident_type, \
        total_after, used_after, remaining_after
        """

    static func ledgerEntry(_ row: Row) throws -> LedgerEntry {
        let action: String = try row.get(2)
        guard let parsedAction = LedgerEntry.Action(rawValue: action) else {
            throw StoreError(.invalidData("ledger action \"\(action)\""))
        }
        return LedgerEntry(
            id: try row.get(0), commandID: try row.get(1), action: parsedAction, actor: try row.get(3),
            at: StoredDate.date(seconds: try row.get(4)), customerID: try row.get(5), contractID: try row.get(6),
            issueID: try row.get(7), incidentType: try row.get(8), totalAfter: try row.get(9),
            usedAfter: try row.get(10), remainingAfter: try row.get(11))
    }
}

/// Reads and writes inside one `Store.write` transaction. Valid only inside that closure.
public final class WriteTransaction: ReadTransaction {
    /// Applies one command with the rules and stores the accepted issue, the redemptions and
    /// their ledger rows. `commandID` is the message id, kept in the ledger.
    public func apply(_ command: Command, commandID: String) throws -> CommandOutcome {
        try backend.apply(command, commandID: commandID)
    }

    /// Records a command's message id. Returns false when the id was recorded before, so the
    /// command is a duplicate.
    public func recordInbox(messageID: String, routingKey: String, receivedAt: Date) throws -> Bool {
        try database.execute(
            "INSERT INTO inbox (message_id, routing_key, received_at_ms) VALUES (?, ?, ?) ON CONFLICT (message_id) DO NOTHING",
            messageID, routingKey, StoredDate.milliseconds(receivedAt))
        return database.changes == 1
    }

    /// Deletes inbox ids received before `instant`, so the inbox stays bounded; a duplicate of
    /// a deleted id is no longer detected. Returns the number deleted.
    public func deleteInbox(receivedBefore instant: Date) throws -> Int {
        try database.execute("DELETE FROM inbox WHERE received_at_ms < ?", StoredDate.milliseconds(instant))
        return database.changes
    }

    /// Adds a message to the outbox and returns its row id.
    public func enqueueOutbox(_ message: OutboxMessage) throws -> Int64 {
        try database.execute(
            """
            INSERT INTO outbox (exchange, routing_key, message_id, correlation_id, type, headers, body,
                                created_at_ms, attempts, last_error, content_type)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            message.exchange, message.routingKey, message.messageID, message.correlationID, message.type,
            message.headers.jsonObjectText, message.body, StoredDate.milliseconds(message.createdAt),
            message.attempts, message.lastError, message.contentType)
        return database.lastInsertRowID
    }

    /// Deletes published messages from the outbox; unknown ids are ignored.
    public func deleteOutbox(ids: [Int64]) throws {
        for start in stride(from: 0, to: ids.count, by: 500) {
            let batch = Array(ids[start..<min(start + 500, ids.count)])
            let placeholders = Array(repeating: "?", count: batch.count).joined(separator: ", ")
            try database.execute("DELETE FROM outbox WHERE id IN (\(placeholders))", arguments: batch)
        }
    }

    /// Counts a failed publish of one outbox message and keeps its error.
    public func recordOutboxFailure(id: Int64, error: String, at instant: Date) throws {
        try database.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, last_attempt_at_ms = ? WHERE id = ?",
            error, StoredDate.milliseconds(instant), id)
    }

    /// Inserts or replaces the heartbeat of `heartbeat.workerID`.
    public func recordHeartbeat(_ heartbeat: WorkerHeartbeat) throws {
        try database.execute(
            """
            INSERT INTO worker_heartbeats (worker_id, pid, host, started_at_ms, last_activity_at_ms, state, counters, recorded_at_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (worker_id) DO UPDATE SET
                pid = excluded.pid, host = excluded.host, started_at_ms = excluded.started_at_ms,
                last_activity_at_ms = excluded.last_activity_at_ms, state = excluded.state, counters = excluded.counters,
                recorded_at_ms = excluded.recorded_at_ms
            """,
            heartbeat.workerID, heartbeat.pid, heartbeat.host, StoredDate.milliseconds(heartbeat.startedAt),
            StoredDate.milliseconds(heartbeat.lastActivityAt), heartbeat.state, try JSONText.encode(heartbeat.counters),
            StoredDate.milliseconds(heartbeat.recordedAt ?? Date()))
    }
}

/// Small JSON objects kept in text columns, with sorted keys so equal values store equal text.
enum JSONText {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ text: String, as type: T.Type, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw StoreError(.invalidData("\(what) are not valid JSON"))
        }
    }
}
