import Foundation
import Testing
import TallyCore

@Suite struct ContractDecoderTests {
    private func decode(_ envelope: CommandEnvelope, limit: Int = CommandDecoder.defaultMaximumBodySize) -> Result<DecodedCommand, MalformedCommand> {
        CommandDecoder.decode(envelope, maximumBodySize: limit)
    }

    private func failure(_ envelope: CommandEnvelope, limit: Int = CommandDecoder.defaultMaximumBodySize) -> MalformedCommand? {
        if case .failure(let malformed) = decode(envelope, limit: limit) { return malformed }
        return nil
    }

    // MARK: - Valid commands

    @Test func issueCreateWithAllFields() throws {
        let body = #"{"issue_id":42,"project_id":7,"customer_id":"C-1","contact_id":"K-9","contract_id":"2024-A","summary":"Printer on fire","created_at":"2026-03-01T09:30:00Z"}"#
        let decoded = try decode(ContractFixtures.envelope(.issueCreate, body, messageID: "m:1")).get()

        #expect(decoded.kind == .issueCreate)
        #expect(decoded.messageID == "m:1")
        #expect(decoded.command == .createIssue(IssueCreation(
            issueID: 42, projectID: 7, customerID: "C-1", contactID: "K-9", contractID: "2024-A",
            summary: "Printer on fire", createdAt: ContractFixtures.date("2026-03-01T09:30:00Z")
        )))
    }

    @Test func issueCreateOptionalFieldsAbsentOrNull() throws {
        let absent = #"{"issue_id":1,"project_id":1,"customer_id":"c","contact_id":"k","created_at":"2026-03-01T09:30:00Z"}"#
        let null = #"{"issue_id":1,"project_id":1,"customer_id":"c","contact_id":"k","contract_id":null,"summary":null,"created_at":"2026-03-01T09:30:00Z"}"#
        let expected = Command.createIssue(IssueCreation(issueID: 1, projectID: 1, customerID: "c", contactID: "k", createdAt: ContractFixtures.date("2026-03-01T09:30:00Z")))

        #expect(try decode(ContractFixtures.envelope(.issueCreate, absent)).get().command == expected)
        #expect(try decode(ContractFixtures.envelope(.issueCreate, null)).get().command == expected)
    }

    @Test func redeemAndUnredeem() throws {
        let body = #"{"requested_at":"2026-03-01T10:30:00+01:00","incident_type":"phone","issue_id":42,"redeemed_by":"alice"}"#
        let request = IncidentRequest(issueID: 42, incidentType: "phone", actor: "alice", requestedAt: ContractFixtures.date("2026-03-01T09:30:00Z"))

        #expect(try decode(ContractFixtures.envelope(.incidentRedeem, body)).get().command == .redeem(request))
        #expect(try decode(ContractFixtures.envelope(.incidentUnredeem, body)).get().command == .unredeem(request))
    }

    @Test func redeemWithoutRedeemedBy() throws {
        let body = #"{"issue_id":42,"incident_type":"phone","requested_at":"2026-03-01T09:30:00Z"}"#
        let decoded = try decode(ContractFixtures.envelope(.incidentRedeem, body)).get()

        #expect(decoded.command == .redeem(IncidentRequest(issueID: 42, incidentType: "phone", requestedAt: ContractFixtures.date("2026-03-01T09:30:00Z"))))
    }

    @Test func updateWithTypesAndEmptySet() throws {
        let body = #"{"issue_id":42,"incident_types":["phone","email"],"redeemed_by":"alice","requested_at":"2026-03-01T09:30:00Z"}"#
        let empty = #"{"issue_id":42,"incident_types":[],"redeemed_by":"alice","requested_at":"2026-03-01T09:30:00Z"}"#
        let at = ContractFixtures.date("2026-03-01T09:30:00Z")

        #expect(try decode(ContractFixtures.envelope(.incidentUpdate, body)).get().command
            == .setRedeemedTypes(RedeemedTypesUpdate(issueID: 42, incidentTypes: ["phone", "email"], actor: "alice", requestedAt: at)))
        #expect(try decode(ContractFixtures.envelope(.incidentUpdate, empty)).get().command
            == .setRedeemedTypes(RedeemedTypesUpdate(issueID: 42, incidentTypes: [], actor: "alice", requestedAt: at)))
    }

    @Test func unknownFieldsIgnored() throws {
        let body = #"{"issue_id":42,"future":{"nested":[1,2.5,"x",null,true]},"incident_type":"phone","requested_at":"2026-03-01T09:30:00Z","v2_flag":false}"#
        #expect(throws: Never.self) { try decode(ContractFixtures.envelope(.incidentRedeem, body)).get() }
    }

    @Test func escapesAndNonASCIIStrings() throws {
        let body = #"{"issue_id":1,"project_id":1,"customer_id":"Gr\u00fc\u00dfe \ud83d\ude00","contact_id":"Zoë","summary":"line 1\nline \"2\"\t\\","created_at":"2026-03-01T09:30:00Z"}"#
        let decoded = try decode(ContractFixtures.envelope(.issueCreate, body)).get()
        guard case .createIssue(let creation) = decoded.command else {
            Issue.record("expected createIssue, got \(decoded.command)")
            return
        }

        #expect(creation.customerID == "Grüße 😀")
        #expect(creation.contactID == "Zoë")
        #expect(creation.summary == "line 1\nline \"2\"\t\\")
    }

    @Test func idLengthsCountCodePoints() throws {
        // 128 code points of 4 bytes each: within the limit although 512 bytes long.
        let customerID = String(repeating: "😀", count: 128)
        let body = #"{"issue_id":1,"project_id":1,"customer_id":"\#(customerID)","contact_id":"k","created_at":"2026-03-01T09:30:00Z"}"#

        #expect(throws: Never.self) { try decode(ContractFixtures.envelope(.issueCreate, body)).get() }
    }

    @Test func largestIssueIDAccepted() throws {
        let body = #"{"issue_id":9223372036854775807,"incident_type":"phone","requested_at":"2026-03-01T09:30:00Z"}"#
        #expect(try decode(ContractFixtures.envelope(.incidentRedeem, body)).get().command.issueID == Int64.max)
    }

    @Test(arguments: [nil, "application/json", "Application/JSON", "application/json; charset=utf-8", "application/json;charset=\"UTF-8\"", "", "application/json;"])
    func contentTypeAccepted(contentType: String?) throws {
        var envelope = ContractFixtures.envelope(.incidentRedeem, #"{"issue_id":1,"incident_type":"phone","requested_at":"2026-03-01T09:30:00Z"}"#)
        envelope.contentType = contentType
        #expect(throws: Never.self) { try decode(envelope).get() }
    }

    // MARK: - Properties and order of checks

    @Test(arguments: ["text/plain", "application/json; charset=iso-8859-1", "application/xml", "application/json; version=2"])
    func contentTypeRejected(contentType: String) {
        var envelope = ContractFixtures.envelope(.incidentRedeem, "{}")
        envelope.contentType = contentType
        #expect(failure(envelope)?.reason == .unsupportedContentType)
    }

    @Test func messageIDMissingOrEmpty() {
        #expect(failure(ContractFixtures.envelope(.issueCreate, "{}", messageID: nil))?.reason == .missingMessageID)
        #expect(failure(ContractFixtures.envelope(.issueCreate, "{}", messageID: ""))?.reason == .missingMessageID)
    }

    @Test func messageIDLengthLimit() {
        let valid = #"{"issue_id":1,"incident_type":"phone","requested_at":"2026-03-01T09:30:00Z"}"#
        let atLimit = String(repeating: "é", count: 128)
        let overLimit = String(repeating: "a", count: 129)

        #expect(failure(ContractFixtures.envelope(.incidentRedeem, valid, messageID: atLimit)) == nil)
        #expect(failure(ContractFixtures.envelope(.incidentRedeem, valid, messageID: overLimit))?.reason == .invalidMessageID)
    }

    @Test func checkOrderMessageIDFirst() {
        var envelope = CommandEnvelope(routingKey: "nope", messageID: nil, contentType: "text/plain", body: [0xFF])
        #expect(failure(envelope)?.reason == .missingMessageID)

        envelope.messageID = "m"
        #expect(failure(envelope)?.reason == .unknownRoutingKey)

        envelope.routingKey = "issue.create"
        #expect(failure(envelope)?.reason == .unsupportedContentType)

        envelope.contentType = nil
        #expect(failure(envelope, limit: 0)?.reason == .bodyTooLarge)
        #expect(failure(envelope)?.reason == .invalidUTF8)
    }

    @Test func bodySizeLimitExact() {
        let body = #"{"issue_id":1,"incident_type":"phone","requested_at":"2026-03-01T09:30:00Z"}"#
        let envelope = ContractFixtures.envelope(.incidentRedeem, body)
        let size = envelope.body.count

        #expect(failure(envelope, limit: size) == nil)
        #expect(failure(envelope, limit: size - 1)?.reason == .bodyTooLarge)
        #expect(failure(envelope, limit: size - 1)?.field == nil)
    }

    @Test func invalidUTF8BeforeJSON() {
        // Broken JSON and a bad byte: UTF-8 is checked first.
        let envelope = CommandEnvelope(routingKey: "issue.create", messageID: "m", body: Array("{\"a\":".utf8) + [0xC0, 0x80])
        #expect(failure(envelope)?.reason == .invalidUTF8)
    }

    @Test(arguments: [
        [0xC0, 0xAF] as [UInt8], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
        [0xF8], [0x80], [0xE2, 0x82], [0xC3],
    ])
    func invalidUTF8Sequences(bad: [UInt8]) {
        let body = Array("{\"summary\":\"".utf8) + bad + Array("\"}".utf8)
        #expect(failure(CommandEnvelope(routingKey: "issue.create", messageID: "m", body: body))?.reason == .invalidUTF8)
    }

    // MARK: - JSON syntax

    @Test(arguments: [
        "", "   ", "{", "{\"issue_id\":1,}", "[1,]", "{\"a\" 1}", "{'a':1}", "{\"a\":01}", "{\"a\":1.}",
        "{\"a\":-}", "{\"a\":1e}", "{\"a\":tru}", "{\"a\":NaN}", "{\"a\":\"x}", "{\"a\":\"\\x\"}",
        "{\"a\":\"\\ud83d\"}", "{\"a\":\"\\ude00\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"tab\there\"}", "{} {}",
        "\u{FEFF}{}", "// comment\n{}",
    ])
    func invalidJSON(body: String) {
        #expect(failure(ContractFixtures.envelope(.issueCreate, body))?.reason == .invalidJSON)
    }

    @Test func rawControlCharacterRejected() {
        let body = Array("{\"summary\":\"a".utf8) + [0x0A] + Array("b\"}".utf8)
        #expect(failure(CommandEnvelope(routingKey: "issue.create", messageID: "m", body: body))?.reason == .invalidJSON)
    }

    @Test func duplicateKeyNamesField() {
        let malformed = failure(ContractFixtures.envelope(.issueCreate, #"{"issue_id":1,"issue_id":2}"#))
        #expect(malformed?.reason == .invalidJSON)
        #expect(malformed?.field == "issue_id")
    }

    @Test func nestingLimit() {
        let deep = #"{"extra":"# + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}"
        let shallow = #"{"extra":"# + String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
            + #","issue_id":1,"incident_type":"t","requested_at":"2026-03-01T09:30:00Z"}"#

        #expect(failure(ContractFixtures.envelope(.incidentRedeem, deep))?.reason == .invalidJSON)
        #expect(failure(ContractFixtures.envelope(.incidentRedeem, shallow)) == nil)
    }

    @Test(arguments: ["[]", "42", "\"text\"", "null"])
    func bodyNotAnObject(body: String) {
        let malformed = failure(ContractFixtures.envelope(.issueCreate, body))
        #expect(malformed?.reason == .invalidJSON)
        #expect(malformed?.field == nil)
    }

    // MARK: - Fields

    @Test(arguments: [
        (#"{"project_id":1,"customer_id":"c","contact_id":"k","created_at":"2026-03-01T09:30:00Z"}"#, "issue_id"),
        (#"{"issue_id":1,"customer_id":"c","contact_id":"k","created_at":"2026-03-01T09:30:00Z"}"#, "project_id"),
        (#"{"issue_id":1,"project_id":1,"contact_id":"k","created_at":"2026-03-01T09:30:00Z"}"#, "customer_id"),
        (#"{"issue_id":1,"project_id":1,"customer_id":"c","created_at":"2026-03-01T09:30:00Z"}"#, "contact_id"),
        (#"{"issue_id":1,"project_id":1,"customer_id":"c","contact_id":"k"}"#, "created_at"),
        (#"{}"#, "issue_id"),
    ])
    func issueCreateMissingField(body: String, field: String) {
        let malformed = failure(ContractFixtures.envelope(.issueCreate, body))
        #expect(malformed?.reason == .missingField)
        #expect(malformed?.field == field)
    }

    @Test(arguments: [
        (#"{"issue_id":"42"}"#, "issue_id"),
        (#"{"issue_id":0}"#, "issue_id"),
        (#"{"issue_id":-3}"#, "issue_id"),
        (#"{"issue_id":1.5}"#, "issue_id"),
        (#"{"issue_id":1.0}"#, "issue_id"),
        (#"{"issue_id":1e3}"#, "issue_id"),
        (#"{"issue_id":9223372036854775808}"#, "issue_id"),
        (#"{"issue_id":true}"#, "issue_id"),
        (#"{"issue_id":null}"#, "issue_id"),
        (#"{"project_id":[1]}"#, "project_id"),
        (#"{"customer_id":""}"#, "customer_id"),
        (#"{"customer_id":7}"#, "customer_id"),
        (#"{"customer_id":null}"#, "customer_id"),
        (#"{"contact_id":"\#(String(repeating: "k", count: 129))"}"#, "contact_id"),
        (#"{"contract_id":"\#(String(repeating: "x", count: 51))"}"#, "contract_id"),
        (#"{"contract_id":""}"#, "contract_id"),
        (#"{"summary":"\#(String(repeating: "s", count: 1001))"}"#, "summary"),
        (#"{"created_at":"2026-03-01T09:30:00"}"#, "created_at"),
        (#"{"created_at":"yesterday"}"#, "created_at"),
        (#"{"created_at":1772357400}"#, "created_at"),
    ])
    func issueCreateInvalidField(body: String, field: String) {
        let malformed = failure(ContractFixtures.envelope(.issueCreate, body))
        #expect(malformed?.reason == .invalidField)
        #expect(malformed?.field == field)
    }

    @Test func fieldsCheckedInDocumentOrder() {
        let body = #"{"created_at":"soon","issue_id":"x"}"#
        #expect(failure(ContractFixtures.envelope(.issueCreate, body))?.field == "created_at")
    }

    @Test func invalidFieldBeforeMissingField() {
        let body = #"{"customer_id":""}"#
        let malformed = failure(ContractFixtures.envelope(.issueCreate, body))
        #expect(malformed?.reason == .invalidField)
        #expect(malformed?.field == "customer_id")
    }

    @Test(arguments: [
        (#"{"issue_id":1,"incident_type":"","requested_at":"2026-03-01T09:30:00Z"}"#, MalformedReason.invalidField, "incident_type"),
        (#"{"issue_id":1,"incident_type":"\#(String(repeating: "t", count: 65))","requested_at":"2026-03-01T09:30:00Z"}"#, .invalidField, "incident_type"),
        (#"{"issue_id":1,"incident_type":["phone"],"requested_at":"2026-03-01T09:30:00Z"}"#, .invalidField, "incident_type"),
        (#"{"issue_id":1,"incident_type":"phone","redeemed_by":"\#(String(repeating: "r", count: 256))","requested_at":"2026-03-01T09:30:00Z"}"#, .invalidField, "redeemed_by"),
        (#"{"issue_id":1,"incident_type":"phone","redeemed_by":5,"requested_at":"2026-03-01T09:30:00Z"}"#, .invalidField, "redeemed_by"),
        (#"{"issue_id":1,"requested_at":"2026-03-01T09:30:00Z"}"#, .missingField, "incident_type"),
        (#"{"issue_id":1,"incident_type":"phone"}"#, .missingField, "requested_at"),
        (#"{"issue_id":1,"incident_type":"phone","requested_at":"2026-02-29T09:30:00Z"}"#, .invalidField, "requested_at"),
    ])
    func redeemFieldErrors(body: String, reason: MalformedReason, field: String) {
        let malformed = failure(ContractFixtures.envelope(.incidentRedeem, body))
        #expect(malformed?.reason == reason)
        #expect(malformed?.field == field)
    }

    @Test(arguments: [
        (#"{"issue_id":1,"incident_types":"phone","redeemed_by":"a","requested_at":"2026-03-01T09:30:00Z"}"#, MalformedReason.invalidField, "incident_types"),
        (#"{"issue_id":1,"incident_types":["phone",3],"redeemed_by":"a","requested_at":"2026-03-01T09:30:00Z"}"#, .invalidField, "incident_types[1]"),
        (#"{"issue_id":1,"incident_types":["phone","email","phone"],"redeemed_by":"a","requested_at":"2026-03-01T09:30:00Z"}"#, .invalidField, "incident_types[2]"),
        (#"{"issue_id":1,"incident_types":["phone",""],"redeemed_by":"a","requested_at":"2026-03-01T09:30:00Z"}"#, .invalidField, "incident_types[1]"),
        (#"{"issue_id":1,"incident_types":null,"redeemed_by":"a","requested_at":"2026-03-01T09:30:00Z"}"#, .invalidField, "incident_types"),
        (#"{"issue_id":1,"redeemed_by":"a","requested_at":"2026-03-01T09:30:00Z"}"#, .missingField, "incident_types"),
        (#"{"issue_id":1,"incident_types":[],"requested_at":"2026-03-01T09:30:00Z"}"#, .missingField, "redeemed_by"),
        (#"{"issue_id":1,"incident_types":[],"redeemed_by":null,"requested_at":"2026-03-01T09:30:00Z"}"#, .invalidField, "redeemed_by"),
    ])
    func updateFieldErrors(body: String, reason: MalformedReason, field: String) {
        let malformed = failure(ContractFixtures.envelope(.incidentUpdate, body))
        #expect(malformed?.reason == reason)
        #expect(malformed?.field == field)
    }

    // MARK: - Details

    @Test func detailNamesValueAndExpectation() {
        let malformed = failure(ContractFixtures.envelope(.issueCreate, #"{"issue_id":"42"}"#))
        #expect(malformed?.detail == #"issue_id must be a positive JSON integer, but it is the string "42"."#)
    }

    @Test func detailTruncatesLongValues() throws {
        let long = String(repeating: "z", count: 5000)
        let malformed = try #require(failure(ContractFixtures.envelope(.issueCreate, #"{"created_at":"\#(long)"}"#)))

        #expect(malformed.detail.count < 300)
        #expect(malformed.detail.contains(String(repeating: "z", count: 64) + "…"))
    }

    @Test func detailEscapesControlCharacters() throws {
        let malformed = try #require(failure(ContractFixtures.envelope(.issueCreate, #"{"issue_id":"a\nb"}"#)))
        #expect(!malformed.detail.contains("\n"))
        #expect(malformed.detail.contains(#""a\nb""#))
    }

    @Test func deadLetterHeadersFromMalformed() {
        let malformed = MalformedCommand(reason: .invalidField, field: "issue_id", detail: "issue_id must be a positive JSON integer, but it is 0.")
        let headers = DeadLetterHeaders.headers(for: malformed, originalRoutingKey: "issue.create", worker: "host-1:42")

        #expect(headers == [
            "x-tally-reason": "invalid_field",
            "x-tally-field": "issue_id",
            "x-tally-detail": "issue_id must be a positive JSON integer, but it is 0.",
            "x-tally-original-routing-key": "issue.create",
            "x-tally-worker": "host-1:42",
        ])
    }

    @Test func deadLetterHeadersWithoutField() {
        let malformed = MalformedCommand(reason: .missingMessageID, detail: "no id")
        let headers = DeadLetterHeaders.headers(for: malformed, originalRoutingKey: "issue.create", worker: "w")

        #expect(headers[DeadLetterHeaders.field] == nil)
        #expect(headers[DeadLetterHeaders.reason] == "missing_message_id")
    }
}
