import TallySupport

/// The options of `tally-worker`: flags, environment variables and configuration file keys.
///
/// Declared here, not in the executable, so that tallyctl can accept the worker's keys: one
/// configuration file serves both programs.
public enum WorkerOptions {
    /// The broker connection and the consumer's prefetch.
    public static let amqp = OptionGroup(title: "AMQP OPTIONS", options: [
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

    /// The database file and the limits of applying commands.
    public static let processing = OptionGroup(title: "PROCESSING OPTIONS", options: [
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

    /// Log output and the configuration file.
    public static let logging = OptionGroup(title: "LOGGING OPTIONS", options: [
        .option("log-format", valueName: "format", help: "One line per event on standard error.", default: LogFormat.logfmt, environment: "TALLY_LOG_FORMAT"),
        .option("log-level", valueName: "level", help: "The lowest level logged.", default: Logger.Level.info, environment: "TALLY_LOG_LEVEL"),
        .configurationFile(help: "A file of 'key = value' lines, keys named as the long options (such as 'database = /var/lib/tally/tally.sqlite'). Command-line flags override environment variables, which override the file.", environment: "TALLY_CONFIG"),
    ])

    /// tallyctl's keys that the worker does not use, accepted so that one file serves both.
    public static let tallyctl = OptionGroup(title: "TALLYCTL OPTIONS (accepted so that tallyctl's file serves the worker)", options: [
        .option(
            "management-url", valueName: "url", help: "The RabbitMQ management API that tallyctl status reads; the worker does not use it.",
            environment: "TALLY_MANAGEMENT_URL", as: String.self),
    ])

    /// Every group, in the order `tally-worker --help` shows them.
    public static let groups = [amqp, processing, logging, tallyctl]
}
