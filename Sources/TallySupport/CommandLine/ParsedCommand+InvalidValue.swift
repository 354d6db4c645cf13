/// A setting from an environment variable or a configuration file that is invalid. Exits 78
/// (EX_CONFIG), as the parser does for such values.
public struct ConfigurationError: CommandError {
    public let message: String
    public var exitCode: Int32 { 78 }

    public init(_ message: String) {
        self.message = message
    }
}

extension ParsedCommand {
    /// Returns the error for a value of `--long` that parsed but failed a later check, such as
    /// a URL of the wrong scheme: a usage error when the value came from the command line, a
    /// `ConfigurationError` naming the variable or file line otherwise. The value itself is not
    /// repeated, because it may hold a password.
    public func invalidValueError(_ long: String, valueName: String, problem: String) -> any Error {
        switch source(of: long) {
        case .environment(let variable)?:
            return ConfigurationError("invalid value for \(variable) (environment): \(problem)")
        case .configurationFile(let path, let line)?:
            return ConfigurationError("invalid value for '\(long)' in \(path):\(line): \(problem)")
        default:
            return UsageError("invalid value for '--\(long) <\(valueName)>': \(problem)")
        }
    }
}
