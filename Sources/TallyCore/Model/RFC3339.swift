import Foundation

/// The reason a text is not an RFC 3339 date-time.
public struct RFC3339Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// The problem, as a clause such as "month 13 is out of range".
    public var problem: String

    public init(problem: String) {
        self.problem = problem
    }

    public var description: String { problem }
}

/// RFC 3339 date-times (`2026-03-01T09:30:00Z`, `2026-03-01T10:30:00.25+01:00`) for the message
/// contract, the customer data and the rules' messages, without a formatter object: parsing and
/// formatting are plain arithmetic, so they are fast and need no shared mutable state. The parser
/// reports why a text is invalid, and the formatter keeps fractions of a second.
public enum RFC3339 {
    /// Parses like `parse(_:)`, returning nil instead of the reason.
    public static func date(from text: String) -> Date? {
        try? parse(text)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`.
    ///
    /// `T` and `Z` may be lower case, as RFC 3339 allows. A time zone is required. The fraction
    /// may have any number of digits, and digits after the ninth are ignored. Second 60 (a leap
    /// second) is accepted only at 23:59:60 UTC and is read as the first instant of the next
    /// day, because `Date` cannot represent it. `-00:00` is read as UTC.
    ///
    /// - Throws: `RFC3339Error` naming the first part that is wrong.
    public static func parse(_ text: String) throws(RFC3339Error) -> Date {
        var text = text
        let result: Result<Date, RFC3339Error> = text.withUTF8 { bytes in
            Result { () throws(RFC3339Error) -> Date in try parse(bytes) }
        }
        return try result.get()
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(RFC3339Error) -> Date {
        var scanner = Scanner(bytes: bytes)

        let year = try scanner.digits(4, "year")
        try scanner.expect("-", "'-' after the year")
        let month = try scanner.digits(2, "month")
        try scanner.expect("-", "'-' after the month")
        let day = try scanner.digits(2, "day")
        guard (1...12).contains(month) else { throw RFC3339Error(problem: "month \(month) is out of range 01 to 12") }
        let daysInMonth = Self.daysInMonth(month, year: year)
        guard day >= 1, day <= daysInMonth else {
            throw RFC3339Error(problem: "day \(day) does not exist in \(year)-\(twoDigits(month))")
        }

        guard scanner.consume(any: "T", "t") else {
            if scanner.peek == UInt8(ascii: " ") {
                throw RFC3339Error(problem: "date and time are separated by a space instead of 'T'")
            }
            throw RFC3339Error(problem: scanner.isAtEnd ? "the time is missing" : "'T' must follow the date")
        }

        let hour = try scanner.digits(2, "hour")
        try scanner.expect(":", "':' after the hour")
        let minute = try scanner.digits(2, "minute")
        try scanner.expect(":", "':' after the minute")
        let second = try scanner.digits(2, "second")
        guard hour <= 23 else { throw RFC3339Error(problem: "hour \(hour) is out of range 00 to 23") }
        guard minute <= 59 else { throw RFC3339Error(problem: "minute \(minute) is out of range 00 to 59") }
        guard second <= 60 else { throw RFC3339Error(problem: "second \(second) is out of range 00 to 60") }

        var nanoseconds: Int64 = 0
        if scanner.consume(any: ".", ".") {
            var digitCount = 0
            while let digit = scanner.digit() {
                if digitCount < 9 { nanoseconds = nanoseconds * 10 + Int64(digit) }
                digitCount += 1
            }
            guard digitCount > 0 else { throw RFC3339Error(problem: "the fraction of a second has no digits") }
            for _ in digitCount..<max(digitCount, 9) { nanoseconds *= 10 }
        }

        let offsetSeconds: Int
        if scanner.consume(any: "Z", "z") {
            offsetSeconds = 0
        } else if let sign = scanner.consumeSign() {
            let offsetHour = try scanner.digits(2, "time zone hour")
            try scanner.expect(":", "':' in the time zone offset")
            let offsetMinute = try scanner.digits(2, "time zone minute")
            guard offsetHour <= 23 else { throw RFC3339Error(problem: "time zone hour \(offsetHour) is out of range 00 to 23") }
            guard offsetMinute <= 59 else { throw RFC3339Error(problem: "time zone minute \(offsetMinute) is out of range 00 to 59") }
            offsetSeconds = sign * (offsetHour * 3600 + offsetMinute * 60)
        } else {
            throw RFC3339Error(problem: scanner.isAtEnd ? "the time zone is missing (add Z or an offset such as +01:00)" : "the time zone must be Z or an offset such as +01:00")
        }
        guard scanner.isAtEnd else { throw RFC3339Error(problem: "extra characters follow the time zone") }

        let localSeconds = Int64(daysFromCivil(year: year, month: month, day: day)) * 86_400
            + Int64(hour * 3600 + minute * 60 + second)
        let utcSeconds = localSeconds - Int64(offsetSeconds)
        if second == 60 {
            // A leap second is inserted only at the end of a UTC day.
            let secondOfDay = ((utcSeconds % 86_400) + 86_400) % 86_400
            guard secondOfDay == 0 else {
                throw RFC3339Error(problem: "second 60 is valid only at 23:59:60 UTC")
            }
        }

        let sinceReferenceDate = Double(utcSeconds - 978_307_200) + Double(nanoseconds) / 1e9
        return Date(timeIntervalSinceReferenceDate: sinceReferenceDate)
    }

    /// Formats a date in UTC with `Z`, with a fraction of up to six digits (microseconds,
    /// rounded) only when it is not zero: `2026-03-01T09:30:00Z`, `2026-03-01T09:30:00.25Z`.
    ///
    /// NOTE: a year outside 0000 to 9999 is written with as many digits as it needs, which
    /// RFC 3339 does not allow.
    public static func string(from date: Date) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(27)
        append(date, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func append(_ date: Date, to bytes: inout [UInt8]) {
        let microsecondsSinceReference = (date.timeIntervalSinceReferenceDate * 1_000_000).rounded()
        let totalMicroseconds = Int64(microsecondsSinceReference) + 978_307_200 * 1_000_000
        let (seconds, microseconds) = floorDivide(totalMicroseconds, 1_000_000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = civilFromDays(Int(days))

        appendDigits(year, count: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(month, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(day, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        appendDigits(Int(secondOfDay / 3600), count: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(Int(secondOfDay % 3600 / 60), count: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(Int(secondOfDay % 60), count: 2, to: &bytes)

        if microseconds != 0 {
            var fraction = Int(microseconds)
            var digitCount = 6
            while fraction % 10 == 0 {
                fraction /= 10
                digitCount -= 1
            }
            bytes.append(UInt8(ascii: "."))
            appendDigits(fraction, count: digitCount, to: &bytes)
        }
        bytes.append(UInt8(ascii: "Z"))
    }

    // MARK: - Calendar arithmetic (proleptic Gregorian, days since 1970-01-01)

    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        // Count from March so that the leap day is the last day of the counted year.
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let monthFromMarch = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2:
            let isLeapYear = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            return isLeapYear ? 29 : 28
        case 4, 6, 9, 11:
            return 30
        default:
            return 31
        }
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let quotient = value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor)
        return (quotient, value - quotient * divisor)
    }

    private static func appendDigits(_ value: Int, count: Int, to bytes: inout [UInt8]) {
        var digitCount = 1
        var power = 10
        while power <= value {
            digitCount += 1
            power *= 10
        }
        let start = bytes.count
        let width = max(count, digitCount)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))

        var remaining = value
        var position = start + width - 1
        while remaining > 0 {
            bytes[position] = UInt8(ascii: "0") + UInt8(remaining % 10)
            remaining /= 10
            position -= 1
        }
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        var isAtEnd: Bool { index == bytes.count }
        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func digit() -> Int? {
            guard let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            index += 1
            return Int(byte - UInt8(ascii: "0"))
        }

        mutating func digits(_ count: Int, _ name: String) throws(RFC3339Error) -> Int {
            var value = 0
            for _ in 0..<count {
                guard let digit = digit() else {
                    throw RFC3339Error(problem: "the \(name) must have \(count) digits")
                }
                value = value * 10 + digit
            }
            return value
        }

        mutating func expect(_ character: Unicode.Scalar, _ what: String) throws(RFC3339Error) {
            guard peek == UInt8(ascii: character) else {
                throw RFC3339Error(problem: "\(what) is missing")
            }
            index += 1
        }

        mutating func consume(any first: Unicode.Scalar, _ second: Unicode.Scalar) -> Bool {
            guard let byte = peek, byte == UInt8(ascii: first) || byte == UInt8(ascii: second) else { return false }
            index += 1
            return true
        }

        mutating func consumeSign() -> Int? {
            switch peek {
            case UInt8(ascii: "+"): index += 1; return 1
            case UInt8(ascii: "-"): index += 1; return -1
            default: return nil
            }
        }
    }
}
