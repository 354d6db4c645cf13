import Foundation
import Testing
import TallyCore

@Suite struct ContractResultEncoderTests {
    static let createdAt = ContractFixtures.date("2026-03-01T09:30:00Z")
    static let processedAt = ContractFixtures.date("2026-03-01T09:30:01.25Z")

    static let creation = Command.createIssue(IssueCreation(
        issueID: 42, projectID: 7, customerID: "C-1", contactID: "K-9", contractID: "2024-A", createdAt: createdAt
    ))
    static let redeem = Command.redeem(IncidentRequest(issueID: 42, incidentType: "phone", actor: "alice", requestedAt: createdAt))

    static func redemption(type: String = "phone", isLowQuota: Bool = false) -> Redemption {
        Redemption(
            ledgerID: 901, issueID: 42, customerID: "C-1", contractID: "2024-A", contractStatus: .active,
            supportLevel: ContractFixtures.supportLevel, quota: IncidentQuota(incidentType: type, total: 10, used: 8),
            isOverage: false, isLowQuota: isLowQuota, lowWaterMark: 2, actor: "alice", at: createdAt
        )
    }

    private func encode(_ outcome: CommandOutcome, _ command: Command, id: String = "cmd-1") -> [ResultMessage] {
        ResultEncoder.results(for: outcome, command: command, commandMessageID: id, processedAt: Self.processedAt)
    }

    @Test func issueAcceptedBody() throws {
        let acceptance = IssueAcceptance(
            issueID: 42, projectID: 7, customerID: "C-1", contactID: "K-9", contractID: "2024-A",
            contractStatus: .inGracePeriod, supportLevel: ContractFixtures.supportLevel, isPerIncident: true,
            incidentLimitReached: false, quotas: [IncidentQuota(incidentType: "email", total: 5, used: 7), IncidentQuota(incidentType: "phone", total: 10, used: 8)]
        )
        let messages = encode(.issue(.accepted(acceptance)), Self.creation)

        try #require(messages.count == 1)
        let message = messages[0]
        #expect(message.routingKey == "issue.accepted")
        #expect(message.type == "issue.accepted")
        #expect(message.messageID == "cmd-1:issue.accepted:issue")
        #expect(message.correlationID == "cmd-1")
        #expect(message.headers == ["customer-id": "C-1"])

        let body = try ContractFixtures.object(message.body)
        #expect(body["schema_version"] as? Int == 1)
        #expect(body["type"] as? String == "issue.accepted")
        #expect(body["command_message_id"] as? String == "cmd-1")
        #expect(body["issue_id"] as? Int == 42)
        #expect(body["project_id"] as? Int == 7)
        #expect(body["customer_id"] as? String == "C-1")
        #expect(body["contact_id"] as? String == "K-9")
        #expect(body["contract_id"] as? String == "2024-A")
        #expect(body["contract_status"] as? String == "in_grace_period")
        #expect(body["per_incident"] as? Bool == true)
        #expect(body["incident_limit_reached"] as? Bool == false)
        #expect(body["occurred_at"] as? String == "2026-03-01T09:30:00Z")
        #expect(body["processed_at"] as? String == "2026-03-01T09:30:01.25Z")

        let level = try #require(body["support_level"] as? [String: Any])
        #expect(level["id"] as? String == "2")
        #expect(level["name"] as? String == "Normal 2")
        #expect(level["group"] as? String == "Normal")
        #expect(level["maximum_first_response_seconds"] as? Int == 14_400)

        let quotas = try #require(body["quotas"] as? [[String: Any]])
        try #require(quotas.count == 2)
        #expect(quotas[0]["incident_type"] as? String == "email")
        #expect(quotas[0]["total"] as? Int == 5)
        #expect(quotas[0]["used"] as? Int == 7)
        #expect(quotas[0]["remaining"] as? Int == 0)
        #expect(quotas[1]["remaining"] as? Int == 2)
    }

