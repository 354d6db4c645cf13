#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A handler that writes one line per event to a file descriptor, standard error by
/// default.
///
/// Each line goes out in one `write(2)` call while a process-wide lock is held, so lines
/// from different threads never interleave, even when several handlers share a
/// descriptor. Write errors are dropped because logging must not stop the program.
///
/// NOTE: a write to a pipe whose reader has gone raises SIGPIPE, which ends the process
/// unless the program ignores that signal.
public struct StreamLogHandler: LogHandler {
    private static let writeLock = LockedState(())

    public let format: LogFormat
    public let fileDescriptor: Int32

    /// Creates a handler that writes to `fileDescriptor`. The handler does not own the
    /// descriptor and never closes it.
    public init(fileDescriptor: Int32, format: LogFormat = .logfmt) {
        self.fileDescriptor = fileDescriptor
        self.format = format
    }

    /// Creates a handler that writes to the descriptor of `fileHandle`, which must stay
    /// open while the handler is in use.
    public init(fileHandle: FileHandle, format: LogFormat = .logfmt) {
        self.init(fileDescriptor: fileHandle.fileDescriptor, format: format)
    }

    /// Returns a handler that writes to standard error.
    public static func standardError(format: LogFormat = .logfmt) -> StreamLogHandler {
        StreamLogHandler(fileDescriptor: STDERR_FILENO, format: format)
    }

    public func log(_ event: LogEvent) {
        let line = format.render(event) + "\n"

        Self.writeLock.withLock { _ in
            _ = writeFully(line, to: fileDescriptor)
        }
    }
}
