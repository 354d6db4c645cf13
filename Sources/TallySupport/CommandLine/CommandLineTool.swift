#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The entry points of a command-line tool: parse the command line, then run the chosen
/// command and map its outcome to an exit code.
///
/// Help and version go to standard output with exit code 0. Usage errors go to standard
/// error with the usage and exit code 64; environment and configuration file errors
/// with exit code 78. A `CommandError` thrown by `run` prints `Error: ` and its message
/// and exits with its code; other errors print their description and exit 1.
public enum CommandLineTool {
    /// The text a run printed and its exit code.
    public struct Outcome: Sendable, Equatable {
        public var exitCode: Int32
        public var standardOutput: String
        public var standardError: String

        public init(exitCode: Int32, standardOutput: String = "", standardError: String = "") {
            self.exitCode = exitCode
            self.standardOutput = standardOutput
            self.standardError = standardError
        }
    }

    /// Parses `arguments`, which exclude the program name, without running anything.
    public static func parse(
        _ root: CommandSpec,
        arguments: [String],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> ParseResult {
        CommandLineParser(root: root, arguments: arguments, environment: environment).parse()
    }

    /// Parses `arguments` and runs the chosen command, returning what the tool itself
    /// prints instead of printing it. Output that `run` prints goes where `run` sends it.
    public static func execute(
        _ root: CommandSpec,
        arguments: [String],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async -> Outcome {
        switch parse(root, arguments: arguments, environment: environment) {
        case .help(let text), .version(let text):
            return Outcome(exitCode: 0, standardOutput: text)

        case .failure(let error):
            return Outcome(exitCode: error.exitCode, standardError: error.output)

        case .run(let parsed, let command):
            guard let run = command.run else {
                return Outcome(exitCode: 0, standardOutput: HelpGenerator.help(for: command, path: parsed.path))
            }
            do {
                return Outcome(exitCode: try await run(parsed))
            } catch let error as UsageError {
                let parseError = ParseError(
                    kind: .usage, message: error.message,
                    usage: HelpGenerator.usage(for: command, path: parsed.path),
                    commandPath: parsed.path.joined(separator: " ")
                )
                return Outcome(exitCode: parseError.exitCode, standardError: parseError.output)
            } catch let error as any CommandError {
                return Outcome(exitCode: error.exitCode, standardError: "Error: \(error.message)\n")
            } catch {
                return Outcome(exitCode: 1, standardError: "Error: \(error)\n")
            }
        }
    }

    /// Parses the process's command line, runs the chosen command and exits with its
    /// exit code.
    public static func main(
        _ root: CommandSpec,
        arguments: [String] = Array(CommandLine.arguments.dropFirst()),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async -> Never {
        let outcome = await execute(root, arguments: arguments, environment: environment)

        if !outcome.standardOutput.isEmpty {
            fflush(nil)
            _ = writeFully(outcome.standardOutput, to: STDOUT_FILENO)
        }
        if !outcome.standardError.isEmpty {
            _ = writeFully(outcome.standardError, to: STDERR_FILENO)
        }
        exit(outcome.exitCode)
    }
}
