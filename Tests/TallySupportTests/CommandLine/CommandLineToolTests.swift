import Testing
@testable import TallySupport

@Suite struct CommandLineToolTests {
    struct QuotaExhausted: CommandError {
        var message: String { "customer 7 has no incidents left on contract C-1" }
        var exitCode: Int32 { 3 }
    }

    struct BrokerDown: CommandError {
        var message: String { "failed to connect to the broker at amqp://tally:***@localhost" }
    }

    struct PlainError: Error, CustomStringConvertible {
        var description: String { "plain failure" }
    }

    private func tool(throwing error: any Error & Sendable) -> CommandSpec {
        CommandSpec(name: "tool", abstract: "", run: { _ in throw error })
    }

    @Test func runReturnsExitCode() async {
        let command = CommandSpec(name: "tool", abstract: "", run: { _ in 7 })

        let outcome = await CommandLineTool.execute(command, arguments: [], environment: [:])

        #expect(outcome == CommandLineTool.Outcome(exitCode: 7))
    }

    @Test func commandErrorUsesItsExitCode() async {
        let outcome = await CommandLineTool.execute(tool(throwing: QuotaExhausted()), arguments: [], environment: [:])

        #expect(outcome.exitCode == 3)
        #expect(outcome.standardError == "Error: customer 7 has no incidents left on contract C-1\n")
        #expect(outcome.standardOutput == "")
    }

    @Test func commandErrorDefaultsToOne() async {
        let outcome = await CommandLineTool.execute(tool(throwing: BrokerDown()), arguments: [], environment: [:])

        #expect(outcome.exitCode == 1)
        #expect(outcome.standardError == "Error: failed to connect to the broker at amqp://tally:***@localhost\n")
    }

    @Test func otherErrorPrintsDescription() async {
        let outcome = await CommandLineTool.execute(tool(throwing: PlainError()), arguments: [], environment: [:])

        #expect(outcome.exitCode == 1)
        #expect(outcome.standardError == "Error: plain failure\n")
    }

    @Test func usageErrorFromRunExits64() async {
        let outcome = await CommandLineTool.execute(tool(throwing: UsageError("pass a customer")), arguments: [], environment: [:])

        #expect(outcome.exitCode == 64)
        #expect(outcome.standardError == "Error: pass a customer\nUsage: tool\nSee 'tool --help' for more information.\n")
    }

    @Test func commandWithoutRunPrintsHelp() async {
        let command = CommandSpec(name: "tool", abstract: "Nothing to run.")

        let outcome = await CommandLineTool.execute(command, arguments: [], environment: [:])

        #expect(outcome.exitCode == 0)
        #expect(outcome.standardOutput.hasPrefix("OVERVIEW: Nothing to run.\n"))
    }
}
