import AMQPClient
import Foundation
import TallySupport
import TallyWorker

/// Exit codes beyond 0 (stopped) and 64 (usage error), from sysexits.h.
enum WorkerExitCode {
    static let failure: Int32 = 1
    /// The database cannot be opened or written (EX_IOERR).
    static let databaseUnusable: Int32 = 74
    /// The broker's topology conflicts with Tally's, or the configuration cannot work (EX_CONFIG).
    static let configuration: Int32 = 78
}

let amqpOptions = OptionGroup(title: "AMQP OPTIONS", options: [
    .option(
        "amqp-url", valueName: "url",
        help: "The broker to consume from and publish to: amqp://user:password@host:port/vhost, or amqps:// for TLS. Prefer the environment variable or the configuration file for the password: the command line is visible to other users.",
        default: "amqp://guest:guest@127.0.0.1:5672/%2F", environment: "TALLY_AMQP_URL", as: String.self),
    .option(
        "tls-ca-file", valueName: "path",
        help: "With amqps://: the CA certificates (PEM) that verify the broker's certificate.",
        environment: "TALLY_TLS_CA_FILE", as: String.self),
    .option(
        "heartbeat", valueName: "seconds", help: "AMQP heartbeat interval; a silent broker is noticed within about twice this.",
        default: Duration.seconds(30), environment: "TALLY_HEARTBEAT", in: Duration.seconds(1)...Duration.seconds(600)),
    .option(
        "prefetch", valueName: "count", help: "Maximum unacknowledged deliveries the broker sends ahead.",
        default: 500, environment: "TALLY_PREFETCH", in: 1...65535),
    .flag(
        "no-example-queues",
        help: "Do not declare the example consumer queues billing.redemptions and tracker.results. Use it where billing and the tracker bind queues of their own. Until they do, results wait in the outbox.",
        environment: "TALLY_NO_EXAMPLE_QUEUES"),
])

let processingOptions = OptionGroup(title: "PROCESSING OPTIONS", options: [
    .option(
        "database", valueName: "path", help: "The SQLite database file, shared by every worker of one installation.",
        environment: "TALLY_DATABASE", required: true, as: String.self),
    .option(
        "worker-id", valueName: "id", help: "This worker's id in heartbeats, logs and the broker's connection list. Default: host name and process id.",
        environment: "TALLY_WORKER_ID", as: String.self),
    .option(
        "batch-size", valueName: "count", help: "Maximum deliveries applied in one database transaction.",
        default: 200, environment: "TALLY_BATCH_SIZE", in: 1...5000),
    .option(
        "max-body-size", valueName: "bytes", help: "Commands with a larger body are dead-lettered as body_too_large.",
        default: 65536, environment: "TALLY_MAX_BODY_SIZE", in: 64...(64 * 1024 * 1024)),
    .option(
        "busy-timeout", valueName: "seconds", help: "How long a database write waits for another process's lock before it is retried.",
        default: Duration.seconds(5), environment: "TALLY_BUSY_TIMEOUT", in: Duration.milliseconds(10)...Duration.seconds(600)),
    .option(
        "confirm-timeout", valueName: "seconds", help: "How long to wait for the broker's confirms before logging and waiting again; acks stay held.",
        default: Duration.seconds(10), environment: "TALLY_CONFIRM_TIMEOUT", in: Duration.milliseconds(100)...Duration.seconds(600)),
    .option(
        "inbox-retention", valueName: "seconds", help: "How long a command's message id is remembered for duplicate detection, in seconds or with a unit such as 720h. A duplicate older than this is processed again.",
        default: Duration.seconds(30 * 86_400), environment: "TALLY_INBOX_RETENTION", in: Duration.seconds(3600)...Duration.seconds(3650 * 86_400)),
    .option(
        "shutdown-grace-period", valueName: "seconds", help: "Maximum time from SIGTERM or SIGINT to exit; unfinished deliveries are left for redelivery.",
        default: Duration.seconds(20), environment: "TALLY_SHUTDOWN_GRACE_PERIOD", in: Duration.seconds(1)...Duration.seconds(3600)),
])

