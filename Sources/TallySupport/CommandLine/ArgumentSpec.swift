/// The declaration of one positional argument.
///
/// A command lists its required arguments first, then optional ones, then at most one
/// repeating argument at the end. The parser checks that order when it parses.
public struct ArgumentSpec: Sendable {
    public enum Kind: Sendable, Equatable {
        case required
        case optional
        /// Takes the remaining positional values; at least `minimumCount` of them.
        case repeating(minimumCount: Int)
    }

    /// The name in help and usage, such as `database` in `<database>`.
    public let name: String
    public let help: String
    public let kind: Kind

    let converter: ValueConverter
    let defaultValue: (any Sendable)?
    let defaultDescription: String?

    /// Declares an argument that must be given.
    public static func required<Value: ArgumentValue>(
        _ name: String,
        help: String,
        as type: Value.Type = Value.self
    ) -> ArgumentSpec {
        ArgumentSpec(
            name: name, help: help, kind: .required,
            converter: ValueConverter(Value.self, isValid: nil, expectation: Value.expectation),
            defaultValue: nil, defaultDescription: nil
        )
    }

    /// Declares an argument that may be left out, taking `defaultValue` then.
    public static func optional<Value: ArgumentValue>(
        _ name: String,
        help: String,
        default defaultValue: Value? = nil,
        as type: Value.Type = Value.self
    ) -> ArgumentSpec {
        ArgumentSpec(
            name: name, help: help, kind: .optional,
            converter: ValueConverter(Value.self, isValid: nil, expectation: Value.expectation),
            defaultValue: defaultValue, defaultDescription: defaultValue?.argumentDescription
        )
    }

    /// Declares an argument that takes all remaining positional values.
    public static func repeating<Value: ArgumentValue>(
        _ name: String,
        help: String,
        minimumCount: Int = 0,
        as type: Value.Type = Value.self
    ) -> ArgumentSpec {
        ArgumentSpec(
            name: name, help: help, kind: .repeating(minimumCount: minimumCount),
            converter: ValueConverter(Value.self, isValid: nil, expectation: Value.expectation),
            defaultValue: nil, defaultDescription: nil
        )
    }

    /// The argument as it appears in errors, such as `<database>`.
    var displayName: String { "<\(name)>" }
}
