/// Generates help text and usage synopses from a command's declaration.
///
/// Help text is wrapped to 80 columns. Option and argument names are indented by 2 and
/// their help starts at column 26, or on the next line when the name is too long.
enum HelpGenerator {
    static let width = 80
    static let nameIndent = 2
    static let helpColumn = 26

    /// Returns the help of `command`, ending with a newline.
    static func help(for command: CommandSpec, path: [String]) -> String {
        let isRoot = path.count == 1
        var sections: [String] = []

        if !command.abstract.isEmpty {
            sections.append(wrap(command.abstract, prefix: "OVERVIEW: ", indent: "OVERVIEW: ".count))
        }
        if let discussion = command.discussion, !discussion.isEmpty {
            sections.append(formatDiscussion(discussion))
        }

        // The generated synopsis wraps between its elements so that "[--port <port>]"
        // stays on one line.
        let synopsisElements = command.usage.map { [$0] } ?? usageElements(for: command, path: path)
        sections.append(wrap(words: synopsisElements, prefix: "USAGE: ", indent: "USAGE: ".count))

        if !command.arguments.isEmpty {
            let rows = command.arguments.map { argument in
                (name: argumentLabel(argument), help: describe(argument))
            }
            sections.append(formatSection("ARGUMENTS:", rows: rows))
        }

        for group in command.optionGroups {
            if let title = group.title, !group.options.isEmpty {
                sections.append(formatSection(title + ":", rows: group.options.map(optionRow)))
            }
        }

        var optionRows = command.options.map(optionRow)
        for group in command.optionGroups where group.title == nil {
            optionRows += group.options.map(optionRow)
        }
        if isRoot && command.version != nil {
            optionRows.append((name: "--version", help: "Show the version."))
        }
        optionRows.append((name: "-h, --help", help: "Show help information."))
        sections.append(formatSection("OPTIONS:", rows: optionRows))

        if !command.subcommands.isEmpty {
            let rows = command.subcommands.map { (name: $0.name, help: $0.abstract) }
            let footer = "  See '\(path.joined(separator: " ")) help <subcommand>' for detailed help."
            sections.append(formatSection("SUBCOMMANDS:", rows: rows) + "\n\n" + footer)
        }

        return sections.joined(separator: "\n\n") + "\n"
    }

    /// Returns the one-line synopsis of `command`, such as
    /// `tallyctl status [--port <port>] <database>`.
    static func usage(for command: CommandSpec, path: [String]) -> String {
        command.usage ?? usageElements(for: command, path: path).joined(separator: " ")
    }

    private static func usageElements(for command: CommandSpec, path: [String]) -> [String] {
        var elements = [path.joined(separator: " ")]
        if !command.subcommands.isEmpty {
            elements.append(command.run == nil ? "<subcommand>" : "[<subcommand>]")
        }
        elements += command.allOptions.map(optionSynopsis)
        elements += command.arguments.map(argumentSynopsis)
        return elements
    }

    private static func optionSynopsis(_ option: OptionSpec) -> String {
        switch option.kind {
        case .flag:
            return "[--\(option.long)]"
        case .single where option.isRequired:
            return "--\(option.long) <\(option.valueName)>"
        case .single, .configurationFile:
            return "[--\(option.long) <\(option.valueName)>]"
        case .repeating:
            return "[--\(option.long) <\(option.valueName)> ...]"
        }
    }

    private static func argumentSynopsis(_ argument: ArgumentSpec) -> String {
        switch argument.kind {
        case .required:
            return "<\(argument.name)>"
        case .optional:
            return "[<\(argument.name)>]"
        case .repeating(let minimumCount) where minimumCount > 0:
            return "<\(argument.name)> ..."
        case .repeating:
            return "[<\(argument.name)> ...]"
        }
    }

    private static func argumentLabel(_ argument: ArgumentSpec) -> String {
        if case .repeating = argument.kind {
            return "<\(argument.name)> ..."
        }
        return "<\(argument.name)>"
    }

    private static func describe(_ argument: ArgumentSpec) -> String {
        var notes: [String] = []
        if let choices = argument.converter.choices {
            notes.append("values: " + choices.joined(separator: ", "))
        }
        if let defaultDescription = argument.defaultDescription {
            notes.append("default: " + defaultDescription)
        }
        return appendNotes(notes, to: argument.help)
    }

    private static func optionRow(_ option: OptionSpec) -> (name: String, help: String) {
        var name = option.short.map { "-\($0), " } ?? ""
        name += option.kind == .flag ? "--\(option.long)" : "--\(option.long) <\(option.valueName)>"

        var notes: [String] = []
        if option.kind != .flag, let choices = option.converter.choices {
            notes.append("values: " + choices.joined(separator: ", "))
        }
        var sources: [String] = []
        if let defaultDescription = option.defaultDescription {
            sources.append("default: " + defaultDescription)
        }
        if let variable = option.environment {
            sources.append("env: " + variable)
        }
        if !sources.isEmpty {
            notes.append(sources.joined(separator: ", "))
        }
        return (name, appendNotes(notes, to: option.help))
    }

    /// Appends notes such as `(default: 5672, env: TALLY_AMQP_PORT)` to help text.
    private static func appendNotes(_ notes: [String], to help: String) -> String {
        guard !notes.isEmpty else { return help }
        let parenthetical = "(" + notes.joined(separator: "; ") + ")"
        return help.isEmpty ? parenthetical : help + " " + parenthetical
    }

    private static func formatSection(_ title: String, rows: [(name: String, help: String)]) -> String {
        var lines = [title]
        let indent = String(repeating: " ", count: nameIndent)
        for row in rows {
            let label = indent + row.name
            if row.help.isEmpty {
                lines.append(label)
            } else if label.count + 2 <= helpColumn {
                let padded = label + String(repeating: " ", count: helpColumn - label.count)
                lines.append(wrap(row.help, prefix: padded, indent: helpColumn))
            } else {
                lines.append(label)
                lines.append(wrap(row.help, prefix: String(repeating: " ", count: helpColumn), indent: helpColumn))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Wraps paragraphs to the width. Paragraphs are separated by blank lines, and a
    /// paragraph with a line that starts with a space is kept as written.
    private static func formatDiscussion(_ discussion: String) -> String {
        let paragraphs = discussion.components(separatedBy: "\n\n")
        return paragraphs.map { paragraph in
            let lines = paragraph.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.contains(where: { $0.hasPrefix(" ") }) {
                return paragraph
            }
            return wrap(lines.joined(separator: " "), prefix: "", indent: 0)
        }.joined(separator: "\n\n")
    }

    /// Wraps `text` at spaces so that lines fit the width. The first line starts with
    /// `prefix` and the following lines are indented by `indent` spaces. A word longer
    /// than a line stays whole.
    static func wrap(_ text: String, prefix: String, indent: Int) -> String {
        wrap(words: text.split(whereSeparator: \.isWhitespace).map(String.init), prefix: prefix, indent: indent)
    }

    /// Wraps `words`, which may contain spaces, between the words only.
    static func wrap(words: [String], prefix: String, indent: Int) -> String {
        var lines: [String] = []
        var line = prefix
        var lineHasWord = false

        for word in words {
            if !lineHasWord {
                line += word
                lineHasWord = true
            } else if line.count + 1 + word.count <= width {
                line += " " + word
            } else {
                lines.append(line)
                line = String(repeating: " ", count: indent) + word
            }
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }
}
