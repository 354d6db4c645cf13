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

let root = CommandSpec(
    name: "tally-worker",
    abstract: "Consume the tracker's commands, apply the quota rules, and publish results for billing.",
    discussion: """
        The worker applies each command in one SQLite transaction with its results written to an outbox, publishes the results with publisher confirms, and acks the command only after the broker confirmed them. Several workers may share one database file and one queue.

        SIGTERM or SIGINT stops it gracefully: it stops consuming, finishes the deliveries in hand, publishes the outbox, and exits 0. A second signal exits at once.

        Exit codes: 0 stopped, 64 usage error, 74 database missing or not writable, 78 broker topology conflicts with Tally's (or a configuration error), 1 other failure.
        """,
    version: "tally-worker 0.1.0",
    optionGroups: WorkerOptions.groups,
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
