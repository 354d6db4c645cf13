import Foundation
import Testing
@testable import TallyStore

@Suite struct StoreDocsTests {
    /// Returns the first ```json block of docs/CUSTOMER-DATA.md.
    static func documentedExample() throws -> Data {
        let docs = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/CUSTOMER-DATA.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let start = try #require(text.range(of: "```json\n"))
        let end = try #require(text.range(of: "\n```", range: start.upperBound..<text.endIndex))
        return Data(text[start.upperBound..<end.lowerBound].utf8)
    }

    @Test func documentedExampleMatchesExampleData() throws {
        let document = try CustomerDataDocument.decode(from: try Self.documentedExample())
        let now = RFC3339.date(from: "2026-06-15T09:00:00Z")!
        #expect(document == ExampleData.document(now: now))
        #expect(document.contracts.map { $0.contract.status(at: now) } == [.active, .inGracePeriod, .expired])
    }
}