    @Test func issueRejectedBody() throws {
        let rejection = IssueRejection(issueID: 42, customerID: "C-1", contactID: "K-9", reason: .contractExpired, detail: "Contract 2024-A of customer C-1 expired on 2026-01-31.")
        let messages = encode(.issue(.rejected(rejection)), Self.creation)

        try #require(messages.count == 1)
        #expect(messages[0].routingKey == "issue.rejected")
        #expect(messages[0].messageID == "cmd-1:issue.rejected:issue")
        #expect(messages[0].headers == ["customer-id": "C-1"])

        let body = try ContractFixtures.object(messages[0].body)
        #expect(body["reason"] as? String == "contract_expired")
        #expect(body["detail"] as? String == "Contract 2024-A of customer C-1 expired on 2026-01-31.")
        #expect(body["project_id"] as? Int == 7)
        #expect(body["contract_id"] as? String == "2024-A")
        #expect(body["contact_id"] as? String == "K-9")
        #expect(body["issue_id"] as? Int == 42)
    }

    @Test func redeemedBodyForBilling() throws {
        let messages = encode(.incidents([.redeemed(Self.redemption())]), Self.redeem)

        try #require(messages.count == 1)
        #expect(messages[0].routingKey == "incident.redeemed")
        #expect(messages[0].messageID == "cmd-1:incident.redeemed:phone")
        #expect(messages[0].headers == ["customer-id": "C-1"])

        let body = try ContractFixtures.object(messages[0].body)
        #expect(body["type"] as? String == "incident.redeemed")
        #expect(body["command_type"] as? String == "incident.redeem")
        #expect(body["ledger_id"] as? Int == 901)
        #expect(body["issue_id"] as? Int == 42)
        #expect(body["customer_id"] as? String == "C-1")
        #expect(body["contract_id"] as? String == "2024-A")
        #expect(body["contract_status"] as? String == "active")
        #expect(body["incident_type"] as? String == "phone")
        #expect(body["overage"] as? Bool == false)
        #expect(body["low_quota"] as? Bool == false)
        #expect(body["low_water_mark"] as? Int == 2)
        #expect(body["redeemed_by"] as? String == "alice")
        #expect(body["occurred_at"] as? String == "2026-03-01T09:30:00Z")
        let quota = try #require(body["quota"] as? [String: Any])
        #expect(quota["total"] as? Int == 10)
        #expect(quota["used"] as? Int == 8)
        #expect(quota["remaining"] as? Int == 2)
        #expect((body["support_level"] as? [String: Any])?["id"] as? String == "2")
    }

    @Test func lowQuotaAddsQuotaLow() throws {
        let messages = encode(.incidents([.redeemed(Self.redemption(isLowQuota: true))]), Self.redeem)

        #expect(messages.map(\.routingKey) == ["incident.redeemed", "quota.low"])
        #expect(messages[1].messageID == "cmd-1:quota.low:phone")
        #expect(messages[1].headers == ["customer-id": "C-1"])

        let body = try ContractFixtures.object(messages[1].body)
        #expect(body["type"] as? String == "quota.low")
        #expect(body["incident_type"] as? String == "phone")
        #expect(body["ledger_id"] as? Int == 901)
        #expect(body["low_water_mark"] as? Int == 2)
        #expect((body["quota"] as? [String: Any])?["remaining"] as? Int == 2)
    }

    @Test func unredeemedNeverRaisesQuotaLow() throws {
        let command = Command.unredeem(IncidentRequest(issueID: 42, incidentType: "phone", requestedAt: Self.createdAt))
        var redemption = Self.redemption(isLowQuota: true)
        redemption.actor = nil
        let messages = encode(.incidents([.unredeemed(redemption)]), command)

        #expect(messages.map(\.routingKey) == ["incident.unredeemed"])
        let body = try ContractFixtures.object(messages[0].body)
        #expect(body["command_type"] as? String == "incident.unredeem")
        #expect(body["redeemed_by"] is NSNull)
    }

    @Test func incidentRejectedUnknownIssue() throws {
        let rejection = IncidentRejection(issueID: 42, incidentType: "phone", reason: .unknownIssue, detail: "Issue 42 is not known.")
        let messages = encode(.incidents([.rejected(rejection)]), Self.redeem)

        try #require(messages.count == 1)
        #expect(messages[0].routingKey == "incident.rejected")
        #expect(messages[0].messageID == "cmd-1:incident.rejected:phone")
        #expect(messages[0].headers.isEmpty)

        let body = try ContractFixtures.object(messages[0].body)
        #expect(body["reason"] as? String == "unknown_issue")
        #expect(body["detail"] as? String == "Issue 42 is not known.")
        #expect(body["customer_id"] is NSNull)
        #expect(body["contract_id"] is NSNull)
        #expect(body["quota"] is NSNull)
        #expect(body["redeemed_by"] as? String == "alice")
        #expect(body["command_type"] as? String == "incident.redeem")
    }

