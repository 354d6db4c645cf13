import AMQPClient
import Foundation
import TallyCore
import TallyStore
import TallySupport

/// `tallyctl dead list | show | replay | purge`.
enum DeadLetterCommands {
    static let limit = OptionSpec.option(
        "limit", valueName: "count",
        help: "The maximum number of dead letters read from the front of the queue; the others are not looked at.",
        default: 100, configurable: false, in: 1...100_000)

    static let idArgument = ArgumentSpec.repeating(
        "id", help: "Message ids of dead letters, or #N for the N-th dead letter read when it has no message id.",
        as: String.self)

    static func spec(console: Console) -> CommandSpec {
        CommandSpec(
            name: "dead",
            abstract: "List, show, replay or purge dead letters in tally.dead.",
            discussion: """
                Dead letters are read with basic.get and left unacknowledged, so every one not replayed or purged returns to the queue when tallyctl closes its channel: listing never removes anything.

                A dead letter is named by its message id. One without a message id is named #N, its position among the dead letters read (from 1, oldest first); positions stay valid while no earlier dead letter is removed, so list, then replay or purge right away.
                """,
            subcommands: [listSpec(console), showSpec(console), replaySpec(console), purgeSpec(console)]
        )
    }

    private static func listSpec(_ console: Console) -> CommandSpec {
        CommandSpec(
            name: "list",
            abstract: "List dead letters with their reason, routing key, message id, death count and first body lines.",
            options: [
                SharedOptions.json, limit,
                .option("body-lines", valueName: "count", help: "Body lines shown per dead letter; 0 hides the body.",
                        default: 1, configurable: false, in: 0...100),
            ],
            optionGroups: [SharedOptions.amqp, SharedOptions.configuration],
            validate: { _ = try BrokerSettings($0) },
            run: { parsed in
                let settings = try BrokerSettings(parsed)
                let limit = parsed.value("limit", as: Int.self) ?? 100
                let bodyLines = parsed.value("body-lines", as: Int.self) ?? 1
                let (letters, total) = try await runBlocking { try read(settings, limit: limit, command: "dead list") }

                if parsed.flag("json") {
                    console.write(try JSONOutput.encode(DeadLetterListJSON(
                        total: total, shown: letters.count, deadLetters: letters.map { DeadLetterJSON($0, bodyLines: max(bodyLines, 1)) })))
                    return 0
                }

                console.write("\(Format.count(total)) dead letters in \(Topology.deadLetterQueue)")
                console.write(letters.count < total ? ", the first \(letters.count) shown\n" : "\n")
                guard !letters.isEmpty else { return 0 }
                var table = Table([
                    .init(title: "ID"), .init(title: "REASON"), .init(title: "ROUTING KEY"),
                    .init(title: "DEATHS", alignment: .right), .init(title: "FIELD"), .init(title: "BODY"),
                ])
                for letter in letters {
                    let body = bodyLines == 0 ? "" : letter.bodyPreview(lines: bodyLines, width: 60).joined(separator: " ⏎ ")
                    table.add([
                        letter.displayID, letter.reason, letter.originalRoutingKey, String(letter.deathCount),
                        letter.tallyField ?? "-", body,
                    ])
                }
                console.write(table.render())
                return 0
            }
        )
    }

    private static func showSpec(_ console: Console) -> CommandSpec {
        CommandSpec(
            name: "show",
            abstract: "Show one dead letter: every header, the worker's and the broker's reasons, and the body.",
            discussion: "With a database (--database or TALLY_DATABASE), it also says what the worker would do with a replayed copy: apply it, ack it as a duplicate without effect, or dead-letter it again.",
            options: [SharedOptions.json, limit],
            optionGroups: [SharedOptions.amqp, SharedOptions.storage, SharedOptions.configuration],
            arguments: [.required("id", help: "The message id, or #N for a dead letter without one.", as: String.self)],
            validate: { _ = try BrokerSettings($0) },
            run: { parsed in
                let settings = try BrokerSettings(parsed)
                let id = parsed.argument("id", as: String.self) ?? ""
                let limit = parsed.value("limit", as: Int.self) ?? 100
                let (letters, _) = try await runBlocking { try read(settings, limit: limit, command: "dead show") }
                guard let letter = letters.first(where: { $0.matches(id) }) else {
                    throw TallyctlError("no dead letter '\(id)' among the first \(letters.count) in \(Topology.deadLetterQueue): check the id with 'tallyctl dead list', or raise --limit")
                }

                let forecast = await InboxCheck(parsed, console: console).forecasts([letter])?[letter.displayID]
                if parsed.flag("json") {
                    var json = DeadLetterJSON(letter, bodyLines: Int.max)
                    json.replay = forecast?.code
                    console.write(try JSONOutput.encode(json))
                    return 0
                }
                console.write(describe(letter, forecast: forecast))
                return 0
            }
        )
    }

