import AMQPClient
import Foundation
import TallyCore
import TallyStore
import TallySupport

extension Worker {
    /// Publishes outbox rows `mandatory` and waits until the broker confirms every one, after
    /// settling the results still in flight.
    ///
    /// A row the broker confirmed is deleted in the next transaction. A row returned as
    /// unroutable, or nacked, stays in the outbox with the error recorded. The sweep publishes
    /// it again later, so it is never dropped. While the broker blocks publishing, this keeps
    /// waiting, so the caller acks nothing whose result is unconfirmed.
    func publish(_ messages: [OutboxMessage], session: BrokerSession, deadline: ContinuousClock.Instant? = nil) throws {
        try settleInFlight(session, deadline: deadline)
        try settle(try send(messages, session: session), session: session, deadline: deadline)
    }

    /// Publishes outbox rows `mandatory` without waiting, with their frames written together
    /// (one batch publish); returns them by sequence number.
    func send(_ messages: [OutboxMessage], session: BrokerSession) throws -> [UInt64: OutboxMessage] {
        let outgoing = messages.map { message in
            OutgoingMessage(
                exchange: message.exchange, routingKey: message.routingKey, body: message.body,
                properties: message.properties, mandatory: true)
        }
        let published = try session.channel.publish(outgoing)

        var sequenceNumbers: [UInt64: OutboxMessage] = [:]
        sequenceNumbers.reserveCapacity(messages.count)
        for (sequenceNumber, message) in zip(published, messages) {
            sequenceNumbers[sequenceNumber] = message
        }
        return sequenceNumbers
    }

    /// Waits for the confirms of the results in flight, then acks the deliveries they answer.
    /// Does nothing when none are in flight.
    func settleInFlight(_ session: BrokerSession, deadline: ContinuousClock.Instant? = nil) throws {
        guard let results = inFlight else { return }
        inFlight = nil
        try settle(results.sequenceNumbers, session: session, deadline: deadline)
        try session.channel.ack(results.ackThrough, multiple: true)
        touchActivity()
    }

    /// Waits until the broker confirms every message sent, and books each one as confirmed
    /// (deleted in the next transaction) or failed (kept, with its error, for the sweep).
    private func settle(_ sequenceNumbers: [UInt64: OutboxMessage], session: BrokerSession, deadline: ContinuousClock.Instant?) throws {
        guard !sequenceNumbers.isEmpty else { return }

        let report = try waitForConfirms(session, deadline: deadline)
        let nacked = Set(report.nacked)
        var returned: [String: ReturnedMessage] = [:]
        for message in report.returned {
            returned[message.properties.messageID ?? ""] = message
        }

        for (sequenceNumber, message) in sequenceNumbers {
            if let bounce = returned[message.messageID] {
                counters.resultsReturned += 1
                failedOutboxRows.append((message.id, "returned unroutable: \(bounce.replyCode) \(bounce.replyText)"))
                let metadata: Logger.Metadata = [
                    "message_id": "\(message.messageID)",
                    "exchange": "\(message.exchange)",
                    "routing_key": "\(message.routingKey)",
                    "reply": "\(bounce.replyCode) \(bounce.replyText)",
                    "attempts": "\(message.attempts + 1)",
                ]
                // Every kept result is logged with its id when it first comes back; the sweep's
                // later tries of the same rows are rate-limited.
                if message.attempts == 0 {
                    logger.warning("result unroutable; kept in outbox", metadata: metadata)
                } else {
                    logger.log(
                        level: .warning, "result unroutable; kept in outbox", metadata: metadata,
                        limiter: repeatLimiter, key: "returned \(message.exchange) \(message.routingKey)")
                }
            } else if nacked.contains(sequenceNumber) {
                counters.resultsNacked += 1
                failedOutboxRows.append((message.id, "nacked by the broker"))
                logger.warning("result nacked by the broker; kept in outbox", metadata: [
                    "message_id": "\(message.messageID)",
                    "routing_key": "\(message.routingKey)",
                ])
            } else {
                counters.resultsPublished += 1
                confirmedOutboxIDs.append(message.id)
            }
        }
    }

