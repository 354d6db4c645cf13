import Foundation
import Testing
import TallyCore

/// The files in `queues/malformed/`: each yields exactly the reason and field its manifest
/// entry expects.
@Suite struct ContractMalformedCorpusTests {
    struct Manifest: Decodable {
        var entries: [Entry]
    }

    struct Entry: Decodable, CustomStringConvertible {
        var file: String
        var routing_key: String
        var message_id: String?
        var content_type: String?
        var expected_reason: String
        var expected_field: String?
        /// A smaller body size limit for this entry; the default limit otherwise.
        var maximum_body_size: Int?

        var description: String { file }
    }

    static func loadManifest() throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(ContractFixtures.bytes("malformed/manifest.json")))
    }

    /// Empty when the manifest cannot be read, so that `manifestIsReadable` reports why.
    static let manifest = (try? loadManifest()) ?? Manifest(entries: [])

    @Test(arguments: manifest.entries)
    func entryYieldsExpectedReason(entry: Entry) throws {
        let body = try ContractFixtures.bytes("malformed/" + entry.file)
        let envelope = CommandEnvelope(routingKey: entry.routing_key, messageID: entry.message_id, contentType: entry.content_type, body: body)
        let result = CommandDecoder.decode(envelope, maximumBodySize: entry.maximum_body_size ?? CommandDecoder.defaultMaximumBodySize)

        guard case .failure(let malformed) = result else {
            Issue.record("\(entry.file) decoded, but \(entry.expected_reason) was expected")
            return
        }
        #expect(malformed.reason.rawValue == entry.expected_reason, "\(malformed.detail)")
        #expect(malformed.field == entry.expected_field, "\(malformed.detail)")
        #expect(!malformed.detail.isEmpty)
        #expect(malformed.detail.count <= 400, "detail too long: \(malformed.detail.count) characters")
    }

    @Test func manifestIsReadable() throws {
        #expect(!(try Self.loadManifest().entries.isEmpty))
    }

    @Test func corpusCoversEveryReason() {
        let reasons = Set(Self.manifest.entries.map(\.expected_reason))
        for reason in MalformedReason.allCases {
            #expect(reasons.contains(reason.rawValue), "no corpus entry for \(reason.rawValue)")
        }
    }

    @Test func manifestListsEveryCorpusFile() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: ContractFixtures.queuesDirectory.appendingPathComponent("malformed").path)
            .filter { $0 != "manifest.json" }
        let listed = Self.manifest.entries.map(\.file)

        #expect(Set(files) == Set(listed))
        #expect(listed.count == Set(listed).count, "a file is listed twice")
    }

    @Test func bodyOneByteOverDefaultLimit() throws {
        // A valid issue.create padded with spaces to exactly the limit, then one more byte.
        let body = try ContractFixtures.bytes("examples/issue.create.json")
        let limit = CommandDecoder.defaultMaximumBodySize
        let atLimit = body + [UInt8](repeating: UInt8(ascii: " "), count: limit - body.count)
        let overLimit = atLimit + [UInt8(ascii: " ")]

        let accepted = CommandDecoder.decode(CommandEnvelope(routingKey: "issue.create", messageID: "m", body: atLimit), maximumBodySize: limit)
        let rejected = CommandDecoder.decode(CommandEnvelope(routingKey: "issue.create", messageID: "m", body: overLimit), maximumBodySize: limit)

        #expect(atLimit.count == limit)
        #expect(throws: Never.self) { try accepted.get() }
        #expect(throws: MalformedCommand(reason: .bodyTooLarge, detail: "The body has 65537 bytes, more than the limit of 65536 bytes.")) { try rejected.get() }
    }
}
