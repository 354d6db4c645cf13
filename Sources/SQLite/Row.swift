/// A copy of one result row: the values stay valid after the statement moves on.
public struct Row: Sendable, Hashable {
    /// The result column names, in order. Rows of one query share the same array storage.
    public let columnNames: [String]

    /// The values, in column order.
    public internal(set) var values: [SQLValue]

    /// Creates a row. `values` must have one value for each column name.
    public init(columnNames: [String], values: [SQLValue]) {
        precondition(columnNames.count == values.count, "a row needs one value per column")
        self.columnNames = columnNames
        self.values = values
    }

    /// The value at a zero-based column index.
    ///
    /// - Precondition: `index` is in `0..<columnNames.count`.
    public subscript(_ index: Int) -> SQLValue {
        values[index]
    }

    /// The value of the first column with this name.
    ///
    /// The lookup tries an exact match first, then ignores case.
    /// - Precondition: the row has a column with this name. Use `get(_:as:)` to get an error
    ///   instead.
    public subscript(_ column: String) -> SQLValue {
        guard let index = index(ofColumn: column) else {
            preconditionFailure("no column '\(column)' in row with columns \(columnNames)")
        }
        return values[index]
    }

    /// Converts the value at a zero-based column index.
    ///
    /// - Throws: `ColumnNotFoundError` for an index out of range, `SQLValueConversionError`
    ///   when the value does not convert.
    public func get<T: SQLiteValueConvertible>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard values.indices.contains(index) else {
            throw ColumnNotFoundError(column: "#\(index)", columnNames: columnNames)
        }
        return try convert(values[index], column: columnNames[index])
    }

    /// Converts the value of the first column with this name.
    ///
    /// - Throws: `ColumnNotFoundError` when no column has the name, `SQLValueConversionError`
    ///   when the value does not convert.
    public func get<T: SQLiteValueConvertible>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = index(ofColumn: column) else {
            throw ColumnNotFoundError(column: column, columnNames: columnNames)
        }
        return try convert(values[index], column: column)
    }

    /// Returns the index of the first column with this name: an exact match first, then one
    /// that ignores case.
    public func index(ofColumn column: String) -> Int? {
        if let index = columnNames.firstIndex(of: column) {
            return index
        }
        let lowercased = column.lowercased()
        return columnNames.firstIndex { $0.lowercased() == lowercased }
    }

    private func convert<T: SQLiteValueConvertible>(_ value: SQLValue, column: String) throws -> T {
        do {
            return try T(sqlValue: value)
        } catch var error as SQLValueConversionError {
            error.column = column
            throw error
        }
    }
}

/// A row lookup by a column name or index that the row does not have.
public struct ColumnNotFoundError: Error, CustomStringConvertible, Sendable {
    /// The name looked up, or `#` and the index.
    public let column: String

    /// The columns the row has.
    public let columnNames: [String]

    public var description: String {
        "no column \(column) in row with columns \(columnNames.joined(separator: ", "))"
    }
}