    /// Waits for confirms in rounds of `confirmTimeout`, reporting a blocked broker each round.
    private func waitForConfirms(_ session: BrokerSession, deadline: ContinuousClock.Instant?) throws -> ConfirmReport {
        while true {
            do {
                let report = try session.channel.waitForConfirms(timeout: configuration.confirmTimeout)
                if lifecycle.state == .blocked {
                    transition(.unblocked)
                }
                return report
            } catch let error as AMQPError where error.kind == .timeout {
                if session.connection.isBlocked {
                    transition(.blocked)
                    logger.warning("broker blocks publishing; holding acks until results are confirmed", metadata: [
                        "reason": "\(session.connection.blockedReason ?? "-")",
                        "unconfirmed": "\(session.channel.outstandingConfirms)",
                    ])
                } else {
                    logger.warning("results not confirmed yet; still waiting", metadata: [
                        "unconfirmed": "\(session.channel.outstandingConfirms)",
                        "waited_ms": "\(configuration.confirmTimeout.milliseconds)",
                    ])
                }
                recordHeartbeatIgnoringErrors()
                if let deadline, ContinuousClock.now >= deadline {
                    throw StoppedWhileWaitingError(reason: "the broker has not confirmed the results")
                }
            }
        }
    }

    /// Publishes outbox rows left by earlier runs: a crash before the confirm, a nack, or an
    /// unroutable return. Young rows belong to a worker still waiting for their confirm, so
    /// only `includingRecentRows` (at start) takes them too, but only those older than the
    /// drain itself: rows that busy workers keep adding meanwhile are theirs to publish.
    func drainOutbox(_ session: BrokerSession, includingRecentRows: Bool, deadline: ContinuousClock.Instant? = nil) throws {
        let createdBefore = includingRecentRows ? Date() : Date().addingTimeInterval(-configuration.outboxSweepMinimumAge.seconds)
        var lastID: Int64 = 0
        var published = 0

        while true {
            try flushOutboxBookkeeping()
            let rows = try store.read { transaction in
                try transaction.pendingOutbox(limit: 500, createdBefore: createdBefore)
            }.filter { $0.id > lastID }
            guard let last = rows.last else { break }
            lastID = last.id

            let confirmedBefore = counters.resultsPublished
            try publish(rows, session: session, deadline: deadline)
            published += counters.resultsPublished - confirmedBefore
        }
        try flushOutboxBookkeeping()

        if published > 0 || includingRecentRows {
            logger.info("outbox drained", metadata: ["published": "\(published)"])
        }
    }

    /// Writes the confirmed deletions and recorded failures in their own transaction.
    func flushOutboxBookkeeping() throws {
        guard !confirmedOutboxIDs.isEmpty || !failedOutboxRows.isEmpty else { return }
        try store.write { transaction in
            try flushOutboxBookkeeping(in: transaction)
        }
    }

    func flushOutboxBookkeeping(in transaction: WriteTransaction) throws {
        if !confirmedOutboxIDs.isEmpty {
            try transaction.deleteOutbox(ids: confirmedOutboxIDs)
        }
        let now = Date()
        for failure in failedOutboxRows {
            try transaction.recordOutboxFailure(id: failure.id, error: failure.error, at: now)
        }
        confirmedOutboxIDs.removeAll(keepingCapacity: true)
        failedOutboxRows.removeAll(keepingCapacity: true)
    }

    var housekeepingIsDue: Bool {
        ContinuousClock.now - lastHousekeeping >= configuration.housekeepingInterval
    }

    /// Records the heartbeat and sweeps the outbox, once every `housekeepingInterval`.
    func housekeepIfDue(_ session: BrokerSession) throws {
        guard housekeepingIsDue else { return }
        lastHousekeeping = ContinuousClock.now
        try drainOutbox(session, includingRecentRows: false)
        recordHeartbeatIgnoringErrors()
        pruneInboxIfDue()
    }

    /// Deletes inbox ids older than the retention, at most every ten minutes, so the inbox
    /// stays bounded. A failure is logged; the next round tries again.
    func pruneInboxIfDue() {
        guard ContinuousClock.now - lastInboxPruning >= .seconds(600) else { return }
        lastInboxPruning = ContinuousClock.now
        let cutoff = Date().addingTimeInterval(-configuration.inboxRetention.seconds)
        do {
            let deleted = try store.write { transaction in
                try transaction.deleteInbox(receivedBefore: cutoff)
            }
            if deleted > 0 {
                logger.info("inbox pruned", metadata: ["deleted": "\(deleted)", "retention_days": "\(configuration.inboxRetention.components.seconds / 86_400)"])
            }
        } catch {
            logger.warning("inbox not pruned", metadata: ["database": "\(store.path)", "error": "\(error)"])
        }
    }

