/// A value-type logger: a label, a minimum level, metadata and the handler that writes
/// the events.
///
/// Copies are independent, so a component can add its own metadata without touching
/// the logger it was given:
///
///     var logger = parentLogger
///     logger[metadataKey: "queue"] = "tally.commands"
///     logger.info("consumer started")
///
/// Messages are constant text and the data goes in metadata. The message and metadata
/// closures run only when the event's level is enabled.
public struct Logger: Sendable {
    /// The component that logs, such as `tally.worker`.
    public let label: String

    /// The minimum level that is written. Events below it are dropped before their
    /// message or metadata is built.
    public var logLevel: Level

    /// Metadata attached to every event of this logger. Metadata given with a single
    /// event overrides a key set here.
    public var metadata: Metadata

    /// The destination of the events.
    public var handler: any LogHandler

    /// Creates a logger. The default handler writes logfmt lines to standard error.
    public init(
        label: String,
        logLevel: Level = .info,
        metadata: Metadata = [:],
        handler: any LogHandler = StreamLogHandler.standardError()
    ) {
        self.label = label
        self.logLevel = logLevel
        self.metadata = metadata
        self.handler = handler
    }

    /// Gets or sets one metadata entry of this logger. Setting nil removes the key.
    public subscript(metadataKey key: String) -> MetadataValue? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Returns whether an event at `level` would be written.
    public func isEnabled(_ level: Level) -> Bool {
        level >= logLevel
    }

    /// Sends an event to the handler when `level` is enabled.
    ///
    /// Neither closure runs when the level is below `logLevel`.
    public func log(
        level: Level,
        _ message: @autoclosure () -> Message,
        metadata: @autoclosure () -> Metadata? = nil
    ) {
        guard isEnabled(level) else { return }

        handler.log(makeEvent(level: level, message: message(), extraMetadata: metadata()))
    }

    /// Sends an event unless `limiter` suppresses repeats of `key`.
    ///
    /// The first event that passes after suppressed ones carries a `suppressed` metadata
    /// entry with the number of events dropped for `key`. The limiter is consulted only
    /// when `level` is enabled, so disabled events never count as repeats.
    public func log(
        level: Level,
        _ message: @autoclosure () -> Message,
        metadata: @autoclosure () -> Metadata? = nil,
        limiter: RepeatLimiter,
        key: String
    ) {
        guard isEnabled(level) else { return }

        guard case .log(let suppressed) = limiter.admit(key) else { return }

        var extraMetadata = metadata() ?? [:]
        if suppressed > 0 {
            extraMetadata["suppressed"] = .stringConvertible(suppressed)
        }
        handler.log(makeEvent(level: level, message: message(), extraMetadata: extraMetadata))
    }

    private func makeEvent(level: Level, message: Message, extraMetadata: Metadata?) -> LogEvent {
        var merged = self.metadata
        if let extraMetadata {
            merged.merge(extraMetadata) { _, new in new }
        }
        return LogEvent(level: level, label: label, message: message, metadata: merged)
    }
}

extension Logger {
    /// Logs at `trace`: details for following one message through the code.
    public func trace(_ message: @autoclosure () -> Message, metadata: @autoclosure () -> Metadata? = nil) {
        log(level: .trace, message(), metadata: metadata())
    }

    /// Logs at `debug`: decisions and state changes useful when diagnosing.
    public func debug(_ message: @autoclosure () -> Message, metadata: @autoclosure () -> Metadata? = nil) {
        log(level: .debug, message(), metadata: metadata())
    }

    /// Logs at `info`: starts, stops and other normal milestones.
    public func info(_ message: @autoclosure () -> Message, metadata: @autoclosure () -> Metadata? = nil) {
        log(level: .info, message(), metadata: metadata())
    }

    /// Logs at `notice`: normal but significant events, such as a reconnect.
    public func notice(_ message: @autoclosure () -> Message, metadata: @autoclosure () -> Metadata? = nil) {
        log(level: .notice, message(), metadata: metadata())
    }

