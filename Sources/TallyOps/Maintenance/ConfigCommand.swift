import TallySupport

/// `tallyctl config`: the settings tallyctl resolves, and where each came from.
///
/// It also declares the worker's own keys, so that the configuration file the worker reads
/// passes tallyctl's check of unknown keys.
enum ConfigCommand {
    /// The worker's keys that tallyctl does not use; same names as `tally-worker`'s options. A
    /// test checks that every configurable option of the worker is accepted here or elsewhere.
    static let workerOptions = OptionGroup(title: "WORKER OPTIONS (accepted so that the worker's file serves tallyctl)", options: [
        .option("prefetch", valueName: "count", help: "The worker's prefetch count.", environment: "TALLY_PREFETCH", in: 1...65535),
        .option("worker-id", valueName: "id", help: "The worker's id.", environment: "TALLY_WORKER_ID", as: String.self),
        .option("batch-size", valueName: "count", help: "The worker's batch size.", environment: "TALLY_BATCH_SIZE", in: 1...5000),
        .option("max-body-size", valueName: "bytes", help: "The worker's largest command body.", environment: "TALLY_MAX_BODY_SIZE", in: 64...(64 * 1024 * 1024)),
        .option("confirm-timeout", valueName: "seconds", help: "The worker's confirm wait.", environment: "TALLY_CONFIRM_TIMEOUT",
                in: Duration.milliseconds(100)...Duration.seconds(600)),
        .option("shutdown-grace-period", valueName: "seconds", help: "The worker's shutdown grace period.", environment: "TALLY_SHUTDOWN_GRACE_PERIOD",
                in: Duration.seconds(1)...Duration.seconds(3600)),
        .option("inbox-retention", valueName: "seconds", help: "How long the worker remembers a message id.", environment: "TALLY_INBOX_RETENTION",
                in: Duration.seconds(3600)...Duration.seconds(3650 * 86_400)),
        .flag("no-example-queues", help: "Whether the worker leaves out the example consumer queues.", environment: "TALLY_NO_EXAMPLE_QUEUES"),
        .option("log-format", valueName: "format", help: "The worker's log format.", environment: "TALLY_LOG_FORMAT", as: LogFormat.self),
        .option("log-level", valueName: "level", help: "The worker's log level.", environment: "TALLY_LOG_LEVEL", as: Logger.Level.self),
    ])

    static func spec(console: Console) -> CommandSpec {
        CommandSpec(
            name: "config",
            abstract: "Print the settings tallyctl resolves and where each came from; passwords are hidden.",
            optionGroups: [SharedOptions.broker, SharedOptions.storage, workerOptions, SharedOptions.configuration],
            run: { parsed in
                var table = Table([.init(title: "KEY"), .init(title: "VALUE"), .init(title: "SOURCE")])
                table.add(["config", parsed.value("config", as: String.self) ?? "-", parsed.source(of: "config")?.description ?? "-"])
                let keys = (SharedOptions.broker.options + SharedOptions.storage.options + workerOptions.options).map(\.long)
                for key in keys {
                    table.add([key, describeValue(parsed, key), parsed.source(of: key)?.description ?? "-"])
                }
                console.write(table.render())
                return 0
            }
        )
    }

    private static func describeValue(_ parsed: ParsedCommand, _ key: String) -> String {
        switch key {
        case "amqp-url", "management-url":
            return parsed.value(key, as: String.self).map { redactingPassword(inURL: $0) } ?? "-"
        case "heartbeat", "busy-timeout", "confirm-timeout", "shutdown-grace-period", "inbox-retention":
            return parsed.value(key, as: Duration.self)?.argumentDescription ?? "-"
        case "prefetch", "batch-size", "max-body-size":
            return parsed.value(key, as: Int.self).map(String.init) ?? "-"
        case "no-example-queues":
            return parsed.flag(key) ? "true" : "false"
        case "log-format":
            return parsed.value(key, as: LogFormat.self)?.argumentDescription ?? "-"
        case "log-level":
            return parsed.value(key, as: Logger.Level.self)?.argumentDescription ?? "-"
        default:
            return parsed.value(key, as: String.self) ?? "-"
        }
    }
}
