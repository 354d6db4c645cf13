import TallyCore
import Testing

@Suite struct TopicPatternTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var pattern: String
        var routingKey: String
        var matches: Bool
        var testDescription: String { "\(pattern) \(matches ? "matches" : "misses") \(routingKey)" }
    }

    static let cases: [Case] = [
        Case(pattern: "issue.accepted", routingKey: "issue.accepted", matches: true),
        Case(pattern: "issue.accepted", routingKey: "issue.rejected", matches: false),
        Case(pattern: "issue.*", routingKey: "issue.accepted", matches: true),
        Case(pattern: "issue.*", routingKey: "issue", matches: false),
        Case(pattern: "issue.*", routingKey: "issue.accepted.late", matches: false),
        Case(pattern: "*.rejected", routingKey: "incident.rejected", matches: true),
        Case(pattern: "#", routingKey: "quota.low", matches: true),
        Case(pattern: "#", routingKey: "", matches: true),
        Case(pattern: "incident.#", routingKey: "incident", matches: true),
        Case(pattern: "incident.#", routingKey: "incident.redeemed", matches: true),
        Case(pattern: "incident.#", routingKey: "issue.accepted", matches: false),
        Case(pattern: "#.low", routingKey: "quota.low", matches: true),
        Case(pattern: "#.low", routingKey: "quota.high", matches: false),
        Case(pattern: "a.#.z", routingKey: "a.b.c.z", matches: true),
        Case(pattern: "a.#.z", routingKey: "a.z", matches: true),
        Case(pattern: "a.#.z", routingKey: "a.b.c", matches: false),
        Case(pattern: "", routingKey: "", matches: true),
        Case(pattern: "", routingKey: "quota.low", matches: false),
    ]

    @Test(arguments: cases) func topicMatching(_ example: Case) {
        #expect(TopicPattern(example.pattern).matches(example.routingKey) == example.matches)
    }
}
