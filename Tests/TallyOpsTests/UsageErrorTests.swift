import Foundation
import Testing
import TallyOps

/// Every usage error exits 64 with `Error: ...`, the usage and a pointer to --help on standard
/// error, before anything connects: the environment points at a closed port and a missing
/// database, so a command that ran would fail differently.
@Suite struct UsageErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var message: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let environment = [
        "TALLY_AMQP_URL": "amqp://guest:guest@127.0.0.1:1/%2F",
        "TALLY_MANAGEMENT_URL": "http://127.0.0.1:1",
    ]

    static let cases: [Case] = [
        Case(arguments: ["stauts"], message: "unknown subcommand 'stauts'. Did you mean 'status'?"),
        Case(arguments: ["dead", "lst"], message: "unknown subcommand 'lst'. Did you mean 'list'?"),
        Case(arguments: ["topology", "aply"], message: "unknown subcommand 'aply'. Did you mean 'apply'?"),
        Case(arguments: ["status", "--jsn", "--database", "x"], message: "unknown option '--jsn'. Did you mean '--json'?"),
        Case(arguments: ["dead", "list", "--limt", "3"], message: "unknown option '--limt'. Did you mean '--limit'?"),
        Case(arguments: ["status"], message: "missing value for '--database <path>'; pass --database <path>, set TALLY_DATABASE or set 'database' in the configuration file"),
        Case(arguments: ["verify"], message: "missing value for '--database <path>'"),
        Case(arguments: ["status", "--database", "x", "--amqp-url", "localhost"], message: "invalid value for '--amqp-url <url>'"),
        Case(arguments: ["status", "--database", "x", "--management-url", "ftp://host"], message: "invalid value 'ftp://host' for '--management-url <url>'"),
        Case(arguments: ["status", "--database", "x", "--check", "--watch", "5"], message: "'--check' and '--watch <seconds>' cannot be combined"),
        Case(arguments: ["status", "--database", "x", "--watch", "0"], message: "invalid value '0' for '--watch <seconds>'"),
        Case(arguments: ["status", "--database", "x", "--warn-commands-ready", "50", "--critical-commands-ready", "10"],
             message: "'--warn-commands-ready' (50) must not be above '--critical-commands-ready' (10)"),
        Case(arguments: ["status", "--database", "x", "--stale-after", "soon"], message: "invalid value 'soon' for '--stale-after <seconds>'"),
        Case(arguments: ["dead", "list", "--limit", "0"], message: "invalid value '0' for '--limit <count>': expected an integer from 1 to 100000"),
        Case(arguments: ["dead", "show"], message: "missing argument '<id>'"),
        Case(arguments: ["dead", "replay"], message: "missing dead-letter ids; give one or more ids, or '--all'"),
        Case(arguments: ["dead", "replay", "a", "--all"], message: "give either dead-letter ids or '--all', not both"),
        Case(arguments: ["dead", "purge", "#0"], message: "invalid dead-letter position '#0'"),
        Case(arguments: ["dead", "purge"], message: "missing dead-letter ids"),
        Case(arguments: ["customers", "show", "--database", "x"], message: "missing argument '<customer>'"),
        Case(arguments: ["customers", "import", "--database", "x"], message: "missing argument '<file>'"),
        Case(arguments: ["quota", "1", "2", "--database", "x"], message: "unexpected argument '2'"),
        Case(arguments: ["ledger", "--database", "x"], message: "missing '--issue <id>' or '--customer <id>'"),
        Case(arguments: ["ledger", "--database", "x", "--issue", "1", "--customer", "1"], message: "give either '--issue <id>' or '--customer <id>', not both"),
        Case(arguments: ["ledger", "--database", "x", "--issue", "zero"], message: "invalid value 'zero' for '--issue <id>'"),
        Case(arguments: ["ledger", "--database", "x", "--customer", "1", "--since", "yesterday"], message: "invalid value 'yesterday' for '--since <instant>': expected a UTC day"),
        Case(arguments: ["publish", "incident.redeem"], message: "give exactly one of '--body <json>' and '--file <path>'"),
        Case(arguments: ["publish", "incident.redeem", "--body", "{}", "--file", "x"], message: "give exactly one of '--body <json>' and '--file <path>'"),
        Case(arguments: ["publish", "--body", "{}"], message: "missing argument '<routing-key>'"),
        Case(arguments: ["publish", "incident.redeem", "--body", "{}", "--message-id", "a b"], message: "invalid value 'a b' for '--message-id <id>'"),
        Case(arguments: ["backup", "--database", "x"], message: "missing argument '<path>'"),
        Case(arguments: ["metrics", "--database", "x", "--dead-letter-sample", "-1"], message: "invalid value '-1' for '--dead-letter-sample <count>'"),
        Case(arguments: ["status", "--database"], message: "missing value for '--database <path>'"),
        Case(arguments: ["status", "--database", "x", "--json", "--json"], message: "option '--json' was given more than once"),
        Case(arguments: ["customers", "export", "--database", "x", "-o"], message: "missing value for '--output <path>'"),
        Case(arguments: ["customers", "exprot"], message: "unknown subcommand 'exprot'. Did you mean 'export'?"),
        Case(arguments: ["topology", "show", "--definitions"], message: "missing value for '--definitions <path>'"),
        Case(arguments: ["topology", "apply", "extra"], message: "unexpected argument 'extra'"),
        Case(arguments: ["backup", "a", "b", "--database", "x"], message: "unexpected argument 'b'"),
        Case(arguments: ["config", "extra"], message: "unexpected argument 'extra'"),
        Case(arguments: ["dead", "show", "a", "b"], message: "unexpected argument 'b'"),
        Case(arguments: ["quota", "--database", "x"], message: "missing argument '<customer>'"),
        Case(arguments: ["quota", "1", "--database", "x", "--tpye", "phone"], message: "unknown option '--tpye'. Did you mean '--type'?"),
        Case(arguments: ["metrics", "--database", "x", "--output"], message: "missing value for '--output <path>'"),
        Case(arguments: ["publish", "incident.redeem", "--body", "{}", "--confirm-timeout", "0"], message: "invalid value '0' for '--confirm-timeout <seconds>'"),
        Case(arguments: ["dead", "replay", "x", "--confirm-timeout", "forever"], message: "invalid value 'forever' for '--confirm-timeout <seconds>'"),
        Case(arguments: ["customers", "show", "1", "--database", "x", "--redemptions", "5000"], message: "invalid value '5000' for '--redemptions <count>'"),
        Case(arguments: ["help", "nosuch"], message: "unknown subcommand 'nosuch'"),
    ]

    @Test(arguments: cases)
    func usageErrorExits64(_ testCase: Case) async {
        let result = await tallyctl(testCase.arguments, environment: Self.environment)

        #expect(result.exitCode == 64)
        #expect(result.output == "")
        #expect(result.error.hasPrefix("Error: \(testCase.message)"), "stderr: \(result.error)")
        #expect(result.error.contains("\nUsage: tallyctl"))
        #expect(result.error.contains("--help' for more information."))
    }

    @Test func badEnvironmentValueExits78() async {
        let result = await tallyctl(["status", "--database", "x"], environment: ["TALLY_HEARTBEAT": "never"])

        #expect(result.exitCode == 78)
        #expect(result.error.hasPrefix("Error: invalid value 'never' for TALLY_HEARTBEAT (environment)"))
    }
}
