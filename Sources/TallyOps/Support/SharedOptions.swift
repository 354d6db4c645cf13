import AMQPClient
import Foundation
import TallySupport

/// The option groups that several tallyctl commands share. The long names that the worker
/// also has (`amqp-url`, `tls-ca-file`, `heartbeat`, `database`, `busy-timeout`) use the same
/// keys, environment variables and defaults, so one configuration file serves both programs.
enum SharedOptions {
    static let defaultAMQPURL = "amqp://guest:guest@127.0.0.1:5672/%2F"
    static let defaultManagementURL = "http://127.0.0.1:15672"

    static let amqpURL = OptionSpec.option(
        "amqp-url", valueName: "url",
        help: "The broker: amqp://user:password@host:port/vhost, or amqps:// for TLS. Prefer the environment variable or the configuration file for the password: the command line is visible to other users.",
        default: defaultAMQPURL, environment: "TALLY_AMQP_URL", as: String.self)

    static let tlsCAFile = OptionSpec.option(
        "tls-ca-file", valueName: "path",
        help: "With amqps://: the CA certificates (PEM) that verify the broker's certificate.",
        environment: "TALLY_TLS_CA_FILE", as: String.self)

    static let heartbeat = OptionSpec.option(
        "heartbeat", valueName: "seconds", help: "AMQP heartbeat interval.",
        default: Duration.seconds(30), environment: "TALLY_HEARTBEAT",
        in: Duration.seconds(1)...Duration.seconds(600))

    static let managementURL = OptionSpec.option(
        "management-url", valueName: "url",
        help: "The RabbitMQ management HTTP API, reached with the user and password of --amqp-url. A node started with ops/broker listens on the AMQP port plus 10000.",
        default: defaultManagementURL, environment: "TALLY_MANAGEMENT_URL",
        expectation: "an http:// or https:// URL such as http://127.0.0.1:15672",
        isValid: { (text: String) in
            guard let url = URL(string: text), let scheme = url.scheme, url.host != nil else { return false }
            return scheme == "http" || scheme == "https"
        })

    static let database = OptionSpec.option(
        "database", valueName: "path", help: "The SQLite database file that the workers share.",
        environment: "TALLY_DATABASE", as: String.self)

    static let busyTimeout = OptionSpec.option(
        "busy-timeout", valueName: "seconds", help: "How long a database write waits for a worker's lock.",
        default: Duration.seconds(5), environment: "TALLY_BUSY_TIMEOUT",
        in: Duration.milliseconds(10)...Duration.seconds(600))

    static let configurationFile = OptionSpec.configurationFile(
        help: "A file of 'key = value' lines, the same file the worker reads (keys: amqp-url, tls-ca-file, heartbeat, database, busy-timeout and the worker's own). Command-line flags override environment variables, which override the file.",
        environment: "TALLY_CONFIG")

    static let json = OptionSpec.flag("json", help: "Print JSON for scripts instead of tables.", configurable: false)

    /// The broker connection, without the management API.
    static let amqp = OptionGroup(title: "BROKER OPTIONS", options: [amqpURL, tlsCAFile, heartbeat])

    /// The broker connection and the management API.
    static let broker = OptionGroup(title: "BROKER OPTIONS", options: [amqpURL, tlsCAFile, heartbeat, managementURL])

    static let storage = OptionGroup(title: "DATABASE OPTIONS", options: [database, busyTimeout])

    static let configuration = OptionGroup(title: "CONFIGURATION OPTIONS", options: [configurationFile])
}

/// The broker settings of one command run.
struct BrokerSettings: Sendable {
    var url: AMQPURL
    var caCertificatePath: String?
    var heartbeat: Duration
    var managementURL: String?

    /// Reads the broker options. An invalid AMQP URL is a usage error on the command line and a
    /// configuration error (exit 78) in the environment or the configuration file.
    init(_ parsed: ParsedCommand, management: Bool = false) throws {
        let text = parsed.value("amqp-url", as: String.self) ?? SharedOptions.defaultAMQPURL
        do {
            url = try AMQPURL(text)
        } catch {
            throw parsed.invalidValueError("amqp-url", valueName: "url", problem: "\(error)")
        }
        caCertificatePath = parsed.value("tls-ca-file", as: String.self)
        heartbeat = parsed.value("heartbeat", as: Duration.self) ?? .seconds(30)
        managementURL = management ? parsed.value("management-url", as: String.self) : nil
    }
}

/// The database settings of one command run.
struct DatabaseSettings: Sendable {
    var path: String
    var busyTimeout: Duration

    /// Reads the database options; a missing `--database` is a usage error.
    init(_ parsed: ParsedCommand) throws {
        guard let path = parsed.value("database", as: String.self), !path.isEmpty else {
            throw UsageError("missing value for '--database <path>'; pass --database <path>, set TALLY_DATABASE or set 'database' in the configuration file")
        }
        self.path = path
        busyTimeout = parsed.value("busy-timeout", as: Duration.self) ?? .seconds(5)
    }
}

/// Validates that the database option has a value, before the command runs.
func requireDatabase(_ parsed: ParsedCommand) throws {
    _ = try DatabaseSettings(parsed)
}
