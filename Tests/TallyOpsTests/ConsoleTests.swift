import Foundation
import Testing
@testable import TallyOps

/// Colour rules and table layout, without I/O.
@Suite struct ConsoleTests {
    @Test func colorOnlyOnTerminal() {
        let terminal = Console.capturing(isTerminal: true)
        let pipe = Console.capturing(isTerminal: false)
        let noColor = Console.capturing(isTerminal: true, environment: ["NO_COLOR": "1"])

        #expect(terminal.usesColor)
        #expect(terminal.colored("ok", .green) == "\u{1B}[32mok\u{1B}[0m")
        #expect(!pipe.usesColor)
        #expect(pipe.colored("ok", .green) == "ok")
        #expect(!noColor.usesColor)
        #expect(noColor.colored("ok", .green) == "ok")
    }

    @Test func tableAlignsColoredCells() {
        var table = Table([.init(title: "NAME"), .init(title: "COUNT", alignment: .right), .init(title: "NOTE")])
        table.add(["a", "1", "x"])
        table.add(["longer", "1,234", ""])

        let plain = table.render()
        let colored = table.render(indent: 2) { _, column, cell in column == 0 ? "<\(cell)>" : cell }

        #expect(plain == "NAME    COUNT  NOTE\na           1  x\nlonger  1,234\n")
        #expect(colored == "  NAME    COUNT  NOTE\n  <a>           1  x\n  <longer>  1,234\n")
    }

    @Test(arguments: [
        (0.0, "<1 s"), (59.9, "59 s"), (150, "2 min"), (7200, "2.0 h"), (200_000, "2.3 d"),
    ])
    func ageHasUnit(_ seconds: Double, _ expected: String) {
        #expect(Format.age(seconds) == expected)
    }

    @Test(arguments: [(0, "0"), (999, "999"), (1000, "1,000"), (-1234567, "-1,234,567")])
    func countHasSeparators(_ value: Int, _ expected: String) {
        #expect(Format.count(value) == expected)
    }

    @Test func rateAndBytesHaveUnits() {
        #expect(Format.rate(nil) == "-")
        #expect(Format.rate(0) == "0/s")
        #expect(Format.rate(2.5) == "2.5/s")
        #expect(Format.rate(1234.4) == "1,234/s")
        #expect(Format.bytes(512) == "512 B")
        #expect(Format.bytes(3 * 1024 * 1024 + 200 * 1024) == "3.2 MiB")
    }

    @Test func prometheusEscapesLabels() {
        var metrics = PrometheusText()
        metrics.add("tally_x", .gauge, help: "A value.", samples: [([("worker", "a\"b\\c\nd")], 1.5)])
        metrics.add("tally_empty", .gauge, help: "Left out.", samples: [])

        #expect(metrics.text == "# HELP tally_x A value.\n# TYPE tally_x gauge\ntally_x{worker=\"a\\\"b\\\\c\\nd\"} 1.5\n")
    }
}
