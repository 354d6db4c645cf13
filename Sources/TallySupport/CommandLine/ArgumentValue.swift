/// A type that an option or positional argument converts its text to.
///
/// The parser converts every value, whether it comes from the command line, the
/// environment or a configuration file, before any command runs. When `init(argument:)`
/// returns nil, the error names the value, where it came from and `expectation`.
public protocol ArgumentValue: Sendable {
    /// Parses the text of one value, returning nil when it is invalid.
    init?(argument: String)

    /// A phrase that completes "expected ...", such as "an integer".
    static var expectation: String { get }

    /// The accepted values, listed in help text, or nil when they cannot be listed.
    static var choices: [String]? { get }

    /// The text that shows this value in help text, as a default.
    var argumentDescription: String { get }

    /// Returns the phrase that completes "expected ..." for a value limited to
    /// `lower...upper`, such as "an integer from 1 to 65535".
    static func expectation(from lower: Self, to upper: Self) -> String
}

extension ArgumentValue {
    public static var choices: [String]? { nil }

    public var argumentDescription: String { "\(self)" }

    public static func expectation(from lower: Self, to upper: Self) -> String {
        "\(expectation) from \(lower.argumentDescription) to \(upper.argumentDescription)"
    }
}

extension ArgumentValue where Self: RawRepresentable & CaseIterable, RawValue == String {
    public init?(argument: String) {
        self.init(rawValue: argument)
    }

    public static var expectation: String {
        "one of " + allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
    }

    public static var choices: [String]? {
        allCases.map(\.rawValue)
    }

    public var argumentDescription: String { rawValue }
}

extension String: ArgumentValue {
    public init?(argument: String) {
        self = argument
    }

    public static var expectation: String { "a string" }
}

extension Int: ArgumentValue {
    /// Parses a decimal integer with an optional sign.
    public init?(argument: String) {
        self.init(argument, radix: 10)
    }

    public static var expectation: String { "an integer" }
}

extension Double: ArgumentValue {
    /// Parses a finite decimal number; `nan` and `inf` are rejected.
    public init?(argument: String) {
        guard let value = Double(argument), value.isFinite else { return nil }
        self = value
    }

    public static var expectation: String { "a number" }
}

extension Bool: ArgumentValue {
    /// Parses `true`/`false`, `yes`/`no`, `on`/`off` and `1`/`0`, ignoring case.
    public init?(argument: String) {
        switch argument.lowercased() {
        case "true", "yes", "on", "1": self = true
        case "false", "no", "off", "0": self = false
        default: return nil
        }
    }

    public static var expectation: String { "true or false" }
}

extension Duration: ArgumentValue {
    /// Parses a non-negative duration: a number of seconds (`30`, `0.5`) or a number
    /// with the unit `ms`, `s`, `m` or `h` (`250ms`, `2m`).
    public init?(argument: String) {
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var number = Substring(argument)
        var scale = 1.0
        for unit in units where argument.hasSuffix(unit.suffix) {
            number = argument.dropLast(unit.suffix.count)
            scale = unit.seconds
            break
        }

        guard let value = Double(number), value.isFinite, value >= 0 else { return nil }

        let nanoseconds = (value * scale * 1e9).rounded()
        guard nanoseconds < Double(Int64.max) else { return nil }
        self = .nanoseconds(Int64(nanoseconds))
    }

    public static var expectation: String { "a duration in seconds, such as 30, 0.5 or 250ms" }

    public static func expectation(from lower: Duration, to upper: Duration) -> String {
        "a duration from \(lower.argumentDescription) to \(upper.argumentDescription), in seconds or with a unit (ms, s, m, h)"
    }

    /// The duration in seconds with the `s` unit, such as `30s` or `0.25s`.
    public var argumentDescription: String {
        let (seconds, attoseconds) = components
        if attoseconds == 0 {
            return "\(seconds)s"
        }
        return "\(Double(seconds) + Double(attoseconds) / 1e18)s"
    }
}

extension Logger.Level: ArgumentValue {
    /// Parses a level name, ignoring case.
    public init?(argument: String) {
        self.init(parsing: argument)
    }
}

extension LogFormat: ArgumentValue {}

/// A URL given on the command line, such as `amqp://tally:secret@localhost:5672/%2f`.
///
/// The text must contain a scheme, `://` and a host. Its `argumentDescription` and
/// `description` hide the password, so a default URL can appear in help text and logs.
public struct URLArgument: ArgumentValue, Hashable, CustomStringConvertible {
    /// The URL as given, password included.
    public let text: String

    public init?(argument: String) {
        guard let separator = argument.range(of: "://") else { return nil }

        let scheme = argument[..<separator.lowerBound]
        let afterScheme = argument[separator.upperBound...]
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let host = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        guard let first = scheme.first, first.isLetter,
            scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }),
            !host.isEmpty, !host.hasPrefix(":"), !argument.contains(where: \.isWhitespace)
        else {
            return nil
        }
        self.text = argument
    }

    public static var expectation: String { "a URL such as amqp://user:password@host:5672/vhost" }

    public var argumentDescription: String { redactingPassword(inURL: text) }

    public var description: String { argumentDescription }
}
