#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The output streams of tallyctl's commands: standard output for results, standard error for
/// notes and warnings. Tests use a capturing console to read what a command printed.
///
/// Every write and read takes the lock, so commands may write from any thread.
public final class Console: @unchecked Sendable {
    private let lock = NSLock()
    private let capturing: Bool
    private var capturedOutput = ""
    private var capturedError = ""

    /// Whether standard output is a terminal; tables then use colour unless `NO_COLOR` is set.
    public let isTerminal: Bool
    /// Whether to colour output: on a terminal only, and never when `NO_COLOR` is set.
    public let usesColor: Bool

    private init(capturing: Bool, isTerminal: Bool, environment: [String: String]) {
        self.capturing = capturing
        self.isTerminal = isTerminal
        self.usesColor = isTerminal && (environment["NO_COLOR"] ?? "").isEmpty
    }

    /// Returns a console that writes to the process's standard output and standard error.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> Console {
        Console(capturing: false, isTerminal: isatty(STDOUT_FILENO) == 1, environment: environment)
    }

    /// Returns a console that keeps what is written, for tests. `isTerminal` makes it act as a terminal.
    public static func capturing(isTerminal: Bool = false, environment: [String: String] = [:]) -> Console {
        Console(capturing: true, isTerminal: isTerminal, environment: environment)
    }

    /// Writes `text` to standard output as is.
    public func write(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        if capturing {
            capturedOutput += text
        } else {
            Self.writeFully(text, to: STDOUT_FILENO)
        }
    }

    /// Writes `text` to standard error as is.
    public func writeError(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        if capturing {
            capturedError += text
        } else {
            Self.writeFully(text, to: STDERR_FILENO)
        }
    }

    /// The text written to standard output so far; empty unless capturing.
    public var output: String {
        lock.lock()
        defer { lock.unlock() }
        return capturedOutput
    }

    /// The text written to standard error so far; empty unless capturing.
    public var errorOutput: String {
        lock.lock()
        defer { lock.unlock() }
        return capturedError
    }

    /// Wraps `text` in an ANSI colour when colour is on.
    func colored(_ text: String, _ color: TerminalColor) -> String {
        usesColor ? "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m" : text
    }

    private static func writeFully(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { systemWrite(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }
}

/// Calls the C library's `write`, which `Console.write(_:)` hides inside the class.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}

/// ANSI SGR colour codes.
enum TerminalColor: Int {
    case red = 31
    case green = 32
    case yellow = 33
}
