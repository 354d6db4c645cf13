import Foundation
import TallyCore

/// Files and values shared by the contract suites.
enum ContractFixtures {
    /// The repository's `queues/` folder, found from this source file's path.
    static let queuesDirectory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("queues")

    static func bytes(_ relativePath: String) throws -> [UInt8] {
        Array(try Data(contentsOf: queuesDirectory.appendingPathComponent(relativePath)))
    }

    static func envelope(_ kind: CommandKind, _ body: String, messageID: String? = "cmd-1") -> CommandEnvelope {
        CommandEnvelope(routingKey: kind.rawValue, messageID: messageID, body: Array(body.utf8))
    }

    static func date(_ text: String) -> Date {
        // Built without the code under test: ISO8601DateFormatter is slow but independent.
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)!
    }

    /// Parses a result body with Foundation's own JSON parser, independent of the encoder.
    static func object(_ body: [UInt8]) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(body)) as! [String: Any]
    }

    static let supportLevel = SupportLevel(id: "2", name: "Normal 2", group: "Normal", maximumFirstResponseSeconds: 14_400)
}
