import Foundation

/// A table for people: a header row and aligned columns separated by two spaces. Numeric
/// columns are right-aligned.
struct Table {
    enum Alignment {
        case left
        case right
    }

    struct Column {
        var title: String
        var alignment: Alignment = .left
    }

    var columns: [Column]
    var rows: [[String]] = []

    init(_ columns: [Column]) {
        self.columns = columns
    }

    mutating func add(_ row: [String]) {
        precondition(row.count == columns.count, "a table row has \(row.count) cells for \(columns.count) columns")
        rows.append(row)
    }

    /// Renders the table as lines ending with a newline. `color` colours a cell after the
    /// widths are measured, so escape codes do not disturb the alignment.
    func render(indent: Int = 0, color: ((_ row: Int, _ column: Int, _ text: String) -> String)? = nil) -> String {
        var widths = columns.map { $0.title.count }
        for row in rows {
            for (index, cell) in row.enumerated() {
                widths[index] = max(widths[index], cell.count)
            }
        }

        let prefix = String(repeating: " ", count: indent)
        func line(_ cells: [String], rowIndex: Int?) -> String {
            var parts: [String] = []
            for (index, cell) in cells.enumerated() {
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                var shown = cell
                if let rowIndex, let color {
                    shown = color(rowIndex, index, cell)
                }
                parts.append(columns[index].alignment == .right ? padding + shown : shown + padding)
            }
            var text = prefix + parts.joined(separator: "  ")
            while text.hasSuffix(" ") {
                text.removeLast()
            }
            return text + "\n"
        }

        var text = line(columns.map(\.title), rowIndex: nil)
        for (index, row) in rows.enumerated() {
            text += line(row, rowIndex: index)
        }
        return text
    }
}

/// Formats numbers with their units for tables.
enum Format {
    /// Formats a count with thousands separators: `12,345`.
    static func count(_ value: Int) -> String {
        let digits = String(abs(value))
        var groups: [String] = []
        var end = digits.endIndex
        while end > digits.startIndex {
            let start = digits.index(end, offsetBy: -3, limitedBy: digits.startIndex) ?? digits.startIndex
            groups.insert(String(digits[start..<end]), at: 0)
            end = start
        }
        return (value < 0 ? "-" : "") + groups.joined(separator: ",")
    }

    /// Formats a rate in messages per second: `12.5/s`.
    static func rate(_ value: Double?) -> String {
        guard let value else { return "-" }
        if value == 0 { return "0/s" }
        if value < 10 { return String(format: "%.1f/s", value) }
        return "\(count(Int(value.rounded())))/s"
    }

    /// Formats an age in seconds: `45 s`, `12 min`, `3.5 h`, `2.1 d`.
    static func age(_ seconds: Double?) -> String {
        guard let seconds else { return "-" }
        switch seconds {
        case ..<1: return "<1 s"
        case ..<120: return "\(Int(seconds)) s"
        case ..<7200: return "\(Int(seconds / 60)) min"
        case ..<172_800: return String(format: "%.1f h", seconds / 3600)
        default: return String(format: "%.1f d", seconds / 86_400)
        }
    }

    /// Formats an optional count, `-` when unknown.
    static func count(_ value: Int?) -> String {
        value.map { count($0) } ?? "-"
    }

    /// Formats a size in bytes: `512 B`, `3.2 MiB`.
    static func bytes(_ value: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var size = Double(value)
        var unit = 0
        while size >= 1024, unit < units.count - 1 {
            size /= 1024
            unit += 1
        }
        return unit == 0 ? "\(value) B" : String(format: "%.1f %@", size, units[unit])
    }

    /// Formats a UTC instant as RFC 3339 in whole seconds: `2026-12-04T21:30:00Z`.
    static func instant(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// Formats a UTC day: `2026-12-04`.
    static func day(_ date: Date) -> String {
        String(instant(date).prefix(10))
    }
}

/// JSON output for scripts: sorted keys, pretty-printed, dates as RFC 3339 strings.
enum JSONOutput {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Format.instant(date))
        }
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}