    @Test func incidentRejectedWithQuota() throws {
        let rejection = IncidentRejection(
            issueID: 42, incidentType: "phone", reason: .noIncidentsLeft, detail: "No phone incident is left.",
            customerID: "C-1", contractID: "2024-A", quota: IncidentQuota(incidentType: "phone", total: 3, used: 3)
        )
        let messages = encode(.incidents([.rejected(rejection)]), Self.redeem)

        #expect(messages[0].headers == ["customer-id": "C-1"])
        let body = try ContractFixtures.object(messages[0].body)
        #expect(body["customer_id"] as? String == "C-1")
        #expect(body["contract_id"] as? String == "2024-A")
        #expect((body["quota"] as? [String: Any])?["remaining"] as? Int == 0)
    }

    @Test func updateGivesOneResultPerType() {
        let command = Command.setRedeemedTypes(RedeemedTypesUpdate(issueID: 42, incidentTypes: ["email"], actor: "alice", requestedAt: Self.createdAt))
        let outcome = CommandOutcome.incidents([
            .redeemed(Self.redemption(type: "email", isLowQuota: true)),
            .unredeemed(Self.redemption(type: "phone")),
        ])
        let messages = encode(outcome, command, id: "upd-7")

        #expect(messages.map(\.messageID) == ["upd-7:incident.redeemed:email", "upd-7:quota.low:email", "upd-7:incident.unredeemed:phone"])
        #expect(messages.allSatisfy { $0.correlationID == "upd-7" })
    }

    @Test func emptyUpdateGivesNoResults() {
        let command = Command.setRedeemedTypes(RedeemedTypesUpdate(issueID: 42, incidentTypes: [], actor: "a", requestedAt: Self.createdAt))
        #expect(encode(.incidents([]), command).isEmpty)
    }

    @Test func encodingIsDeterministicWithSortedKeys() throws {
        let outcome = CommandOutcome.incidents([.redeemed(Self.redemption(isLowQuota: true))])
        let first = encode(outcome, Self.redeem)
        let second = encode(outcome, Self.redeem)
        #expect(first == second)

        for message in first {
            let text = String(decoding: message.body, as: UTF8.self)
            let keys = try topLevelKeys(text)
            #expect(keys == keys.sorted(), "\(message.routingKey) keys are not sorted: \(keys)")
        }
    }

    @Test func stringsEscapedInBodies() throws {
        let rejection = IncidentRejection(issueID: 1, incidentType: "ph\"one\n", reason: .unknownIncidentType, detail: "Tab\there, quote \" and \u{1} and ünï😀")
        let messages = encode(.incidents([.rejected(rejection)]), Self.redeem)
        let body = try ContractFixtures.object(messages[0].body)

        #expect(body["incident_type"] as? String == "ph\"one\n")
        #expect(body["detail"] as? String == "Tab\there, quote \" and \u{1} and ünï😀")
    }

    // MARK: - Message ids

    @Test func resultIDStableForSameCommand() {
        let first = ResultMessageID.make(commandMessageID: "m-1", kind: .incidentRedeemed, incidentType: "phone")
        let second = ResultMessageID.make(commandMessageID: "m-1", kind: .incidentRedeemed, incidentType: "phone")
        #expect(first == second)
    }

    @Test func resultIDsDistinctAcrossCommandsAndTypes() {
        let commandIDs = ["m", "m:1", "m:incident.redeemed", "m:incident.redeemed:a", "a:b", "a", "", "%", "m%3A1"]
        let types = ["a", "b:c", "c", "b", "a:incident.redeemed:b", "issue", "%3A", ":", "%"]
        var seen: [String: String] = [:]
        for commandID in commandIDs {
            for kind in ResultKind.allCases {
                for type in types {
                    let id = ResultMessageID.make(commandMessageID: commandID, kind: kind, incidentType: type)
                    let isIssueResult = kind == .issueAccepted || kind == .issueRejected
                    let pair = "\(commandID) | \(kind.rawValue) | \(isIssueResult ? "-" : type)"
                    if let other = seen[id], other != pair {
                        Issue.record("\(pair) and \(other) share the id \(id)")
                    }
                    seen[id] = pair
                }
            }
        }
        #expect(seen.count == commandIDs.count * (2 + 4 * types.count))
    }