    private static func replaySpec(_ console: Console) -> CommandSpec {
        CommandSpec(
            name: "replay",
            abstract: "Publish copies of dead letters to tally.commands, then remove them.",
            discussion: """
                Each copy keeps the original routing key (x-tally-original-routing-key, else the first x-death routing key), message id, content type and headers, without x-tally-* and x-death bookkeeping. It is published mandatory with a publisher confirm, and the dead letter is acked only after the broker confirmed its copy: when the replay fails halfway, the dead letter stays and a second replay publishes another copy with the same message id. The worker's inbox drops the duplicate, so the command is processed once.

                The worker applies a well-formed copy unless the inbox records its message id as processed. A copy of a command processed before is acked as a duplicate, or dead-lettered as message_id_reused when its body differs; a malformed copy is dead-lettered again, or acked as a duplicate when the inbox records the same body. With a database (--database or TALLY_DATABASE), replay warns about each copy that the worker will not apply.

                A dead letter with reason missing_message_id or invalid_message_id carries a message id the worker made up, which the tracker never knew: replay skips it unless --force is given, because a later copy from the tracker would be applied a second time.
                """,
            options: [
                .flag("all", help: "Replay every dead letter read (up to --limit).", configurable: false),
                .flag("force", help: "Also replay dead letters whose message id the worker made up.", configurable: false),
                limit,
                .option("confirm-timeout", valueName: "seconds", help: "How long to wait for the broker's confirms.",
                        default: Duration.seconds(10), configurable: false, in: Duration.milliseconds(100)...Duration.seconds(600)),
            ],
            optionGroups: [SharedOptions.amqp, SharedOptions.storage, SharedOptions.configuration],
            arguments: [idArgument],
            validate: validateSelection,
            run: { parsed in
                let settings = try BrokerSettings(parsed)
                let selection = Selection(parsed)
                let limit = parsed.value("limit", as: Int.self) ?? 100
                let force = parsed.flag("force")
                let inboxCheck = InboxCheck(parsed, console: console)
                let timeout = parsed.value("confirm-timeout", as: Duration.self) ?? .seconds(10)

                let result = try await runBlocking { () throws -> ReplayResult in
                    try BrokerAccess.mapping(settings) {
                        let connection = try BrokerAccess.connect(settings, command: "dead replay")
                        defer { connection.close() }
                        let queue = try DeadLetterQueue(connection: connection)
                        defer { queue.close() }
                        let total = try queue.count()
                        let letters = try queue.read(limit: limit)
                        let (chosen, missing) = selection.choose(from: letters)
                        let skipped = force ? [] : chosen.filter(\.hasMadeUpMessageID)
                        let outcome = try queue.replay(chosen.filter { force || !$0.hasMadeUpMessageID }, confirmTimeout: timeout)
                        let failed = outcome.failed.map { ($0.0.displayID, $0.1) } + skipped.map {
                            ($0.displayID, "its reason is \($0.reason), so its message id was made up by the worker and a later copy from the tracker would be applied again; publish a corrected command with 'tallyctl publish --message-id', then purge this one, or pass --force")
                        }
                        return ReplayResult(
                            replayed: outcome.replayed.map(\.displayID), replayedLetters: outcome.replayed,
                            failed: failed, missing: missing, unread: max(0, total - letters.count))
                    }
                }

                for id in result.replayed {
                    console.write("replayed \(id)\n")
                }
                if let forecasts = await inboxCheck.forecasts(result.replayedLetters) {
                    for id in result.replayed {
                        guard let forecast = forecasts[id], forecast != .applied else { continue }
                        console.writeError("warning: the inbox shows that the copy of \(id) will be \(forecast.description)\n")
                    }
                }
                console.write("\(result.replayed.count) replayed to \(Topology.commandExchange)\n")
                if selection.all && result.unread > 0 {
                    console.write("\(result.unread) more dead letters beyond --limit \(limit) were not read; run the replay again\n")
                }
                for (id, reason) in result.failed {
                    console.writeError("Error: dead letter \(id) not replayed, it stays in \(Topology.deadLetterQueue): \(reason)\n")
                }
                for id in result.missing {
                    console.writeError("Error: no dead letter '\(id)' among the first \(limit) read; check 'tallyctl dead list' or raise --limit\n")
                }
                return result.failed.isEmpty && result.missing.isEmpty ? 0 : TallyctlExitCode.failure
            }
        )
    }

