import AMQPClient

/// Consumes the queues a run's results land in and notes when each command was answered,
/// cheaply: no JSON parsing, so it takes little CPU from the client it measures.
///
/// A result answers the command named by its correlation id. A dead-lettered or retried copy
/// of a command answers the command whose message id it keeps. Copies of commands that had no
/// message id get a generated one starting `unidentified-`, and the relay's results for them
/// have no correlation id: both are only counted.
public final class BenchCollector {
    /// The messages a run must produce before it counts as complete.
    public enum Expectation: Sendable {
        /// At least one message answering each of these message ids, and this many copies of
        /// commands that had no message id. Commands in `optional` may have no answer (an
        /// exact-set update that changes nothing publishes no result): the run is complete
        /// when they are answered or nothing new arrived for `settle`.
        case answers(Set<String>, unidentified: Int, optional: Set<String> = [], settle: Duration = .milliseconds(500))
        /// This many messages, whatever they answer.
        case messages(Int)
    }

    /// First arrival, in `BenchClock` nanoseconds, of a message answering each command. The
    /// first and last arrival of the run count only these first answers.
    public private(set) var arrivals: [String: UInt64] = [:]
    /// Latencies computed from the `x-bench-sent-ns` header of results that carry it.
    public private(set) var headerLatencies: [UInt64] = []
    public private(set) var messages = 0
    public private(set) var unidentified = 0
    public private(set) var firstArrival: UInt64?
    public private(set) var lastArrival: UInt64?
    /// When half of the expected answers had arrived, to tell a run that slows down from one
    /// that keeps its pace.
    public private(set) var halfwayArrival: UInt64?
    private var answeredCount = 0
    private let expectedCount: Int
    private var missing: Set<String> = []
    private var optionalMissing: Set<String> = []
    private var lastAnswer = ContinuousClock.now
    private let expectation: Expectation
    private let connection: Connection
    private let channel: Channel

    /// Connects and consumes every queue in `queues`, which must exist.
    public init(url: AMQPURL, queues: [String], expectation: Expectation) throws {
        self.expectation = expectation
        switch expectation {
        case .answers(let ids, let unidentified, let optional, _):
            missing = ids.subtracting(optional)
            optionalMissing = optional
            expectedCount = ids.count + unidentified
        case .messages(let count):
            expectedCount = count
        }
        var options = ConnectionOptions(url: url)
        options.connectionName = "tally-bench collector"
        connection = try Connection(options)
        do {
            channel = try connection.openChannel()
            try channel.setPrefetch(count: 2000)
            for queue in queues {
                _ = try channel.consume(queue: queue, noAck: true)
            }
        } catch {
            connection.close()
            throw error
        }
    }

    deinit {
        connection.close()
    }

    /// Whether everything expected has arrived.
    public var isComplete: Bool {
        switch expectation {
        case .answers(_, let expectedUnidentified, _, let settle):
            missing.isEmpty && unidentified >= expectedUnidentified
                && (optionalMissing.isEmpty || ContinuousClock.now - lastAnswer >= settle)
        case .messages(let count):
            messages >= count
        }
    }

    /// Commands still unanswered, when answers are expected.
    public var missingCount: Int { missing.count }

    /// A few unanswered message ids, for diagnosis.
    public var missingSample: [String] { Array(missing.sorted().prefix(5)) }

    /// Optional answers that never came.
    public var optionalMissingCount: Int { optionalMissing.count }

    /// Collects until complete, or until nothing arrives for `idleTimeout` after the first
    /// message, or `timeout` passes. Returns whether the run is complete.
    @discardableResult
    public func collect(idleTimeout: Duration, timeout: Duration) throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        var lastReceipt = ContinuousClock.now
        while !isComplete, ContinuousClock.now < deadline {
            if messages > 0, ContinuousClock.now - lastReceipt > idleTimeout { break }
            guard case .delivery(let delivery) = try connection.nextEvent(timeout: .milliseconds(200)) else { continue }
            lastReceipt = ContinuousClock.now
            record(delivery, at: BenchClock.nanoseconds())
        }
        return isComplete
    }

    private func record(_ delivery: Delivery, at now: UInt64) {
        messages += 1
        if case .messages = expectation {
            answered(at: now)
        }

        if let sent = delivery.properties.headers[BenchClock.sentHeader]?.stringValue.flatMap(UInt64.init), now > sent {
            headerLatencies.append(now - sent)
        }
        guard let key = delivery.properties.correlationID ?? delivery.properties.messageID, !key.hasPrefix("unidentified-") else {
            unidentified += 1
            answered(at: now)
            return
        }
        if arrivals[key] == nil {
            arrivals[key] = now
            missing.remove(key)
            optionalMissing.remove(key)
            answered(at: now)
        }
    }

    private func answered(at now: UInt64) {
        answeredCount += 1
        if answeredCount == expectedCount / 2 { halfwayArrival = now }
        if firstArrival == nil { firstArrival = now }
        lastArrival = now
        lastAnswer = .now
    }

    public func close() {
        connection.close()
    }
}