    @Test func resultIDEscapesColonInType() {
        #expect(ResultMessageID.make(commandMessageID: "x:y", kind: .quotaLow, incidentType: "on:site%") == "x:y:quota.low:on%3Asite%25")
    }

    @Test func longResultIDHashed() {
        let commandID = String(repeating: "é", count: 128)
        let id = ResultMessageID.make(commandMessageID: commandID, kind: .incidentUnredeemed, incidentType: "phone")

        #expect(id.utf8.count <= 255)
        #expect(id.hasPrefix("sha256:"))
        // Expected digest from Python's hashlib.sha256 of the 282-byte plain id.
        #expect(id == "sha256:8c7e8c4f0b7bebb21a10846314353e92fa02888da73f24a6d2abfb8cb42bd974")
        #expect(id != ResultMessageID.make(commandMessageID: commandID, kind: .incidentRedeemed, incidentType: "phone"))
    }

    @Test func resultIDAtByteLimitKeptPlain() {
        // 255 bytes exactly: "<id>:issue.accepted:issue" with a 234-byte command id.
        let commandID = String(repeating: "a", count: 255 - ":issue.accepted:issue".utf8.count)
        let id = ResultMessageID.make(commandMessageID: commandID, kind: .issueAccepted, incidentType: nil)

        #expect(id.utf8.count == 255)
        #expect(id.hasPrefix(commandID))
    }

    /// Lists the keys of the top-level object in the order they are written.
    private func topLevelKeys(_ text: String) throws -> [String] {
        // The encoder writes compact JSON, so a top-level key is a string preceded by '{' or ','
        // at depth 1 and followed by ':'.
        var keys: [String] = []
        var depth = 0
        var index = text.startIndex
        var isInString = false
        var current = ""
        var previousStructural: Character = " "
        while index < text.endIndex {
            let character = text[index]
            if isInString {
                if character == "\\" {
                    current.append(character)
                    index = text.index(after: index)
                    current.append(text[index])
                } else if character == "\"" {
                    isInString = false
                    let next = text.index(after: index)
                    if depth == 1, next < text.endIndex, text[next] == ":", previousStructural == "{" || previousStructural == "," {
                        keys.append(current)
                    }
                } else {
                    current.append(character)
                }
            } else {
                switch character {
                case "\"": isInString = true; current = ""
                case "{", "[": depth += 1; previousStructural = character
                case "}", "]": depth -= 1; previousStructural = character
                case ",": previousStructural = character
                case ":": previousStructural = character
                default: break
                }
            }
            index = text.index(after: index)
        }
        return keys
    }

    /// The exact bytes of one body: keys sorted at every level, `null` for unknown values, and
    /// quotes, backslashes and control characters escaped.
    @Test func rejectedBodyBytes() {
        let rejection = IncidentRejection(
            issueID: 1, incidentType: "ph\"one", reason: .unknownIncidentType, detail: "a \"quoted\"\n\ttab \u{1} é ✓",
            customerID: "c\\1", contractID: nil, quota: IncidentQuota(incidentType: "ph\"one", total: 0, used: 3),
            issueRejectionReason: .unknownContact)
        let command = Command.redeem(IncidentRequest(issueID: 1, incidentType: "x", actor: nil, requestedAt: Date(timeIntervalSince1970: 0)))

        let messages = ResultEncoder.results(
            for: .incidents([.rejected(rejection)]), command: command, commandMessageID: "w", processedAt: Date(timeIntervalSince1970: 1.5))

        #expect(messages.map { String(decoding: $0.body, as: UTF8.self) } == [
            #"{"command_message_id":"w","command_type":"incident.redeem","contract_id":null,"customer_id":"c\\1","detail":"a \"quoted\"\n\ttab \u0001 é ✓","incident_type":"ph\"one","issue_id":1,"issue_rejection_reason":"unknown_contact","occurred_at":"1970-01-01T00:00:00Z","processed_at":"1970-01-01T00:00:01.5Z","quota":{"incident_type":"ph\"one","remaining":0,"total":0,"used":3},"reason":"unknown_incident_type","redeemed_by":null,"schema_version":1,"type":"incident.rejected"}"#
        ])
    }
}