    func heartbeat() -> WorkerHeartbeat {
        WorkerHeartbeat(
            workerID: configuration.workerID,
            pid: ProcessInfo.processInfo.processIdentifier,
            host: ProcessInfo.processInfo.hostName,
            startedAt: startedAt,
            lastActivityAt: lastActivity,
            state: lifecycle.state.rawValue,
            counters: counters.asDictionary)
    }

    /// Records the heartbeat row. A failure is logged, not thrown: the heartbeat only informs
    /// `tallyctl status`, and the worker's own writes report storage problems.
    func recordHeartbeatIgnoringErrors() {
        do {
            try store.write { transaction in
                try transaction.recordHeartbeat(heartbeat())
            }
        } catch {
            logger.log(level: .warning, "heartbeat not recorded", metadata: [
                "database": "\(store.path)", "error": "\(error)",
            ], limiter: repeatLimiter, key: "heartbeat")
        }
    }
}

extension OutboxMessage {
    /// Creates the outbox row of a result of the message contract.
    init(_ result: ResultMessage, at now: Date) {
        self.init(
            exchange: Topology.resultExchange, routingKey: result.routingKey, messageID: result.messageID,
            correlationID: result.correlationID, type: result.type, headers: result.headers,
            body: result.body, createdAt: now)
    }

    /// Makes a copy of a command for the dead-letter exchange, with the original body, ids and
    /// headers, and Tally's reason headers. A command without a message id, or with an empty
    /// one (which the contract treats as absent), gets `unidentified-<UUID>`.
    static func deadLetter(of delivery: Delivery, headers: [String: String], at now: Date) -> OutboxMessage {
        var allHeaders = delivery.properties.headers.stringValues
        allHeaders["x-delivery-count"] = nil
        allHeaders.merge(headers) { _, tally in tally }
        let messageID = delivery.properties.messageID.flatMap { $0.isEmpty ? nil : $0 }
        return OutboxMessage(
            exchange: Topology.deadLetterExchange, routingKey: delivery.routingKey,
            messageID: messageID ?? "unidentified-\(UUID().uuidString)",
            correlationID: delivery.properties.correlationID, type: delivery.properties.type,
            headers: allHeaders, body: delivery.body, createdAt: now,
            contentType: delivery.properties.contentType)
    }

    /// Makes a copy of a command for a retry queue. It keeps its routing key and message id, so that
    /// when its delay expires it returns to the command exchange as the same command.
    static func retryCopy(of delivery: Delivery, attempt: Int, queue: String, at now: Date) -> OutboxMessage {
        var headers = delivery.properties.headers.stringValues
        headers["x-delivery-count"] = nil
        headers[Triage.retryAttemptHeader] = String(attempt)
        headers[blindCopyHeader] = queue
        return OutboxMessage(
            exchange: Topology.retryExchange, routingKey: delivery.routingKey,
            messageID: delivery.properties.messageID ?? "",
            correlationID: delivery.properties.correlationID, type: delivery.properties.type,
            headers: headers, body: delivery.body, createdAt: now)
    }

    var properties: MessageProperties {
        var properties = MessageProperties()
        properties.contentType = contentType ?? ResultMessage.contentType
        properties.persistent = true
        properties.messageID = messageID
        properties.correlationID = correlationID
        properties.type = type
        properties.timestamp = createdAt
        var table = FieldTable()
        for (key, value) in headers.sorted(by: { $0.key < $1.key }) {
            // RabbitMQ routes a message also to the routing keys listed in a BCC header, an
            // array of strings, and removes the header before it stores the message.
            table[key] = key == Self.blindCopyHeader ? .array([.string(value)]) : .string(value)
        }
        properties.headers = table
        return properties
    }

    /// The header that sends a retry copy to one delay queue. Stored as text in the outbox.
    static let blindCopyHeader = "BCC"
}