    private static func purgeSpec(_ console: Console) -> CommandSpec {
        CommandSpec(
            name: "purge",
            abstract: "Delete dead letters for good.",
            discussion: "With --all, every message in tally.dead is deleted with queue.purge, also those beyond --limit.",
            options: [
                .flag("all", help: "Delete every dead letter in the queue.", configurable: false),
                limit,
            ],
            optionGroups: [SharedOptions.amqp, SharedOptions.configuration],
            arguments: [idArgument],
            validate: validateSelection,
            run: { parsed in
                let settings = try BrokerSettings(parsed)
                let selection = Selection(parsed)
                let limit = parsed.value("limit", as: Int.self) ?? 100

                let (removed, missing) = try await runBlocking { () throws -> (Int, [String]) in
                    try BrokerAccess.mapping(settings) {
                        let connection = try BrokerAccess.connect(settings, command: "dead purge")
                        defer { connection.close() }
                        let queue = try DeadLetterQueue(connection: connection)
                        defer { queue.close() }
                        if selection.all {
                            return (try queue.purgeAll(), [])
                        }
                        let (chosen, missing) = selection.choose(from: try queue.read(limit: limit))
                        try queue.remove(chosen)
                        return (chosen.count, missing)
                    }
                }

                console.write("\(removed) dead letters purged from \(Topology.deadLetterQueue)\n")
                for id in missing {
                    console.writeError("Error: no dead letter '\(id)' among the first \(limit) read; check 'tallyctl dead list' or raise --limit\n")
                }
                return missing.isEmpty ? 0 : TallyctlExitCode.failure
            }
        )
    }

    // MARK: - Helpers

    private struct ReplayResult: Sendable {
        var replayed: [String]
        var replayedLetters: [DeadLetter]
        var failed: [(String, String)]
        var missing: [String]
        /// Dead letters beyond `--limit`, not looked at.
        var unread: Int
    }

    /// The ids or `--all` of a replay or purge.
    private struct Selection: Sendable {
        var all: Bool
        var ids: [String]

        init(_ parsed: ParsedCommand) {
            all = parsed.flag("all")
            ids = parsed.arguments("id", as: String.self)
        }

        /// Returns the dead letters selected, and the ids that matched none.
        func choose(from letters: [DeadLetter]) -> ([DeadLetter], [String]) {
            if all { return (letters, []) }
            let chosen = letters.filter { letter in ids.contains(where: letter.matches) }
            let missing = ids.filter { id in !letters.contains { $0.matches(id) } }
            return (chosen, missing)
        }
    }

    private static func validateSelection(_ parsed: ParsedCommand) throws {
        _ = try BrokerSettings(parsed)
        let ids = parsed.arguments("id", as: String.self)
        if parsed.flag("all") && !ids.isEmpty {
            throw UsageError("give either dead-letter ids or '--all', not both")
        }
        if !parsed.flag("all") && ids.isEmpty {
            throw UsageError("missing dead-letter ids; give one or more ids, or '--all'")
        }
        for id in ids where id.hasPrefix("#") && (Int(id.dropFirst()) ?? 0) < 1 {
            throw UsageError("invalid dead-letter position '\(id)': expected # and a number from 1, such as #3")
        }
    }

    /// The optional inbox lookup of `dead show` and `dead replay`. A database that cannot be
    /// read only costs the lookup: it prints a warning, and the command goes on.
    private struct InboxCheck: Sendable {
        var settings: DatabaseSettings?
        var console: Console

        init(_ parsed: ParsedCommand, console: Console) {
            settings = try? DatabaseSettings(parsed)
            self.console = console
        }

