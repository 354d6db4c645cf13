import AMQPClient
import Foundation

/// One command as a test publishes it, with full control over the properties so that
/// malformed commands can be built too.
struct TestCommand: Sendable {
    var routingKey: String
    /// nil publishes without a message id.
    var messageID: String?
    var contentType: String? = "application/json"
    var headers: [String: String] = [:]
    var body: [UInt8]

    var properties: MessageProperties {
        var properties = MessageProperties()
        properties.contentType = contentType
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

/// Well-formed commands of message contract v1, as the tracker writes them.
enum Commands {
    static func createIssue(
        _ messageID: String, issue: Int64, customer: String, contact: String, contract: String? = nil, at instant: Date
    ) -> TestCommand {
        var body: [String: Any] = [
            "issue_id": issue, "project_id": 1, "customer_id": customer, "contact_id": contact,
            "summary": "Issue \(issue)", "created_at": timestamp(instant),
        ]
        if let contract { body["contract_id"] = contract }
        return TestCommand(routingKey: "issue.create", messageID: messageID, headers: ["customer-id": customer], body: json(body))
    }

    static func redeem(_ messageID: String, issue: Int64, type: String, at instant: Date) -> TestCommand {
        incident("incident.redeem", messageID, issue: issue, type: type, at: instant)
    }

    static func unredeem(_ messageID: String, issue: Int64, type: String, at instant: Date) -> TestCommand {
        incident("incident.unredeem", messageID, issue: issue, type: type, at: instant)
    }

    static func update(_ messageID: String, issue: Int64, types: [String], at instant: Date) -> TestCommand {
        let body: [String: Any] = [
            "issue_id": issue, "incident_types": types.sorted(), "redeemed_by": "e2e", "requested_at": timestamp(instant),
        ]
        return TestCommand(routingKey: "incident.update", messageID: messageID, body: json(body))
    }

    private static func incident(_ routingKey: String, _ messageID: String, issue: Int64, type: String, at instant: Date) -> TestCommand {
        let body: [String: Any] = [
            "issue_id": issue, "incident_type": type, "redeemed_by": "e2e", "requested_at": timestamp(instant),
        ]
        return TestCommand(routingKey: routingKey, messageID: messageID, body: json(body))
    }

    static func json(_ object: [String: Any]) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}

/// Publishes commands with publisher confirms, as the tracker does.
final class CommandPublisher {
    private let connection: Connection
    private let channel: Channel

    struct UndeliveredError: Error, CustomStringConvertible {
        let count: Int
        var description: String { "the broker nacked or returned \(count) commands" }
    }

    init(url: AMQPURL) throws {
        var options = ConnectionOptions(url: url)
        options.connectionName = "e2e tracker"
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

    /// Publishes every command to `exchange` and waits for the confirms; throws when any was
    /// nacked or returned. `perSecond` paces the publishes evenly.
    func publish(_ commands: [TestCommand], exchange: String = "tally.commands", perSecond: Double? = nil) throws {
        let start = ContinuousClock.now
        var failures = 0
        for (index, command) in commands.enumerated() {
            if let perSecond {
                let wait = (start + .seconds(Double(index) / perSecond)) - ContinuousClock.now
                if wait > .zero { Thread.sleep(forTimeInterval: wait.timeInterval) }
            }
            try channel.publish(exchange: exchange, routingKey: command.routingKey, body: command.body, properties: command.properties, mandatory: true)
            if index % 500 == 499 {
                failures += try settle()
            }
        }
        failures += try settle()
        guard failures == 0 else { throw UndeliveredError(count: failures) }
    }

    /// Publishes raw bytes with the given properties, for commands no builder makes.
    func publish(routingKey: String, body: [UInt8], properties: MessageProperties, exchange: String = "tally.commands") throws {
        try channel.publish(exchange: exchange, routingKey: routingKey, body: body, properties: properties, mandatory: true)
        let failures = try settle()
        guard failures == 0 else { throw UndeliveredError(count: failures) }
    }

    private func settle() throws -> Int {
        let report = try channel.waitForConfirms(timeout: .seconds(60))
        return report.nacked.count + report.returned.count
    }
}

extension Duration {
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// Publishes commands on a thread of its own, paced, while the test does other things.
final class BackgroundPublisher: @unchecked Sendable {
    // `failure` is written by the publishing thread before `done` is signalled and read only
    // after waiting on `done`.
    private var failure: (any Error)?
    private let done = DispatchSemaphore(value: 0)

    init(url: AMQPURL, commands: [TestCommand], perSecond: Double) {
        let thread = Thread { [self] in
            do {
                try CommandPublisher(url: url).publish(commands, perSecond: perSecond)
            } catch {
                failure = error
            }
            done.signal()
        }
        thread.start()
    }

    /// Waits until every command is published and confirmed; throws what publishing threw.
    func join() throws {
        done.wait()
        done.signal()
        if let failure { throw failure }
    }
}
