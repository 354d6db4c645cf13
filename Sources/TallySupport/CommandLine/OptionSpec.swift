/// The declaration of one named option: its names, its value type, its help text and
/// where else its value may come from (an environment variable, the configuration file,
/// a default).
///
/// Create options with the factory methods, for example:
///
///     .option("port", short: "p", help: "The broker's port.", default: 5672,
///             environment: "TALLY_AMQP_PORT", in: 1...65535)
///
/// Long names are kebab-case without the leading dashes. The configuration file uses the
/// long name as its key.
public struct OptionSpec: Sendable {
    public enum Kind: Sendable, Equatable {
        /// Present or absent; takes no value on the command line.
        case flag
        /// Takes one value and may be given once.
        case single
        /// Takes one value per occurrence and may be given many times.
        case repeating
        /// Names the configuration file that the other options are read from.
        case configurationFile
    }

    public let long: String
    public let short: Character?
    public let kind: Kind
    /// The placeholder of the value in help text, such as `port` in `--port <port>`.
    public let valueName: String
    public let help: String
    /// The environment variable that supplies a value when the command line does not.
    public let environment: String?
    /// Whether the configuration file may set this option, under its long name.
    public let isConfigurable: Bool
    /// Whether some source must supply a value; the parser reports a usage error if none
    /// does.
    public let isRequired: Bool

    let converter: ValueConverter
    /// The default of a single option or configuration file option.
    let defaultValue: (any Sendable)?
    /// The default of a repeating option.
    let defaultValues: [any Sendable]
    let defaultDescription: String?

    /// Declares an option that takes one value, such as `--port 5672` or `--port=5672`.
    ///
    /// Without a default and unless `required` is true, the option may have no value, and
    /// `ParsedCommand.value(_:as:)` returns nil.
    public static func option<Value: ArgumentValue>(
        _ long: String,
        short: Character? = nil,
        valueName: String? = nil,
        help: String,
        default defaultValue: Value? = nil,
        environment: String? = nil,
        configurable: Bool = true,
        required: Bool = false,
        as type: Value.Type = Value.self
    ) -> OptionSpec {
        OptionSpec(
            long: long, short: short, kind: .single, valueName: valueName ?? long, help: help,
            environment: environment, isConfigurable: configurable, isRequired: required,
            converter: ValueConverter(Value.self, isValid: nil, expectation: Value.expectation),
            defaultValue: defaultValue, defaultValues: [],
            defaultDescription: defaultValue?.argumentDescription
        )
    }

    /// Declares an option whose value must lie in `range`, such as a port number. The
    /// error for a value outside it states the range.
    public static func option<Value: ArgumentValue & Comparable>(
        _ long: String,
        short: Character? = nil,
        valueName: String? = nil,
        help: String,
        default defaultValue: Value? = nil,
        environment: String? = nil,
        configurable: Bool = true,
        required: Bool = false,
        in range: ClosedRange<Value>,
        as type: Value.Type = Value.self
    ) -> OptionSpec {
        let expectation = Value.expectation(from: range.lowerBound, to: range.upperBound)
        if let defaultValue {
            precondition(range.contains(defaultValue), "default of '--\(long)' is outside \(range)")
        }
        return OptionSpec(
            long: long, short: short, kind: .single, valueName: valueName ?? long, help: help,
            environment: environment, isConfigurable: configurable, isRequired: required,
            converter: ValueConverter(Value.self, isValid: { range.contains($0) }, expectation: expectation),
            defaultValue: defaultValue, defaultValues: [],
            defaultDescription: defaultValue?.argumentDescription
        )
    }

    /// Declares an option whose values must pass `isValid`. `expectation` completes
    /// "expected ..." in the error for a value that does not, such as "a non-empty name".
    public static func option<Value: ArgumentValue>(
        _ long: String,
        short: Character? = nil,
        valueName: String? = nil,
        help: String,
        default defaultValue: Value? = nil,
        environment: String? = nil,
        configurable: Bool = true,
        required: Bool = false,
        expectation: String,
        isValid: @escaping @Sendable (Value) -> Bool,
        as type: Value.Type = Value.self
    ) -> OptionSpec {
        OptionSpec(
            long: long, short: short, kind: .single, valueName: valueName ?? long, help: help,
            environment: environment, isConfigurable: configurable, isRequired: required,
            converter: ValueConverter(Value.self, isValid: isValid, expectation: expectation),
            defaultValue: defaultValue, defaultValues: [],
            defaultDescription: defaultValue?.argumentDescription
        )
    }

