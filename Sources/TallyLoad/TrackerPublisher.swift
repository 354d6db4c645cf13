import AMQPClient
import Foundation

/// Publishes planned commands to `tally.commands` as the tracker does: persistent, JSON,
/// with a message id and the `customer-id` header, and with publisher confirms.
public final class TrackerPublisher {
    /// When set, each command carries its send time in the `x-bench-sent-ns` header, and
    /// `sentAt` keeps the first send time of each message id.
    public var stampsSendTime = false
    /// First send time (`BenchClock` nanoseconds) by message id, when `stampsSendTime` is set.
    public private(set) var sentAt: [String: UInt64] = [:]
    private let connection: Connection
    private let channel: Channel

    public init(url: AMQPURL, connectionName: String = "tally tracker") throws {
        var options = ConnectionOptions(url: url)
        options.connectionName = connectionName
        connection = try Connection(options)
        do {
            channel = try connection.openChannel()
            try channel.enableConfirms()
        } catch {
            connection.close()
            throw error
        }
    }

    deinit {
        connection.close()
    }

    /// Publishes every command and waits for the broker's confirms.
    ///
    /// - Parameters:
    ///   - ratePerSecond: when set, paces the publishes evenly; otherwise publishes as fast as
    ///     the confirm window allows.
    /// - Returns: the number of commands the broker nacked or returned (0 when all arrived).
    @discardableResult
    public func publish(_ commands: [PlannedCommand], exchange: String = "tally.commands", ratePerSecond: Double? = nil) throws -> Int {
        let start = ContinuousClock.now
        var failures = 0
        for (index, command) in commands.enumerated() {
            if let rate = ratePerSecond {
                let due = start + .seconds(Double(index) / rate)
                let wait = due - ContinuousClock.now
                if wait > .zero {
                    Thread.sleep(forTimeInterval: Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18)
                }
            }
            var properties = command.properties
            if stampsSendTime {
                let now = BenchClock.nanoseconds()
                properties.headers[BenchClock.sentHeader] = .string(String(now))
                if let messageID = command.messageID, sentAt[messageID] == nil {
                    sentAt[messageID] = now
                }
            }
            try channel.publish(exchange: exchange, routingKey: command.routingKey, body: command.body, properties: properties, mandatory: true)
            if index % 1000 == 999 {
                failures += try settle()
            }
        }
        failures += try settle()
        return failures
    }

    private func settle() throws -> Int {
        let report = try channel.waitForConfirms(timeout: .seconds(60))
        return report.nacked.count + report.returned.count
    }

    public func close() {
        connection.close()
    }
}

extension PlannedCommand {
    var properties: MessageProperties {
        var properties = MessageProperties()
        properties.contentType = "application/json"
        properties.persistent = true
        properties.messageID = messageID
        properties.timestamp = Date()
        var table = FieldTable()
        for (key, value) in headers.sorted(by: { $0.key < $1.key }) {
            table[key] = .string(value)
        }
        properties.headers = table
        return properties
    }
}
