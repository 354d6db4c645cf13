import Foundation

/// Everything `tallyctl status` and `tallyctl metrics` show, gathered once.
struct StatusReport: Encodable, Sendable {
    var generatedAt: Date
    var broker: BrokerStatus
    var queues: [QueueStatus]
    /// Result routing keys that no queue bound to `tally.results` takes; nil without the
    /// management API, which lists the bindings.
    var unroutedResultKeys: [String]?
    var deadLetters: DeadLetterSummary?
    var database: DatabaseStatus
    var health: HealthReport
}

struct BrokerStatus: Encodable, Sendable {
    /// `management` when the management API responded, `amqp` for the passive-declare fallback,
    /// `unavailable` when the broker could not be reached at all.
    var source: String
    /// The user and broker address, such as `guest@127.0.0.1:5672`.
    var address: String
    var virtualHost: String
    /// The reason the management API was not used; nil when it was.
    var managementProblem: String?
    /// The figures the fallback cannot read.
    var missingFigures: [String]
    /// The reason the broker could not be read; `queues` is then empty.
    var error: String?
}

struct QueueStatus: Encodable, Sendable {
    var name: String
    /// `commands`, `retry`, `dead_letters` or `results`.
    var role: String
    var exists: Bool
    var ready: Int?
    var unacknowledged: Int?
    var consumers: Int?
    /// Messages per second, from the management API only.
    var publishRate: Double?
    var deliverRate: Double?
    var ackRate: Double?
}

struct DeadLetterSummary: Encodable, Sendable {
    var total: Int
    /// How many were read to count reasons; fewer than `total` when the queue is larger than
    /// the sample limit.
    var sampled: Int
    var byReason: [String: Int]
}

struct DatabaseStatus: Encodable, Sendable {
    var path: String
    var error: String?
    var outboxCount: Int?
    var outboxOldestAgeSeconds: Double?
    var inboxCount: Int?
    var workers: [WorkerStatus]
}

struct WorkerStatus: Encodable, Sendable {
    var workerID: String
    var host: String
    var pid: Int32
    var state: String
    /// `alive`, `stale` or `stopped`.
    var liveness: String
    /// The evidence that the worker is alive: `consumer`, `process` or `activity`; nil when not.
    var evidence: String?
    var startedAt: Date
    var lastActivityAt: Date
    var lastActivityAgeSeconds: Double
    var counters: [String: Int]
}
