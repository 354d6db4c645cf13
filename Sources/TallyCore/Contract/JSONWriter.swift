import Foundation

/// Writes compact JSON with object keys sorted by their UTF-8 bytes, so that the same value
/// always gives the same bytes.
enum JSONWriter {
    static func bytes(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(768)
        write(value, to: &output)
        return output
    }

    static func write(_ value: JSONValue, to output: inout [UInt8]) {
        switch value {
        case .null:
            output.append(contentsOf: "null".utf8)
        case .bool(let flag):
            output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .integer(let number):
            appendInteger(number, to: &output)
        case .number(let text):
            output.append(contentsOf: text.utf8)
        case .string(let text):
            writeString(text, to: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                write(element, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            // For the ASCII keys of the results, String order is UTF-8 byte order.
            let sorted = members.sorted { $0.key < $1.key }
            for (position, member) in sorted.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                writeString(member.key, to: &output)
                output.append(UInt8(ascii: ":"))
                write(member.value, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Writes a string with `"`, `\` and control characters escaped; everything else is
    /// written as UTF-8.
    static func writeString(_ text: String, to output: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes in
            output.append(UInt8(ascii: "\""))
            var runStart = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }

                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                appendEscape(byte, to: &output)
                runStart = index + 1
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
            output.append(UInt8(ascii: "\""))
        }
    }

    private static func appendEscape(_ byte: UInt8, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(byte)
        case 0x0A: output.append(UInt8(ascii: "n"))
        case 0x0D: output.append(UInt8(ascii: "r"))
        case 0x09: output.append(UInt8(ascii: "t"))
        default:
            let hexDigits: StaticString = "0123456789abcdef"
            output.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            hexDigits.withUTF8Buffer { digits in
                output.append(digits[Int(byte >> 4)])
                output.append(digits[Int(byte & 0x0F)])
            }
        }
    }

    static func appendInteger(_ number: Int64, to output: inout [UInt8]) {
        if number >= 0, number < 10 {
            output.append(UInt8(ascii: "0") + UInt8(number))
            return
        }
        output.append(contentsOf: String(number).utf8)
    }
}

/// Writes one JSON object member by member straight into a byte buffer, without building a
/// `JSONValue` first: the result encoder's fast path.
///
/// The caller gives members in ascending key order, as `JSONWriter` would sort them, so the
/// bytes are the same as `JSONWriter.bytes` of the equivalent value. Debug builds check the order.
struct JSONObjectWriter {
    private(set) var bytes: [UInt8]
    private var memberCount = 0
    #if DEBUG
    private var lastKey: StaticString?
    #endif

    init(capacity: Int = 768) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// Closes the object and returns its bytes.
    consuming func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    mutating func string(_ key: StaticString, _ value: String) {
        appendKey(key)
        JSONWriter.writeString(value, to: &bytes)
    }

    /// Writes the string, or `null` when it is nil.
    mutating func string(_ key: StaticString, _ value: String?) {
        guard let value else { return null(key) }
        string(key, value)
    }

    mutating func integer(_ key: StaticString, _ value: Int64) {
        appendKey(key)
        JSONWriter.appendInteger(value, to: &bytes)
    }

    /// Writes the integer, or `null` when it is nil.
    mutating func integer(_ key: StaticString, _ value: Int?) {
        guard let value else { return null(key) }
        integer(key, Int64(value))
    }

    mutating func bool(_ key: StaticString, _ value: Bool) {
        appendKey(key)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func null(_ key: StaticString) {
        appendKey(key)
        bytes.append(contentsOf: "null".utf8)
    }

    /// Writes an RFC 3339 time in UTC as a string.
    mutating func time(_ key: StaticString, _ date: Date) {
        appendKey(key)
        bytes.append(UInt8(ascii: "\""))
        RFC3339.append(date, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes a nested object whose members `body` writes, in ascending key order.
    mutating func object(_ key: StaticString, _ body: (inout JSONObjectWriter) -> Void) {
        appendKey(key)
        var nested = JSONObjectWriter(adopting: bytes)
        bytes = []
        body(&nested)
        bytes = nested.finish()
    }

    /// Writes an array with one nested object per element.
    mutating func array<Element>(_ key: StaticString, _ elements: [Element], _ body: (inout JSONObjectWriter, Element) -> Void) {
        appendKey(key)
        bytes.append(UInt8(ascii: "["))
        for (position, element) in elements.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            var nested = JSONObjectWriter(adopting: bytes)
            bytes = []
            body(&nested, element)
            bytes = nested.finish()
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Continues writing into `bytes`, which the nested object extends and hands back, so the
    /// buffer is never copied.
    private init(adopting bytes: [UInt8]) {
        self.bytes = bytes
        self.bytes.append(UInt8(ascii: "{"))
    }

    private mutating func appendKey(_ key: StaticString) {
        #if DEBUG
        if let lastKey {
            assert(
                lastKey.withUTF8Buffer { last in key.withUTF8Buffer { last.lexicographicallyPrecedes($0) } },
                "JSON keys out of order: \(key) after \(lastKey)")
        }
        lastKey = key
        #endif
        if memberCount > 0 { bytes.append(UInt8(ascii: ",")) }
        memberCount += 1
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }
}

extension Dictionary where Key == String, Value == String {
    /// The members as one compact JSON object with sorted keys, so that equal dictionaries give
    /// equal text. Used for message headers kept in text columns.
    public var jsonObjectText: String {
        var output: [UInt8] = []
        output.reserveCapacity(32 * count + 2)
        JSONWriter.write(.object(map { JSONMember($0.key, .string($0.value)) }), to: &output)
        return String(decoding: output, as: UTF8.self)
    }
}