        /// Returns what the worker will do with a copy of each of `letters`, by display id, or
        /// nil without a database.
        func forecasts(_ letters: [DeadLetter]) async -> [String: ReplayForecast]? {
            guard let settings else { return nil }
            do {
                return try await runBlocking { () throws -> [String: ReplayForecast] in
                    let store = try DatabaseAccess.open(settings)
                    defer { store.close() }
                    return try DatabaseAccess.mapping(path: settings.path) {
                        try store.read { transaction in
                            var forecasts: [String: ReplayForecast] = [:]
                            for letter in letters {
                                let entry = try letter.messageID.flatMap { try transaction.inboxEntry(messageID: $0) }
                                forecasts[letter.displayID] = ReplayForecast(letter, inboxEntry: entry)
                            }
                            return forecasts
                        }
                    }
                }
            } catch {
                console.writeError("warning: the inbox was not checked: \((error as? TallyctlError)?.message ?? "\(error)")\n")
                return nil
            }
        }
    }

    /// Reads up to `limit` dead letters and the queue's size, then releases them all.
    static func read(_ settings: BrokerSettings, limit: Int, command: String) throws -> ([DeadLetter], Int) {
        try BrokerAccess.mapping(settings) {
            let connection = try BrokerAccess.connect(settings, command: command)
            defer { connection.close() }
            let queue = try DeadLetterQueue(connection: connection)
            defer { queue.close() }
            let total = try queue.count()
            return (try queue.read(limit: limit), total)
        }
    }

    static func describe(_ letter: DeadLetter, forecast: ReplayForecast? = nil) -> String {
        var lines: [(String, String)] = [
            ("ID", letter.displayID),
            ("Message id", letter.messageID ?? "(none)"),
            ("Routing key", letter.originalRoutingKey),
            ("Reason", letter.tallyReason ?? "-"),
            ("Field", letter.tallyField ?? "-"),
            ("Detail", letter.tallyDetail ?? "-"),
            ("Worker", letter.tallyWorker ?? "-"),
            ("Broker reason", letter.brokerReason ?? "-"),
            ("Broker queue", letter.brokerQueue ?? "-"),
            ("Deaths", String(letter.deathCount)),
            ("Content type", letter.contentType ?? "-"),
            ("Size", Format.bytes(Int64(letter.body.count))),
            ("Replay", forecast.map { "the copy would be \($0.description)" } ?? "unknown without --database"),
        ]
        for (key, value) in letter.properties.headers.sorted(by: { $0.key < $1.key }) {
            lines.append(("Header \(key)", describe(value)))
        }
        let width = lines.map(\.0.count).max() ?? 0
        var text = lines.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
        text += "\n\nBody:\n" + letter.bodyPreview(lines: 200, width: 400).joined(separator: "\n") + "\n"
        return text
    }

    static func describe(_ value: FieldValue) -> String {
        if let text = value.stringValue { return text }
        if let number = value.intValue { return String(number) }
        if let array = value.arrayValue { return "[" + array.map(describe).joined(separator: ", ") + "]" }
        if let table = value.tableValue {
            return "{" + table.sorted(by: { $0.key < $1.key }).map { "\($0.key): \(describe($0.value))" }.joined(separator: ", ") + "}"
        }
        if case .timestamp(let date) = value { return Format.instant(date) }
        return "\(value)"
    }
}

/// A dead letter as `--json` prints it.
struct DeadLetterJSON: Encodable, Sendable {
    var id: String
    var messageID: String?
    var routingKey: String
    var reason: String
    var tallyReason: String?
    var field: String?
    var detail: String?
    var worker: String?
    var brokerReason: String?
    var brokerQueue: String?
    var deathCount: Int
    var contentType: String?
    var bodySize: Int
    var body: [String]
    var headers: [String: String]
    /// The worker's handling of a replayed copy (`applied`, `duplicate`, `dead_lettered_again`);
    /// nil without a database.
    var replay: String?

    init(_ letter: DeadLetter, bodyLines: Int) {
        id = letter.displayID
        messageID = letter.messageID
        routingKey = letter.originalRoutingKey
        reason = letter.reason
        tallyReason = letter.tallyReason
        field = letter.tallyField
        detail = letter.tallyDetail
        worker = letter.tallyWorker
        brokerReason = letter.brokerReason
        brokerQueue = letter.brokerQueue
        deathCount = letter.deathCount
        contentType = letter.contentType
        bodySize = letter.body.count
        body = letter.bodyPreview(lines: bodyLines, width: Int.max)
        headers = Dictionary(letter.properties.headers.map { ($0.key, DeadLetterCommands.describe($0.value)) }) { first, _ in first }
    }
}

struct DeadLetterListJSON: Encodable, Sendable {
    var total: Int
    var shown: Int
    var deadLetters: [DeadLetterJSON]
}
