@testable import TallySupport

/// The output format of the sample `status` command.
enum OutputFormat: String, CaseIterable, ArgumentValue {
    case table
    case json
}

/// A small command tree that the parser tests share: a root with a version and two
/// subcommands, one with many kinds of options and one with every kind of argument.
enum SampleCommands {
    static let status = CommandSpec(
        name: "status",
        abstract: "Show the worker's queues and the ledger's totals.",
        options: [
            .option(
                "amqp-url", valueName: "url", help: "The broker to connect to.",
                default: URLArgument(argument: "amqp://guest:guest@localhost:5672/%2f"),
                environment: "TALLY_AMQP_URL"
            ),
            .option("port", short: "p", help: "The broker's port.", default: 5672, environment: "TALLY_AMQP_PORT", in: 1...65535),
            .option("prefetch", help: "Deliveries in flight per consumer.", default: 10, environment: "TALLY_PREFETCH", in: 1...65535),
            .option("timeout", help: "Seconds to wait for the broker.", default: Duration.seconds(5)),
            .option("format", help: "The output format.", default: OutputFormat.table),
            .option("name", help: "A name to show in the title.", as: String.self),
            .repeating("queue", short: "q", help: "A queue to include; repeat for several.", environment: "TALLY_QUEUES", as: String.self),
            .flag("verbose", short: "v", help: "Print one line per queue with every counter, including the ones that are zero."),
            .flag("quiet", help: "Print nothing but errors.", environment: "TALLY_QUIET"),
            .configurationFile(environment: "TALLY_CONFIG"),
        ],
        arguments: [.required("database", help: "The SQLite database file.", as: String.self)],
        run: { _ in 0 }
    )

    static let redeem = CommandSpec(
        name: "redeem",
        abstract: "Redeem incidents of a customer's contract.",
        options: [
            .option("offset", help: "A signed offset.", default: 0),
        ],
        arguments: [
            .required("customer", help: "The customer id.", as: Int.self),
            .optional("count", help: "The number of incidents to redeem.", default: 1, as: Int.self),
            .repeating("notes", help: "Notes to attach to the incident.", as: String.self),
        ],
        run: { _ in 0 }
    )

    static let root = CommandSpec(
        name: "tallyctl",
        abstract: "Inspect and operate a Tally deployment.",
        discussion: """
            Tally bills support incidents per contract. This tool reads the ledger and the \
            broker so that an operator can see what the worker did and why.
            """,
        version: "tallyctl 1.2.0",
        subcommands: [status, redeem]
    )
}
