/// A syntax error in a JSON text.
struct JSONSyntaxError: Error, Sendable, Equatable {
    /// Byte offset from the start of the text where the problem was found.
    var offset: Int
    /// The problem, as a clause such as "a string is not terminated".
    var problem: String
    /// The JSON path of a duplicate key, such as `incident_types` or `a.b[2].c`, or `nil`.
    var path: String?
}

/// A strict RFC 8259 JSON reader over UTF-8 bytes.
///
/// Strict means: no comments, no trailing commas, no leading zeros, no NaN or infinity, no byte
/// order mark, control characters in strings must be escaped, `\u` escapes must pair their
/// surrogates, and an object must not repeat a key. Nesting is limited to `maximumDepth`
/// levels so that a hostile body cannot exhaust the stack. The caller validates UTF-8 first
/// (`UTF8Validation`); the reader assumes it.
struct JSONReader {
    static let maximumDepth = 64

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    private var path: [PathComponent] = []
    private var scratch: [UInt8] = []

    private enum PathComponent {
        case key(String)
        case index(Int)
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Parses one JSON value that fills the whole buffer, with optional whitespace around it.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> JSONValue {
        var reader = JSONReader(bytes: bytes)
        reader.skipWhitespace()
        guard reader.index < bytes.count else {
            throw JSONSyntaxError(offset: 0, problem: bytes.isEmpty ? "the body is empty" : "the body has only whitespace")
        }
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            throw JSONSyntaxError(offset: 0, problem: "the body starts with a byte order mark")
        }

        let value = try reader.parseValue()

        reader.skipWhitespace()
        guard reader.index == bytes.count else {
            throw reader.error("more data follows the JSON value")
        }
        return value
    }

