import Testing
@testable import TallySupport

@Suite struct UsageErrorTests {
    private func failure(_ arguments: [String], environment: [String: String] = [:]) -> ParseError? {
        guard case .failure(let error) = CommandLineTool.parse(SampleCommands.root, arguments: arguments, environment: environment) else {
            return nil
        }
        return error
    }

    @Test func fullOutputOfUsageError() async {
        let outcome = await CommandLineTool.execute(SampleCommands.root, arguments: ["redeem", "x"], environment: [:])

        #expect(outcome.exitCode == 64)
        #expect(outcome.standardOutput == "")
        #expect(outcome.standardError == """
            Error: invalid value 'x' for '<customer>': expected an integer
            Usage: tallyctl redeem [--offset <offset>] <customer> [<count>] [<notes> ...]
            See 'tallyctl redeem --help' for more information.

            """)
    }

    @Test(arguments: [
        (["stauts"], "unknown subcommand 'stauts'. Did you mean 'status'?"),
        (["redem"], "unknown subcommand 'redem'. Did you mean 'redeem'?"),
        (["zebra"], "unknown subcommand 'zebra'; expected one of: status, redeem"),
        (["help", "stats"], "unknown subcommand 'stats'. Did you mean 'status'?"),
        ([], "missing subcommand; expected one of: status, redeem"),
        (["--verbose"], "unknown option '--verbose'"),
        (["--verison"], "unknown option '--verison'. Did you mean '--version'?"),
        (["status", "db", "--prot", "1"], "unknown option '--prot'. Did you mean '--port'?"),
        (["status", "db", "--prot=1"], "unknown option '--prot'. Did you mean '--port'?"),
        (["--verison=1"], "unknown option '--verison'. Did you mean '--version'?"),
        (["status", "db", "--verbos"], "unknown option '--verbos'. Did you mean '--verbose'?"),
        (["status", "db", "--nothing-like-it"], "unknown option '--nothing-like-it'"),
        (["status", "db", "-x"], "unknown option '-x'"),
        (["status", "db", "--port"], "missing value for '--port <port>'"),
        (["status", "db", "--port", "--verbose"], "missing value for '--port <port>'"),
        (["status", "db", "--name", "--"], "missing value for '--name <name>'"),
        (["status", "db", "--port", "abc"], "invalid value 'abc' for '--port <port>': expected an integer from 1 to 65535"),
        (["status", "db", "--port=0"], "invalid value '0' for '--port <port>': expected an integer from 1 to 65535"),
        (["status", "db", "-p", "70000"], "invalid value '70000' for '--port <port>': expected an integer from 1 to 65535"),
        (["status", "db", "--port="], "invalid value '' for '--port <port>': expected an integer from 1 to 65535"),
        (["status", "db", "--format", "xml"], "invalid value 'xml' for '--format <format>': expected one of 'table', 'json'"),
        (["status", "db", "--timeout", "soon"], "invalid value 'soon' for '--timeout <timeout>': expected a duration in seconds, such as 30, 0.5 or 250ms"),
        (["status", "db", "--amqp-url", "localhost"], "invalid value 'localhost' for '--amqp-url <url>': expected a URL such as amqp://user:password@host:5672/vhost"),
        (["status"], "missing argument '<database>'"),
        (["status", "db", "extra"], "unexpected argument 'extra'"),
        (["status", "db", "--port", "1", "--port", "2"], "option '--port' was given more than once; it takes one value"),
        (["status", "db", "-p", "1", "--port=2"], "option '--port' was given more than once; it takes one value"),
        (["status", "db", "-v", "--verbose"], "option '--verbose' was given more than once; it takes one value"),
        (["status", "db", "--verbose=yes"], "option '--verbose' takes no value"),
        (["redeem"], "missing argument '<customer>'"),
        (["redeem", "7", "two"], "invalid value 'two' for '<count>': expected an integer"),
    ])
    func reportsUsageError(arguments: [String], message: String) {
        let error = failure(arguments)

        #expect(error?.message == message)
        #expect(error?.kind == .usage)
        #expect(error?.exitCode == 64)
    }

    @Test func usageNamesTheSubcommand() {
        let error = failure(["status", "db", "--prot", "1"])

        #expect(error?.commandPath == "tallyctl status")
        #expect(error?.usage.hasPrefix("tallyctl status [--amqp-url <url>]") == true)
        #expect(error?.output.hasSuffix("\nSee 'tallyctl status --help' for more information.\n") == true)
    }

    @Test func rootErrorPointsToRootHelp() {
        let error = failure(["stauts"])

        #expect(error?.output == """
            Error: unknown subcommand 'stauts'. Did you mean 'status'?
            Usage: tallyctl <subcommand>
            See 'tallyctl --help' for more information.

            """)
    }

    @Test func repeatingArgumentMinimum() {
        let command = CommandSpec(
            name: "import", abstract: "",
            arguments: [.repeating("files", help: "", minimumCount: 1, as: String.self)],
            run: { _ in 0 }
        )

        guard case .failure(let error) = CommandLineTool.parse(command, arguments: [], environment: [:]) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.message == "missing argument '<files>': expected at least 1 value")
        #expect(error.usage == "import <files> ...")
    }

    @Test func requiredOptionNamesEverySource() {
        let command = CommandSpec(
            name: "worker", abstract: "",
            options: [
                .option("database", valueName: "path", help: "", environment: "TALLY_DATABASE", required: true, as: String.self),
                .configurationFile(),
            ],
            run: { _ in 0 }
        )

        guard case .failure(let error) = CommandLineTool.parse(command, arguments: [], environment: [:]) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.message == "missing value for '--database <path>'; pass --database <path>, set TALLY_DATABASE or set 'database' in the configuration file")
        #expect(error.exitCode == 64)
    }

    @Test func validateRejectsBeforeRun() async {
        let command = CommandSpec(
            name: "tool", abstract: "",
            options: [.flag("json", help: ""), .flag("table", help: "")],
            validate: { parsed in
                if parsed.flag("json") && parsed.flag("table") {
                    throw UsageError("'--json' and '--table' exclude each other; pass one of them")
                }
            },
            run: { _ in
                Issue.record("run must not be called")
                return 0
            }
        )

        let outcome = await CommandLineTool.execute(command, arguments: ["--json", "--table"], environment: [:])

        #expect(outcome.exitCode == 64)
        #expect(outcome.standardError == """
            Error: '--json' and '--table' exclude each other; pass one of them
            Usage: tool [--json] [--table]
            See 'tool --help' for more information.

            """)
    }
}
