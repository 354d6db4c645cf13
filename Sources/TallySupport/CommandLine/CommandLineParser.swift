import Foundation

/// Parses a command line against a command tree: chooses the command, converts and
/// checks every option and argument, and fills in values from the environment, the
/// configuration file and the defaults.
///
/// Declaration mistakes in the tree (a duplicate option name, a required argument after
/// an optional one) are programming errors and stop the program with a message.
struct CommandLineParser {
    let root: CommandSpec
    let arguments: [String]
    let environment: [String: String]

    func parse() -> ParseResult {
        DeclarationChecker.check(root)

        var command = root
        var path = [root.name]
        var index = 0

        // Walk down the subcommands named at the front of the command line.
        while !command.subcommands.isEmpty {
            guard index < arguments.count else {
                if command.run != nil { break }
                let names = command.subcommands.map(\.name).joined(separator: ", ")
                return .failure(usageError("missing subcommand; expected one of: \(names)", command, path))
            }

            let token = arguments[index]
            if Self.isHelpFlag(token) {
                return .help(HelpGenerator.help(for: command, path: path))
            }
            if token == "--version", path.count == 1, let version = root.version {
                return .version(version + "\n")
            }
            if let subcommand = command.subcommands.first(where: { $0.name == token }) {
                command = subcommand
                path.append(token)
                index += 1
                continue
            }
            if token == "help" {
                return helpCommand(from: command, path: path, names: Array(arguments[(index + 1)...]))
            }
            if token.hasPrefix("-") {
                if command.run != nil { break }
                return .failure(unknownOptionError(token, command, path))
            }
            if command.run != nil && !command.arguments.isEmpty { break }

            var message = "unknown subcommand '\(token)'"
            if let suggestion = closestMatch(to: token, in: command.subcommands.map(\.name)) {
                message += ". Did you mean '\(suggestion)'?"
            } else {
                message += "; expected one of: " + command.subcommands.map(\.name).joined(separator: ", ")
            }
            return .failure(usageError(message, command, path))
        }

        return parseCommand(command, path: path, tokens: Array(arguments[index...]))
    }

    // MARK: - Help

    static func isHelpFlag(_ token: String) -> Bool {
        token == "-h" || token == "--help"
    }

    /// Handles `help [SUBCOMMAND ...]`, which prints the help of the named command.
    private func helpCommand(from start: CommandSpec, path startPath: [String], names: [String]) -> ParseResult {
        var command = start
        var path = startPath
        for name in names where !name.hasPrefix("-") {
            guard let subcommand = command.subcommands.first(where: { $0.name == name }) else {
                var message = "unknown subcommand '\(name)'"
                if let suggestion = closestMatch(to: name, in: command.subcommands.map(\.name)) {
                    message += ". Did you mean '\(suggestion)'?"
                }
                return .failure(usageError(message, command, path))
            }
            command = subcommand
            path.append(name)
        }
        return .help(HelpGenerator.help(for: command, path: path))
    }

    // MARK: - One command's options and arguments

    private func parseCommand(_ command: CommandSpec, path: [String], tokens: [String]) -> ParseResult {
        // Help and version win over every error, as long as they come before "--".
        for token in tokens {
            if token == "--" { break }
            if Self.isHelpFlag(token) {
                return .help(HelpGenerator.help(for: command, path: path))
            }
            if token == "--version", path.count == 1, let version = root.version {
                return .version(version + "\n")
            }
        }

        do {
            let scanned = try scanTokens(tokens, command: command, path: path)
            let arguments = try assignArguments(scanned.positionals, command: command, path: path)
            let options = try resolveOptions(scanned.commandLineValues, command: command, path: path)
            let parsed = ParsedCommand(path: path, options: options, arguments: arguments)

            do {
                try command.validate?(parsed)
            } catch let error as UsageError {
                throw usageError(error.message, command, path)
            } catch {
                throw usageError(String(describing: error), command, path)
            }

            return .run(parsed, command)
        } catch let error as ParseError {
            return .failure(error)
        } catch {
            preconditionFailure("unexpected error while parsing: \(error)")
        }
    }

    private struct ScannedTokens {
        /// Converted command-line values by long option name, in the order given.
        var commandLineValues: [String: [any Sendable]] = [:]
        var positionals: [String] = []
    }

