import Foundation

/// Reads and checks the fields of command bodies. Every failure is a `MalformedCommand` with
/// reason `missingField` or `invalidField` and the field's JSON path.
enum FieldReader {
    static let customerIDLength = 1...128
    static let contactIDLength = 1...128
    static let contractIDLength = 1...50
    static let incidentTypeLength = 1...64
    static let redeemedByLength = 0...255
    static let summaryLength = 0...1000

    private static let positiveIntegerExpectation = "a positive JSON integer"
    private static let timeExpectation = "an RFC 3339 date-time with a time zone, such as 2026-03-01T09:30:00Z"
    private static let incidentTypesExpectation = "an array of distinct incident type ids"

    // MARK: - Bodies

    static func issueCreation(_ members: [JSONMember]) throws(MalformedCommand) -> IssueCreation {
        var issueID: Int64?
        var projectID: Int64?
        var customerID: String?
        var contactID: String?
        var contractID: String?
        var summary: String?
        var createdAt: Date?

        for member in members {
            let value = member.value
            switch member.key {
            case "issue_id": issueID = try positiveInteger(value, "issue_id")
            case "project_id": projectID = try positiveInteger(value, "project_id")
            case "customer_id": customerID = try string(value, "customer_id", length: customerIDLength)
            case "contact_id": contactID = try string(value, "contact_id", length: contactIDLength)
            case "contract_id": contractID = try optionalString(value, "contract_id", length: contractIDLength)
            case "summary": summary = try optionalString(value, "summary", length: summaryLength)
            case "created_at": createdAt = try time(value, "created_at")
            default: continue
            }
        }

        guard let issueID else { throw missing("issue_id", positiveIntegerExpectation) }
        guard let projectID else { throw missing("project_id", positiveIntegerExpectation) }
        guard let customerID else { throw missing("customer_id", stringExpectation(customerIDLength)) }
        guard let contactID else { throw missing("contact_id", stringExpectation(contactIDLength)) }
        guard let createdAt else { throw missing("created_at", timeExpectation) }
        return IssueCreation(
            issueID: issueID, projectID: projectID, customerID: customerID, contactID: contactID,
            contractID: contractID, summary: summary, createdAt: createdAt
        )
    }

    /// Reads the body of `incident.redeem` and `incident.unredeem`.
    static func incidentRequest(_ members: [JSONMember]) throws(MalformedCommand) -> IncidentRequest {
        var issueID: Int64?
        var incidentType: String?
        var redeemedBy: String?
        var requestedAt: Date?

        for member in members {
            let value = member.value
            switch member.key {
            case "issue_id": issueID = try positiveInteger(value, "issue_id")
            case "incident_type": incidentType = try string(value, "incident_type", length: incidentTypeLength)
            case "redeemed_by": redeemedBy = try optionalString(value, "redeemed_by", length: redeemedByLength)
            case "requested_at": requestedAt = try time(value, "requested_at")
            default: continue
            }
        }

        guard let issueID else { throw missing("issue_id", positiveIntegerExpectation) }
        guard let incidentType else { throw missing("incident_type", stringExpectation(incidentTypeLength)) }
        guard let requestedAt else { throw missing("requested_at", timeExpectation) }
        return IncidentRequest(issueID: issueID, incidentType: incidentType, actor: redeemedBy, requestedAt: requestedAt)
    }

    /// Reads the body of `incident.update`, where `redeemed_by` is required.
    static func redeemedTypesUpdate(_ members: [JSONMember]) throws(MalformedCommand) -> RedeemedTypesUpdate {
        var issueID: Int64?
        var incidentTypes: Set<String>?
        var redeemedBy: String?
        var requestedAt: Date?

        for member in members {
            let value = member.value
            switch member.key {
            case "issue_id": issueID = try positiveInteger(value, "issue_id")
            case "incident_types": incidentTypes = try distinctIncidentTypes(value, "incident_types")
            case "redeemed_by": redeemedBy = try string(value, "redeemed_by", length: redeemedByLength)
            case "requested_at": requestedAt = try time(value, "requested_at")
            default: continue
            }
        }

        guard let issueID else { throw missing("issue_id", positiveIntegerExpectation) }
        guard let incidentTypes else { throw missing("incident_types", incidentTypesExpectation) }
        guard let redeemedBy else { throw missing("redeemed_by", stringExpectation(redeemedByLength)) }
        guard let requestedAt else { throw missing("requested_at", timeExpectation) }
        return RedeemedTypesUpdate(issueID: issueID, incidentTypes: incidentTypes, actor: redeemedBy, requestedAt: requestedAt)
    }

