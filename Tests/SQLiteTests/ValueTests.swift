import SQLite
import Testing

/// A test argument that prints a short summary in place of a long value.
struct StoredValue: Sendable, CustomTestStringConvertible {
    let value: SQLValue

    var testDescription: String {
        switch value {
        case .text(let text) where text.count > 40: "text of \(text.utf8.count) bytes"
        case .blob(let bytes) where bytes.count > 40: "blob of \(bytes.count) bytes"
        default: String(describing: value)
        }
    }
}

@Suite struct ValueTests {
    static let storedValues: [SQLValue] = [
        .null,
        .integer(0),
        .integer(Int64.min),
        .integer(Int64.max),
        .real(0.5),
        .real(-1.0e300),
        .real(Double.infinity),
        .text(""),
        .text("plain ascii"),
        .text("Grüße, 日本語, emoji 👩‍💻, RTL עברית"),
        .text("embedded\0nul"),
        .text(String(repeating: "long text ", count: 10_000)),
        .blob([]),
        .blob([0]),
        .blob([0, 1, 127, 128, 255]),
        .blob([UInt8](repeating: 0xab, count: 100_000)),
    ]

    @Test(arguments: storedValues.map(StoredValue.init))
    func valueRoundTrips(_ stored: StoredValue) throws {
        let value = stored.value
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        try database.execute("CREATE TABLE item (value)")

        try database.execute("INSERT INTO item (value) VALUES (?)", value)
        let row = try #require(try database.queryFirst("SELECT value, typeof(value) AS type FROM item"))

        #expect(row[0] == value)
        #expect(row["type"] == .text(value.storageClass))
    }

    @Test func emptyStringIsNotNull() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()

        let row = try #require(try database.queryFirst("SELECT ? IS NULL, length(?)", "", ""))

        #expect(row[0] == .integer(0))
        #expect(row[1] == .integer(0))
    }

    @Test func emptyBlobIsNotNull() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()

        let row = try #require(try database.queryFirst("SELECT ? IS NULL, typeof(?)", [UInt8](), [UInt8]()))

        #expect(row[0] == .integer(0))
        #expect(row[1] == .text("blob"))
    }

    @Test func swiftTypesRoundTrip() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()
        try database.execute(
            "CREATE TABLE item (int, int64, int32, double, string, bool, bytes, missing, present)")
        let bytes: [UInt8] = [1, 2, 3]
        let missing: Int? = nil
        let present: String? = "here"

        try database.execute(
            "INSERT INTO item VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            Int.min, Int64.max, Int32.min, 3.25, "naïve", true, bytes, missing, present)
        let row = try #require(try database.queryFirst("SELECT * FROM item"))

        #expect(try row.get("int", as: Int.self) == Int.min)
        #expect(try row.get("int64", as: Int64.self) == Int64.max)
        #expect(try row.get("int32", as: Int32.self) == Int32.min)
        #expect(try row.get("double", as: Double.self) == 3.25)
        #expect(try row.get("string", as: String.self) == "naïve")
        #expect(try row.get("bool", as: Bool.self) == true)
        #expect(try row.get("bytes", as: [UInt8].self) == bytes)
        #expect(try row.get("missing", as: Int?.self) == nil)
        #expect(try row.get("present", as: String?.self) == "here")
        #expect(try row.get(0, as: SQLValue.self) == .integer(Int64(Int.min)))
    }

    @Test func nanIsStoredAsNull() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()

        let row = try #require(try database.queryFirst("SELECT ?", Double.nan))

        #expect(row[0] == .null)
    }

    @Test func unlabeledArrayLiteralBindsBlob() throws {
        let folder = try TemporaryFolder()
        let database = try folder.openDatabase()

        let unlabeled = try database.queryFirst("SELECT typeof(?)", [5])
        let labeled = try database.queryFirst("SELECT typeof(?)", arguments: [5])

        #expect(unlabeled?[0] == .text("blob"))
        #expect(labeled?[0] == .text("integer"))
    }

    @Test func doubleReadsIntegers() throws {
        #expect(try Double(sqlValue: .integer(42)) == 42)
    }

    @Test func boolReadsNonZeroAsTrue() throws {
        #expect(try Bool(sqlValue: .integer(0)) == false)
        #expect(try Bool(sqlValue: .integer(-7)) == true)
    }

    @Test func literalsBuildValues() {
        let values: [SQLValue] = [nil, 7, 1.5, "text", true, false]

        #expect(values == [.null, .integer(7), .real(1.5), .text("text"), .integer(1), .integer(0)])
    }

    @Test func conversionErrorNamesTypesNotValue() throws {
        let secret = "4111 1111 1111 1111"
        let row = Row(columnNames: ["card"], values: [.text(secret)])

        let error = try #require(throws: SQLValueConversionError.self) {
            try row.get("card", as: Int.self)
        }

        #expect(error.expectedType == "Int")
        #expect(error.storageClass == "text")
        #expect(error.column == "card")
        #expect(error.description == "cannot convert SQLite text to Int, in column card")
        #expect(!error.description.contains(secret))
    }

    @Test func int32RejectsOutOfRange() throws {
        let error = try #require(throws: SQLValueConversionError.self) {
            try Int32(sqlValue: .integer(Int64(Int32.max) + 1))
        }

        #expect(error.reason == "integer out of range")
        #expect(!error.description.contains(String(Int64(Int32.max) + 1)))
    }

    @Test func nullDoesNotConvertToNonOptional() throws {
        #expect(throws: SQLValueConversionError.self) {
            try String(sqlValue: .null)
        }
        #expect(try String?(sqlValue: .null) == nil)
    }

    @Test func unknownColumnThrows() throws {
        let row = Row(columnNames: ["id"], values: [.integer(1)])

        let byName = try #require(throws: ColumnNotFoundError.self) {
            try row.get("name", as: String.self)
        }
        let byIndex = try #require(throws: ColumnNotFoundError.self) {
            try row.get(1, as: Int.self)
        }

        #expect(byName.column == "name")
        #expect(byIndex.column == "#1")
    }

    @Test func columnLookupIgnoresCase() throws {
        let row = Row(columnNames: ["CustomerID"], values: [.integer(9)])

        #expect(row["customerid"] == .integer(9))
        #expect(try row.get("CUSTOMERID", as: Int.self) == 9)
    }
}
