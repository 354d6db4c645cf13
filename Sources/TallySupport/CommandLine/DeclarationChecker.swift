/// Checks a command tree for declaration mistakes before the first parse, so a mistake
/// fails every run of the tool, including its tests, instead of only some command lines.
enum DeclarationChecker {
    static func check(_ command: CommandSpec, path: [String] = []) {
        let path = path + [command.name]
        let context = "command '\(path.joined(separator: " "))'"
        let options = command.allOptions

        precondition(
            command.subcommands.isEmpty || (options.isEmpty && command.arguments.isEmpty) || command.run != nil,
            "\(context) has subcommands, so its options and arguments are never parsed; give it a run closure or move them"
        )

        var longNames: Set<String> = ["help"]
        var shortNames: Set<Character> = ["h"]
        if path.count == 1 && command.version != nil {
            longNames.insert("version")
        }
        for option in options {
            precondition(isKebabCase(option.long), "\(context): option name '\(option.long)' is not kebab-case")
            precondition(longNames.insert(option.long).inserted, "\(context): option '--\(option.long)' is declared twice or is built in")
            if let short = option.short {
                precondition(short != "-" && !short.isWhitespace, "\(context): invalid short name '\(short)'")
                precondition(shortNames.insert(short).inserted, "\(context): short option '-\(short)' is declared twice or is built in")
            }
        }
        precondition(
            options.filter { $0.kind == .configurationFile }.count <= 1,
            "\(context) declares more than one configuration file option"
        )

        var argumentNames: Set<String> = []
        var seenOptional = false
        for (index, argument) in command.arguments.enumerated() {
            precondition(argumentNames.insert(argument.name).inserted, "\(context): argument '<\(argument.name)>' is declared twice")
            switch argument.kind {
            case .required:
                precondition(!seenOptional, "\(context): required argument '<\(argument.name)>' follows an optional one")
            case .optional:
                seenOptional = true
            case .repeating:
                precondition(
                    index == command.arguments.count - 1,
                    "\(context): repeating argument '<\(argument.name)>' must be the last argument"
                )
            }
        }

        var subcommandNames: Set<String> = []
        for subcommand in command.subcommands {
            precondition(subcommandNames.insert(subcommand.name).inserted, "\(context): subcommand '\(subcommand.name)' is declared twice")
            check(subcommand, path: path)
        }
    }

    /// Lowercase ASCII letters and digits in words joined by single hyphens, starting with
    /// a letter.
    static func isKebabCase(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLowercase else { return false }
        let allowed = name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
        return allowed && !name.hasSuffix("-") && !name.contains("--")
    }
}
