import Foundation

/// A message waiting in the outbox to be published, written in the same transaction as the
/// change it reports.
public struct OutboxMessage: Sendable, Equatable {
    /// The outbox row id, 0 before `enqueueOutbox(_:)`.
    public var id: Int64
    public var exchange: String
    public var routingKey: String
    public var messageID: String
    public var correlationID: String?
    public var type: String?
    /// AMQP headers, stored as a JSON object.
    public var headers: [String: String]
    public var body: [UInt8]
    /// Stored to the millisecond.
    public var createdAt: Date
    /// Failed publish attempts so far.
    public var attempts: Int
    public var lastError: String?
    /// The AMQP content type; nil means `application/json`, the type of every result.
    public var contentType: String?

    public init(
        id: Int64 = 0, exchange: String, routingKey: String, messageID: String, correlationID: String? = nil,
        type: String? = nil, headers: [String: String] = [:], body: [UInt8], createdAt: Date, attempts: Int = 0,
        lastError: String? = nil, contentType: String? = nil
    ) {
        self.contentType = contentType
        self.id = id
        self.exchange = exchange
        self.routingKey = routingKey
        self.messageID = messageID
        self.correlationID = correlationID
        self.type = type
        self.headers = headers
        self.body = body
        self.createdAt = createdAt
        self.attempts = attempts
        self.lastError = lastError
    }
}

/// The last sign of life of one worker process, upserted by its id.
public struct WorkerHeartbeat: Sendable, Equatable {
    public var workerID: String
    public var pid: Int32
    public var host: String
    /// Stored to the millisecond, as is `lastActivityAt`.
    public var startedAt: Date
    public var lastActivityAt: Date
    /// The worker's state name, such as `consuming` or `draining`.
    public var state: String
    /// Named counters, such as deliveries handled; stored as a JSON object.
    public var counters: [String: Int]
    /// When the row was written. A worker writes it every few seconds, busy or idle, so an old
    /// value means the worker stopped without saying so. `recordHeartbeat` stores the time of
    /// writing when this is nil; rows from before this field read back as nil.
    public var recordedAt: Date?

    public init(
        workerID: String, pid: Int32, host: String, startedAt: Date, lastActivityAt: Date, state: String,
        counters: [String: Int] = [:], recordedAt: Date? = nil
    ) {
        self.recordedAt = recordedAt
        self.workerID = workerID
        self.pid = pid
        self.host = host
        self.startedAt = startedAt
        self.lastActivityAt = lastActivityAt
        self.state = state
        self.counters = counters
    }
}

/// A (contract, incident type) whose used count disagrees with the ledger.
public struct LedgerDiscrepancy: Sendable, Equatable, CustomStringConvertible {
    public var contractID: String
    public var incidentType: String
    /// The stored counter, 0 when the row is missing.
    public var usedCount: Int
    /// Redeems minus un-redeems in the ledger.
    public var ledgerCount: Int
    /// Rows in `redemptions`.
    public var liveRedemptions: Int
    /// `used_after` of the newest ledger row, `nil` without one.
    public var lastUsedAfter: Int?

    public init(contractID: String, incidentType: String, usedCount: Int, ledgerCount: Int, liveRedemptions: Int, lastUsedAfter: Int?) {
        self.contractID = contractID
        self.incidentType = incidentType
        self.usedCount = usedCount
        self.ledgerCount = ledgerCount
        self.liveRedemptions = liveRedemptions
        self.lastUsedAfter = lastUsedAfter
    }

    public var description: String {
        "contract \(contractID), type \(incidentType): used count \(usedCount), ledger implies \(ledgerCount), "
            + "\(liveRedemptions) live redemptions, last ledger row says \(lastUsedAfter.map(String.init) ?? "nothing")"
    }
}
