import Foundation

/// An AMQP field table: an ordered list of named values, used for message headers and for the
/// arguments of declarations, bindings and consumers.
///
/// Keys keep their insertion order, which is also the order on the wire. Setting a key that
/// exists replaces its value in place; setting it to nil removes it.
public struct FieldTable: Sendable, Equatable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: FieldValue)

    private var keys: [String] = []
    private var values: [FieldValue] = []

    public init() {}

    public init(dictionaryLiteral elements: (String, FieldValue)...) {
        for (key, value) in elements {
            self[key] = value
        }
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    public subscript(key: String) -> FieldValue? {
        get {
            keys.firstIndex(of: key).map { values[$0] }
        }
        set {
            if let index = keys.firstIndex(of: key) {
                if let newValue {
                    values[index] = newValue
                } else {
                    keys.remove(at: index)
                    values.remove(at: index)
                }
            } else if let newValue {
                keys.append(key)
                values.append(newValue)
            }
        }
    }

    public func makeIterator() -> AnyIterator<Element> {
        var index = 0
        return AnyIterator {
            guard index < keys.count else { return nil }
            defer { index += 1 }
            return (keys[index], values[index])
        }
    }

    /// Appends without looking for an existing key; the decoder uses it for speed.
    mutating func appendUnchecked(_ key: String, _ value: FieldValue) {
        keys.append(key)
        values.append(value)
    }
}

/// A value in a field table or field array, with the wire types RabbitMQ understands.
///
/// `timestamp` travels as whole seconds since 1970: fractions of a second are dropped.
public indirect enum FieldValue: Sendable, Equatable, Hashable {
    case bool(Bool)
    case int8(Int8)
    case uint8(UInt8)
    case int16(Int16)
    case uint16(UInt16)
    case int32(Int32)
    case uint32(UInt32)
    case int64(Int64)
    case float(Float)
    case double(Double)
    /// A decimal number: `value` divided by 10 to the power `scale`.
    case decimal(scale: UInt8, value: UInt32)
    /// A long string, sent as UTF-8.
    case string(String)
    /// A byte array (wire type 'x').
    case bytes([UInt8])
    case array([FieldValue])
    case table(FieldTable)
    case timestamp(Date)
    case void

    /// The text of a `.string`, or of `.bytes` that are valid UTF-8; nil for other cases.
    public var stringValue: String? {
        switch self {
        case .string(let value): value
        case .bytes(let value): String(bytes: value, encoding: .utf8)
        default: nil
        }
    }

    /// The value of any integer case, widened to Int64; nil for other cases.
    public var intValue: Int64? {
        switch self {
        case .int8(let value): Int64(value)
        case .uint8(let value): Int64(value)
        case .int16(let value): Int64(value)
        case .uint16(let value): Int64(value)
        case .int32(let value): Int64(value)
        case .uint32(let value): Int64(value)
        case .int64(let value): value
        default: nil
        }
    }

    /// The value of `.bool`; nil for other cases.
    public var boolValue: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    /// The elements of `.array`; nil for other cases.
    public var arrayValue: [FieldValue]? {
        if case .array(let value) = self { value } else { nil }
    }

    /// The table of `.table`; nil for other cases.
    public var tableValue: FieldTable? {
        if case .table(let value) = self { value } else { nil }
    }
}

extension FieldValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) {
        self = .string(value)
    }

    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}
