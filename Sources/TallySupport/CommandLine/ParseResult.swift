/// The outcome of parsing a command line, decided before any command runs.
public enum ParseResult: Sendable {
    /// Run `command` with `parsed`.
    case run(ParsedCommand, CommandSpec)
    /// Print the text to standard output and exit 0.
    case help(String)
    /// Print the text to standard output and exit 0.
    case version(String)
    /// Print `error.output` to standard error and exit with `error.exitCode`.
    case failure(ParseError)
}

/// A command line, environment variable or configuration file that the parser rejected.
public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The command line is wrong. Exit code 64 (`EX_USAGE`).
        case usage
        /// An environment variable or the configuration file is wrong, or the file cannot
        /// be read. Exit code 78 (`EX_CONFIG`).
        case configuration
    }

    public let kind: Kind
    /// One line without the `Error: ` prefix, such as
    /// `invalid value 'abc' for '--port <port>': expected an integer from 1 to 65535`.
    public let message: String
    /// The usage synopsis of the command, such as `tallyctl status [--port <port>]`.
    public let usage: String
    /// The command path that `--help` applies to, such as `tallyctl status`.
    public let commandPath: String

    public init(kind: Kind, message: String, usage: String, commandPath: String) {
        self.kind = kind
        self.message = message
        self.usage = usage
        self.commandPath = commandPath
    }

    public var exitCode: Int32 {
        switch kind {
        case .usage: 64
        case .configuration: 78
        }
    }

    /// The full text for standard error: the error line, then for usage errors the usage
    /// and a pointer to `--help`. Ends with a newline.
    public var output: String {
        var text = "Error: \(message)\n"
        if kind == .usage {
            text += "Usage: \(usage)\n"
            text += "See '\(commandPath) --help' for more information.\n"
        }
        return text
    }

    public var description: String { message }
}

/// An error that a command's `validate` or `run` closure throws when the values it got
/// do not fit together, such as two options that exclude each other. The tool prints
/// it like a parse error and exits 64.
public struct UsageError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// An error that a command's `run` closure throws to fail with one line on standard
/// error and a chosen exit code.
///
/// `CommandLineTool` prints `Error: ` and `message`, and exits with `exitCode`, which
/// is 1 unless the type sets it. Other errors print their description and exit 1.
public protocol CommandError: Error {
    /// One line without the `Error: ` prefix. It must not contain secrets.
    var message: String { get }
    var exitCode: Int32 { get }
}

extension CommandError {
    public var exitCode: Int32 { 1 }
}
