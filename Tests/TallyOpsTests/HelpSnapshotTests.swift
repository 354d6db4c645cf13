import Foundation
import Testing
import TallyOps

/// The help of every command, compared with the files in Snapshots/. Run with
/// TALLY_UPDATE_SNAPSHOTS=1 to rewrite the files after a deliberate change, then review the diff.
@Suite struct HelpSnapshotTests {
    static let commands: [[String]] = [
        [], ["status"], ["dead"], ["dead", "list"], ["dead", "show"], ["dead", "replay"], ["dead", "purge"],
        ["customers"], ["customers", "import"], ["customers", "export"], ["customers", "show"],
        ["quota"], ["ledger"], ["verify"], ["publish"], ["topology"], ["topology", "show"], ["topology", "apply"],
        ["metrics"], ["backup"], ["config"],
    ]

    static func snapshotName(_ path: [String]) -> String {
        (["tallyctl"] + path).joined(separator: "-")
    }

    @Test(arguments: commands)
    func helpMatchesSnapshot(_ path: [String]) async throws {
        let result = await tallyctl(path + ["--help"])
        let expected = try #require(HelpSnapshots.texts[Self.snapshotName(path)], "no snapshot; run with TALLY_UPDATE_SNAPSHOTS=1")

        #expect(result.exitCode == 0)
        #expect(result.error == "")
        #expect(result.output == expected + "\n")
    }

    /// Rewrites HelpSnapshots.swift from the current help texts when TALLY_UPDATE_SNAPSHOTS is set.
    @Test func updateSnapshotsWhenAsked() async throws {
        guard ProcessInfo.processInfo.environment["TALLY_UPDATE_SNAPSHOTS"] != nil else { return }
        var lines = [
            "// The expected help of every tallyctl command, checked by HelpSnapshotTests. Rewrite it with",
            "// TALLY_UPDATE_SNAPSHOTS=1 swift test --filter HelpSnapshotTests, then review the diff.",
            "enum HelpSnapshots {", "    static let texts: [String: String] = [",
        ]
        for path in Self.commands {
            let result = await tallyctl(path + ["--help"])
            lines.append("        \"\(Self.snapshotName(path))\": #\"\"\"")
            lines.append(String(result.output.dropLast()))
            lines.append("\"\"\"#,")
        }
        lines += ["    ]", "}"]
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("HelpSnapshots.swift")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
    }

    @Test(arguments: commands.filter { !$0.isEmpty })
    func helpSubcommandMatchesFlag(_ path: [String]) async {
        let viaFlag = await tallyctl(path + ["--help"])
        let viaHelp = await tallyctl(["help"] + path)

        #expect(viaHelp.exitCode == 0)
        #expect(viaHelp.output == viaFlag.output)
    }

    @Test func helpHasEverySection() async {
        let root = await tallyctl(["--help"])
        let status = await tallyctl(["status", "--help"])

        for section in ["OVERVIEW:", "USAGE:", "OPTIONS:", "SUBCOMMANDS:", "Exit codes:"] {
            #expect(root.output.contains(section), "root help lacks \(section)")
        }
        for section in ["OVERVIEW:", "USAGE:", "OPTIONS:", "BROKER OPTIONS:", "DATABASE OPTIONS:", "CHECK THRESHOLDS:"] {
            #expect(status.output.contains(section), "status help lacks \(section)")
        }
    }

    @Test func versionPrintsName() async {
        let result = await tallyctl(["--version"])

        #expect(result.exitCode == 0)
        #expect(result.output == "tallyctl 0.1.0\n")
    }

    @Test func groupWithoutSubcommandPrintsError() async {
        let result = await tallyctl(["dead"])

        #expect(result.exitCode == 64)
        #expect(result.error.hasPrefix("Error: missing subcommand; expected one of: list, show, replay, purge\n"))
    }
}
