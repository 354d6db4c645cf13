import Foundation

/// The line format of a `StreamLogHandler`.
///
/// Both formats write the fields in one order: `time` (RFC 3339, UTC, milliseconds),
/// `level`, `label`, the metadata keys sorted, then `msg`. A metadata key equal to one of
/// those four names is written with the prefix `metadata.`, so that it cannot replace
/// the field.
public enum LogFormat: String, CaseIterable, Sendable {
    /// `key=value` pairs separated by spaces. A value is quoted when it is empty or
    /// contains a space, `"`, `=`, `\` or a control character.
    case logfmt
    /// One JSON object per line.
    case json

    /// Renders `event` as one line without the line terminator.
    public func render(_ event: LogEvent) -> String {
        switch self {
        case .logfmt:
            return LogfmtRenderer.render(event)
        case .json:
            return JSONLineRenderer.render(event)
        }
    }
}

enum LogfmtRenderer {
    static func render(_ event: LogEvent) -> String {
        var line = "time=" + formatTimestamp(event.time)
        line += " level=" + event.level.rawValue
        line += " label=" + quoteIfNeeded(event.label)

        for (key, value) in sortedMetadata(event.metadata) {
            line += " " + sanitizeKey(key) + "=" + quoteIfNeeded(value.description)
        }

        line += " msg=" + quoteIfNeeded(event.message.text)
        return line
    }

    /// Replaces characters that would break the `key=value` syntax, because logfmt keys
    /// cannot be quoted.
    static func sanitizeKey(_ key: String) -> String {
        guard !key.isEmpty else { return "_" }

        var result = String.UnicodeScalarView()
        for scalar in key.unicodeScalars {
            result.append(needsQuoting(scalar) ? "_" : scalar)
        }
        return String(result)
    }

    static func quoteIfNeeded(_ value: String) -> String {
        guard value.isEmpty || value.unicodeScalars.contains(where: needsQuoting) else {
            return value
        }

        var quoted = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\r": quoted += "\\r"
            case "\t": quoted += "\\t"
            default:
                if isControl(scalar) {
                    quoted += unicodeEscape(scalar)
                } else {
                    quoted.unicodeScalars.append(scalar)
                }
            }
        }
        quoted += "\""
        return quoted
    }

    private static func needsQuoting(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\"" || scalar == "=" || scalar == "\\" || isControl(scalar)
            || scalar.properties.isWhitespace
    }
}

enum JSONLineRenderer {
    static func render(_ event: LogEvent) -> String {
        var line = "{\"time\":" + quote(formatTimestamp(event.time))
        line += ",\"level\":" + quote(event.level.rawValue)
        line += ",\"label\":" + quote(event.label)

        for (key, value) in sortedMetadata(event.metadata) {
            line += "," + quote(key) + ":" + render(value)
        }

        line += ",\"msg\":" + quote(event.message.text) + "}"
        return line
    }

    /// Renders integers, finite floating-point numbers and booleans as JSON numbers and
    /// literals, and every other value as a string.
    static func render(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text):
            return quote(text)
        case .stringConvertible(let convertible):
            switch convertible {
            case let bool as Bool:
                return bool ? "true" : "false"
            case let integer as any BinaryInteger:
                return integer.description
            case let number as Double where number.isFinite:
                return number.description
            default:
                return quote(convertible.description)
            }
        case .array(let values):
            return "[" + values.map(render).joined(separator: ",") + "]"
        case .dictionary(let entries):
            let members = entries.sorted { $0.key < $1.key }.map { quote($0.key) + ":" + render($0.value) }
            return "{" + members.joined(separator: ",") + "}"
        }
    }

    static func quote(_ text: String) -> String {
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\r": quoted += "\\r"
            case "\t": quoted += "\\t"
            case "\u{08}": quoted += "\\b"
            case "\u{0C}": quoted += "\\f"
            default:
                if isControl(scalar) {
                    quoted += unicodeEscape(scalar)
                } else {
                    quoted.unicodeScalars.append(scalar)
                }
            }
        }
        quoted += "\""
        return quoted
    }
}

/// Returns the metadata sorted by key, with the keys that equal a field name prefixed.
private func sortedMetadata(_ metadata: Logger.Metadata) -> [(key: String, value: Logger.MetadataValue)] {
    let renamed = metadata.map { key, value in
        switch key {
        case "time", "level", "label", "msg": (key: "metadata." + key, value: value)
        default: (key: key, value: value)
        }
    }
    return renamed.sorted { $0.key < $1.key }
}

/// C0 controls, DEL and the C1 controls, plus the line and paragraph separators that
/// some JSON readers treat as line ends.
private func isControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
        || scalar.value == 0x2028 || scalar.value == 0x2029
}

private func unicodeEscape(_ scalar: Unicode.Scalar) -> String {
    let hex = String(scalar.value, radix: 16, uppercase: false)
    return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
}

/// Formats `date` as RFC 3339 in UTC with milliseconds, such as
/// `2026-12-04T21:11:14.123Z`. Milliseconds are truncated, not rounded.
func formatTimestamp(_ date: Date) -> String {
    let totalMilliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    let (days, millisecondOfDay) = floorDivide(totalMilliseconds, 86_400_000)
    let (year, month, day) = civilDate(daysSinceEpoch: days)

    let hour = millisecondOfDay / 3_600_000
    let minute = millisecondOfDay / 60_000 % 60
    let second = millisecondOfDay / 1000 % 60
    let millisecond = millisecondOfDay % 1000

    return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
        + "T" + pad(hour, 2) + ":" + pad(minute, 2) + ":" + pad(second, 2)
        + "." + pad(millisecond, 3) + "Z"
}

private func floorDivide(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
    let remainder = ((value % divisor) + divisor) % divisor
    return ((value - remainder) / divisor, remainder)
}

/// Converts days since 1970-01-01 to a proleptic Gregorian date, counting in 400-year
/// eras that start on March 1 so that the leap day falls at the end of each year.
private func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
    let shifted = daysSinceEpoch + 719_468
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

private func pad(_ value: Int64, _ width: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
