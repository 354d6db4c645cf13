import Foundation
import Testing
import TallyCore

@Suite struct ContractRFC3339Tests {
    @Test(arguments: [
        ("2026-03-01T09:30:00Z", 1_772_357_400.0),
        ("2026-03-01t09:30:00z", 1_772_357_400.0),
        ("2026-03-01T10:30:00+01:00", 1_772_357_400.0),
        ("2026-03-01T04:00:00-05:30", 1_772_357_400.0),
        ("2026-03-01T09:30:00-00:00", 1_772_357_400.0),
        ("2026-03-01T09:30:00.5Z", 1_772_357_400.5),
        ("2026-03-01T09:30:00.123456Z", 1_772_357_400.123456),
        ("2026-03-01T09:30:00.123456789123Z", 1_772_357_400.123456789),
        ("2024-02-29T00:00:00Z", 1_709_164_800.0),
        ("2000-02-29T23:59:59Z", 951_868_799.0),
        ("1970-01-01T00:00:00Z", 0.0),
        ("1969-12-31T23:59:59Z", -1.0),
        ("0001-01-01T00:00:00Z", -62_135_596_800.0),
        ("9999-12-31T23:59:59Z", 253_402_300_799.0),
        ("2016-12-31T23:59:60Z", 1_483_228_800.0),
        ("2017-01-01T00:59:60+01:00", 1_483_228_800.0),
        ("2026-03-01T00:30:00+23:59", 1_772_238_660.0),
    ])
    func parsesValidTimes(text: String, seconds: Double) throws {
        let date = try RFC3339.parse(text)
        #expect(abs(date.timeIntervalSince1970 - seconds) < 1e-6, "\(text) gave \(date.timeIntervalSince1970)")
    }

    @Test(arguments: [
        "2026-13-01T09:30:00Z", "2026-00-01T09:30:00Z", "2026-03-00T09:30:00Z", "2026-04-31T09:30:00Z",
        "2025-02-29T09:30:00Z", "1900-02-29T00:00:00Z", "2026-03-01T24:00:00Z", "2026-03-01T09:60:00Z",
        "2026-03-01T09:30:61Z", "2026-03-01T09:30:60Z", "2026-03-01T09:30:00", "2026-03-01 09:30:00Z",
        "2026-03-01", "2026-03-01T09:30Z", "26-03-01T09:30:00Z", "2026-3-1T09:30:00Z",
        "2026-03-01T09:30:00.Z", "2026-03-01T09:30:00+0100", "2026-03-01T09:30:00+01", "2026-03-01T09:30:00+24:00",
        "2026-03-01T09:30:00+01:60", "2026-03-01T09:30:00ZZ", "2026-03-01T09:30:00 Z", "yesterday", "",
        "２０２６-03-01T09:30:00Z", "2026-03-01T09:30:00,5Z",
    ])
    func rejectsInvalidTimes(text: String) {
        #expect(throws: RFC3339Error.self) { try RFC3339.parse(text) }
    }

    @Test func problemNamesMonth() {
        #expect(throws: RFC3339Error(problem: "month 13 is out of range 01 to 12")) { try RFC3339.parse("2026-13-01T09:30:00Z") }
    }

    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00Z"),
        (1_772_357_400.0, "2026-03-01T09:30:00Z"),
        (1_772_357_400.5, "2026-03-01T09:30:00.5Z"),
        (1_772_357_400.123, "2026-03-01T09:30:00.123Z"),
        (1_772_357_400.000001, "2026-03-01T09:30:00.000001Z"),
        (1_709_164_800.0, "2024-02-29T00:00:00Z"),
        (-1.0, "1969-12-31T23:59:59Z"),
        (-0.25, "1969-12-31T23:59:59.75Z"),
        (253_402_300_799.0, "9999-12-31T23:59:59Z"),
    ])
    func formatsUTC(seconds: Double, text: String) {
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: seconds)) == text)
    }

    @Test func roundTripsEveryDayOfLeapYear() throws {
        var day = try RFC3339.parse("2024-01-01T12:34:56.789Z")
        for _ in 0..<366 {
            let text = RFC3339.string(from: day)
            #expect(try RFC3339.parse(text) == day, "\(text)")
            day += 86_400
        }
        #expect(RFC3339.string(from: day) == "2025-01-01T12:34:56.789Z")
    }

    @Test func agreesWithFoundationFormatter() throws {
        let formatter = ISO8601DateFormatter()
        for seconds in stride(from: -2_000_000_000.0, to: 4_000_000_000.0, by: 12_345_678.0) {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(RFC3339.string(from: date) == formatter.string(from: date))
        }
    }
}