    /// Declares a flag such as `--verbose` or `-v`. It is false unless given.
    ///
    /// The environment variable and the configuration file set a flag with a Boolean
    /// value (`true`, `false`, `yes`, `no`, `on`, `off`, `1`, `0`).
    public static func flag(
        _ long: String,
        short: Character? = nil,
        help: String,
        environment: String? = nil,
        configurable: Bool = true
    ) -> OptionSpec {
        OptionSpec(
            long: long, short: short, kind: .flag, valueName: long, help: help,
            environment: environment, isConfigurable: configurable, isRequired: false,
            converter: ValueConverter(Bool.self, isValid: nil, expectation: Bool.expectation),
            defaultValue: false, defaultValues: [], defaultDescription: nil
        )
    }

    /// Declares an option that may be given several times, such as
    /// `--queue a --queue b`.
    ///
    /// An environment variable or configuration file value lists several values
    /// separated by commas. Values given on the command line replace those from the other
    /// sources instead of adding to them.
    public static func repeating<Value: ArgumentValue>(
        _ long: String,
        short: Character? = nil,
        valueName: String? = nil,
        help: String,
        default defaultValues: [Value] = [],
        environment: String? = nil,
        configurable: Bool = true,
        as type: Value.Type = Value.self
    ) -> OptionSpec {
        OptionSpec(
            long: long, short: short, kind: .repeating, valueName: valueName ?? long, help: help,
            environment: environment, isConfigurable: configurable, isRequired: false,
            converter: ValueConverter(Value.self, isValid: nil, expectation: Value.expectation),
            defaultValue: nil, defaultValues: defaultValues,
            defaultDescription: defaultValues.isEmpty
                ? nil : defaultValues.map(\.argumentDescription).joined(separator: ", ")
        )
    }

    /// Declares the option that names the configuration file, such as
    /// `--config /etc/tally/tally.conf`.
    ///
    /// A file named on the command line or in `environment` must exist. A missing file at
    /// `defaultPath` is skipped, so a command can look for a file at a standard place.
    public static func configurationFile(
        _ long: String = "config",
        short: Character? = nil,
        valueName: String = "path",
        help: String = "The configuration file of 'key = value' lines.",
        defaultPath: String? = nil,
        environment: String? = nil
    ) -> OptionSpec {
        OptionSpec(
            long: long, short: short, kind: .configurationFile, valueName: valueName, help: help,
            environment: environment, isConfigurable: false, isRequired: false,
            converter: ValueConverter(String.self, isValid: nil, expectation: String.expectation),
            defaultValue: defaultPath, defaultValues: [], defaultDescription: defaultPath
        )
    }

    /// The option as it appears in usage and errors, such as `--port <port>`.
    var displayName: String {
        kind == .flag ? "--\(long)" : "--\(long) <\(valueName)>"
    }
}

/// Converts the text of a value into the declared type and checks it, with the phrase
/// that errors use for what was expected.
struct ValueConverter: Sendable {
    let expectation: String
    let choices: [String]?
    let typeName: String
    private let conversion: @Sendable (String) -> (any Sendable)?

    init<Value: ArgumentValue>(_ type: Value.Type, isValid: (@Sendable (Value) -> Bool)?, expectation: String) {
        self.expectation = expectation
        self.choices = Value.choices
        self.typeName = String(describing: Value.self)
        self.conversion = { text in
            guard let value = Value(argument: text) else { return nil }
            if let isValid, !isValid(value) { return nil }
            return value
        }
    }

    /// Returns the converted value, or nil when `text` is invalid.
    func convert(_ text: String) -> (any Sendable)? {
        conversion(text)
    }
}
