import Foundation

/// Resolves the value of each option by precedence: the command line, then the option's
/// environment variable, then the configuration file, then the default.
///
/// Values from the environment and the file go through the same conversion and checks
/// as command-line values, and an error names where the bad value came from.
struct ValueResolver {
    enum Failure: Error {
        /// A required option has no value; reported with the usage.
        case usage(String)
        /// An environment variable or the configuration file is wrong.
        case configuration(String)
    }

    let commandLineValues: [String: [any Sendable]]
    let environment: [String: String]
    let configurableKeys: Set<String>
    var hasConfigurationFileOption = false

    mutating func resolve(_ options: [OptionSpec]) throws(Failure) -> [String: ParsedCommand.ResolvedOption] {
        var resolved: [String: ParsedCommand.ResolvedOption] = [:]

        let fileOption = options.first { $0.kind == .configurationFile }
        hasConfigurationFileOption = fileOption != nil
        var file: ConfigurationFile?
        if let fileOption {
            let (path, source) = resolveFilePath(fileOption)
            resolved[fileOption.long] = ParsedCommand.ResolvedOption(values: path.map { [$0] } ?? [], source: source)
            if let path {
                file = try loadFile(at: path, source: source)
            }
        }

        for option in options where option.kind != .configurationFile {
            resolved[option.long] = try resolveValue(of: option, file: file)
        }
        return resolved
    }

    /// Returns the configuration file path and its source, or nil when there is none or
    /// only a default path whose file does not exist.
    private func resolveFilePath(_ option: OptionSpec) -> (path: String?, source: ValueSource?) {
        if let value = commandLineValues[option.long]?.first as? String {
            return (value, .commandLine)
        }
        if let variable = option.environment, let value = environment[variable], !value.isEmpty {
            return (value, .environment(variable: variable))
        }
        if let path = option.defaultValue as? String, FileManager.default.fileExists(atPath: path) {
            return (path, .defaultValue)
        }
        return (nil, nil)
    }

    private func loadFile(at path: String, source: ValueSource?) throws(Failure) -> ConfigurationFile {
        let file: ConfigurationFile
        do {
            file = try ConfigurationFile(contentsOf: path)
        } catch {
            throw .configuration(error.description)
        }

        for entry in file.entries where !configurableKeys.contains(entry.key) {
            var reason = "unknown key '\(entry.key)'"
            if let suggestion = closestMatch(to: entry.key, in: configurableKeys.sorted()) {
                reason += ". Did you mean '\(suggestion)'?"
            } else {
                reason += "; valid keys are: " + configurableKeys.sorted().joined(separator: ", ")
            }
            throw .configuration(ConfigurationFileError(path: path, line: entry.line, reason: reason).description)
        }
        return file
    }

    private func resolveValue(of option: OptionSpec, file: ConfigurationFile?) throws(Failure) -> ParsedCommand.ResolvedOption {
        if let values = commandLineValues[option.long] {
            return ParsedCommand.ResolvedOption(values: values, source: .commandLine)
        }

        // An empty variable counts as unset, so `TALLY_X= command` falls through to the
        // file and the default.
        if let variable = option.environment, let text = environment[variable], !text.isEmpty {
            let values = try convert(text, for: option) { expectation in
                "invalid value '\(text)' for \(variable) (environment): expected \(expectation)"
            }
            return ParsedCommand.ResolvedOption(values: values, source: .environment(variable: variable))
        }

        if option.isConfigurable, let file, let entry = file.entry(for: option.long) {
            let values = try convert(entry.value, for: option) { expectation in
                ConfigurationFileError(
                    path: file.path, line: entry.line,
                    reason: "invalid value '\(entry.value)' for '\(entry.key)': expected \(expectation)"
                ).description
            }
            return ParsedCommand.ResolvedOption(
                values: values, source: .configurationFile(path: file.path, line: entry.line)
            )
        }

        switch option.kind {
        case .repeating:
            return ParsedCommand.ResolvedOption(
                values: option.defaultValues, source: option.defaultValues.isEmpty ? nil : .defaultValue
            )
        case .flag, .single, .configurationFile:
            if let defaultValue = option.defaultValue {
                return ParsedCommand.ResolvedOption(values: [defaultValue], source: .defaultValue)
            }
        }

        if option.isRequired {
            throw .usage("missing value for '\(option.displayName)'; " + describeSources(of: option))
        }
        return ParsedCommand.ResolvedOption(values: [], source: nil)
    }

    /// Converts the text of an environment variable or file entry. A repeating option
    /// takes a comma-separated list.
    private func convert(
        _ text: String, for option: OptionSpec, message: (String) -> String
    ) throws(Failure) -> [any Sendable] {
        let parts: [String]
        if option.kind == .repeating {
            parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        } else {
            parts = [text]
        }

        var values: [any Sendable] = []
        for part in parts {
            guard let value = option.converter.convert(part) else {
                throw .configuration(message(option.converter.expectation))
            }
            values.append(value)
        }
        return values
    }

    /// Describes how to supply a required option, such as "pass --database <path> or set
    /// TALLY_DATABASE".
    private func describeSources(of option: OptionSpec) -> String {
        var ways = ["pass \(option.displayName)"]
        if let variable = option.environment {
            ways.append("set \(variable)")
        }
        if option.isConfigurable && hasConfigurationFileOption {
            ways.append("set '\(option.long)' in the configuration file")
        }
        if ways.count == 1 {
            return ways[0]
        }
        return ways.dropLast().joined(separator: ", ") + " or " + ways[ways.count - 1]
    }
}
