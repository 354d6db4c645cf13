import TallySupport

/// The command tree of `tallyctl`, the operators' command line for queues, dead letters,
/// customers and quotas.
///
/// `Sources/tallyctl/main.swift` runs `root`; tests build a tree with a capturing `Console`
/// and run it with `CommandLineTool.execute`.
public enum TallyctlCommand {
    public static let version = "tallyctl 0.1.0"

    /// The tree that writes to the process's standard output and standard error.
    public static let root = makeRoot(console: .standard())

    /// Builds the tree with every command writing to `console`.
    public static func makeRoot(console: Console) -> CommandSpec {
        CommandSpec(
            name: "tallyctl",
            abstract: "Inspect and repair Tally: queues, dead letters, customers, quotas and the ledger.",
            discussion: """
                tallyctl reads the broker and the database and changes nothing unless a subcommand says so: dead replay and purge, customers import, publish, topology apply and backup.

                Settings come from the command line, then environment variables, then the configuration file that the worker reads (--config or TALLY_CONFIG), then defaults. Tables are for people, --json is for scripts; colour is used only on a terminal and never when NO_COLOR is set.

                Exit codes:
                  0   success; status --check: healthy
                  1   failure; status --check: warning
                  2   status --check: critical; verify: the ledger disagrees with the counts
                  3   broker unreachable, or it refused the login, virtual host or a permission
                  4   database missing, read-only, damaged or locked too long
                  64  usage error
                  78  invalid environment variable or configuration file
                """,
            version: version,
            subcommands: [
                StatusCommand.spec(console: console),
                DeadLetterCommands.spec(console: console),
                CustomerCommands.spec(console: console),
                LedgerCommands.quotaSpec(console: console),
                LedgerCommands.ledgerSpec(console: console),
                LedgerCommands.verifySpec(console: console),
                PublishCommand.spec(console: console),
                TopologyCommands.spec(console: console),
                MetricsCommand.spec(console: console),
                BackupCommand.spec(console: console),
                ConfigCommand.spec(console: console),
            ]
        )
    }
}
