extension OptionGroup {
    /// Returns the group of `--log-level` and `--log-format`, for every command that logs.
    ///
    /// Read them with `Logger(label:options:)`.
    public static func logging(
        title: String? = "LOGGING OPTIONS",
        defaultLevel: Logger.Level = .info,
        levelEnvironment: String? = nil,
        formatEnvironment: String? = nil
    ) -> OptionGroup {
        OptionGroup(title: title, options: [
            .option(
                "log-level", valueName: "level", help: "The minimum level of the log lines written.",
                default: defaultLevel, environment: levelEnvironment
            ),
            .option(
                "log-format", valueName: "format", help: "The format of the log lines on standard error.",
                default: LogFormat.logfmt, environment: formatEnvironment
            ),
        ])
    }
}

extension Logger {
    /// Creates a logger that writes to standard error with the level and format of the
    /// `OptionGroup.logging()` options in `parsed`.
    public init(label: String, options parsed: ParsedCommand, metadata: Metadata = [:]) {
        self.init(
            label: label,
            logLevel: parsed.value("log-level", as: Level.self) ?? .info,
            metadata: metadata,
            handler: StreamLogHandler.standardError(format: parsed.value("log-format", as: LogFormat.self) ?? .logfmt)
        )
    }
}
