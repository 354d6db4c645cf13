import Testing
@testable import TallySupport

@Suite struct ParsingTests {
    private func parse(
        _ arguments: [String],
        environment: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> ParsedCommand {
        let result = CommandLineTool.parse(SampleCommands.root, arguments: arguments, environment: environment)
        guard case .run(let parsed, _) = result else {
            Issue.record("expected a run, got \(result)", sourceLocation: sourceLocation)
            throw ParseFailed()
        }
        return parsed
    }

    private struct ParseFailed: Error {}

    @Test func defaultsApplyWhenNothingGiven() throws {
        let parsed = try parse(["status", "ledger.db"])

        #expect(parsed.path == ["tallyctl", "status"])
        #expect(parsed.argument("database", as: String.self) == "ledger.db")
        #expect(parsed.value("port", as: Int.self) == 5672)
        #expect(parsed.value("timeout", as: Duration.self) == .seconds(5))
        #expect(parsed.value("format", as: OutputFormat.self) == .table)
        #expect(parsed.value("amqp-url", as: URLArgument.self)?.text == "amqp://guest:guest@localhost:5672/%2f")
        #expect(parsed.value("name", as: String.self) == nil)
        #expect(parsed.values("queue", as: String.self) == [])
        #expect(parsed.flag("verbose") == false)
        #expect(parsed.source(of: "port") == .defaultValue)
        #expect(parsed.source(of: "name") == nil)
        #expect(parsed.source(of: "config") == nil)
    }

    @Test(arguments: [
        ["status", "--port=6000", "db"],
        ["status", "--port", "6000", "db"],
        ["status", "-p", "6000", "db"],
        ["status", "-p6000", "db"],
        ["status", "-p=6000", "db"],
        ["status", "db", "--port", "6000"],
    ])
    func optionValueSpellings(arguments: [String]) throws {
        let parsed = try parse(arguments)

        #expect(parsed.value("port", as: Int.self) == 6000)
        #expect(parsed.source(of: "port") == .commandLine)
        #expect(parsed.argument("database", as: String.self) == "db")
    }

    @Test func valueMayContainEqualsSign() throws {
        let parsed = try parse(["status", "--name=a=b", "db"])

        #expect(parsed.value("name", as: String.self) == "a=b")
    }

    @Test func shortFlagsCombine() throws {
        let parsed = try parse(["status", "-vq", "commands", "db"])

        #expect(parsed.flag("verbose"))
        #expect(parsed.values("queue", as: String.self) == ["commands"])
    }

    @Test func repeatedOptionKeepsOrder() throws {
        let parsed = try parse(["status", "--queue", "b", "db", "-q", "a", "--queue=c"])

        #expect(parsed.values("queue", as: String.self) == ["b", "a", "c"])
        #expect(parsed.source(of: "queue") == .commandLine)
    }

    @Test func doubleDashPassesOptionsAsArguments() throws {
        let parsed = try parse(["redeem", "7", "3", "--", "--offset", "-v", "--"])

        #expect(parsed.argument("count", as: Int.self) == 3)
        #expect(parsed.arguments("notes", as: String.self) == ["--offset", "-v", "--"])
        #expect(parsed.value("offset", as: Int.self) == 0)
        #expect(parsed.source(of: "offset") == .defaultValue)
    }

    @Test func negativeNumbersAreValues() throws {
        let parsed = try parse(["redeem", "--offset", "-5", "-1"])

        #expect(parsed.value("offset", as: Int.self) == -5)
        #expect(parsed.argument("customer", as: Int.self) == -1)
    }

    @Test func optionalArgumentTakesDefault() throws {
        let parsed = try parse(["redeem", "7"])

        #expect(parsed.argument("count", as: Int.self) == 1)
        #expect(parsed.arguments("notes", as: String.self) == [])
    }

    @Test func repeatingArgumentTakesRest() throws {
        let parsed = try parse(["redeem", "7", "2", "first", "-", "third"])

        #expect(parsed.argument("count", as: Int.self) == 2)
        #expect(parsed.arguments("notes", as: String.self) == ["first", "-", "third"])
    }

    @Test(arguments: [
        ("30", Duration.seconds(30)),
        ("0.5", .milliseconds(500)),
        ("250ms", .milliseconds(250)),
        ("2s", .seconds(2)),
        ("2m", .seconds(120)),
        ("1h", .seconds(3600)),
    ])
    func durationSpellings(text: String, duration: Duration) {
        #expect(Duration(argument: text) == duration)
    }

    @Test(arguments: ["", "-1", "1x", "nan", "inf", "s"])
    func durationRejects(text: String) {
        #expect(Duration(argument: text) == nil)
    }

    @Test func durationRangeExpectation() {
        let expectation = Duration.expectation(from: .milliseconds(100), to: .seconds(60))

        #expect(expectation == "a duration from 0.1s to 60s, in seconds or with a unit (ms, s, m, h)")
    }

    @Test func integerOverflowIsInvalid() {
        #expect(Int(argument: "99999999999999999999") == nil)
        #expect(Int(argument: "+42") == 42)
        #expect(Int(argument: "4 2") == nil)
    }

    @Test func requiredOptionFromEnvironment() {
        let command = CommandSpec(
            name: "worker", abstract: "",
            options: [.option("database", help: "", environment: "TALLY_DATABASE", required: true, as: String.self)],
            run: { _ in 0 }
        )

        guard case .run(let parsed, _) = CommandLineTool.parse(command, arguments: [], environment: ["TALLY_DATABASE": "/var/lib/tally.db"]) else {
            Issue.record("expected a run")
            return
        }
        #expect(parsed.value("database", as: String.self) == "/var/lib/tally.db")
        #expect(parsed.source(of: "database") == .environment(variable: "TALLY_DATABASE"))
    }

    @Test(arguments: [("yes", true), ("ON", true), ("1", true), ("false", false), ("No", false), ("0", false)])
    func boolSpellings(text: String, value: Bool) {
        #expect(Bool(argument: text) == value)
    }

    @Test(arguments: ["amqp://localhost", "amqps://u:p@h:5671/v", "http://h/path?q#f"])
    func urlAccepts(text: String) {
        #expect(URLArgument(argument: text)?.text == text)
    }

    @Test(arguments: ["localhost", "amqp://", "amqp://u:p@", "://host", "amqp://host name", "1amqp://h"])
    func urlRejects(text: String) {
        #expect(URLArgument(argument: text) == nil)
    }

    @Test func urlDescriptionHidesPassword() {
        let url = URLArgument(argument: "amqp://tally:secret@broker/%2f")

        #expect(url?.description == "amqp://tally:***@broker/%2f")
        #expect(url.map { "\($0)" } == "amqp://tally:***@broker/%2f")
    }

    @Test func rootRunsWithoutSubcommand() async {
        let command = CommandSpec(
            name: "tool", abstract: "",
            options: [.flag("dry-run", help: "")],
            subcommands: [CommandSpec(name: "sub", abstract: "", run: { _ in 3 })],
            run: { parsed in parsed.flag("dry-run") ? 5 : 4 }
        )

        #expect(await CommandLineTool.execute(command, arguments: [], environment: [:]).exitCode == 4)
        #expect(await CommandLineTool.execute(command, arguments: ["--dry-run"], environment: [:]).exitCode == 5)
        #expect(await CommandLineTool.execute(command, arguments: ["sub"], environment: [:]).exitCode == 3)
    }
}
