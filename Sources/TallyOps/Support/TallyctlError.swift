import TallySupport

/// The exit codes of tallyctl, listed in `tallyctl --help` and docs/TALLYCTL.md.
public enum TallyctlExitCode {
    public static let success: Int32 = 0
    /// A command failed, or `status --check` found a warning.
    public static let failure: Int32 = 1
    /// `status --check` found a critical problem, or `verify` found differences.
    public static let critical: Int32 = 2
    /// The broker is unreachable or refused the login, the virtual host or a permission.
    public static let brokerUnavailable: Int32 = 3
    /// The database file is missing, read-only, damaged or otherwise unusable.
    public static let databaseUnusable: Int32 = 4
    /// The command line is wrong (EX_USAGE).
    public static let usage: Int32 = 64
    /// An environment variable or the configuration file is wrong (EX_CONFIG).
    public static let configuration: Int32 = 78
}

/// A failure that tallyctl reports as one line on standard error, with its exit code.
///
/// The message names what failed and what to check, and never contains a password.
public struct TallyctlError: CommandError, Sendable, CustomStringConvertible {
    public let message: String
    public let exitCode: Int32

    public init(_ message: String, exitCode: Int32 = TallyctlExitCode.failure) {
        self.message = message
        self.exitCode = exitCode
    }

    public var description: String { message }

    /// Returns the error for a customer id that the database does not define: a typo, or
    /// customer data not imported yet.
    static func customerNotFound(_ customerID: String, path: String) -> TallyctlError {
        TallyctlError("customer '\(customerID)' not found in \(path): check the id, or import the customer data first")
    }

    static func broker(_ message: String) -> TallyctlError {
        TallyctlError(message, exitCode: TallyctlExitCode.brokerUnavailable)
    }

    static func database(_ message: String) -> TallyctlError {
        TallyctlError(message, exitCode: TallyctlExitCode.databaseUnusable)
    }
}
