import Foundation
import Testing
@testable import TallySupport

@Suite struct ConfigurationFileTests {
    @Test func parsesEntriesWithLineNumbers() throws {
        let text = """
            # Broker
            amqp-url = amqp://tally:secret@localhost:5672/%2f

              port=5673
            name = "  padded # not a comment  "   # a comment
            quote = "say \\"hi\\" \\\\ bye"
            empty =
            url-with-hash = amqp://h/v#frag\r
            """

        let file = try ConfigurationFile(path: "tally.conf", text: text)

        #expect(file.entries == [
            .init(key: "amqp-url", value: "amqp://tally:secret@localhost:5672/%2f", line: 2),
            .init(key: "port", value: "5673", line: 4),
            .init(key: "name", value: "  padded # not a comment  ", line: 5),
            .init(key: "quote", value: #"say "hi" \ bye"#, line: 6),
            .init(key: "empty", value: "", line: 7),
            .init(key: "url-with-hash", value: "amqp://h/v#frag", line: 8),
        ])
        #expect(file.entry(for: "port")?.value == "5673")
        #expect(file.entry(for: "missing") == nil)
    }

    @Test(arguments: [
        ("port 5672", "tally.conf:1: expected 'key = value', found 'port 5672'"),
        ("= 5672", "tally.conf:1: missing key before '='"),
        ("name = \"open", "tally.conf:1: missing closing '\"' in the value of 'name'"),
        ("name = \"a\" b", "tally.conf:1: unexpected text 'b' after the quoted value of 'name'"),
        ("name = \"a\\nb\"", "tally.conf:1: invalid escape in the value of 'name': only \\\" and \\\\ are allowed"),
        ("port = 1\n# x\nport = 2", "tally.conf:3: duplicate key 'port', first set on line 1; remove one of them"),
    ])
    func rejectsInvalidLine(text: String, message: String) {
        #expect(throws: ConfigurationFileError.self) {
            try ConfigurationFile(path: "tally.conf", text: text)
        }
        do {
            _ = try ConfigurationFile(path: "tally.conf", text: text)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func missingFileNamesPath() {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tally-\(UUID()).conf").path

        do {
            _ = try ConfigurationFile(contentsOf: path)
            Issue.record("expected an error")
        } catch {
            #expect(error.path == path)
            #expect(error.line == nil)
            #expect(error.description.hasPrefix("\(path): failed to read the file: "))
        }
    }
}
