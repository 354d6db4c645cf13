import AMQPClient
import TallyCore

/// Declares the exchanges, queues and bindings of a `Topology` on a channel.
///
/// Declaring is idempotent when the broker already holds the same objects. When it holds one
/// with other arguments, the broker closes the channel with 406 PRECONDITION_FAILED; that
/// becomes a `TopologyMismatchError`, which no reconnect can fix.
struct TopologyDeclarer {
    let channel: Channel

    func declare(_ topology: Topology) throws {
        try Self.validate(topology)

        for exchange in topology.exchanges {
            try mappingMismatch(object: "exchange '\(exchange.name)'") {
                try channel.declareExchange(
                    exchange.name, type: exchange.type.rawValue, durable: exchange.durable,
                    autoDelete: exchange.autoDelete, internal: exchange.isInternal,
                    arguments: FieldTable(exchange.arguments))
            }
        }
        for queue in topology.queues {
            try mappingMismatch(object: "queue '\(queue.name)'") {
                try channel.declareQueue(
                    queue.name, durable: queue.durable, autoDelete: queue.autoDelete,
                    arguments: FieldTable(queue.arguments))
            }
        }
        for binding in topology.bindings where binding.destinationType == .queue {
            try channel.bindQueue(
                binding.destination, exchange: binding.source, routingKey: binding.routingKey,
                arguments: FieldTable(binding.arguments))
        }
    }

    /// Rejects, before connecting, a topology that RabbitMQ would refuse or that cannot keep
    /// messages: quorum queues must be durable and must not auto-delete.
    static func validate(_ topology: Topology) throws {
        for queue in topology.queues where queue.arguments["x-queue-type"] == .string("quorum") {
            if !queue.durable || queue.autoDelete {
                throw TopologyMismatchError(
                    object: "queue '\(queue.name)'",
                    reason: "a quorum queue must be durable and must not auto-delete; fix the topology")
            }
        }
    }

    private func mappingMismatch(object: String, _ declare: () throws -> Void) throws {
        do {
            try declare()
        } catch let error as AMQPError where error.replyCode == 406 {
            throw TopologyMismatchError(
                object: object,
                reason: "\(error.replyText ?? "PRECONDITION_FAILED"). Delete or migrate it (for example with 'rabbitmqctl delete_queue') or align queues/definitions.json, then start again")
        }
    }
}

/// The broker holds an exchange or queue declared with other arguments than Tally's topology,
/// or the topology itself cannot work.
public struct TopologyMismatchError: Error, CustomStringConvertible {
    public let object: String
    public let reason: String

    public var description: String {
        "\(object) conflicts with Tally's topology: \(reason)"
    }
}

extension FieldTable {
    init(_ arguments: [String: Topology.ArgumentValue]) {
        self.init()
        for (key, value) in arguments.sorted(by: { $0.key < $1.key }) {
            switch value {
            case .string(let text): self[key] = .string(text)
            case .int(let number): self[key] = .int64(number)
            case .bool(let flag): self[key] = .bool(flag)
            }
        }
    }
}
