import Foundation

/// The entries of a configuration file of `key = value` lines.
///
/// The format:
/// - One `key = value` per line. Spaces around the key and the value are dropped.
/// - Blank lines and lines whose first non-blank character is `#` are ignored. A `#`
///   after an unquoted value is part of the value.
/// - A value may be wrapped in double quotes to keep spaces at its ends. Inside quotes,
///   `\"` is a quote and `\\` a backslash, and a `#` comment may follow the closing quote.
/// - A key may appear once.
public struct ConfigurationFile: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let key: String
        public let value: String
        /// The 1-based line number, for error messages.
        public let line: Int
    }

    public let path: String
    /// The entries in file order.
    public let entries: [Entry]

    /// Reads and parses the file at `path`.
    ///
    /// Throws `ConfigurationFileError` when the file cannot be read or a line is invalid.
    public init(contentsOf path: String) throws(ConfigurationFileError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigurationFileError(path: path, line: nil, reason: "failed to read the file: \(Self.describeReadFailure(error))")
        }

        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationFileError(path: path, line: nil, reason: "the file is not valid UTF-8")
        }
        try self.init(path: path, text: text)
    }

    /// Parses `text` as the contents of the file at `path`.
    public init(path: String, text: String) throws(ConfigurationFileError) {
        self.path = path

        var entries: [Entry] = []
        var firstLineOfKey: [String: Int] = [:]
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }

            guard let equals = trimmed.firstIndex(of: "=") else {
                throw ConfigurationFileError(
                    path: path, line: lineNumber,
                    reason: "expected 'key = value', found '\(trimmed)'"
                )
            }

            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else {
                throw ConfigurationFileError(path: path, line: lineNumber, reason: "missing key before '='")
            }
            if let firstLine = firstLineOfKey[key] {
                throw ConfigurationFileError(
                    path: path, line: lineNumber,
                    reason: "duplicate key '\(key)', first set on line \(firstLine); remove one of them"
                )
            }

            let rawValue = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            let value = try Self.parseValue(rawValue, key: key, path: path, line: lineNumber)

            firstLineOfKey[key] = lineNumber
            entries.append(Entry(key: key, value: value, line: lineNumber))
        }
        self.entries = entries
    }

    /// Returns the entry for `key`, if the file sets it.
    public func entry(for key: String) -> Entry? {
        entries.first { $0.key == key }
    }

    private static func parseValue(
        _ rawValue: String, key: String, path: String, line: Int
    ) throws(ConfigurationFileError) -> String {
        guard rawValue.hasPrefix("\"") else { return rawValue }

        var value = ""
        var index = rawValue.index(after: rawValue.startIndex)
        while index < rawValue.endIndex {
            let character = rawValue[index]
            if character == "\"" {
                let rest = rawValue[rawValue.index(after: index)...].trimmingCharacters(in: .whitespaces)
                guard rest.isEmpty || rest.hasPrefix("#") else {
                    throw ConfigurationFileError(
                        path: path, line: line,
                        reason: "unexpected text '\(rest)' after the quoted value of '\(key)'"
                    )
                }
                return value
            }

            if character == "\\" {
                let next = rawValue.index(after: index)
                guard next < rawValue.endIndex, rawValue[next] == "\"" || rawValue[next] == "\\" else {
                    throw ConfigurationFileError(
                        path: path, line: line,
                        reason: "invalid escape in the value of '\(key)': only \\\" and \\\\ are allowed"
                    )
                }
                value.append(rawValue[next])
                index = rawValue.index(after: next)
                continue
            }

            value.append(character)
            index = rawValue.index(after: index)
        }

        throw ConfigurationFileError(
            path: path, line: line,
            reason: "missing closing '\"' in the value of '\(key)'"
        )
    }

    private static func describeReadFailure(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSCocoaErrorDomain && nsError.code == NSFileReadNoSuchFileError {
            return "no such file"
        }
        return nsError.localizedDescription
    }
}

/// A configuration file that cannot be read or contains an invalid line.
public struct ConfigurationFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    /// The 1-based line number, or nil when the error concerns the whole file.
    public let line: Int?
    public let reason: String

    public init(path: String, line: Int?, reason: String) {
        self.path = path
        self.line = line
        self.reason = reason
    }

    /// The error as `path:line: reason`, the form compilers use, so editors can jump to
    /// the line.
    public var description: String {
        if let line {
            return "\(path):\(line): \(reason)"
        }
        return "\(path): \(reason)"
    }
}
