import Foundation
import Testing
@testable import TallySupport

@Suite struct LogFormatTests {
    /// 2026-12-04T21:11:14.123Z
    static let time = Date(timeIntervalSince1970: 1_796_418_674.123)

    static func event(
        level: Logger.Level = .info,
        label: String = "tally.worker",
        message: Logger.Message = "worker started",
        metadata: Logger.Metadata = [:]
    ) -> LogEvent {
        LogEvent(time: time, level: level, label: label, message: message, metadata: metadata)
    }

    @Test func logfmtSortsMetadataKeys() {
        let line = LogFormat.logfmt.render(Self.event(metadata: ["queue": "tally.commands", "message_id": "abc"]))

        #expect(line == #"time=2026-12-04T21:11:14.123Z level=info label=tally.worker message_id=abc queue=tally.commands msg="worker started""#)
    }

    @Test func jsonSortsMetadataKeys() {
        let line = LogFormat.json.render(Self.event(metadata: ["queue": "tally.commands", "message_id": "abc"]))

        #expect(line == #"{"time":"2026-12-04T21:11:14.123Z","level":"info","label":"tally.worker","message_id":"abc","queue":"tally.commands","msg":"worker started"}"#)
    }

    @Test(arguments: [
        ("plain", "plain"),
        ("", #""""#),
        ("two words", #""two words""#),
        (#"say "hi""#, #""say \"hi\"""#),
        ("a=b", #""a=b""#),
        (#"C:\temp"#, #""C:\\temp""#),
        ("line\nbreak", #""line\nbreak""#),
        ("tab\there", #""tab\there""#),
        ("bell\u{07}", #""bell\u0007""#),
        ("café-ünïcode-✓", "café-ünïcode-✓"),
        ("no\u{00A0}break", "\"no\u{00A0}break\""),
    ])
    func logfmtQuotesValue(value: String, rendered: String) {
        let line = LogFormat.logfmt.render(Self.event(metadata: ["key": .string(value)]))

        #expect(line == "time=2026-12-04T21:11:14.123Z level=info label=tally.worker key=\(rendered) msg=\"worker started\"")
    }

    @Test(arguments: [
        ("plain", #""plain""#),
        (#"say "hi""#, #""say \"hi\"""#),
        (#"C:\temp"#, #""C:\\temp""#),
        ("line\nbreak\r", #""line\nbreak\r""#),
        ("\u{08}\u{0C}\u{01}\u{7F}", #""\b\f\u0001\u007f""#),
        ("a=b / c", #""a=b / c""#),
        ("café ✓ 日本", #""café ✓ 日本""#),
        ("sep\u{2028}", #""sep\u2028""#),
    ])
    func jsonEscapesString(value: String, rendered: String) {
        let line = LogFormat.json.render(Self.event(metadata: ["key": .string(value)]))

        #expect(line == #"{"time":"2026-12-04T21:11:14.123Z","level":"info","label":"tally.worker","key":"# + rendered + #","msg":"worker started"}"#)
    }

    @Test func jsonLineParsesBack() throws {
        let metadata: Logger.Metadata = [
            "error": .string("broker said \"no\"\nretrying"),
            "delivery_tag": .stringConvertible(42),
            "ratio": .stringConvertible(0.5),
            "redelivered": .stringConvertible(true),
            "queues": ["a", "b"],
            "limits": ["max": .stringConvertible(3)],
        ]
        let line = LogFormat.json.render(Self.event(message: "delivery \"nacked\"", metadata: metadata))

        let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["error"] as? String == "broker said \"no\"\nretrying")
        #expect(object["delivery_tag"] as? Int == 42)
        #expect(object["ratio"] as? Double == 0.5)
        #expect(object["redelivered"] as? Bool == true)
        #expect(object["queues"] as? [String] == ["a", "b"])
        #expect((object["limits"] as? [String: Any])?["max"] as? Int == 3)
        #expect(object["msg"] as? String == "delivery \"nacked\"")
        #expect(!line.contains("\n"))
    }

    @Test func logfmtRendersNestedValues() {
        let line = LogFormat.logfmt.render(Self.event(metadata: [
            "queues": ["a", "b"],
            "limits": ["min": .stringConvertible(1), "max": .stringConvertible(3)],
        ]))

        #expect(line == #"time=2026-12-04T21:11:14.123Z level=info label=tally.worker limits="[max: 3, min: 1]" queues="[a, b]" msg="worker started""#)
    }

    @Test func logfmtReplacesBadKeyCharacters() {
        let line = LogFormat.logfmt.render(Self.event(message: "started", metadata: ["bad key=x": "1"]))

        #expect(line == "time=2026-12-04T21:11:14.123Z level=info label=tally.worker bad_key_x=1 msg=started")
    }

    @Test func reservedKeysArePrefixed() {
        let metadata: Logger.Metadata = ["msg": "m", "time": "t", "level": "l", "label": "b"]

        let logfmt = LogFormat.logfmt.render(Self.event(message: "started", metadata: metadata))
        let json = LogFormat.json.render(Self.event(message: "started", metadata: metadata))

        #expect(logfmt == "time=2026-12-04T21:11:14.123Z level=info label=tally.worker metadata.label=b metadata.level=l metadata.msg=m metadata.time=t msg=started")
        #expect(json == #"{"time":"2026-12-04T21:11:14.123Z","level":"info","label":"tally.worker","metadata.label":"b","metadata.level":"l","metadata.msg":"m","metadata.time":"t","msg":"started"}"#)
    }

    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (951_782_400.5, "2000-02-29T00:00:00.500Z"),
        (1_709_251_199.999, "2024-02-29T23:59:59.999Z"),
        (4_107_542_400.0, "2100-03-01T00:00:00.000Z"),
        (-1.0, "1969-12-31T23:59:59.000Z"),
    ])
    func timestampIsRFC3339(seconds: Double, expected: String) {
        #expect(formatTimestamp(Date(timeIntervalSince1970: seconds)) == expected)
    }
}
