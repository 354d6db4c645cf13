import Testing
@testable import TallySupport

@Suite struct LoggingOptionsTests {
    private let command = CommandSpec(
        name: "worker",
        abstract: "Consume commands.",
        optionGroups: [.logging(levelEnvironment: "TALLY_LOG_LEVEL", formatEnvironment: "TALLY_LOG_FORMAT")],
        run: { _ in 0 }
    )

    @Test func helpListsLoggingOptions() {
        #expect(HelpGenerator.help(for: command, path: ["worker"]) == """
            OVERVIEW: Consume commands.

            USAGE: worker [--log-level <level>] [--log-format <format>]

            LOGGING OPTIONS:
              --log-level <level>     The minimum level of the log lines written. (values:
                                      trace, debug, info, notice, warning, error, critical;
                                      default: info, env: TALLY_LOG_LEVEL)
              --log-format <format>   The format of the log lines on standard error.
                                      (values: logfmt, json; default: logfmt, env:
                                      TALLY_LOG_FORMAT)

            OPTIONS:
              -h, --help              Show help information.

            """)
    }

    @Test func loggerTakesLevelAndFormat() throws {
        let result = CommandLineTool.parse(command, arguments: ["--log-level", "DEBUG"], environment: ["TALLY_LOG_FORMAT": "json"])
        guard case .run(let parsed, _) = result else {
            Issue.record("expected a run, got \(result)")
            return
        }

        let logger = Logger(label: "tally.worker", options: parsed)

        #expect(logger.logLevel == .debug)
        let handler = try #require(logger.handler as? StreamLogHandler)
        #expect(handler.format == .json)
        #expect(handler.fileDescriptor == 2)
    }

    @Test func invalidLevelListsChoices() {
        guard case .failure(let error) = CommandLineTool.parse(command, arguments: ["--log-level", "warn"], environment: [:]) else {
            Issue.record("expected a failure")
            return
        }

        #expect(error.message == "invalid value 'warn' for '--log-level <level>': expected one of 'trace', 'debug', 'info', 'notice', 'warning', 'error', 'critical'")
    }
}
