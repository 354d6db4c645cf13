import Foundation
import TallySupport

/// `tallyctl status` and the thresholds it shares with `tallyctl metrics`.
enum StatusCommand {
    static let staleAfter = OptionSpec.option(
        "stale-after", valueName: "seconds",
        help: "A worker is stale when its last activity is older than this and neither a broker consumer nor a local process shows it alive.",
        default: Duration.seconds(60), environment: "TALLY_STALE_AFTER", configurable: false,
        in: Duration.seconds(1)...Duration.seconds(86_400))

    static let deadLetterSample = OptionSpec.option(
        "dead-letter-sample", valueName: "count",
        help: "The maximum number of dead letters read to count them by reason; they stay in the queue.",
        default: 1_000, configurable: false, in: 0...100_000)

    static let noExampleQueues = OptionSpec.flag(
        "no-example-queues",
        help: "The workers run with --no-example-queues: the example consumer queues are not expected, and the advice for results that no queue takes is to bind queues of your own.",
        environment: "TALLY_NO_EXAMPLE_QUEUES")

    static let thresholdOptions = OptionGroup(title: "CHECK THRESHOLDS", options: [
        staleAfter,
        .option("warn-dead-letters", valueName: "count", help: "Warning at this many dead letters or more.",
                default: 1, configurable: false, in: 1...Int(Int32.max)),
        .option("warn-outbox-age", valueName: "seconds", help: "Warning when the oldest outbox entry is older than this.",
                default: Duration.seconds(60), configurable: false, in: Duration.seconds(1)...Duration.seconds(86_400)),
        .option("warn-commands-ready", valueName: "count", help: "Warning at this many ready commands or more.",
                default: 1_000, configurable: false, in: 1...Int(Int32.max)),
        .option("critical-commands-ready", valueName: "count", help: "Critical at this many ready commands or more.",
                default: 10_000, configurable: false, in: 1...Int(Int32.max)),
    ])

    static func spec(console: Console) -> CommandSpec {
        CommandSpec(
            name: "status",
            abstract: "Show queues, dead letters, the outbox, the inbox and the workers at a glance.",
            discussion: """
                Shows every queue of the topology: the command queue, the retry queues, the dead-letter queue and the queues bound to tally.results. Ready and consumer counts come from AMQP passive declares; unacknowledged counts and rates from the RabbitMQ management API. When the API does not respond, status says so and which figures are missing. Dead letters are read without being removed, to count them by reason.

                From the database: the outbox backlog and its oldest entry, the inbox size, and each worker's heartbeat. A worker is alive when it holds a consumer on the broker, when its process runs on this host, or when its last activity is newer than --stale-after.

                With --check, prints the findings and exits 0 when healthy, 1 on a warning, 2 when critical. Critical: the broker or the database is unusable, no worker is alive, or ready commands reach --critical-commands-ready. Warning: dead letters reach --warn-dead-letters, the oldest outbox entry is older than --warn-outbox-age, a worker is stale, a queue is missing, or ready commands reach --warn-commands-ready.

                Without --check: exit 0, or 3 when the broker is unusable, 4 when the database is.
                """,
            options: [
                SharedOptions.json,
                .flag("check", help: "Judge the health for monitoring: exit 0 healthy, 1 warning, 2 critical.", configurable: false),
                .option("watch", valueName: "seconds", help: "Refresh every this many seconds until interrupted.",
                        configurable: false, in: Duration.seconds(1)...Duration.seconds(3600)),
                deadLetterSample,
                noExampleQueues,
            ],
            optionGroups: [thresholdOptions, SharedOptions.broker, SharedOptions.storage, SharedOptions.configuration],
            validate: { parsed in
                try requireDatabase(parsed)
                _ = try BrokerSettings(parsed, management: true)
                if parsed.flag("check"), parsed.value("watch", as: Duration.self) != nil {
                    throw UsageError("'--check' and '--watch <seconds>' cannot be combined: --check exits with the health")
                }
                let warning = parsed.value("warn-commands-ready", as: Int.self) ?? 1_000
                let critical = parsed.value("critical-commands-ready", as: Int.self) ?? 10_000
                if warning > critical {
                    throw UsageError("'--warn-commands-ready' (\(warning)) must not be above '--critical-commands-ready' (\(critical))")
                }
            },
            run: { parsed in
                try await run(parsed, console: console)
            }
        )
    }

    static func collector(_ parsed: ParsedCommand) throws -> StatusCollector {
        var thresholds = HealthThresholds()
        thresholds.staleAfter = parsed.value("stale-after", as: Duration.self) ?? .seconds(60)
        if parsed.path.last == "status" {
            thresholds.warningDeadLetters = parsed.value("warn-dead-letters", as: Int.self) ?? 1
            thresholds.warningOutboxAge = parsed.value("warn-outbox-age", as: Duration.self) ?? .seconds(60)
            thresholds.warningCommandsReady = parsed.value("warn-commands-ready", as: Int.self) ?? 1_000
            thresholds.criticalCommandsReady = parsed.value("critical-commands-ready", as: Int.self) ?? 10_000
        }
        var collector = StatusCollector(
            broker: try BrokerSettings(parsed, management: true), database: try DatabaseSettings(parsed),
            thresholds: thresholds)
        collector.deadLetterSample = parsed.value("dead-letter-sample", as: Int.self) ?? 1_000
        collector.exampleQueuesDeclared = !parsed.flag("no-example-queues")
        return collector
    }

    private static func run(_ parsed: ParsedCommand, console: Console) async throws -> Int32 {
        let collector = try collector(parsed)
        let json = parsed.flag("json")
        let check = parsed.flag("check")

        guard let interval = parsed.value("watch", as: Duration.self) else {
            let report = try await runBlocking { collector.collect() }
            return try show(report, json: json, check: check, console: console)
        }

        while true {
            let report = try await runBlocking { collector.collect() }
            if console.isTerminal && !json {
                console.write("\u{1B}[H\u{1B}[2J")
            }
            _ = try show(report, json: json, check: false, console: console)
            try await Task.sleep(for: interval)
        }
    }

    /// Prints the report and returns the exit code.
    static func show(_ report: StatusReport, json: Bool, check: Bool, console: Console) throws -> Int32 {
        if json {
            console.write(try JSONOutput.encode(report))
        } else {
            console.write(StatusRenderer(console: console).render(report))
        }

        if check {
            return report.health.level.exitCode
        }
        if let error = report.broker.error {
            console.writeError("Error: \(error)\n")
            return TallyctlExitCode.brokerUnavailable
        }
        if let error = report.database.error {
            console.writeError("Error: \(error)\n")
            return TallyctlExitCode.databaseUnusable
        }
        return TallyctlExitCode.success
    }
}