    /// Logs at `warning`: a problem that was handled, such as a retry.
    public func warning(_ message: @autoclosure () -> Message, metadata: @autoclosure () -> Metadata? = nil) {
        log(level: .warning, message(), metadata: metadata())
    }

    /// Logs at `error`: an operation failed.
    public func error(_ message: @autoclosure () -> Message, metadata: @autoclosure () -> Metadata? = nil) {
        log(level: .error, message(), metadata: metadata())
    }

    /// Logs at `critical`: the process cannot continue.
    public func critical(_ message: @autoclosure () -> Message, metadata: @autoclosure () -> Metadata? = nil) {
        log(level: .critical, message(), metadata: metadata())
    }
}

extension Logger {
    /// The severity of an event, from `trace` (most verbose) to `critical`.
    public enum Level: String, CaseIterable, Comparable, Codable, Sendable {
        case trace
        case debug
        case info
        case notice
        case warning
        case error
        case critical

        /// Parses a level name, ignoring case (`info`, `WARNING`).
        public init?(parsing text: String) {
            self.init(rawValue: text.lowercased())
        }

        private var severity: Int {
            switch self {
            case .trace: 0
            case .debug: 1
            case .info: 2
            case .notice: 3
            case .warning: 4
            case .error: 5
            case .critical: 6
            }
        }

        public static func < (lhs: Level, rhs: Level) -> Bool {
            lhs.severity < rhs.severity
        }
    }

    /// The constant text of an event, such as `"delivery acked"`.
    ///
    /// Only string literals convert implicitly, and interpolation does not compile, so
    /// that data goes into metadata where it can be searched.
    public struct Message: Equatable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
        public let text: String

        public init(stringLiteral value: String) {
            self.text = value
        }

        /// Creates a message from text built elsewhere, such as a relayed message. Prefer
        /// a literal.
        public init(_ text: String) {
            self.text = text
        }

        public var description: String { text }
    }

    /// Key-value data attached to an event.
    public typealias Metadata = [String: MetadataValue]

    /// One metadata value: a string, a value rendered through its description, or an
    /// array or dictionary of values.
    public enum MetadataValue: Sendable, Equatable, CustomStringConvertible,
        ExpressibleByStringLiteral, ExpressibleByStringInterpolation,
        ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
    {
        case string(String)
        case stringConvertible(any CustomStringConvertible & Sendable)
        case array([MetadataValue])
        case dictionary(Metadata)

        public init(stringLiteral value: String) {
            self = .string(value)
        }

        public init(stringInterpolation: DefaultStringInterpolation) {
            self = .string(String(stringInterpolation: stringInterpolation))
        }

        public init(arrayLiteral elements: MetadataValue...) {
            self = .array(elements)
        }

        public init(dictionaryLiteral elements: (String, MetadataValue)...) {
            self = .dictionary(Metadata(elements) { _, last in last })
        }

        /// The value as one line of text: arrays as `[a, b]`, dictionaries as `[k: v]`
        /// with sorted keys.
        public var description: String {
            switch self {
            case .string(let text):
                return text
            case .stringConvertible(let value):
                return value.description
            case .array(let values):
                return "[" + values.map(\.description).joined(separator: ", ") + "]"
            case .dictionary(let entries):
                let pairs = entries.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
                return "[" + pairs.joined(separator: ", ") + "]"
            }
        }

        /// Compares string-convertible values by their descriptions.
        public static func == (lhs: MetadataValue, rhs: MetadataValue) -> Bool {
            switch (lhs, rhs) {
            case (.string(let left), .string(let right)):
                return left == right
            case (.stringConvertible(let left), .stringConvertible(let right)):
                return left.description == right.description
            case (.array(let left), .array(let right)):
                return left == right
            case (.dictionary(let left), .dictionary(let right)):
                return left == right
            default:
                return false
            }
        }
    }
}