    /// Splits the tokens into options, converted on the spot, and positional arguments.
    private func scanTokens(_ tokens: [String], command: CommandSpec, path: [String]) throws -> ScannedTokens {
        let options = command.allOptions
        var scanned = ScannedTokens()
        var index = 0
        var optionsEnded = false

        /// Records one occurrence of `option`; `inlineValue` is the text after `=`.
        func record(_ option: OptionSpec, spelledAs spelling: String, inlineValue: String?) throws {
            if option.kind != .repeating, scanned.commandLineValues[option.long] != nil {
                throw usageError("option '\(spelling)' was given more than once; it takes one value", command, path)
            }

            if option.kind == .flag {
                if inlineValue != nil {
                    throw usageError("option '\(spelling)' takes no value", command, path)
                }
                scanned.commandLineValues[option.long] = [true]
                return
            }

            let text: String
            if let inlineValue {
                text = inlineValue
            } else if index < tokens.count, !Self.looksLikeOption(tokens[index], in: options) {
                text = tokens[index]
                index += 1
            } else {
                throw usageError("missing value for '\(option.displayName)'", command, path)
            }

            guard let value = option.converter.convert(text) else {
                throw usageError(
                    "invalid value '\(text)' for '\(option.displayName)': expected \(option.converter.expectation)",
                    command, path
                )
            }
            scanned.commandLineValues[option.long, default: []].append(value)
        }

        while index < tokens.count {
            let token = tokens[index]
            index += 1

            if optionsEnded || !Self.looksLikeOption(token, in: options) {
                scanned.positionals.append(token)
                continue
            }
            if token == "--" {
                optionsEnded = true
                continue
            }

            if token.hasPrefix("--") {
                let body = token.dropFirst(2)
                let name = String(body.prefix { $0 != "=" })
                let inlineValue = body.firstIndex(of: "=").map { String(body[body.index(after: $0)...]) }
                guard let option = options.first(where: { $0.long == name }) else {
                    throw unknownOptionError("--" + name, command, path)
                }
                try record(option, spelledAs: "--" + name, inlineValue: inlineValue)
                continue
            }

            // A cluster of short options, such as -v, -vq or -p5672.
            var characters = Substring(token.dropFirst())
            while let character = characters.first {
                characters = characters.dropFirst()
                guard let option = options.first(where: { $0.short == character }) else {
                    throw unknownOptionError("-" + String(character), command, path)
                }
                if option.kind == .flag {
                    try record(option, spelledAs: "-" + String(character), inlineValue: nil)
                    continue
                }
                let rest = characters.hasPrefix("=") ? characters.dropFirst() : characters
                try record(option, spelledAs: "-" + String(character), inlineValue: rest.isEmpty ? nil : String(rest))
                break
            }
        }
        return scanned
    }

    /// Returns whether `token` is an option rather than a value. A lone `-` (standard
    /// input by convention) and negative numbers are values, unless a short option has
    /// that digit as its name.
    static func looksLikeOption(_ token: String, in options: [OptionSpec]) -> Bool {
        guard token.hasPrefix("-"), token != "-" else { return false }

        let second = token[token.index(after: token.startIndex)]
        if second.isNumber, !options.contains(where: { $0.short == second }), Double(token) != nil {
            return false
        }
        return true
    }

    private func assignArguments(
        _ positionals: [String], command: CommandSpec, path: [String]
    ) throws -> [String: [any Sendable]] {
        var assigned: [String: [any Sendable]] = [:]
        var remaining = positionals[...]

        func convert(_ text: String, for argument: ArgumentSpec) throws -> any Sendable {
            guard let value = argument.converter.convert(text) else {
                throw usageError(
                    "invalid value '\(text)' for '\(argument.displayName)': expected \(argument.converter.expectation)",
                    command, path
                )
            }
            return value
        }

        for argument in command.arguments {
            switch argument.kind {
            case .required:
                guard let text = remaining.popFirst() else {
                    throw usageError("missing argument '\(argument.displayName)'", command, path)
                }
                assigned[argument.name] = [try convert(text, for: argument)]

            case .optional:
                if let text = remaining.popFirst() {
                    assigned[argument.name] = [try convert(text, for: argument)]
                } else {
                    assigned[argument.name] = argument.defaultValue.map { [$0] } ?? []
                }

            case .repeating(let minimumCount):
                guard remaining.count >= minimumCount else {
                    let noun = minimumCount == 1 ? "value" : "values"
                    throw usageError(
                        "missing argument '\(argument.displayName)': expected at least \(minimumCount) \(noun)",
                        command, path
                    )
                }
                assigned[argument.name] = try remaining.map { try convert($0, for: argument) }
                remaining = []
            }
        }

        if let extra = remaining.first {
            throw usageError("unexpected argument '\(extra)'", command, path)
        }
        return assigned
    }

    /// Resolves every option of `command` by precedence: command line, environment,
    /// configuration file, default.
    private func resolveOptions(
        _ commandLineValues: [String: [any Sendable]], command: CommandSpec, path: [String]
    ) throws -> [String: ParsedCommand.ResolvedOption] {
        var resolver = ValueResolver(
            commandLineValues: commandLineValues,
            environment: environment,
            configurableKeys: Self.configurableKeys(in: root)
        )

        do {
            return try resolver.resolve(command.allOptions)
        } catch {
            switch error {
            case .configuration(let message):
                throw ParseError(
                    kind: .configuration, message: message,
                    usage: HelpGenerator.usage(for: command, path: path),
                    commandPath: path.joined(separator: " ")
                )
            case .usage(let message):
                throw usageError(message, command, path)
            }
        }
    }

    /// Returns the keys that the configuration file may contain. They are the long names
    /// of the configurable options of every command in the tree, so that one file can
    /// serve all subcommands.
    static func configurableKeys(in root: CommandSpec) -> Set<String> {
        var keys = Set(root.allOptions.filter(\.isConfigurable).map(\.long))
        for subcommand in root.subcommands {
            keys.formUnion(configurableKeys(in: subcommand))
        }
        return keys
    }

    // MARK: - Errors

    private func usageError(_ message: String, _ command: CommandSpec, _ path: [String]) -> ParseError {
        ParseError(
            kind: .usage, message: message,
            usage: HelpGenerator.usage(for: command, path: path),
            commandPath: path.joined(separator: " ")
        )
    }

    private func unknownOptionError(_ token: String, _ command: CommandSpec, _ path: [String]) -> ParseError {
        let spelling = String(token.prefix { $0 != "=" })
        var message = "unknown option '\(spelling)'"
        if spelling.hasPrefix("--") {
            var names = command.allOptions.map(\.long) + ["help"]
            if path.count == 1, root.version != nil {
                names.append("version")
            }
            if let suggestion = closestMatch(to: String(spelling.dropFirst(2)), in: names) {
                message += ". Did you mean '--\(suggestion)'?"
            }
        }
        return usageError(message, command, path)
    }
}