    static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        let result: Result<JSONValue, JSONSyntaxError> = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONSyntaxError) -> JSONValue in try parse(buffer) }
        }
        return try result.get()
    }

    // MARK: - Values

    private mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        guard index < bytes.count else { throw error("the body ends where a value was expected") }

        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("\(describeByte(at: index)) is not the start of a JSON value")
        }
    }

    private mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
        try enterContainer()
        index += 1
        var members: [JSONMember] = []
        members.reserveCapacity(8)

        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(members)
        }

        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw error(index < bytes.count
                    ? "\(describeByte(at: index)) is where an object key (a string) was expected"
                    : "the body ends inside an object")
            }
            let keyOffset = index
            let key = try parseString()
            if members.contains(where: { $0.key == key }) {
                path.append(.key(key))
                throw JSONSyntaxError(offset: keyOffset, problem: "the object repeats the key \(RenderedValue.quoted(key))", path: renderedPath())
            }

            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw error("a ':' must follow the object key \(RenderedValue.quoted(key))")
            }
            index += 1
            skipWhitespace()

            path.append(.key(key))
            let value = try parseValue()
            path.removeLast()
            members.append(JSONMember(key, value))

            skipWhitespace()
            guard index < bytes.count else { throw error("the body ends inside an object") }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return .object(members)
            default:
                throw error("\(describeByte(at: index)) is where ',' or '}' was expected in an object")
            }
        }
    }

    private mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
        try enterContainer()
        index += 1
        var elements: [JSONValue] = []

        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(elements)
        }

        while true {
            skipWhitespace()
            path.append(.index(elements.count))
            let element = try parseValue()
            path.removeLast()
            elements.append(element)

            skipWhitespace()
            guard index < bytes.count else { throw error("the body ends inside an array") }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return .array(elements)
            default:
                throw error("\(describeByte(at: index)) is where ',' or ']' was expected in an array")
            }
        }
    }

    private mutating func enterContainer() throws(JSONSyntaxError) {
        depth += 1
        guard depth <= Self.maximumDepth else {
            throw error("arrays and objects are nested deeper than \(Self.maximumDepth) levels")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let count = literal.utf8CodeUnitCount
        let matches = index + count <= bytes.count && literal.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard matches else {
            throw error("\(describeByte(at: index)) starts an unknown literal (expected true, false or null)")
        }
        index += count
    }

    // MARK: - Strings

    /// Parses a string starting at its opening quote.
    private mutating func parseString() throws(JSONSyntaxError) -> String {
        let start = index + 1
        var cursor = start

        // Fast path: no escapes, so the string is a slice of the (already validated) body.
        while cursor < bytes.count {
            let byte = bytes[cursor]
            if byte == UInt8(ascii: "\"") {
                index = cursor + 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<cursor]), as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw controlCharacterError(at: cursor) }
            cursor += 1
        }
        guard cursor < bytes.count else {
            throw JSONSyntaxError(offset: index, problem: "a string is not terminated")
        }

        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<cursor]))
        while cursor < bytes.count {
            let byte = bytes[cursor]
            switch byte {
            case UInt8(ascii: "\""):
                index = cursor + 1
                return String(decoding: scratch, as: UTF8.self)
            case UInt8(ascii: "\\"):
                cursor = try appendEscape(at: cursor)
            case ..<0x20:
                throw controlCharacterError(at: cursor)
            default:
                scratch.append(byte)
                cursor += 1
            }
        }
        throw JSONSyntaxError(offset: index, problem: "a string is not terminated")
    }

    /// Appends the character of the escape at `offset` (its backslash) to `scratch` and
    /// returns the offset after the escape.
    private mutating func appendEscape(at offset: Int) throws(JSONSyntaxError) -> Int {
        guard offset + 1 < bytes.count else {
            throw JSONSyntaxError(offset: offset, problem: "a string is not terminated")
        }
        let simple: UInt8? = switch bytes[offset + 1] {
        case UInt8(ascii: "\""): UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): UInt8(ascii: "\\")
        case UInt8(ascii: "/"): UInt8(ascii: "/")
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0C
        case UInt8(ascii: "n"): 0x0A
        case UInt8(ascii: "r"): 0x0D
        case UInt8(ascii: "t"): 0x09
        default: nil
        }
        if let simple {
            scratch.append(simple)
            return offset + 2
        }
        guard bytes[offset + 1] == UInt8(ascii: "u") else {
            throw JSONSyntaxError(offset: offset, problem: "\\\(describeByte(at: offset + 1)) is not a JSON escape")
        }

        let first = try hexQuad(at: offset + 2)
        var scalarValue = UInt32(first)
        var end = offset + 6
        switch first {
        case 0xD800...0xDBFF:
            guard end + 1 < bytes.count, bytes[end] == UInt8(ascii: "\\"), bytes[end + 1] == UInt8(ascii: "u") else {
                throw JSONSyntaxError(offset: offset, problem: "the high surrogate \\u\(hex(first)) is not followed by a low surrogate")
            }
            let second = try hexQuad(at: end + 2)
            guard (0xDC00...0xDFFF).contains(second) else {
                throw JSONSyntaxError(offset: offset, problem: "the high surrogate \\u\(hex(first)) is not followed by a low surrogate")
            }
            scalarValue = 0x10000 + ((UInt32(first) - 0xD800) << 10) + (UInt32(second) - 0xDC00)
            end += 6
        case 0xDC00...0xDFFF:
            throw JSONSyntaxError(offset: offset, problem: "the low surrogate \\u\(hex(first)) has no high surrogate before it")
        default:
            break
        }

        // Every value here is a valid scalar: surrogates were paired or rejected above.
        let scalar = Unicode.Scalar(scalarValue)!
        scratch.append(contentsOf: UTF8.encode(scalar)!)
        return end
    }

    private func hexQuad(at offset: Int) throws(JSONSyntaxError) -> UInt16 {
        guard offset + 4 <= bytes.count else {
            throw JSONSyntaxError(offset: offset - 2, problem: "a \\u escape needs four hex digits")
        }
        var value: UInt16 = 0
        for position in offset..<(offset + 4) {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONSyntaxError(offset: offset - 2, problem: "a \\u escape needs four hex digits")
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    private func hex(_ value: UInt16) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }

    private func controlCharacterError(at offset: Int) -> JSONSyntaxError {
        let code = String(bytes[offset], radix: 16, uppercase: true)
        return JSONSyntaxError(offset: offset, problem: "control character U+\(code.count == 1 ? "000" : "00")\(code) in a string is not escaped")
    }

    // MARK: - Numbers

    /// Parses a number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func parseNumber() throws(JSONSyntaxError) -> JSONValue {
        let start = index
        var cursor = index
        let isNegative = bytes[cursor] == UInt8(ascii: "-")
        if isNegative { cursor += 1 }

        // Integer part, accumulated as a negative value so that Int64.min fits.
        guard cursor < bytes.count, isDigit(bytes[cursor]) else {
            throw JSONSyntaxError(offset: start, problem: "a number has no digits after '-'")
        }
        var negated: Int64 = 0
        var overflowed = false
        if bytes[cursor] == UInt8(ascii: "0") {
            cursor += 1
            if cursor < bytes.count, isDigit(bytes[cursor]) {
                throw JSONSyntaxError(offset: start, problem: "a number has a leading zero")
            }
        } else {
            while cursor < bytes.count, isDigit(bytes[cursor]) {
                let digit = Int64(bytes[cursor] - UInt8(ascii: "0"))
                let (times10, o1) = negated.multipliedReportingOverflow(by: 10)
                let (next, o2) = times10.subtractingReportingOverflow(digit)
                if o1 || o2 { overflowed = true } else { negated = next }
                cursor += 1
            }
        }

        var isInteger = true
        if cursor < bytes.count, bytes[cursor] == UInt8(ascii: ".") {
            isInteger = false
            cursor += 1
            guard cursor < bytes.count, isDigit(bytes[cursor]) else {
                throw JSONSyntaxError(offset: start, problem: "a number has no digits after its decimal point")
            }
            while cursor < bytes.count, isDigit(bytes[cursor]) { cursor += 1 }
        }
        if cursor < bytes.count, bytes[cursor] == UInt8(ascii: "e") || bytes[cursor] == UInt8(ascii: "E") {
            isInteger = false
            cursor += 1
            if cursor < bytes.count, bytes[cursor] == UInt8(ascii: "+") || bytes[cursor] == UInt8(ascii: "-") {
                cursor += 1
            }
            guard cursor < bytes.count, isDigit(bytes[cursor]) else {
                throw JSONSyntaxError(offset: start, problem: "a number has no digits in its exponent")
            }
            while cursor < bytes.count, isDigit(bytes[cursor]) { cursor += 1 }
        }
        index = cursor

        if isInteger, !overflowed {
            if isNegative { return .integer(negated) }
            if negated != Int64.min { return .integer(-negated) }
        }
        return .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<cursor]), as: UTF8.self))
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    // MARK: - Helpers

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func error(_ problem: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: index, problem: problem)
    }

    private func describeByte(at offset: Int) -> String {
        let byte = bytes[offset]
        if byte == UInt8(ascii: "'") { return "\"'\"" }
        if byte >= 0x21, byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16, uppercase: true)
    }

    private func renderedPath() -> String {
        var text = ""
        for component in path {
            switch component {
            case .key(let key):
                if !text.isEmpty { text += "." }
                text += key
            case .index(let position):
                text += "[\(position)]"
            }
        }
        return text
    }
}

/// Validation of UTF-8 by the well-formed byte sequences of the Unicode Standard (table 3-7):
/// no overlong forms, no surrogates, nothing above U+10FFFF.
enum UTF8Validation {
    /// Returns the offset of the first byte that is not part of a well-formed sequence, or `nil`
    /// when all bytes are well-formed UTF-8.
    static func firstInvalidOffset(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }

            let length: Int
            var secondRange: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; secondRange = 0xA0...0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; secondRange = 0x80...0x9F
            case 0xF0: length = 4; secondRange = 0x90...0xBF
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; secondRange = 0x80...0x8F
            default: return index
            }

            guard index + 1 < count, secondRange.contains(bytes[index + 1]) else { return index }
            for offset in 2..<length {
                guard index + offset < count, (0x80...0xBF).contains(bytes[index + offset]) else { return index }
            }
            index += length
        }
        return nil
    }
}