    // MARK: - Field types

    /// Reads a JSON integer literal from 1 to `Int64.max`. `1.0` and `1e0` are rejected because
    /// ids are written as integers.
    static func positiveInteger(_ value: JSONValue, _ field: String) throws(MalformedCommand) -> Int64 {
        switch value {
        case .integer(let number) where number >= 1:
            return number
        case .integer(let number):
            throw invalid(field, positiveIntegerExpectation, found: String(number))
        case .number(let text):
            let isIntegerLiteral = !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
            if isIntegerLiteral, !text.hasPrefix("-") {
                throw invalid(field, "\(positiveIntegerExpectation) up to \(Int64.max)", found: RenderedValue.truncated(text))
            }
            throw invalid(field, positiveIntegerExpectation, found: RenderedValue.truncated(text))
        default:
            throw invalid(field, positiveIntegerExpectation, found: value.messageDescription)
        }
    }

    /// Reads a string whose length in Unicode scalars (code points, as JSON Schema's
    /// `maxLength` counts) is in `length`.
    static func string(_ value: JSONValue, _ field: String, length: ClosedRange<Int>) throws(MalformedCommand) -> String {
        guard case .string(let text) = value else {
            throw invalid(field, stringExpectation(length), found: value.messageDescription)
        }
        guard hasLength(text, in: length) else {
            let found = text.isEmpty ? "empty" : "a string of \(text.unicodeScalars.count) characters"
            throw invalid(field, stringExpectation(length), found: found)
        }
        return text
    }

    /// Like `string`, but `null` means absent.
    static func optionalString(_ value: JSONValue, _ field: String, length: ClosedRange<Int>) throws(MalformedCommand) -> String? {
        if case .null = value { return nil }
        return try string(value, field, length: length)
    }

    static func time(_ value: JSONValue, _ field: String) throws(MalformedCommand) -> Date {
        guard case .string(let text) = value else {
            throw invalid(field, timeExpectation, found: value.messageDescription)
        }
        do {
            return try RFC3339.parse(text)
        } catch {
            throw MalformedCommand(
                reason: .invalidField,
                field: field,
                detail: "\(field) must be \(timeExpectation), but \(RenderedValue.quoted(text)) is not one because \(error.problem)."
            )
        }
    }

    static func distinctIncidentTypes(_ value: JSONValue, _ field: String) throws(MalformedCommand) -> Set<String> {
        guard case .array(let elements) = value else {
            throw invalid(field, incidentTypesExpectation, found: value.messageDescription)
        }

        var types = Set<String>(minimumCapacity: elements.count)
        for (position, element) in elements.enumerated() {
            let elementField = "\(field)[\(position)]"
            let type = try string(element, elementField, length: incidentTypeLength)
            guard types.insert(type).inserted else {
                let first = elements.firstIndex(of: element)!
                throw MalformedCommand(
                    reason: .invalidField,
                    field: elementField,
                    detail: "\(field) must list each incident type once, but \(elementField) repeats \(RenderedValue.quoted(type)) from \(field)[\(first)]."
                )
            }
        }
        return types
    }

    // MARK: - Helpers

    /// Tests whether the number of Unicode scalars in `text` is in `length`, whose lower bound
    /// must be 0 or 1.
    static func hasLength(_ text: String, in length: ClosedRange<Int>) -> Bool {
        precondition(length.lowerBound <= 1, "only lower bounds of 0 and 1 are supported")
        let byteCount = text.utf8.count
        guard byteCount >= length.lowerBound else { return false }
        // A scalar takes 1 to 4 bytes, so a text of at most `upperBound` bytes has at most
        // `upperBound` scalars, and a non-empty text has at least one.
        if byteCount <= length.upperBound { return true }
        return text.unicodeScalars.count <= length.upperBound
    }

    private static func stringExpectation(_ length: ClosedRange<Int>) -> String {
        length.lowerBound == 0
            ? "a string of at most \(length.upperBound) characters"
            : "a string of \(length.lowerBound) to \(length.upperBound) characters"
    }

    private static func missing(_ field: String, _ expectation: String) -> MalformedCommand {
        MalformedCommand(
            reason: .missingField,
            field: field,
            detail: "\(field) must be present as \(expectation), but it is missing."
        )
    }

    private static func invalid(_ field: String, _ expectation: String, found: String) -> MalformedCommand {
        MalformedCommand(
            reason: .invalidField,
            field: field,
            detail: "\(field) must be \(expectation), but it is \(found)."
        )
    }
}
