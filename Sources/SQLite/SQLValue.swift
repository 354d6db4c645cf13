/// A value of one of SQLite's five storage classes.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    /// UTF-8 text.
    case text(String)
    case blob([UInt8])

    /// The storage class name as SQLite's `typeof()` returns it: `null`, `integer`, `real`,
    /// `text` or `blob`. Error messages use it in place of the value, which may be private.
    public var storageClass: String {
        switch self {
        case .null: "null"
        case .integer: "integer"
        case .real: "real"
        case .text: "text"
        case .blob: "blob"
        }
    }

    public var isNull: Bool {
        if case .null = self { true } else { false }
    }
}

extension SQLValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) {
        self = .null
    }
}

extension SQLValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) {
        self = .integer(value)
    }
}

extension SQLValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) {
        self = .real(value)
    }
}

extension SQLValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        self = .text(value)
    }
}

extension SQLValue: ExpressibleByBooleanLiteral {
    /// Stores `true` as 1 and `false` as 0, as SQLite has no boolean storage class.
    public init(booleanLiteral value: Bool) {
        self = .integer(value ? 1 : 0)
    }
}
