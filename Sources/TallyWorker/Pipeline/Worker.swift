import AMQPClient
import Foundation
import TallyCore
import TallyStore
import TallySupport

/// The worker: consumes tracker commands, applies the quota rules, and publishes the results.
///
/// The life of a delivery: receive, decode, apply in one SQLite transaction (inbox, rules,
/// ledger, outbox), publish the outbox rows with confirms, then ack. A command is acked only
/// after its outcome is committed and its results are confirmed by the broker, so a crash at
/// any point loses nothing: unacked deliveries come back, the inbox turns them into duplicates,
/// and the outbox, drained at start, still holds any result not yet confirmed.
///
/// Runs on the calling thread until a stop signal (see `ShutdownSignal`) and returns after a
/// graceful stop. Not thread-safe: one `Worker` per thread.
public final class Worker {
    public let configuration: WorkerConfiguration
    let logger: Logger
    let store: Store
    let retryPolicy: RetryPolicy
    var lifecycle = WorkerStateMachine()
    var counters = WorkerCounters()
    let startedAt = Date()
    var lastHousekeeping = ContinuousClock.now
    var lastInboxPruning = ContinuousClock.now
    /// When the worker last acked a delivery, for the heartbeat.
    var lastActivity = Date()
    /// Outbox rows confirmed by the broker, deleted in the next write transaction so that a
    /// batch costs one commit. Lost in a crash, they are published again with the same ids.
    var confirmedOutboxIDs: [Int64] = []
    var failedOutboxRows: [(id: Int64, error: String)] = []
    /// The last run's results, published and awaiting confirms; its deliveries are unacked.
    var inFlight: InFlightResults?
    let repeatLimiter = RepeatLimiter(limit: 3, interval: .seconds(60))

    /// Opens the database, migrating its schema when needed, and checks that it is writable.
    /// It connects nothing yet.
    ///
    /// The worker never creates the database: on a mistyped path it would start an empty Tally
    /// that rejects every issue as `unknown_customer`, for good. While another process holds
    /// the write lock, as a worker migrating the schema after an upgrade does, it waits.
    ///
    /// - Throws: `DatabaseMissingError` when the file does not exist, the store's error when it
    ///   is read-only or corrupt, and `StoppedWhileWaitingError` when a stop is requested while
    ///   the database is locked.
    public init(configuration: WorkerConfiguration, logger: Logger) throws {
        guard FileManager.default.fileExists(atPath: configuration.databasePath) else {
            throw DatabaseMissingError(path: configuration.databasePath)
        }
        self.configuration = configuration
        self.logger = logger
        self.retryPolicy = RetryPolicy()
        self.store = try Self.openStore(configuration, logger: logger)
    }

    /// Opens the store, trying again with backoff while the database is locked.
    ///
    /// Opening takes the write lock only when the schema needs a migration. A migration of a
    /// large database can hold the lock for longer than the busy timeout, and a worker that gave
    /// up would exit with a code that systemd does not restart.
    private static func openStore(_ configuration: WorkerConfiguration, logger: Logger) throws -> Store {
        var backoff = Backoff(base: configuration.storageRetryDelay, cap: configuration.storageRetryDelayCap)
        while true {
            do {
                return try Store(path: configuration.databasePath, busyTimeout: configuration.databaseBusyTimeout)
            } catch let error where StorageFailure(error) == .locked {
                if ShutdownSignal.requested != nil {
                    throw StoppedWhileWaitingError(reason: "the database is locked by another process")
                }
                let delay = backoff.nextDelay()
                logger.warning("database locked at start; waiting", metadata: [
                    "database": "\(configuration.databasePath)",
                    "error": "\(error)",
                    "attempt": "\(backoff.attempt)",
                    "retry_in_ms": "\(delay.milliseconds)",
                ])
                Thread.sleep(forTimeInterval: Double(delay.milliseconds) / 1000)
            }
        }
    }

