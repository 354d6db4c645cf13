import Foundation

/// A destination for log events, such as a stream or a collection in a test.
///
/// `Logger` filters by level before it calls the handler, so a handler writes every
/// event it receives. Handlers are shared between threads and must be safe to call
/// concurrently.
public protocol LogHandler: Sendable {
    func log(_ event: LogEvent)
}

/// One log event as the handler receives it: the logger's metadata merged with the
/// event's own.
public struct LogEvent: Sendable, Equatable {
    public var time: Date
    public var level: Logger.Level
    public var label: String
    public var message: Logger.Message
    public var metadata: Logger.Metadata

    public init(
        time: Date = Date(),
        level: Logger.Level,
        label: String,
        message: Logger.Message,
        metadata: Logger.Metadata = [:]
    ) {
        self.time = time
        self.level = level
        self.label = label
        self.message = message
        self.metadata = metadata
    }
}
