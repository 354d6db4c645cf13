import Testing
@testable import TallySupport

/// `CommandLineTool.main` and declaration checks end the process, so these tests run
/// them in a child process of their own.
@Suite struct ProcessExitTests {
    @Test func mainExitsWithUsageCode() async throws {
        let result = try await #require(processExitsWith: .exitCode(64), observing: [\.standardOutputContent, \.standardErrorContent]) {
            await CommandLineTool.main(SampleCommands.root, arguments: ["stauts"], environment: [:])
        }

        #expect(String(decoding: result.standardErrorContent, as: UTF8.self) == """
            Error: unknown subcommand 'stauts'. Did you mean 'status'?
            Usage: tallyctl <subcommand>
            See 'tallyctl --help' for more information.

            """)
        // The test harness may write a few bytes of its own to the child's streams, so
        // check only that none of the tool's text went to the wrong one.
        #expect(!String(decoding: result.standardOutputContent, as: UTF8.self).contains("tallyctl"))
    }

    @Test func mainPrintsHelpToStandardOutput() async throws {
        let result = try await #require(processExitsWith: .exitCode(0), observing: [\.standardOutputContent, \.standardErrorContent]) {
            await CommandLineTool.main(SampleCommands.root, arguments: ["--version"], environment: [:])
        }

        #expect(String(decoding: result.standardOutputContent, as: UTF8.self) == "tallyctl 1.2.0\n")
        #expect(!String(decoding: result.standardErrorContent, as: UTF8.self).contains("tallyctl"))
    }

    @Test func mainExitsWithRunCode() async throws {
        await #expect(processExitsWith: .exitCode(9)) {
            let command = CommandSpec(name: "tool", abstract: "", run: { _ in 9 })
            await CommandLineTool.main(command, arguments: [], environment: [:])
        }
    }

    @Test func duplicateOptionStopsProgram() async {
        await #expect(processExitsWith: .failure) {
            let command = CommandSpec(
                name: "tool", abstract: "",
                options: [.flag("verbose", help: ""), .flag("verbose", help: "")],
                run: { _ in 0 }
            )
            _ = CommandLineTool.parse(command, arguments: [], environment: [:])
        }
    }

    @Test func requiredAfterOptionalStopsProgram() async {
        await #expect(processExitsWith: .failure) {
            let command = CommandSpec(
                name: "tool", abstract: "",
                arguments: [.optional("a", help: "", as: String.self), .required("b", help: "", as: String.self)],
                run: { _ in 0 }
            )
            _ = CommandLineTool.parse(command, arguments: [], environment: [:])
        }
    }

    @Test func undeclaredOptionReadStopsProgram() async {
        await #expect(processExitsWith: .failure) {
            guard case .run(let parsed, _) = CommandLineTool.parse(SampleCommands.root, arguments: ["status", "db"], environment: [:]) else {
                return
            }
            _ = parsed.value("no-such-option", as: Int.self)
        }
    }

    @Test func wrongTypeReadStopsProgram() async {
        await #expect(processExitsWith: .failure) {
            guard case .run(let parsed, _) = CommandLineTool.parse(SampleCommands.root, arguments: ["status", "db"], environment: [:]) else {
                return
            }
            _ = parsed.value("port", as: String.self)
        }
    }
}
