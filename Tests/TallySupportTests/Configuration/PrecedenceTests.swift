import Foundation
import Testing
@testable import TallySupport

/// Resolution of option values from the command line, the environment, the
/// configuration file and the defaults, against real files in a temporary folder.
@Suite struct PrecedenceTests {
    /// Writes `text` to a new file in a folder of its own and returns its path.
    private func writeConfiguration(_ text: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tally-support-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("tally.conf")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    private func parse(_ arguments: [String], environment: [String: String]) -> ParseResult {
        CommandLineTool.parse(SampleCommands.root, arguments: ["status", "db"] + arguments, environment: environment)
    }

    private func parsed(_ arguments: [String], environment: [String: String]) throws -> ParsedCommand {
        guard case .run(let parsed, _) = parse(arguments, environment: environment) else {
            Issue.record("expected a run, got \(parse(arguments, environment: environment))")
            throw CancellationError()
        }
        return parsed
    }

    private func failure(_ arguments: [String], environment: [String: String]) -> ParseError? {
        guard case .failure(let error) = parse(arguments, environment: environment) else { return nil }
        return error
    }

    @Test func flagBeatsEnvironmentAndFile() throws {
        let path = try writeConfiguration("port = 3000\n")

        let parsed = try parsed(["--port", "1000", "--config", path], environment: ["TALLY_AMQP_PORT": "2000"])

        #expect(parsed.value("port", as: Int.self) == 1000)
        #expect(parsed.source(of: "port") == .commandLine)
        #expect(parsed.value("config", as: String.self) == path)
        #expect(parsed.source(of: "config") == .commandLine)
    }

    @Test func environmentBeatsFile() throws {
        let path = try writeConfiguration("port = 3000\n")

        let parsed = try parsed(["--config", path], environment: ["TALLY_AMQP_PORT": "2000"])

        #expect(parsed.value("port", as: Int.self) == 2000)
        #expect(parsed.source(of: "port") == .environment(variable: "TALLY_AMQP_PORT"))
    }

    @Test func fileBeatsDefault() throws {
        let path = try writeConfiguration("# ports\n\nport = 3000\n")

        let parsed = try parsed(["--config", path], environment: [:])

        #expect(parsed.value("port", as: Int.self) == 3000)
        #expect(parsed.source(of: "port") == .configurationFile(path: path, line: 3))
    }

    @Test func defaultWhenNoSourceSetsIt() throws {
        let path = try writeConfiguration("prefetch = 20\n")

        let parsed = try parsed(["--config", path], environment: ["TALLY_AMQP_PORT": ""])

        #expect(parsed.value("port", as: Int.self) == 5672)
        #expect(parsed.source(of: "port") == .defaultValue)
        #expect(parsed.value("prefetch", as: Int.self) == 20)
    }

    @Test func configPathFromEnvironment() throws {
        let path = try writeConfiguration("port = 3000\n")

        let parsed = try parsed([], environment: ["TALLY_CONFIG": path])

        #expect(parsed.value("port", as: Int.self) == 3000)
        #expect(parsed.source(of: "config") == .environment(variable: "TALLY_CONFIG"))
    }

    @Test func fileSetsEveryKind() throws {
        let path = try writeConfiguration("""
            verbose = yes
            queue = commands, results
            format = json
            timeout = 250ms
            amqp-url = "amqp://tally:secret@broker:5672/%2f"
            """)

        let parsed = try parsed(["--config", path], environment: [:])

        #expect(parsed.flag("verbose"))
        #expect(parsed.values("queue", as: String.self) == ["commands", "results"])
        #expect(parsed.value("format", as: OutputFormat.self) == .json)
        #expect(parsed.value("timeout", as: Duration.self) == .milliseconds(250))
        #expect(parsed.value("amqp-url", as: URLArgument.self)?.text == "amqp://tally:secret@broker:5672/%2f")
    }

    @Test func environmentSetsFlagAndList() throws {
        let parsed = try parsed([], environment: ["TALLY_QUIET": "true", "TALLY_QUEUES": "a,b"])

        #expect(parsed.flag("quiet"))
        #expect(parsed.source(of: "quiet") == .environment(variable: "TALLY_QUIET"))
        #expect(parsed.values("queue", as: String.self) == ["a", "b"])
    }

    @Test func commandLineReplacesEnvironmentList() throws {
        let parsed = try parsed(["-q", "c"], environment: ["TALLY_QUEUES": "a,b"])

        #expect(parsed.values("queue", as: String.self) == ["c"])
    }

    @Test func badEnvironmentValueNamesVariable() {
        let error = failure([], environment: ["TALLY_PREFETCH": "x"])

        #expect(error?.message == "invalid value 'x' for TALLY_PREFETCH (environment): expected an integer from 1 to 65535")
        #expect(error?.kind == .configuration)
        #expect(error?.exitCode == 78)
        #expect(error?.output == "Error: invalid value 'x' for TALLY_PREFETCH (environment): expected an integer from 1 to 65535\n")
    }

    @Test func badEnvironmentFlagValue() {
        let error = failure([], environment: ["TALLY_QUIET": "maybe"])

        #expect(error?.message == "invalid value 'maybe' for TALLY_QUIET (environment): expected true or false")
    }

    @Test func badFileValueNamesLine() throws {
        let path = try writeConfiguration("port = 5672\n\nprefetch = 0\n")

        let error = failure(["--config", path], environment: [:])

        #expect(error?.message == "\(path):3: invalid value '0' for 'prefetch': expected an integer from 1 to 65535")
        #expect(error?.exitCode == 78)
    }

    @Test func badFileValueHiddenByFlag() throws {
        let path = try writeConfiguration("prefetch = 0\n")

        let parsed = try parsed(["--config", path, "--prefetch", "5"], environment: [:])

        #expect(parsed.value("prefetch", as: Int.self) == 5)
    }

    @Test func unknownFileKeySuggestsName() throws {
        let path = try writeConfiguration("port = 5672\nprefech = 5\n")

        let error = failure(["--config", path], environment: [:])

        #expect(error?.message == "\(path):2: unknown key 'prefech'. Did you mean 'prefetch'?")
        #expect(error?.exitCode == 78)
    }

    @Test func unknownFileKeyListsKeys() throws {
        let path = try writeConfiguration("color = blue\n")

        let error = failure(["--config", path], environment: [:])

        #expect(error?.message == "\(path):1: unknown key 'color'; valid keys are: amqp-url, format, name, offset, port, prefetch, queue, quiet, timeout, verbose")
    }

    @Test func keyOfOtherSubcommandIsAccepted() throws {
        let path = try writeConfiguration("offset = 3\nport = 4000\n")

        let parsed = try parsed(["--config", path], environment: [:])

        #expect(parsed.value("port", as: Int.self) == 4000)
    }

    @Test func syntaxErrorNamesLine() throws {
        let path = try writeConfiguration("port = 1\nbroken line\n")

        let error = failure(["--config", path], environment: [:])

        #expect(error?.message == "\(path):2: expected 'key = value', found 'broken line'")
    }

    @Test func missingNamedFileIsError() {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("absent-\(UUID()).conf").path

        let error = failure(["--config", path], environment: [:])

        #expect(error?.message.hasPrefix("\(path): failed to read the file: ") == true)
        #expect(error?.exitCode == 78)
    }

    @Test func missingDefaultFileIsSkipped() throws {
        let absent = FileManager.default.temporaryDirectory.appendingPathComponent("absent-\(UUID()).conf").path
        let command = CommandSpec(
            name: "tool", abstract: "",
            options: [.option("port", help: "", default: 1, as: Int.self), .configurationFile(defaultPath: absent)],
            run: { _ in 0 }
        )

        guard case .run(let parsed, _) = CommandLineTool.parse(command, arguments: [], environment: [:]) else {
            Issue.record("expected a run")
            return
        }
        #expect(parsed.value("port", as: Int.self) == 1)
        #expect(parsed.value("config", as: String.self) == nil)
        #expect(parsed.source(of: "config") == nil)
    }

    @Test func existingDefaultFileIsRead() throws {
        let path = try writeConfiguration("port = 9\n")
        let command = CommandSpec(
            name: "tool", abstract: "",
            options: [.option("port", help: "", default: 1, as: Int.self), .configurationFile(defaultPath: path)],
            run: { _ in 0 }
        )

        guard case .run(let parsed, _) = CommandLineTool.parse(command, arguments: [], environment: [:]) else {
            Issue.record("expected a run")
            return
        }
        #expect(parsed.value("port", as: Int.self) == 9)
        #expect(parsed.source(of: "config") == .defaultValue)
    }

    @Test func nonConfigurableKeyIsUnknown() throws {
        let path = try writeConfiguration("secret = x\n")
        let command = CommandSpec(
            name: "tool", abstract: "",
            options: [
                .option("secret", help: "", configurable: false, as: String.self),
                .option("port", help: "", default: 1, as: Int.self),
                .configurationFile(),
            ],
            run: { _ in 0 }
        )

        guard case .failure(let error) = CommandLineTool.parse(command, arguments: ["--config", path], environment: [:]) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.message == "\(path):1: unknown key 'secret'; valid keys are: port")
    }
}