    /// Runs until a stop is requested; reconnects after broker failures.
    ///
    /// - Throws: `TopologyMismatchError` when the broker holds a queue or exchange declared
    ///   with other arguments; reconnecting cannot fix that, so the process should exit.
    public func run() throws {
        logger.info("worker started", metadata: [
            "worker_id": "\(configuration.workerID)",
            "database": "\(configuration.databasePath)",
            "amqp_url": "\(configuration.amqpURL)",
            "prefetch": "\(configuration.prefetch)",
            "batch_size": "\(configuration.batchSize)",
            "example_queues": "\(configuration.declaresExampleQueues ? "declared" : "not declared")",
            "max_body_size": "\(configuration.maximumBodySize)",
            "heartbeat_s": "\(configuration.amqpHeartbeat.components.seconds)",
            "busy_timeout_ms": "\(configuration.databaseBusyTimeout.milliseconds)",
            "confirm_timeout_ms": "\(configuration.confirmTimeout.milliseconds)",
            "shutdown_grace_period_s": "\(configuration.shutdownGracePeriod.components.seconds)",
            "inbox_retention_s": "\(configuration.inboxRetention.components.seconds)",
        ])
        do {
            try TopologyDeclarer.validate(Topology.standard)
        } catch {
            logger.critical("topology cannot work; not connecting", metadata: ["error": "\(error)"])
            throw error
        }

        var reconnectBackoff = Backoff(base: configuration.reconnectDelay, cap: configuration.reconnectDelayCap)
        var refusalBackoff = Backoff(base: .seconds(10), cap: .seconds(60))

        while ShutdownSignal.requested == nil {
            transition(.connectStarted)
            do {
                let session = try BrokerSession(configuration: configuration, logger: logger)
                defer { session.close() }
                logger.info("connected", metadata: [
                    "amqp_url": "\(configuration.amqpURL)",
                    "attempt": "\(reconnectBackoff.attempt + refusalBackoff.attempt)",
                ])
                reconnectBackoff.reset()
                refusalBackoff.reset()
                transition(.connected)

                try runSession(session)
                break
            } catch let error as StoppedWhileWaitingError {
                logger.warning("stopped before the work in hand was finished; the broker delivers it again", metadata: [
                    "reason": "\(error.reason)",
                ])
                break
            } catch let error as TopologyMismatchError {
                logger.critical("topology mismatch; not consuming", metadata: ["error": "\(error)"])
                throw error
            } catch let error as AMQPError where error.isRefusal {
                counters.connectionFailures += 1
                let delay = refusalBackoff.nextDelay(unit: Double.random(in: 0.5...1))
                logger.error("broker refused the connection; retrying", metadata: [
                    "user": "\(configuration.amqpURL.user)",
                    "vhost": "\(configuration.amqpURL.virtualHost)",
                    "error": "\(error)",
                    "retry_in_ms": "\(delay.milliseconds)",
                    "fix": "check the user, password and vhost in --amqp-url or TALLY_AMQP_URL, and the user's permissions on the vhost",
                ])
                transition(.connectionLost)
                recordHeartbeatIgnoringErrors()
                sleepUnlessStopped(delay)
            } catch {
                counters.connectionFailures += 1
                let delay = reconnectBackoff.nextDelay()
                logger.warning("connection lost; reconnecting", metadata: [
                    "error": "\(error)",
                    "retry_in_ms": "\(delay.milliseconds)",
                    "attempt": "\(reconnectBackoff.attempt)",
                ])
                transition(.connectionLost)
                recordHeartbeatIgnoringErrors()
                sleepUnlessStopped(delay)
            }
        }

        transition(.stopRequested)
        transition(.drained)
        recordHeartbeatIgnoringErrors()
        store.close()
        logger.info("worker stopped", metadata: [
            "worker_id": "\(configuration.workerID)",
            "processed": "\(counters.processed)",
            "duplicates": "\(counters.duplicates)",
            "dead_lettered": "\(counters.deadLettered)",
        ])
    }

