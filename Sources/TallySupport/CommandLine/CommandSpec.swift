/// The declaration of a command: its name, help text, options, positional arguments and
/// either subcommands or the closure that runs it.
///
/// A command with subcommands takes no options or arguments of its own except the
/// built-in `--help` (and `--version` at the root). Its `run` closure, if any, runs when
/// no subcommand is given.
public struct CommandSpec: Sendable {
    /// The closure that runs a parsed command and returns the process exit code.
    public typealias Run = @Sendable (ParsedCommand) async throws -> Int32

    /// The closure that checks values that depend on each other, before `run`. It throws
    /// `UsageError` to report a usage error.
    public typealias Validate = @Sendable (ParsedCommand) throws -> Void

    public var name: String
    /// One sentence shown after `OVERVIEW:` and in the parent's subcommand list.
    public var abstract: String
    /// Paragraphs shown after the overview. Lines that start with a space are kept as
    /// written; the others are wrapped to 80 columns.
    public var discussion: String?
    /// The text `--version` prints. Only the root command's version is used.
    public var version: String?
    /// Replaces the generated synopsis after `USAGE:`.
    public var usage: String?
    public var options: [OptionSpec]
    /// Options shown under their own heading, such as options shared by several commands.
    public var optionGroups: [OptionGroup]
    public var arguments: [ArgumentSpec]
    public var subcommands: [CommandSpec]
    public var validate: Validate?
    public var run: Run?

    public init(
        name: String,
        abstract: String,
        discussion: String? = nil,
        version: String? = nil,
        usage: String? = nil,
        options: [OptionSpec] = [],
        optionGroups: [OptionGroup] = [],
        arguments: [ArgumentSpec] = [],
        subcommands: [CommandSpec] = [],
        validate: Validate? = nil,
        run: Run? = nil
    ) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.version = version
        self.usage = usage
        self.options = options
        self.optionGroups = optionGroups
        self.arguments = arguments
        self.subcommands = subcommands
        self.validate = validate
        self.run = run
    }

    /// The options of the command and of its groups, in declaration order.
    var allOptions: [OptionSpec] {
        options + optionGroups.flatMap(\.options)
    }

    /// The keys a configuration file may hold for this command and its subcommands: the long
    /// names of their configurable options. Any other key in the file is an error.
    public var configurationKeys: Set<String> {
        CommandLineParser.configurableKeys(in: self)
    }
}

/// Options declared once and shared by several commands, shown in help under `title`
/// (such as `AMQP OPTIONS`) or with the other options when `title` is nil.
public struct OptionGroup: Sendable {
    public var title: String?
    public var options: [OptionSpec]

    public init(title: String? = nil, options: [OptionSpec]) {
        self.title = title
        self.options = options
    }
}