let loggingOptions = OptionGroup(title: "LOGGING OPTIONS", options: [
    .option("log-format", valueName: "format", help: "One line per event on standard error.", default: LogFormat.logfmt, environment: "TALLY_LOG_FORMAT"),
    .option("log-level", valueName: "level", help: "The lowest level logged.", default: Logger.Level.info, environment: "TALLY_LOG_LEVEL"),
    .configurationFile(help: "A file of 'key = value' lines, keys named as the long options (such as 'database = /var/lib/tally/tally.sqlite'). Command-line flags override environment variables, which override the file.", environment: "TALLY_CONFIG"),
])

let root = CommandSpec(
    name: "tally-worker",
    abstract: "Consume the tracker's commands, apply the quota rules, and publish results for billing.",
    discussion: """
        The worker applies each command in one SQLite transaction with its results written to an outbox, publishes the results with publisher confirms, and acks the command only after the broker confirmed them. Several workers may share one database file and one queue.

        SIGTERM or SIGINT stops it gracefully: it stops consuming, finishes the deliveries in hand, publishes the outbox, and exits 0. A second signal exits at once.

        Exit codes: 0 stopped, 64 usage error, 74 database missing or not writable, 78 broker topology conflicts with Tally's (or a configuration error), 1 other failure.
        """,
    version: "tally-worker 0.1.0",
    optionGroups: [amqpOptions, processingOptions, loggingOptions],
    run: { parsed in
        try runWorker(parsed)
    }
)

func runWorker(_ parsed: ParsedCommand) throws -> Int32 {
    let format = parsed.value("log-format", as: LogFormat.self) ?? .logfmt
    var logger = Logger(label: "tally.worker", handler: StreamLogHandler.standardError(format: format))
    logger.logLevel = parsed.value("log-level", as: Logger.Level.self) ?? .info

    let url: AMQPURL
    do {
        url = try AMQPURL(parsed.value("amqp-url", as: String.self) ?? "")
    } catch {
        throw parsed.invalidValueError("amqp-url", valueName: "url", problem: "\(error)")
    }

    var configuration = WorkerConfiguration(
        amqpURL: url,
        databasePath: parsed.value("database", as: String.self) ?? "",
        workerID: parsed.value("worker-id", as: String.self) ?? WorkerConfiguration.defaultWorkerID())
    configuration.prefetch = UInt16(parsed.value("prefetch", as: Int.self) ?? 500)
    configuration.batchSize = parsed.value("batch-size", as: Int.self) ?? 200
    configuration.maximumBodySize = parsed.value("max-body-size", as: Int.self) ?? 65536
    configuration.databaseBusyTimeout = parsed.value("busy-timeout", as: Duration.self) ?? .seconds(5)
    configuration.confirmTimeout = parsed.value("confirm-timeout", as: Duration.self) ?? .seconds(10)
    configuration.shutdownGracePeriod = parsed.value("shutdown-grace-period", as: Duration.self) ?? .seconds(20)
    configuration.inboxRetention = parsed.value("inbox-retention", as: Duration.self) ?? .seconds(30 * 86_400)
    configuration.amqpHeartbeat = parsed.value("heartbeat", as: Duration.self) ?? .seconds(30)
    configuration.caCertificatePath = parsed.value("tls-ca-file", as: String.self)
    configuration.declaresExampleQueues = !parsed.flag("no-example-queues")
    configuration.crashOnMessageID = ProcessInfo.processInfo.environment["TALLY_FAULT_CRASH_ON_MESSAGE_ID"]
    logger[metadataKey: "worker_id"] = "\(configuration.workerID)"

    ShutdownSignal.install()
    let worker: Worker
    do {
        worker = try Worker(configuration: configuration, logger: logger)
    } catch let error as StoppedWhileWaitingError {
        logger.notice("stop requested before start", metadata: ["reason": "\(error.reason)"])
        return 0
    } catch {
        logger.critical("database unusable; not starting", metadata: ["database": "\(configuration.databasePath)", "error": "\(error)"])
        printError("\(error)")
        return WorkerExitCode.databaseUnusable
    }

    do {
        try worker.run()
        return 0
    } catch let error as TopologyMismatchError {
        printError("\(error)")
        return WorkerExitCode.configuration
    } catch {
        logger.critical("worker failed", metadata: ["error": "\(error)"])
        printError("\(error)")
        return WorkerExitCode.failure
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
}

await CommandLineTool.main(root)
