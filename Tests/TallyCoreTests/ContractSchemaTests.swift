import Foundation
import Testing
@testable import TallyCore

/// The JSON Schemas in `queues/schemas/` agree with the decoder and the encoder: every example
/// is valid, and every field error of the malformed corpus is invalid.
@Suite struct ContractSchemaTests {
    static let commandExamples = ContractExampleTests.manifest.commands.map { ($0.file, $0.routing_key) }
    static let resultExamples = ContractExampleTests.manifest.results.map { ($0.file, $0.routing_key) }

    /// Field errors that JSON Schema cannot express: its `integer` type accepts 1.0 and 4.711e3,
    /// which the contract rejects because ids must be integer literals.
    static let schemaCannotReject: Set<String> = ["issue-id-one-point-zero.json", "issue-id-exponent.json"]

    static let fieldErrors = ContractMalformedCorpusTests.manifest.entries.filter {
        ($0.expected_reason == "missing_field" || $0.expected_reason == "invalid_field")
            && !schemaCannotReject.contains($0.file)
    }

    @Test(arguments: commandExamples + resultExamples)
    func exampleMatchesSchema(file: String, routingKey: String) throws {
        let schema = try Self.schema(routingKey)
        let instance = try JSONReader.parse(ContractFixtures.bytes("examples/" + file))

        #expect(SchemaValidator.errors(instance, schema, path: "") == [])
    }

    @Test(arguments: fieldErrors)
    func fieldErrorFailsSchema(entry: ContractMalformedCorpusTests.Entry) throws {
        let schema = try Self.schema(entry.routing_key)
        let instance = try JSONReader.parse(ContractFixtures.bytes("malformed/" + entry.file))

        #expect(!SchemaValidator.errors(instance, schema, path: "").isEmpty, "the schema accepts \(entry.file)")
    }

    @Test func everyTypeHasSchema() throws {
        for name in CommandKind.allCases.map(\.rawValue) + ResultKind.allCases.map(\.rawValue) {
            let schema = try Self.schema(name)
            guard case .object(let members) = schema else {
                Issue.record("\(name) schema is not an object")
                continue
            }
            let draft = members.first { $0.key == "$schema" }?.value
            #expect(draft == .string("https://json-schema.org/draft/2020-12/schema"), "\(name)")
            #expect(members.first { $0.key == "additionalProperties" }?.value == .bool(true), "\(name)")
        }
    }

    @Test func validatorRejectsWrongTypes() throws {
        let schema = try Self.schema("incident.redeem")
        let instance = try JSONReader.parse(Array(#"{"issue_id":"1","incident_type":"phone","requested_at":"2026-03-01T09:30:00Z"}"#.utf8))
        #expect(SchemaValidator.errors(instance, schema, path: "") == ["issue_id: type"])
    }

    static func schema(_ name: String) throws -> JSONValue {
        try JSONReader.parse(ContractFixtures.bytes("schemas/\(name).schema.json"))
    }
}

/// A JSON Schema validator for the keywords the contract's schemas use. An unknown keyword is
/// reported as an error, so that a schema can never pass because a keyword was skipped.
enum SchemaValidator {
    static let annotations: Set<String> = ["$schema", "$id", "title", "description"]

    static func errors(_ instance: JSONValue, _ schema: JSONValue, path: String) -> [String] {
        guard case .object(let keywords) = schema else { return ["\(path): schema is not an object"] }
        var errors: [String] = []
        let at = path.isEmpty ? "" : path

        for keyword in keywords {
            let value = keyword.value
            switch keyword.key {
            case let key where annotations.contains(key):
                continue
            case "type":
                let names: [String] = switch value {
                case .string(let name): [name]
                case .array(let list): list.compactMap { if case .string(let name) = $0 { name } else { nil } }
                default: []
                }
                if !names.contains(where: { matches(instance, type: $0) }) { errors.append("\(at): type") }
            case "required":
                guard case .object(let members) = instance, case .array(let required) = value else { continue }
                for case .string(let name) in required where !members.contains(where: { $0.key == name }) {
                    errors.append("\(at)\(at.isEmpty ? "" : ".")\(name): required")
                }
            case "properties":
                guard case .object(let members) = instance, case .object(let properties) = value else { continue }
                for property in properties {
                    guard let member = members.first(where: { $0.key == property.key }) else { continue }
                    let memberPath = at.isEmpty ? property.key : "\(at).\(property.key)"
                    errors += Self.errors(member.value, property.value, path: memberPath)
                }
            case "additionalProperties":
                if value != .bool(true) { errors.append("\(at): additionalProperties other than true is not supported") }
            case "items":
                guard case .array(let elements) = instance else { continue }
                for (index, element) in elements.enumerated() {
                    errors += Self.errors(element, value, path: "\(at)[\(index)]")
                }
            case "uniqueItems":
                guard case .array(let elements) = instance, value == .bool(true) else { continue }
                for index in elements.indices where elements[..<index].contains(elements[index]) {
                    errors.append("\(at)[\(index)]: uniqueItems")
                }
            case "minLength", "maxLength":
                guard case .string(let text) = instance, case .integer(let limit) = value else { continue }
                let count = text.unicodeScalars.count
                if keyword.key == "minLength" ? count < limit : count > limit { errors.append("\(at): \(keyword.key)") }
            case "minimum", "maximum":
                guard let actual = numericValue(instance), let limit = numericValue(value) else { continue }
                if keyword.key == "minimum" ? actual < limit : actual > limit { errors.append("\(at): \(keyword.key)") }
            case "enum":
                guard case .array(let allowed) = value else { continue }
                if !allowed.contains(instance) { errors.append("\(at): enum") }
            case "const":
                if instance != value { errors.append("\(at): const") }
            case "pattern":
                guard case .string(let text) = instance, case .string(let pattern) = value else { continue }
                let expression = try! NSRegularExpression(pattern: pattern)
                if expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil { errors.append("\(at): pattern") }
            case "format":
                // Checked as an assertion: `date-time` is RFC 3339.
                guard case .string(let text) = instance else { continue }
                if value != .string("date-time") { errors.append("\(at): unsupported format") }
                if (try? RFC3339.parse(text)) == nil { errors.append("\(at): format") }
            case "anyOf":
                guard case .array(let choices) = value else { continue }
                if !choices.contains(where: { Self.errors(instance, $0, path: at).isEmpty }) { errors.append("\(at): anyOf") }
            default:
                errors.append("\(at): unsupported keyword \(keyword.key)")
            }
        }
        return errors
    }

    private static func matches(_ instance: JSONValue, type: String) -> Bool {
        switch (type, instance) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .integer), ("number", .integer), ("number", .number): true
        // JSON Schema counts a number with a zero fraction, such as 1.0, as an integer.
        case ("integer", .number(let text)): Double(text).map { $0.rounded() == $0 } ?? false
        default: false
        }
    }

    /// Converts the number to a `Decimal` (38 significant digits), so that 2^63 and 2^63 - 1 differ.
    private static func numericValue(_ value: JSONValue) -> Decimal? {
        switch value {
        case .integer(let integer): Decimal(integer)
        case .number(let text): Decimal(string: text)
        default: nil
        }
    }
}
