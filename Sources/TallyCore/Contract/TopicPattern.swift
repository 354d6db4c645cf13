/// A binding key of a topic exchange, such as `issue.*` or `incident.#`, matched against
/// routing keys as RabbitMQ matches them.
///
/// Keys are words separated by dots. In a pattern, `*` stands for exactly one word and `#` for
/// zero or more words; any other word must be equal.
public struct TopicPattern: Sendable, Equatable {
    public let pattern: String
    private let words: [Substring]

    public init(_ pattern: String) {
        self.pattern = pattern
        self.words = pattern.split(separator: ".", omittingEmptySubsequences: false)
    }

    /// Returns whether a message published with `routingKey` matches this binding key.
    public func matches(_ routingKey: String) -> Bool {
        let key = routingKey.split(separator: ".", omittingEmptySubsequences: false)
        return Self.match(words[...], key[...])
    }

    private static func match(_ pattern: ArraySlice<Substring>, _ key: ArraySlice<Substring>) -> Bool {
        guard let first = pattern.first else {
            return key.isEmpty
        }

        let rest = pattern.dropFirst()
        if first == "#" {
            // `#` takes no word, or one word and stays for more.
            return match(rest, key) || (!key.isEmpty && match(pattern, key.dropFirst()))
        }
        guard let word = key.first else {
            return false
        }
        return (first == "*" || first == word) && match(rest, key.dropFirst())
    }
}