    /// Drains the outbox, then consumes until a stop is requested, then finishes in-flight
    /// work within the grace period.
    private func runSession(_ session: BrokerSession) throws {
        inFlight = nil
        try drainOutbox(session, includingRecentRows: true)
        try session.startConsuming()
        // The heartbeat row goes first, so that tallyctl status counts this worker from now on.
        lastHousekeeping = ContinuousClock.now
        recordHeartbeatIgnoringErrors()
        logger.info("consuming", metadata: ["queue": "\(Topology.commandQueue)", "prefetch": "1"])

        while ShutdownSignal.requested == nil {
            try housekeepIfDue(session)
            // With results in flight, only deliveries already received are taken: if there
            // are none, the worker settles those results instead of waiting for more.
            let batch = try session.takeBatch(maximum: configuration.batchSize, wait: inFlight == nil ? .milliseconds(200) : .zero)
            if batch.isEmpty {
                try settleInFlight(session)
            } else {
                try process(batch, session: session)
            }
            if session.isCautious, batch.contains(where: { !$0.mayHaveCrashedBefore }) {
                // Raising the prefetch takes RPCs, which a connection the broker blocks after
                // a publish never gets answered. Settling the results first waits out a block
                // while reporting it, and then the broker reads the socket again.
                try settleInFlight(session)
                try session.widenPrefetch()
                logger.info("no redelivered commands ahead; prefetch raised", metadata: ["prefetch": "\(configuration.prefetch)"])
            }
        }

        try drain(session)
    }

    /// Stops gracefully before the grace period ends: takes no new deliveries, finishes those
    /// already received, and publishes what is left in the outbox.
    private func drain(_ session: BrokerSession) throws {
        let deadline = ContinuousClock.now + configuration.shutdownGracePeriod
        transition(.stopRequested)
        logger.notice("stop requested; draining", metadata: [
            "signal": "\(ShutdownSignal.requested ?? 0)",
            "grace_period_s": "\(configuration.shutdownGracePeriod.components.seconds)",
        ])

        // basic.cancel is an RPC, which a blocked connection never gets answered; closing the
        // connection at the end cancels the consumer as well.
        if !session.connection.isBlocked {
            try session.stopConsuming()
        }
        while ContinuousClock.now < deadline {
            let batch = try session.takeBatch(maximum: configuration.batchSize, wait: .zero)
            if batch.isEmpty { break }
            try process(batch, session: session, deadline: deadline)
        }
        try settleInFlight(session, deadline: deadline)
        if !session.pending.isEmpty {
            logger.warning("grace period over; leaving deliveries unacked for redelivery", metadata: [
                "unacked": "\(session.pending.count)",
            ])
        }

        try flushOutboxBookkeeping()
        try drainOutbox(session, includingRecentRows: false, deadline: deadline)
        logger.notice("drained", metadata: ["processed": "\(counters.processed)"])
    }

    func touchActivity() {
        lastActivity = Date()
    }

    func transition(_ event: WorkerEvent) {
        let previous = lifecycle.state
        if let next = lifecycle.handle(event) {
            logger.debug("state changed", metadata: ["from": "\(previous.rawValue)", "to": "\(next.rawValue)"])
        }
    }

    /// Sleeps for `duration` in short steps, returning early when a stop is requested.
    func sleepUnlessStopped(_ duration: Duration) {
        let deadline = ContinuousClock.now + duration
        while ShutdownSignal.requested == nil, ContinuousClock.now < deadline {
            let step = min(.milliseconds(100), deadline - ContinuousClock.now)
            if step > .zero {
                Thread.sleep(forTimeInterval: step.seconds)
            }
        }
    }
}

/// The database file does not exist. The worker does not create it.
public struct DatabaseMissingError: Error, CustomStringConvertible {
    public let path: String

    public var description: String {
        "The database \(path) does not exist. Fix the path, or create the database with 'tallyctl customers import FILE --database \(path)'; the worker does not create one, so that a mistyped path cannot start with no customers."
    }
}

/// Figures the worker keeps for its heartbeat row and its stop log line.
struct WorkerCounters {
    var received = 0
    var processed = 0
    var duplicates = 0
    var deadLettered = 0
    var retried = 0
    var resultsPublished = 0
    var resultsReturned = 0
    var resultsNacked = 0
    var storageFailures = 0
    var connectionFailures = 0

    var asDictionary: [String: Int] {
        [
            "received": received, "processed": processed, "duplicates": duplicates,
            "dead_lettered": deadLettered, "retried": retried, "results_published": resultsPublished,
            "results_returned": resultsReturned, "results_nacked": resultsNacked,
            "storage_failures": storageFailures, "connection_failures": connectionFailures,
        ]
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

extension AMQPError {
    /// The broker answered but refused us: wrong credentials, or no access to the vhost. Retried
    /// slowly, because permissions may be restored, but never in a tight loop.
    var isRefusal: Bool {
        kind == .authenticationFailed || kind == .accessRefused
    }
}
