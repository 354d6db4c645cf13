/// A definitions file that cannot be read as a topology.
public struct TopologyDefinitionsError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public var description: String { message }
}

extension Topology {
    /// Reads the `exchanges`, `queues` and `bindings` of a RabbitMQ definitions file, as
    /// `rabbitmqctl export_definitions` writes it and `import_definitions` reads it. Other
    /// top-level keys (`rabbit_version`, `vhosts`, `policies` and so on) are ignored.
    ///
    /// - Throws: `TopologyDefinitionsError` when the text is not JSON, a required key is
    ///   missing or has the wrong type, or an argument is not a string, integer or boolean.
    public init(definitions: [UInt8]) throws(TopologyDefinitionsError) {
        let root: JSONValue
        do {
            root = try JSONReader.parse(definitions)
        } catch {
            throw TopologyDefinitionsError(message: "The definitions are not valid JSON because \(error.problem) (at byte \(error.offset)).")
        }
        let document = try DefinitionsObject(root, path: "definitions")

        var exchanges: [Exchange] = []
        for (position, element) in try document.array("exchanges").enumerated() {
            let item = try DefinitionsObject(element, path: "exchanges[\(position)]")
            let typeName = try item.string("type")
            guard let type = ExchangeType(rawValue: typeName) else {
                throw TopologyDefinitionsError(message: "exchanges[\(position)].type \"\(typeName)\" is not direct, fanout, topic or headers.")
            }
            exchanges.append(Exchange(
                name: try item.string("name"), type: type, durable: try item.bool("durable"),
                autoDelete: try item.bool("auto_delete"), isInternal: try item.bool("internal"),
                arguments: try item.arguments()
            ))
        }

        var queues: [Queue] = []
        for (position, element) in try document.array("queues").enumerated() {
            let item = try DefinitionsObject(element, path: "queues[\(position)]")
            queues.append(Queue(
                name: try item.string("name"), durable: try item.bool("durable"),
                autoDelete: try item.bool("auto_delete"), arguments: try item.arguments()
            ))
        }

        var bindings: [Binding] = []
        for (position, element) in try document.array("bindings").enumerated() {
            let item = try DefinitionsObject(element, path: "bindings[\(position)]")
            let typeName = try item.string("destination_type")
            guard let destinationType = DestinationType(rawValue: typeName) else {
                throw TopologyDefinitionsError(message: "bindings[\(position)].destination_type \"\(typeName)\" is not queue or exchange.")
            }
            bindings.append(Binding(
                source: try item.string("source"), destination: try item.string("destination"),
                destinationType: destinationType, routingKey: try item.string("routing_key"),
                arguments: try item.arguments()
            ))
        }

        self.init(exchanges: exchanges, queues: queues, bindings: bindings)
    }

    /// Lists how `other` differs from this topology, one line per exchange, queue or binding
    /// that is missing, extra or different; empty when they are equal. Order does not matter.
    public func differences(from other: Topology) -> [String] {
        var lines: [String] = []
        compare(exchanges, other.exchanges, kind: "exchange", key: \.name, into: &lines)
        compare(queues, other.queues, kind: "queue", key: \.name, into: &lines)
        compare(bindings, other.bindings, kind: "binding", key: { "\($0.source) -> \($0.destinationType.rawValue) \($0.destination) with key \"\($0.routingKey)\"" }, into: &lines)
        return lines
    }

    private func compare<Item: Equatable>(_ expected: [Item], _ actual: [Item], kind: String, key: (Item) -> String, into lines: inout [String]) {
        let expectedByKey = Dictionary(expected.map { (key($0), $0) }, uniquingKeysWith: { first, _ in first })
        let actualByKey = Dictionary(actual.map { (key($0), $0) }, uniquingKeysWith: { first, _ in first })

        for name in expectedByKey.keys.sorted() {
            guard let actualItem = actualByKey[name] else {
                lines.append("missing \(kind) \(name)")
                continue
            }
            if actualItem != expectedByKey[name]! {
                lines.append("different \(kind) \(name): expected \(expectedByKey[name]!), found \(actualItem)")
            }
        }
        for name in actualByKey.keys.sorted() where expectedByKey[name] == nil {
            lines.append("extra \(kind) \(name)")
        }
        if expected.count != expectedByKey.count || actual.count != actualByKey.count {
            lines.append("a \(kind) is listed twice")
        }
    }
}

/// One JSON object of a definitions file, with typed accessors that name the path on error.
private struct DefinitionsObject {
    var members: [JSONMember]
    var path: String

    init(_ value: JSONValue, path: String) throws(TopologyDefinitionsError) {
        guard case .object(let members) = value else {
            throw TopologyDefinitionsError(message: "\(path) must be an object, but it is \(value.typeDescription).")
        }
        self.members = members
        self.path = path
    }

    func value(_ key: String) throws(TopologyDefinitionsError) -> JSONValue {
        guard let member = members.first(where: { $0.key == key }) else {
            throw TopologyDefinitionsError(message: "\(path).\(key) is missing.")
        }
        return member.value
    }

    func string(_ key: String) throws(TopologyDefinitionsError) -> String {
        guard case .string(let text) = try value(key) else {
            throw TopologyDefinitionsError(message: "\(path).\(key) must be a string.")
        }
        return text
    }

    func bool(_ key: String) throws(TopologyDefinitionsError) -> Bool {
        guard case .bool(let flag) = try value(key) else {
            throw TopologyDefinitionsError(message: "\(path).\(key) must be a boolean.")
        }
        return flag
    }

    func array(_ key: String) throws(TopologyDefinitionsError) -> [JSONValue] {
        guard case .array(let elements) = try value(key) else {
            throw TopologyDefinitionsError(message: "\(path).\(key) must be an array.")
        }
        return elements
    }

    func arguments() throws(TopologyDefinitionsError) -> [String: Topology.ArgumentValue] {
        guard case .object(let members) = try value("arguments") else {
            throw TopologyDefinitionsError(message: "\(path).arguments must be an object.")
        }
        var arguments: [String: Topology.ArgumentValue] = [:]
        for member in members {
            switch member.value {
            case .string(let text): arguments[member.key] = .string(text)
            case .integer(let number): arguments[member.key] = .int(number)
            case .bool(let flag): arguments[member.key] = .bool(flag)
            default:
                throw TopologyDefinitionsError(message: "\(path).arguments.\(member.key) must be a string, an integer or a boolean, but it is \(member.value.typeDescription).")
            }
        }
        return arguments
    }
}
