/// A Swift type that can be bound to a statement and read back from a column.
///
/// Conversions are strict: an integer column does not read as `String`, and text does not read
/// as `Int`. The exceptions are `Double`, which also reads integers, and `Bool`, which reads
/// integers as zero or non-zero.
public protocol SQLiteValueConvertible {
    /// The value to bind.
    var sqlValue: SQLValue { get }

    /// Creates a value from a column value.
    ///
    /// - Throws: `SQLValueConversionError` when the storage class or range does not fit.
    init(sqlValue: SQLValue) throws
}

/// A column value that does not convert to the requested Swift type.
///
/// The error names the types, never the value, so it is safe to log.
public struct SQLValueConversionError: Error, CustomStringConvertible, Sendable {
    /// The Swift type requested, such as `Int32`.
    public let expectedType: String

    /// The storage class of the value: `null`, `integer`, `real`, `text` or `blob`.
    public let storageClass: String

    /// The column name, or `#` and the index, when the value came from a row.
    public var column: String?

    /// The reason for the failure when the storage class fits, such as an integer out of range.
    public var reason: String?

    /// Creates the error for `value`, keeping only its storage class.
    public init(expectedType: Any.Type, value: SQLValue, reason: String? = nil) {
        self.expectedType = String(describing: expectedType)
        self.storageClass = value.storageClass
        self.reason = reason
    }

    public var description: String {
        var text = "cannot convert SQLite \(storageClass) to \(expectedType)"
        if let reason {
            text += ": \(reason)"
        }
        if let column {
            text += ", in column \(column)"
        }
        return text
    }
}

extension SQLValue: SQLiteValueConvertible {
    public var sqlValue: SQLValue {
        self
    }

    public init(sqlValue: SQLValue) {
        self = sqlValue
    }
}

extension Int64: SQLiteValueConvertible {
    public var sqlValue: SQLValue {
        .integer(self)
    }

    public init(sqlValue: SQLValue) throws {
        guard case .integer(let value) = sqlValue else {
            throw SQLValueConversionError(expectedType: Int64.self, value: sqlValue)
        }
        self = value
    }
}

extension Int: SQLiteValueConvertible {
    public var sqlValue: SQLValue {
        .integer(Int64(self))
    }

    public init(sqlValue: SQLValue) throws {
        guard case .integer(let value) = sqlValue else {
            throw SQLValueConversionError(expectedType: Int.self, value: sqlValue)
        }
        guard let converted = Int(exactly: value) else {
            throw SQLValueConversionError(expectedType: Int.self, value: sqlValue, reason: "integer out of range")
        }
        self = converted
    }
}

extension Int32: SQLiteValueConvertible {
    public var sqlValue: SQLValue {
        .integer(Int64(self))
    }

    public init(sqlValue: SQLValue) throws {
        guard case .integer(let value) = sqlValue else {
            throw SQLValueConversionError(expectedType: Int32.self, value: sqlValue)
        }
        guard let converted = Int32(exactly: value) else {
            throw SQLValueConversionError(expectedType: Int32.self, value: sqlValue, reason: "integer out of range")
        }
        self = converted
    }
}

extension Double: SQLiteValueConvertible {
    /// The value as a real. SQLite stores NaN as NULL, so NaN reads back as NULL.
    public var sqlValue: SQLValue {
        .real(self)
    }

    /// Reads a real, or an integer converted to the nearest `Double`. SQLite stores a whole
    /// number in a column without REAL affinity as an integer, so both arrive here.
    public init(sqlValue: SQLValue) throws {
        switch sqlValue {
        case .real(let value): self = value
        case .integer(let value): self = Double(value)
        default: throw SQLValueConversionError(expectedType: Double.self, value: sqlValue)
        }
    }
}

extension String: SQLiteValueConvertible {
    public var sqlValue: SQLValue {
        .text(self)
    }

    public init(sqlValue: SQLValue) throws {
        guard case .text(let value) = sqlValue else {
            throw SQLValueConversionError(expectedType: String.self, value: sqlValue)
        }
        self = value
    }
}

extension Bool: SQLiteValueConvertible {
    /// Binds `true` as 1 and `false` as 0.
    public var sqlValue: SQLValue {
        .integer(self ? 1 : 0)
    }

    /// Reads 0 as `false` and any other integer as `true`.
    public init(sqlValue: SQLValue) throws {
        guard case .integer(let value) = sqlValue else {
            throw SQLValueConversionError(expectedType: Bool.self, value: sqlValue)
        }
        self = value != 0
    }
}

extension Array: SQLiteValueConvertible where Element == UInt8 {
    public var sqlValue: SQLValue {
        .blob(self)
    }

    public init(sqlValue: SQLValue) throws {
        guard case .blob(let value) = sqlValue else {
            throw SQLValueConversionError(expectedType: [UInt8].self, value: sqlValue)
        }
        self = value
    }
}

extension Optional: SQLiteValueConvertible where Wrapped: SQLiteValueConvertible {
    /// Binds `nil` as NULL.
    public var sqlValue: SQLValue {
        switch self {
        case .none: .null
        case .some(let value): value.sqlValue
        }
    }

    /// Reads NULL as `nil`, and any other value as `Wrapped`.
    public init(sqlValue: SQLValue) throws {
        if case .null = sqlValue {
            self = .none
        } else {
            self = .some(try Wrapped(sqlValue: sqlValue))
        }
    }
}
