import Foundation
import Testing
import TallyCore

/// The files in `queues/examples/`: every command example decodes to the command below, and
/// every result example is byte for byte what the encoder writes for the outcome below.
@Suite struct ContractExampleTests {
    struct Manifest: Decodable {
        var commands: [CommandEntry]
        var results: [ResultEntry]
    }

    struct CommandEntry: Decodable, CustomStringConvertible {
        var file: String
        var routing_key: String
        var message_id: String
        var content_type: String?
        var headers: [String: String]

        var description: String { file }
    }

    struct ResultEntry: Decodable, CustomStringConvertible {
        var file: String
        var routing_key: String
        var message_id: String
        var correlation_id: String
        var headers: [String: String]

        var description: String { file }
    }

    static func loadManifest() throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(ContractFixtures.bytes("examples/manifest.json")))
    }

    /// Empty when the manifest cannot be read, so that `manifestIsReadable` reports why.
    static let manifest = (try? loadManifest()) ?? Manifest(commands: [], results: [])

    static let level = SupportLevel(id: "3", name: "Premium 24x7", group: "Premium", maximumFirstResponseSeconds: 3_600)
    static let processedAt = ContractFixtures.date("2026-03-02T09:40:13.734Z")

    // MARK: - Commands

    static let expectedCommands: [String: Command] = [
        "issue.create.json": .createIssue(IssueCreation(
            issueID: 4711, projectID: 3, customerID: "CUST-0042", contactID: "CONT-17", contractID: "2026-SUPPORT-A",
            summary: "Mail server rejects attachments over 10 MB", createdAt: ContractFixtures.date("2026-03-02T07:15:00Z")
        )),
        "issue.create.minimal.json": .createIssue(IssueCreation(
            issueID: 4712, projectID: 3, customerID: "CUST-0042", contactID: "CONT-99", createdAt: ContractFixtures.date("2026-03-02T07:20:00Z")
        )),
        "incident.redeem.json": .redeem(IncidentRequest(
            issueID: 4711, incidentType: "phone", actor: "jdoe", requestedAt: ContractFixtures.date("2026-03-02T09:40:12.5Z")
        )),
        "incident.redeem.extra-fields.json": .redeem(IncidentRequest(
            issueID: 4713, incidentType: "onsite", requestedAt: ContractFixtures.date("2026-03-02T10:00:00Z")
        )),
        "incident.unredeem.json": .unredeem(IncidentRequest(
            issueID: 4711, incidentType: "phone", requestedAt: ContractFixtures.date("2026-03-02T11:05:00Z")
        )),
        "incident.update.json": .setRedeemedTypes(RedeemedTypesUpdate(
            issueID: 4711, incidentTypes: ["email", "phone"], actor: "jdoe", requestedAt: ContractFixtures.date("2026-03-03T21:30:00Z")
        )),
        "incident.update.empty.json": .setRedeemedTypes(RedeemedTypesUpdate(
            issueID: 4711, incidentTypes: [], actor: "jdoe", requestedAt: ContractFixtures.date("2026-03-04T12:00:00Z")
        )),
    ]

    @Test(arguments: manifest.commands)
    func commandExampleDecodes(entry: CommandEntry) throws {
        let body = try ContractFixtures.bytes("examples/" + entry.file)
        let envelope = CommandEnvelope(routingKey: entry.routing_key, messageID: entry.message_id, contentType: entry.content_type, headers: entry.headers, body: body)
        let decoded = try CommandDecoder.decode(envelope, maximumBodySize: CommandDecoder.defaultMaximumBodySize).get()

        let expected = try #require(Self.expectedCommands[entry.file], "no expected command for \(entry.file)")
        #expect(decoded.command == expected)
        #expect(decoded.kind.rawValue == entry.routing_key)
        #expect(decoded.messageID == entry.message_id)
    }

    // MARK: - Results

    struct ResultCase {
        var command: Command
        var commandMessageID: String
        var outcome: CommandOutcome
        /// When the worker processed the command; after the command's own time.
        var processedAt = ContractExampleTests.processedAt
    }

    static let phoneRedemption = Redemption(
        ledgerID: 90_211, issueID: 4711, customerID: "CUST-0042", contractID: "2026-SUPPORT-A", contractStatus: .active,
        supportLevel: level, quota: IncidentQuota(incidentType: "phone", total: 10, used: 9),
        isOverage: false, isLowQuota: true, lowWaterMark: 2, actor: "jdoe", at: ContractFixtures.date("2026-03-02T09:40:12.5Z")
    )

    static let resultCases: [String: ResultCase] = [
        "issue.accepted.json": ResultCase(
            command: expectedCommands["issue.create.json"]!,
            commandMessageID: "eventum:4711:issue.create",
            outcome: .issue(.accepted(IssueAcceptance(
                issueID: 4711, projectID: 3, customerID: "CUST-0042", contactID: "CONT-17", contractID: "2026-SUPPORT-A",
                contractStatus: .active, supportLevel: level, isPerIncident: true, incidentLimitReached: false,
                quotas: [IncidentQuota(incidentType: "email", total: 20, used: 4), IncidentQuota(incidentType: "phone", total: 10, used: 8)]
            )))
        ),
        "issue.rejected.json": ResultCase(
            command: expectedCommands["issue.create.minimal.json"]!,
            commandMessageID: "eventum:4712:issue.create",
            outcome: .issue(.rejected(IssueRejection(
                issueID: 4712, customerID: "CUST-0042", contactID: "CONT-99", reason: .unknownContact,
                detail: "Contact CONT-99 is not known for customer CUST-0042."
            )))
        ),
        "incident.redeemed.json": ResultCase(
            command: expectedCommands["incident.redeem.json"]!,
            commandMessageID: "eventum:4711:incident.redeem:phone:1",
            outcome: .incidents([.redeemed(phoneRedemption)])
        ),
        "quota.low.json": ResultCase(
            command: expectedCommands["incident.redeem.json"]!,
            commandMessageID: "eventum:4711:incident.redeem:phone:1",
            outcome: .incidents([.redeemed(phoneRedemption)])
        ),
        "incident.unredeemed.json": ResultCase(
            command: expectedCommands["incident.unredeem.json"]!,
            commandMessageID: "eventum:4711:incident.unredeem:phone:1",
            outcome: .incidents([.unredeemed(Redemption(
                ledgerID: 90_230, issueID: 4711, customerID: "CUST-0042", contractID: "2026-SUPPORT-A", contractStatus: .active,
                supportLevel: level, quota: IncidentQuota(incidentType: "phone", total: 10, used: 8),
                lowWaterMark: 2, at: ContractFixtures.date("2026-03-02T11:05:00Z"), redemptionLedgerID: 90_211
            ))]),
            processedAt: ContractFixtures.date("2026-03-02T11:05:00.512Z")
        ),
        "incident.rejected.json": ResultCase(
            command: expectedCommands["incident.redeem.extra-fields.json"]!,
            commandMessageID: "eventum:4713:incident.redeem:onsite:1",
            outcome: .incidents([.rejected(IncidentRejection(
                issueID: 4713, incidentType: "onsite", reason: .unknownIssue,
                detail: "Issue 4713 is not known: no issue.create for it has been processed."
            ))])
        ),
    ]

    /// Encodes the case of a result example and returns the message with the example's routing key.
    static func encodedMessage(for file: String, routingKey: String) -> ResultMessage? {
        guard let resultCase = resultCases[file] else { return nil }
        let messages = ResultEncoder.results(
            for: resultCase.outcome, command: resultCase.command,
            commandMessageID: resultCase.commandMessageID, processedAt: resultCase.processedAt
        )
        return messages.first { $0.routingKey == routingKey }
    }

    @Test(arguments: manifest.results)
    func resultExampleMatchesEncoder(entry: ResultEntry) throws {
        let message = try #require(Self.encodedMessage(for: entry.file, routingKey: entry.routing_key), "no result case for \(entry.file)")
        var file = try ContractFixtures.bytes("examples/" + entry.file)
        if file.last == UInt8(ascii: "\n") { file.removeLast() }

        #expect(String(decoding: message.body, as: UTF8.self) == String(decoding: file, as: UTF8.self))
        #expect(message.messageID == entry.message_id)
        #expect(message.correlationID == entry.correlation_id)
        #expect(message.type == entry.routing_key)
        #expect(message.headers == entry.headers)
    }

    @Test func manifestIsReadable() throws {
        let manifest = try Self.loadManifest()
        #expect(!manifest.commands.isEmpty)
        #expect(!manifest.results.isEmpty)
    }

    @Test func manifestListsEveryExampleFile() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: ContractFixtures.queuesDirectory.appendingPathComponent("examples").path)
            .filter { $0 != "manifest.json" }
        let listed = Self.manifest.commands.map(\.file) + Self.manifest.results.map(\.file)

        #expect(Set(files) == Set(listed))
        #expect(listed.count == Set(listed).count, "a file is listed twice")
    }

    @Test func examplesCoverEveryType() {
        #expect(Set(Self.manifest.commands.map(\.routing_key)) == Set(CommandKind.allCases.map(\.rawValue)))
        #expect(Set(Self.manifest.results.map(\.routing_key)) == Set(ResultKind.allCases.map(\.rawValue)))
    }
}
