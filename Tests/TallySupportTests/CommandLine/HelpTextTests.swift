import Testing
@testable import TallySupport

@Suite struct HelpTextTests {
    private func help(_ arguments: [String]) async -> CommandLineTool.Outcome {
        await CommandLineTool.execute(SampleCommands.root, arguments: arguments, environment: [:])
    }

    @Test func rootHelp() async {
        let outcome = await help(["--help"])

        #expect(outcome.exitCode == 0)
        #expect(outcome.standardError == "")
        #expect(outcome.standardOutput == """
            OVERVIEW: Inspect and operate a Tally deployment.

            Tally bills support incidents per contract. This tool reads the ledger and the
            broker so that an operator can see what the worker did and why.

            USAGE: tallyctl <subcommand>

            OPTIONS:
              --version               Show the version.
              -h, --help              Show help information.

            SUBCOMMANDS:
              status                  Show the worker's queues and the ledger's totals.
              redeem                  Redeem incidents of a customer's contract.

              See 'tallyctl help <subcommand>' for detailed help.

            """)
    }

    @Test func subcommandHelp() async {
        let outcome = await help(["status", "--help"])

        #expect(outcome.exitCode == 0)
        #expect(outcome.standardOutput == """
            OVERVIEW: Show the worker's queues and the ledger's totals.

            USAGE: tallyctl status [--amqp-url <url>] [--port <port>]
                   [--prefetch <prefetch>] [--timeout <timeout>] [--format <format>]
                   [--name <name>] [--queue <queue> ...] [--verbose] [--quiet]
                   [--config <path>] <database>

            ARGUMENTS:
              <database>              The SQLite database file.

            OPTIONS:
              --amqp-url <url>        The broker to connect to. (default:
                                      amqp://guest:***@localhost:5672/%2f, env:
                                      TALLY_AMQP_URL)
              -p, --port <port>       The broker's port. (default: 5672, env:
                                      TALLY_AMQP_PORT)
              --prefetch <prefetch>   Deliveries in flight per consumer. (default: 10, env:
                                      TALLY_PREFETCH)
              --timeout <timeout>     Seconds to wait for the broker. (default: 5s)
              --format <format>       The output format. (values: table, json; default:
                                      table)
              --name <name>           A name to show in the title.
              -q, --queue <queue>     A queue to include; repeat for several. (env:
                                      TALLY_QUEUES)
              -v, --verbose           Print one line per queue with every counter, including
                                      the ones that are zero.
              --quiet                 Print nothing but errors. (env: TALLY_QUIET)
              --config <path>         The configuration file of 'key = value' lines. (env:
                                      TALLY_CONFIG)
              -h, --help              Show help information.

            """)
    }

    @Test func argumentsHelp() async {
        let outcome = await help(["redeem", "-h"])

        #expect(outcome.exitCode == 0)
        #expect(outcome.standardOutput == """
            OVERVIEW: Redeem incidents of a customer's contract.

            USAGE: tallyctl redeem [--offset <offset>] <customer> [<count>] [<notes> ...]

            ARGUMENTS:
              <customer>              The customer id.
              <count>                 The number of incidents to redeem. (default: 1)
              <notes> ...             Notes to attach to the incident.

            OPTIONS:
              --offset <offset>       A signed offset. (default: 0)
              -h, --help              Show help information.

            """)
    }

    @Test(arguments: [
        ["help", "status"],
        ["status", "-h"],
        ["status", "db", "--port", "abc", "--help"],
        ["status", "--unknown", "-h"],
    ])
    func helpWinsEverywhere(arguments: [String]) async {
        let outcome = await help(arguments)
        let expected = await help(["status", "--help"])

        #expect(outcome.exitCode == 0)
        #expect(outcome.standardOutput == expected.standardOutput)
        #expect(outcome.standardError == "")
    }

    @Test func helpWithoutSubcommandShowsRoot() async {
        let outcome = await help(["help"])
        let expected = await help(["--help"])

        #expect(outcome.standardOutput == expected.standardOutput)
    }

    @Test func helpAfterDoubleDashIsArgument() async {
        let result = CommandLineTool.parse(SampleCommands.root, arguments: ["status", "--", "--help"], environment: [:])

        guard case .run(let parsed, _) = result else {
            Issue.record("expected a run, got \(result)")
            return
        }
        #expect(parsed.argument("database", as: String.self) == "--help")
    }

    @Test func versionAtRoot() async {
        let outcome = await help(["--version"])

        #expect(outcome.exitCode == 0)
        #expect(outcome.standardOutput == "tallyctl 1.2.0\n")
    }

    @Test func versionOnlyAtRoot() async {
        let outcome = await help(["status", "db", "--version"])

        #expect(outcome.exitCode == 64)
        #expect(outcome.standardError.hasPrefix("Error: unknown option '--version'\n"))
    }

    @Test func longNameMovesHelpToNextLine() {
        let command = CommandSpec(
            name: "tool",
            abstract: "",
            options: [.option("dead-letter-exchange", help: "The exchange for rejected deliveries.", as: String.self)],
            run: { _ in 0 }
        )

        let text = HelpGenerator.help(for: command, path: ["tool"])

        #expect(text == """
            USAGE: tool [--dead-letter-exchange <dead-letter-exchange>]

            OPTIONS:
              --dead-letter-exchange <dead-letter-exchange>
                                      The exchange for rejected deliveries.
              -h, --help              Show help information.

            """)
    }

    @Test func groupTitleGetsOwnSection() {
        let amqp = OptionGroup(title: "AMQP OPTIONS", options: [
            .option("amqp-url", valueName: "url", help: "The broker.", as: URLArgument.self),
        ])
        let command = CommandSpec(name: "tool", abstract: "Do one thing.", optionGroups: [amqp], run: { _ in 0 })

        let text = HelpGenerator.help(for: command, path: ["tool"])

        #expect(text == """
            OVERVIEW: Do one thing.

            USAGE: tool [--amqp-url <url>]

            AMQP OPTIONS:
              --amqp-url <url>        The broker.

            OPTIONS:
              -h, --help              Show help information.

            """)
    }

    @Test func discussionKeepsIndentedParagraphs() {
        let command = CommandSpec(
            name: "tool",
            abstract: "Check a ledger.",
            discussion: """
                Examples:
                  tool --strict ledger.db
                  tool ledger.db

                A very-long-word-that-cannot-be-broken-anywhere-because-it-has-no-spaces-at-all-in-it stays whole.
                """,
            run: { _ in 0 }
        )

        let text = HelpGenerator.help(for: command, path: ["tool"])

        #expect(text == """
            OVERVIEW: Check a ledger.

            Examples:
              tool --strict ledger.db
              tool ledger.db

            A
            very-long-word-that-cannot-be-broken-anywhere-because-it-has-no-spaces-at-all-in-it
            stays whole.

            USAGE: tool

            OPTIONS:
              -h, --help              Show help information.

            """)
    }
}
