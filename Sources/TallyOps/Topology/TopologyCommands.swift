import AMQPClient
import Foundation
import TallyCore
import TallySupport

/// `tallyctl topology show | apply`.
enum TopologyCommands {
    static let definitions = OptionSpec.option(
        "definitions", valueName: "path",
        help: "A RabbitMQ definitions file such as queues/definitions.json; Tally's built-in topology, which equals that file, when left out.",
        configurable: false, as: String.self)
    static let noExampleQueues = OptionSpec.flag(
        "no-example-queues",
        help: "Leave out the example consumer queues billing.redemptions and tracker.results and their bindings, as a worker started with --no-example-queues does.",
        environment: "TALLY_NO_EXAMPLE_QUEUES")

    static func spec(console: Console) -> CommandSpec {
        CommandSpec(
            name: "topology",
            abstract: "Print or declare Tally's exchanges, queues and bindings.",
            subcommands: [
                CommandSpec(
                    name: "show",
                    abstract: "Print the exchanges, queues and bindings.",
                    options: [SharedOptions.json, definitions, noExampleQueues],
                    optionGroups: [SharedOptions.configuration],
                    run: { parsed in
                        let topology = try load(parsed)
                        if parsed.flag("json") {
                            console.write(try JSONOutput.encode(TopologyJSON(topology)))
                        } else {
                            console.write(render(topology))
                        }
                        return 0
                    }
                ),
                CommandSpec(
                    name: "apply",
                    abstract: "Declare the exchanges, queues and bindings on the broker.",
                    discussion: "Declaring is idempotent. An exchange or queue that exists with other arguments is not changed: the broker refuses it with 406 PRECONDITION_FAILED, and tallyctl names the object and exits 1.",
                    options: [definitions, noExampleQueues],
                    optionGroups: [SharedOptions.amqp, SharedOptions.configuration],
                    validate: { _ = try BrokerSettings($0) },
                    run: { parsed in
                        let settings = try BrokerSettings(parsed)
                        let topology = try load(parsed)
                        try await runBlocking { try apply(topology, settings) }
                        console.write("declared \(topology.exchanges.count) exchanges, \(topology.queues.count) queues, \(topology.bindings.count) bindings in virtual host '\(settings.url.virtualHost)'\n")
                        return 0
                    }
                ),
            ]
        )
    }

    static func load(_ parsed: ParsedCommand) throws -> Topology {
        let topology = try loadDefinitions(parsed)
        return parsed.flag("no-example-queues") ? topology.withoutExampleQueues() : topology
    }

    private static func loadDefinitions(_ parsed: ParsedCommand) throws -> Topology {
        guard let path = parsed.value("definitions", as: String.self) else {
            return Topology.standard
        }
        let data = try CustomerCommands.readInput(path)
        do {
            return try Topology(definitions: Array(data))
        } catch {
            throw TallyctlError("\(path): \(error)")
        }
    }

    static func apply(_ topology: Topology, _ settings: BrokerSettings) throws {
        try BrokerAccess.mapping(settings) {
            let connection = try BrokerAccess.connect(settings, command: "topology apply")
            defer { connection.close() }
            let channel = try connection.openChannel()

            func declaring(_ object: String, _ body: () throws -> Void) throws {
                do {
                    try body()
                } catch let error as AMQPError where error.replyCode == 406 {
                    throw TallyctlError("\(object) exists with other arguments: \(error.replyText ?? "PRECONDITION_FAILED"). Delete or migrate it first (for example with 'rabbitmqctl delete_queue'); nothing after it was declared")
                }
            }

            for exchange in topology.exchanges {
                try declaring("exchange '\(exchange.name)'") {
                    try channel.declareExchange(
                        exchange.name, type: exchange.type.rawValue, durable: exchange.durable,
                        autoDelete: exchange.autoDelete, internal: exchange.isInternal,
                        arguments: fieldTable(exchange.arguments))
                }
            }
            for queue in topology.queues {
                try declaring("queue '\(queue.name)'") {
                    try channel.declareQueue(
                        queue.name, durable: queue.durable, autoDelete: queue.autoDelete,
                        arguments: fieldTable(queue.arguments))
                }
            }
            for binding in topology.bindings where binding.destinationType == .queue {
                try channel.bindQueue(
                    binding.destination, exchange: binding.source, routingKey: binding.routingKey,
                    arguments: fieldTable(binding.arguments))
            }
            try channel.close()
        }
    }

