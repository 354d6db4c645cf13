import AMQPClient
import Foundation
import TallyCore
import TallyStore
import TallySupport

extension Worker {
    /// Processes deliveries in delivery-tag order and acks them.
    ///
    /// A delivery the broker has sent before may be the one that crashed a worker, so it is
    /// applied in a run of its own: if it crashes again, only its own delivery count grows, and
    /// the queue's delivery limit dead-letters it without dragging innocent commands along.
    func process(_ batch: [Delivery], session: BrokerSession, deadline: ContinuousClock.Instant? = nil) throws {
        counters.received += batch.count
        for run in Self.isolatingRedeliveries(batch) {
            try processRun(run, session: session, deadline: deadline)
        }
    }

    /// Splits a batch into consecutive runs, each redelivered delivery alone.
    static func isolatingRedeliveries(_ batch: [Delivery]) -> [[Delivery]] {
        var runs: [[Delivery]] = []
        var current: [Delivery] = []
        for delivery in batch {
            if delivery.mayHaveCrashedBefore {
                if !current.isEmpty { runs.append(current) }
                runs.append([delivery])
                current = []
            } else {
                current.append(delivery)
            }
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }

    private func processRun(_ run: [Delivery], session: BrokerSession, deadline: ContinuousClock.Instant?) throws {
        guard let last = run.last else { return }
        if let crashID = configuration.crashOnMessageID,
            run.contains(where: { $0.properties.messageID == crashID })
        {
            logger.critical("fault switch: exiting before ack", metadata: ["message_id": "\(crashID)"])
            _exit(70)
        }

        let triaged = run.map { Triage($0, maximumBodySize: configuration.maximumBodySize) }
        let written: [OutboxMessage]
        do {
            written = try applyRetryingStorage(run, triaged, session: session)
        } catch let failure as CommandFailure where run.count > 1 {
            logger.warning("batch failed; applying its commands one by one", metadata: ["error": "\(failure.underlying)"])
            for delivery in run {
                try processRun([delivery], session: session, deadline: deadline)
            }
            return
        } catch let failure as CommandFailure {
            written = try deadLetterAfterFailure(last, failure: failure, session: session)
        }

        // The results go out unconfirmed: the broker confirms them while the next run is
        // applied, and the run is acked once they are confirmed (see `settleInFlight`).
        try settleInFlight(session, deadline: deadline)
        inFlight = InFlightResults(sequenceNumbers: try send(written, session: session), ackThrough: last.deliveryTag)
    }

    /// Applies a run in one transaction, waiting and trying again while the database cannot be
    /// written. Deliveries stay unacked meanwhile and the connection keeps being read.
    ///
    /// - Throws: `CommandFailure` for an error that waiting cannot fix (a bug or a constraint
    ///   violation); connection errors from reading the broker while waiting.
    private func applyRetryingStorage(
        _ run: [Delivery], _ triaged: [Triage], session: BrokerSession
    ) throws -> [OutboxMessage] {
        var backoff = Backoff(base: configuration.storageRetryDelay, cap: configuration.storageRetryDelayCap)
        while true {
            do {
                let written = try apply(run, triaged)
                if lifecycle.state == .waitingForStorage {
                    transition(.storageRecovered)
                    logger.notice("database writable again; resuming", metadata: ["database": "\(store.path)"])
                }
                return written
            } catch let error where StorageFailure(error) != nil {
                counters.storageFailures += 1
                transition(.storageFailed)
                let delay = backoff.nextDelay(unit: 1)
                logger.log(level: .error, "database write failed; holding deliveries unacked", metadata: [
                    "database": "\(store.path)",
                    "failure": "\(StorageFailure(error)?.rawValue ?? "-")",
                    "error": "\(error)",
                    "unacked": "\(run.count + session.pending.count)",
                    "retry_in_ms": "\(delay.milliseconds)",
                ], limiter: repeatLimiter, key: "storage")
                if ShutdownSignal.requested != nil {
                    throw StoppedWhileWaitingError(reason: "the database cannot be written")
                }
                try session.pump(for: delay)
            } catch {
                throw CommandFailure(underlying: error)
            }
        }
    }

    /// The transaction of one run: for each delivery the inbox check, the rules and ledger, and
    /// the outbox rows of its results, dead letter or retry copy. Counters and log lines wait
    /// for the commit, so a rolled-back attempt is neither counted nor logged.
    private func apply(_ run: [Delivery], _ triaged: [Triage]) throws -> [OutboxMessage] {
        let now = Date()
        var applied = AppliedRun()

        try store.write { transaction in
            applied = AppliedRun()
            try flushOutboxBookkeeping(in: transaction)

            for (delivery, triage) in zip(run, triaged) {
                switch triage {
                case .malformed(let malformed):
                    try applyMalformed(delivery, malformed, in: transaction, at: now, into: &applied)
                case .command(let decoded, let attempt):
                    try applyCommand(delivery, decoded, attempt: attempt, in: transaction, at: now, into: &applied)
                }
            }

            if housekeepingIsDue {
                try transaction.recordHeartbeat(heartbeat())
            }
        }

        report(applied)
        return applied.outbox
    }

    /// Dead-letters a malformed command, unless it is a redelivery of one already dead-lettered.
    private func applyMalformed(
        _ delivery: Delivery, _ malformed: MalformedCommand, in transaction: WriteTransaction, at now: Date,
        into applied: inout AppliedRun
    ) throws {
        if let messageID = delivery.properties.messageID, malformed.reason.allowsInboxRecord {
            let digest = BodyDigest.sha256(delivery.body)
            let entry = InboxEntry(messageID: messageID, routingKey: delivery.routingKey, bodyDigest: digest, disposition: .deadLettered)
            if let prior = try transaction.claimInbox(entry, receivedAt: now) {
                if prior.hasBody(digest: digest) {
                    applied.duplicates += 1
                    return
                }
                if prior.disposition == .deadLettered {
                    try transaction.replaceInbox(entry, receivedAt: now)
                }
            }
        }

        let headers = DeadLetterHeaders.headers(for: malformed, originalRoutingKey: delivery.routingKey, worker: configuration.workerID)
        applied.outbox.append(try enqueue(.deadLetter(of: delivery, headers: headers, at: now), in: transaction))
        applied.deadLetters.append((delivery, malformed.reason.rawValue, malformed.field))
    }

    /// Applies a well-formed command once per message id.
    ///
    /// The inbox tells a redelivery (same id, same body: no effect) from a reused id (same id,
    /// another body: dead-lettered as `message_id_reused`, because applying it could bill an
    /// incident twice and dropping it could lose one). A command whose id belongs to a
    /// dead-lettered one is applied: that is a corrected command or a replay.
    private func applyCommand(
        _ delivery: Delivery, _ decoded: DecodedCommand, attempt: Int, in transaction: WriteTransaction, at now: Date,
        into applied: inout AppliedRun
    ) throws {
        let digest = BodyDigest.sha256(delivery.body)
        let entry = InboxEntry(messageID: decoded.messageID, routingKey: delivery.routingKey, bodyDigest: digest, disposition: .processed)
        if let prior = try transaction.claimInbox(entry, receivedAt: now) {
            if prior.disposition == .deadLettered {
                try transaction.replaceInbox(entry, receivedAt: now)
            } else if prior.hasBody(digest: digest) {
                applied.duplicates += 1
                return
            } else {
                let headers = [
                    DeadLetterHeaders.reason: Self.messageIDReusedReason,
                    DeadLetterHeaders.detail: "Message id \(decoded.messageID) was processed before with another body (routing key \(prior.routingKey)); publish this command with a new message id.",
                    DeadLetterHeaders.originalRoutingKey: delivery.routingKey,
                    DeadLetterHeaders.worker: configuration.workerID,
                ]
                applied.outbox.append(try enqueue(.deadLetter(of: delivery, headers: headers, at: now), in: transaction))
                applied.deadLetters.append((delivery, Self.messageIDReusedReason, nil))
                return
            }
        }

        let outcome = try transaction.apply(decoded.command, commandID: decoded.messageID)

        if let retryQueue = retryPolicy.retryQueue(for: outcome, attempt: attempt) {
            try transaction.forgetInbox(messageID: decoded.messageID)
            let copy = OutboxMessage.retryCopy(of: delivery, attempt: attempt + 1, queue: retryQueue.queue, at: now)
            applied.outbox.append(try enqueue(copy, in: transaction))
            applied.retries.append((decoded, attempt + 1, retryQueue))
            return
        }

        let results = ResultEncoder.results(
            for: outcome, command: decoded.command, commandMessageID: decoded.messageID, processedAt: now)
        for result in results {
            applied.outbox.append(try enqueue(OutboxMessage(result, at: now), in: transaction))
        }
        applied.processed += 1
    }

    /// The dead-letter reason of a command whose message id was processed before with another body.
    static let messageIDReusedReason = "message_id_reused"

    /// Counts and logs what a committed run did.
    private func report(_ applied: AppliedRun) {
        counters.processed += applied.processed
        counters.duplicates += applied.duplicates
        counters.deadLettered += applied.deadLetters.count
        counters.retried += applied.retries.count

        for (delivery, reason, field) in applied.deadLetters {
            logger.warning("command dead-lettered", metadata: [
                "message_id": "\(delivery.properties.messageID ?? "-")",
                "routing_key": "\(delivery.routingKey)",
                "reason": "\(reason)",
                "field": "\(field ?? "-")",
            ])
        }
        for (decoded, attempt, queue) in applied.retries {
            logger.info("command sent for retry", metadata: [
                "message_id": "\(decoded.messageID)",
                "issue_id": "\(decoded.command.issueID)",
                "attempt": "\(attempt)",
                "delay_ms": "\(queue.delayMilliseconds)",
            ])
        }
        if applied.duplicates > 0 {
            logger.debug("duplicate commands acked without effect", metadata: ["count": "\(applied.duplicates)"])
        }
    }

    /// Dead-letters a command whose processing failed for a reason that retrying cannot fix,
    /// so it never loops, and records it in the inbox so a redelivery stays dead.
    private func deadLetterAfterFailure(_ delivery: Delivery, failure: CommandFailure, session: BrokerSession) throws -> [OutboxMessage] {
        let now = Date()
        logger.error("command failed; dead-lettering it", metadata: [
            "message_id": "\(delivery.properties.messageID ?? "-")",
            "routing_key": "\(delivery.routingKey)",
            "error": "\(failure.underlying)",
        ])
        counters.deadLettered += 1

        let headers = [
            DeadLetterHeaders.reason: "processing_failed",
            DeadLetterHeaders.detail: String("\(failure.underlying)".prefix(500)),
            DeadLetterHeaders.originalRoutingKey: delivery.routingKey,
            DeadLetterHeaders.worker: configuration.workerID,
        ]
        return try store.write { transaction in
            if let messageID = delivery.properties.messageID {
                let entry = InboxEntry(
                    messageID: messageID, routingKey: delivery.routingKey, bodyDigest: BodyDigest.sha256(delivery.body),
                    disposition: .deadLettered)
                try transaction.replaceInbox(entry, receivedAt: now)
            }
            return [try enqueue(OutboxMessage.deadLetter(of: delivery, headers: headers, at: now), in: transaction)]
        }
    }

    private func enqueue(_ message: OutboxMessage, in transaction: WriteTransaction) throws -> OutboxMessage {
        var stored = message
        stored.id = try transaction.enqueueOutbox(message)
        return stored
    }
}

/// Results of a committed run, published and not yet confirmed.
struct InFlightResults {
    var sequenceNumbers: [UInt64: OutboxMessage]
    /// The run's last delivery tag, acked (multiple) once every result is confirmed.
    var ackThrough: UInt64
}

/// What one committed run did, reported after the commit.
private struct AppliedRun {
    var outbox: [OutboxMessage] = []
    var processed = 0
    var duplicates = 0
    /// Each dead letter with its reason and the field involved.
    var deadLetters: [(Delivery, String, String?)] = []
    var retries: [(DecodedCommand, Int, Topology.RetryQueue)] = []
}

/// An error from applying commands that waiting would not fix.
struct CommandFailure: Error {
    let underlying: any Error
}

/// A stop was requested while the worker was waiting for the database or the broker. The
/// deliveries in hand stay unacked; the broker delivers them again to the next worker.
public struct StoppedWhileWaitingError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "stopped while waiting: \(reason)" }
}

extension MalformedReason {
    /// Whether the message id of a malformed command can key the inbox, so that a redelivered
    /// copy is not dead-lettered twice.
    var allowsInboxRecord: Bool {
        self != .missingMessageID && self != .invalidMessageID
    }
}
