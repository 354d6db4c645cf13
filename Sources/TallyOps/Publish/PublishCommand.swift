import AMQPClient
import Foundation
import TallyCore
import TallySupport

/// `tallyctl publish`: one command to `tally.commands`, as the tracker publishes it.
enum PublishCommand {
    static func spec(console: Console) -> CommandSpec {
        CommandSpec(
            name: "publish",
            abstract: "Publish one command to tally.commands as the tracker would, and wait for the confirm.",
            discussion: "The message is persistent, JSON, mandatory, with a message id (a new UUID unless --message-id gives one). The body is checked with the worker's own decoder first; --no-validate publishes an invalid command anyway, for tests of the dead-letter path. Publishing the id of a command already processed has no effect: the worker drops it as a duplicate.",
            options: [
                .option("body", valueName: "json", help: "The command's JSON body.", configurable: false, as: String.self),
                .option("file", valueName: "path", help: "A file with the command's JSON body, or - for standard input.",
                        configurable: false, as: String.self),
                .option("message-id", valueName: "id", help: "The message id; the worker keys duplicates on it.",
                        configurable: false, expectation: "a message id of 1 to 255 characters without spaces",
                        isValid: { (id: String) in !id.isEmpty && id.utf8.count <= 255 && !id.contains(where: \.isWhitespace) }),
                .flag("no-validate", help: "Publish even when the worker's decoder rejects the command.", configurable: false),
                .option("confirm-timeout", valueName: "seconds", help: "How long to wait for the broker's confirm.",
                        default: Duration.seconds(10), configurable: false, in: Duration.milliseconds(100)...Duration.seconds(600)),
            ],
            optionGroups: [SharedOptions.amqp, SharedOptions.configuration],
            arguments: [.required("routing-key", help: "The command type: issue.create, incident.redeem, incident.unredeem or incident.update.", as: String.self)],
            validate: { parsed in
                _ = try BrokerSettings(parsed)
                let hasBody = parsed.value("body", as: String.self) != nil
                let hasFile = parsed.value("file", as: String.self) != nil
                if hasBody == hasFile {
                    throw UsageError("give exactly one of '--body <json>' and '--file <path>'")
                }
            },
            run: { parsed in
                let settings = try BrokerSettings(parsed)
                let routingKey = parsed.argument("routing-key", as: String.self) ?? ""
                let body: [UInt8]
                if let text = parsed.value("body", as: String.self) {
                    body = Array(text.utf8)
                } else {
                    body = Array(try CustomerCommands.readInput(parsed.value("file", as: String.self) ?? "-"))
                }
                let messageID = parsed.value("message-id", as: String.self) ?? UUID().uuidString.lowercased()
                let timeout = parsed.value("confirm-timeout", as: Duration.self) ?? .seconds(10)

                if !parsed.flag("no-validate") {
                    let envelope = CommandEnvelope(routingKey: routingKey, messageID: messageID, body: body)
                    if case .failure(let malformed) = CommandDecoder.decode(envelope, maximumBodySize: CommandDecoder.defaultMaximumBodySize) {
                        let field = malformed.field.map { " at \($0)" } ?? ""
                        throw TallyctlError("the command is invalid (\(malformed.reason.rawValue)\(field)): \(malformed.detail) Nothing was published; pass --no-validate to publish it anyway")
                    }
                }

                try await runBlocking {
                    try BrokerAccess.mapping(settings) {
                        let connection = try BrokerAccess.connect(settings, command: "publish")
                        defer { connection.close() }
                        let channel = try connection.openChannel()
                        try channel.enableConfirms()
                        var properties = MessageProperties()
                        properties.contentType = "application/json"
                        properties.persistent = true
                        properties.messageID = messageID
                        properties.timestamp = Date()
                        properties.appID = "tallyctl"
                        try channel.publish(
                            exchange: Topology.commandExchange, routingKey: routingKey, body: body,
                            properties: properties, mandatory: true)
                        let report = try channel.waitForConfirms(timeout: timeout)
                        if !report.nacked.isEmpty {
                            throw TallyctlError("the broker nacked the command \(messageID): it did not take it; try again")
                        }
                        if let returned = report.returned.first {
                            throw TallyctlError("the command \(messageID) was returned unroutable (\(returned.replyCode) \(returned.replyText)): run 'tallyctl topology apply'")
                        }
                    }
                }
                console.write("published \(routingKey) \(messageID)\n")
                return 0
            }
        )
    }
}
