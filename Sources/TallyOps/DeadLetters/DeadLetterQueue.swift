#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AMQPClient
import Foundation
import TallyCore

/// Reads, replays and removes dead letters in `tally.dead` without losing any.
///
/// Reading uses `basic.get` without auto-ack: the messages read stay unacknowledged on one
/// channel, and closing that channel returns every one not acked to the queue. A dead letter
/// leaves the queue only by an explicit ack: after its copy was confirmed (replay) or when it is
/// purged.
final class DeadLetterQueue {
    let connection: Connection
    let queue: String
    private let readChannel: Channel

    init(connection: Connection, queue: String = Topology.deadLetterQueue) throws {
        self.connection = connection
        self.queue = queue
        readChannel = try connection.openChannel()
    }

    /// Returns the number of ready messages in the queue, from a passive declare.
    func count() throws -> Int {
        Int(try readChannel.declareQueue(queue, passive: true).messageCount)
    }

    /// Reads up to `limit` dead letters, oldest first. They stay in the queue: unacknowledged
    /// until `release()` or `close()`, then ready again.
    func read(limit: Int) throws -> [DeadLetter] {
        var letters: [DeadLetter] = []
        while letters.count < limit, let result = try readChannel.get(queue: queue, noAck: false) {
            letters.append(DeadLetter(result.delivery, position: letters.count + 1))
        }
        return letters
    }

    /// The outcome of a replay of some dead letters.
    struct ReplayOutcome {
        var replayed: [DeadLetter] = []
        /// Dead letters whose copy was not confirmed, with the reason; they stay dead.
        var failed: [(DeadLetter, String)] = []
    }

    /// Publishes a copy of each dead letter to `tally.commands` with its original routing key
    /// and properties (mandatory, with confirms), then acks only the dead letters whose copy the
    /// broker confirmed. A copy that is nacked, returned or unconfirmed leaves its dead letter
    /// in the queue.
    ///
    /// When the environment variable `TALLY_FAULT_EXIT_AFTER_REPLAY_CONFIRM` is set, the
    /// process exits with status 75 right after the confirms and before the acks: a test-only
    /// switch that simulates a crash between the publish and the removal.
    func replay(_ letters: [DeadLetter], confirmTimeout: Duration) throws -> ReplayOutcome {
        var outcome = ReplayOutcome()
        guard !letters.isEmpty else { return outcome }

        let publishChannel = try connection.openChannel()
        defer { try? publishChannel.close() }
        try publishChannel.enableConfirms()

        var bySequence: [UInt64: DeadLetter] = [:]
        for letter in letters {
            let sequence = try publishChannel.publish(
                exchange: Topology.commandExchange, routingKey: letter.originalRoutingKey, body: letter.body,
                properties: letter.replayProperties, mandatory: true)
            bySequence[sequence] = letter
        }

        let report: ConfirmReport
        do {
            report = try publishChannel.waitForConfirms(timeout: confirmTimeout)
        } catch let error as AMQPError where error.kind == .timeout {
            for letter in letters {
                outcome.failed.append((letter, "the broker did not confirm the copy within \(confirmTimeout.inSeconds) s"))
            }
            return outcome
        }

        if ProcessInfo.processInfo.environment["TALLY_FAULT_EXIT_AFTER_REPLAY_CONFIRM"] != nil {
            _exit(75)
        }

        let nacked = Set(report.nacked)
        let returnedKeys = Set(report.returned.compactMap(\.sequenceNumber))
        let returnedIDs = Set(report.returned.compactMap(\.properties.messageID))
        for (sequence, letter) in bySequence.sorted(by: { $0.key < $1.key }) {
            if nacked.contains(sequence) {
                outcome.failed.append((letter, "the broker nacked the copy"))
            } else if returnedKeys.contains(sequence) || (letter.messageID.map(returnedIDs.contains) ?? false) {
                outcome.failed.append((letter, "the copy was returned as unroutable with routing key '\(letter.originalRoutingKey)'"))
            } else {
                try readChannel.ack(letter.deliveryTag)
                outcome.replayed.append(letter)
            }
        }
        return outcome
    }

    /// Acks, and so deletes, the given dead letters.
    func remove(_ letters: [DeadLetter]) throws {
        for letter in letters {
            try readChannel.ack(letter.deliveryTag)
        }
    }

    /// Deletes every message in the queue with `queue.purge` and returns how many it held.
    /// Messages read and not acked on this channel are released first, so they are purged too.
    func purgeAll() throws -> Int {
        try readChannel.close()
        let channel = try connection.openChannel()
        defer { try? channel.close() }
        return Int(try channel.purgeQueue(queue))
    }

    /// Returns every unacknowledged dead letter to the queue by closing the read channel.
    func close() {
        try? readChannel.close()
    }
}