    static func fieldTable(_ arguments: [String: Topology.ArgumentValue]) -> FieldTable {
        var table = FieldTable()
        for (key, value) in arguments.sorted(by: { $0.key < $1.key }) {
            switch value {
            case .string(let text): table[key] = .string(text)
            case .int(let number): table[key] = .int64(number)
            case .bool(let flag): table[key] = .bool(flag)
            }
        }
        return table
    }

    static func render(_ topology: Topology) -> String {
        func arguments(_ values: [String: Topology.ArgumentValue]) -> String {
            values.isEmpty ? "-" : values.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }

        var exchanges = Table([.init(title: "EXCHANGE"), .init(title: "TYPE"), .init(title: "FLAGS"), .init(title: "ARGUMENTS")])
        for exchange in topology.exchanges {
            var flags = [exchange.durable ? "durable" : "transient"]
            if exchange.isInternal { flags.append("internal") }
            if exchange.autoDelete { flags.append("auto-delete") }
            exchanges.add([exchange.name, exchange.type.rawValue, flags.joined(separator: ","), arguments(exchange.arguments)])
        }

        var queues = Table([.init(title: "QUEUE"), .init(title: "FLAGS"), .init(title: "ARGUMENTS")])
        for queue in topology.queues {
            var flags = [queue.durable ? "durable" : "transient"]
            if queue.autoDelete { flags.append("auto-delete") }
            queues.add([queue.name, flags.joined(separator: ","), arguments(queue.arguments)])
        }

        var bindings = Table([.init(title: "SOURCE"), .init(title: "ROUTING KEY"), .init(title: "DESTINATION")])
        for binding in topology.bindings {
            let key = binding.routingKey.isEmpty ? "(any)" : binding.routingKey
            bindings.add([binding.source, key, "\(binding.destinationType.rawValue) \(binding.destination)"])
        }
        return exchanges.render() + "\n" + queues.render() + "\n" + bindings.render()
    }
}

/// A topology as `topology show --json` prints it.
struct TopologyJSON: Encodable, Sendable {
    struct Exchange: Encodable, Sendable {
        var name: String
        var type: String
        var durable: Bool
        var autoDelete: Bool
        var `internal`: Bool
        var arguments: [String: String]
    }

    struct Queue: Encodable, Sendable {
        var name: String
        var durable: Bool
        var autoDelete: Bool
        var arguments: [String: String]
    }

    struct Binding: Encodable, Sendable {
        var source: String
        var destination: String
        var destinationType: String
        var routingKey: String
    }

    var exchanges: [Exchange]
    var queues: [Queue]
    var bindings: [Binding]

    init(_ topology: Topology) {
        func text(_ arguments: [String: Topology.ArgumentValue]) -> [String: String] {
            arguments.mapValues { value in
                if case .string(let string) = value { return string }
                return value.description
            }
        }
        exchanges = topology.exchanges.map {
            Exchange(name: $0.name, type: $0.type.rawValue, durable: $0.durable, autoDelete: $0.autoDelete, internal: $0.isInternal, arguments: text($0.arguments))
        }
        queues = topology.queues.map { Queue(name: $0.name, durable: $0.durable, autoDelete: $0.autoDelete, arguments: text($0.arguments)) }
        bindings = topology.bindings.map {
            Binding(source: $0.source, destination: $0.destination, destinationType: $0.destinationType.rawValue, routingKey: $0.routingKey)
        }
    }
}
