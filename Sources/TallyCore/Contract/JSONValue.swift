/// A JSON value as the command decoder reads it and the result encoder writes it.
///
/// Numbers keep the distinction the contract needs: `integer` is a literal without fraction or
/// exponent that fits in `Int64`, so `1.0`, `1e3` and `9223372036854775808` arrive as `number`
/// with their literal text and can be rejected as ids.
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in document order. The reader rejects duplicate keys, so keys are distinct.
    case object([JSONMember])
}

struct JSONMember: Sendable, Equatable {
    var key: String
    var value: JSONValue

    init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

extension JSONValue {
    /// The JSON type name with an article, for messages such as "it is an array".
    var typeDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The value for a message: short values quoted in full, long strings and numbers cut to
    /// `RenderedValue.maximumCharacters` characters, arrays and objects by type only.
    var messageDescription: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .integer(let value): "the number \(value)"
        case .number(let text): "the number \(RenderedValue.truncated(text))"
        case .string(let text): "the string \(RenderedValue.quoted(text))"
        case .array(let elements): elements.isEmpty ? "an empty array" : "an array"
        case .object: "an object"
        }
    }
}

/// Rendering of untrusted values in messages and dead-letter headers.
enum RenderedValue {
    /// Values longer than this are cut and end with an ellipsis, so a message never echoes a
    /// long body.
    static let maximumCharacters = 64

    static func truncated(_ text: String) -> String {
        var scalars = text.unicodeScalars.prefix(maximumCharacters + 1)
        guard scalars.count > maximumCharacters else { return text }
        scalars = scalars.prefix(maximumCharacters)
        return String(String.UnicodeScalarView(scalars)) + "…"
    }

    /// Renders the text cut to length, in double quotes, with quotes, backslashes and control
    /// characters escaped as in JSON so that a message stays on one line.
    static func quoted(_ text: String) -> String {
        var result = "\""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == maximumCharacters {
                result += "…"
                break
            }
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\u" + hex4(scalar.value)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
            count += 1
        }
        return result + "\""
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
