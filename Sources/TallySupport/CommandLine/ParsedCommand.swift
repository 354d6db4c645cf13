/// The command chosen on the command line with every option and argument converted to
/// its declared type.
///
/// Reading an option or argument that the command does not declare, or with another
/// type than declared, is a programming error and stops the program with a message
/// naming both.
public struct ParsedCommand: Sendable {
    struct ResolvedOption: Sendable {
        var values: [any Sendable]
        var source: ValueSource?
    }

    /// The command names from the root, such as `["tallyctl", "status"]`.
    public let path: [String]
    let options: [String: ResolvedOption]
    let arguments: [String: [any Sendable]]

    init(path: [String], options: [String: ResolvedOption], arguments: [String: [any Sendable]]) {
        self.path = path
        self.options = options
        self.arguments = arguments
    }

    /// Returns the value of a single option, or nil when no source supplied one.
    public func value<Value: ArgumentValue>(_ long: String, as type: Value.Type = Value.self) -> Value? {
        let resolved = option(long)
        guard let first = resolved.values.first else { return nil }
        return cast(first, to: Value.self, name: "'--\(long)'")
    }

    /// Returns whether a flag is set.
    public func flag(_ long: String) -> Bool {
        value(long, as: Bool.self) ?? false
    }

    /// Returns the values of a repeating option in the order given.
    public func values<Value: ArgumentValue>(_ long: String, as type: Value.Type = Value.self) -> [Value] {
        option(long).values.map { cast($0, to: Value.self, name: "'--\(long)'") }
    }

    /// Returns the source of an option's value, or nil when it has none.
    public func source(of long: String) -> ValueSource? {
        option(long).source
    }

    /// Returns the value of a required or optional positional argument, or nil when an
    /// optional one was left out and has no default.
    public func argument<Value: ArgumentValue>(_ name: String, as type: Value.Type = Value.self) -> Value? {
        guard let first = positional(name).first else { return nil }
        return cast(first, to: Value.self, name: "'<\(name)>'")
    }

    /// Returns the values of a repeating positional argument.
    public func arguments<Value: ArgumentValue>(_ name: String, as type: Value.Type = Value.self) -> [Value] {
        positional(name).map { cast($0, to: Value.self, name: "'<\(name)>'") }
    }

    private func option(_ long: String) -> ResolvedOption {
        guard let resolved = options[long] else {
            preconditionFailure("command '\(path.joined(separator: " "))' declares no option '--\(long)'")
        }
        return resolved
    }

    private func positional(_ name: String) -> [any Sendable] {
        guard let values = arguments[name] else {
            preconditionFailure("command '\(path.joined(separator: " "))' declares no argument '<\(name)>'")
        }
        return values
    }

    private func cast<Value>(_ value: any Sendable, to type: Value.Type, name: String) -> Value {
        guard let typed = value as? Value else {
            preconditionFailure("\(name) is declared as \(Swift.type(of: value)), not \(Value.self)")
        }
        return typed
    }
}

/// The source of an option's value. The cases are listed in order of precedence.
public enum ValueSource: Sendable, Equatable, CustomStringConvertible {
    case commandLine
    case environment(variable: String)
    case configurationFile(path: String, line: Int)
    case defaultValue

    /// The source as errors and logs name it, such as `TALLY_PREFETCH (environment)`.
    public var description: String {
        switch self {
        case .commandLine: "command line"
        case .environment(let variable): "\(variable) (environment)"
        case .configurationFile(let path, let line): "\(path):\(line)"
        case .defaultValue: "default"
        }
    }
}
