import AMQPClient
import Foundation
import Testing

@Suite struct FieldTableTests {
    @Test func keepsInsertionOrder() {
        var table: FieldTable = ["b": .int32(1), "a": .int32(2)]
        table["c"] = .string("three")
        #expect(table.map(\.key) == ["b", "a", "c"])
        #expect(table.count == 3)
    }

    @Test func replacesAndRemoves() {
        var table: FieldTable = ["b": .int32(1), "a": .int32(2)]
        table["b"] = .bool(true)
        #expect(table.map(\.key) == ["b", "a"])
        #expect(table["b"] == .bool(true))
        table["b"] = nil
        #expect(table.map(\.key) == ["a"])
        #expect(table["b"] == nil)
        table["missing"] = nil
        #expect(table.count == 1)
    }

    @Test(arguments: [
        (FieldValue.int8(-1), Int64(-1)), (.uint8(255), 255), (.int16(-300), -300),
        (.uint16(65_535), 65_535), (.int32(-70_000), -70_000), (.uint32(4_000_000_000), 4_000_000_000),
        (.int64(Int64.min), Int64.min),
    ])
    func intValueWidensEveryInteger(_ value: FieldValue, _ expected: Int64) {
        #expect(value.intValue == expected)
    }

    @Test func accessorsReturnNilForOtherCases() {
        #expect(FieldValue.string("7").intValue == nil)
        #expect(FieldValue.int32(7).stringValue == nil)
        #expect(FieldValue.bytes(Array("text".utf8)).stringValue == "text")
        #expect(FieldValue.bool(true).boolValue == true)
        #expect(FieldValue.void.tableValue == nil)
        #expect(FieldValue.array([.void]).arrayValue == [.void])
    }
}

@Suite struct AMQPErrorTests {
    @Test(arguments: [
        (AMQPError.Kind.connectionRefused, nil as UInt16?, true),
        (.heartbeatTimeout, nil, true),
        (.connectionClosed, 320, true),
        (.connectionClosed, 541, true),
        (.connectionClosed, nil, true),
        (.channelClosed, 404, false),
        (.channelClosed, 406, false),
        (.channelClosed, 405, true),
        (.authenticationFailed, 403, false),
        (.accessRefused, 530, false),
        (.invalidArgument, nil, false),
    ])
    func recoverability(_ kind: AMQPError.Kind, _ replyCode: UInt16?, _ recoverable: Bool) {
        let error = AMQPError(kind: kind, operation: "test", replyCode: replyCode)
        #expect(error.isRecoverable == recoverable)
    }

    @Test func descriptionIsOneLineWithContext() {
        let error = AMQPError(
            kind: .channelClosed, operation: "queue.declare", object: "tally.commands", channel: 3,
            replyCode: 406,
            replyText: "PRECONDITION_FAILED - inequivalent arg 'x-delivery-limit' for queue 'tally.commands'")
        #expect(
            error.description
                == "queue.declare on queue 'tally.commands' failed: channel 3 closed by the broker with 406 PRECONDITION_FAILED - inequivalent arg 'x-delivery-limit' for queue 'tally.commands'"
        )
        #expect(!error.description.contains("\n"))
    }

    @Test func libraryStatusIsNamed() {
        let error = AMQPError(
            kind: .heartbeatTimeout, operation: "wait for events", object: "127.0.0.1:5672",
            librabbitmqStatus: -0x000F)
        #expect(error.librabbitmqMessage?.isEmpty == false)
        #expect(error.description.hasPrefix("wait for events to 127.0.0.1:5672 failed: "))
        #expect(error.description.contains("status -0xf"))
    }
}
