/// The RabbitMQ exchanges, queues and bindings of message contract v1.
///
/// `queues/definitions.json` contains the same topology for `rabbitmqctl import_definitions`, and
/// the worker declares `Topology.standard` at start. A test keeps the two equal.
public struct Topology: Sendable, Equatable {
    public var exchanges: [Exchange]
    public var queues: [Queue]
    public var bindings: [Binding]

    public init(exchanges: [Exchange], queues: [Queue], bindings: [Binding]) {
        self.exchanges = exchanges
        self.queues = queues
        self.bindings = bindings
    }

    /// An argument value, typed as RabbitMQ stores it: `int` is a signed 64-bit AMQP field
    /// (`long`), which is what RabbitMQ stores for a JSON integer in a definitions file.
    public enum ArgumentValue: Sendable, Equatable, CustomStringConvertible {
        case string(String)
        case int(Int64)
        case bool(Bool)

        public var description: String {
            switch self {
            case .string(let text): "\"\(text)\""
            case .int(let number): String(number)
            case .bool(let flag): String(flag)
            }
        }
    }

    public enum ExchangeType: String, Sendable, Equatable {
        case direct, fanout, topic, headers
    }

    public struct Exchange: Sendable, Equatable {
        public var name: String
        public var type: ExchangeType
        public var durable: Bool
        public var autoDelete: Bool
        /// An internal exchange takes messages only from other exchanges, never from clients.
        public var isInternal: Bool
        public var arguments: [String: ArgumentValue]

        public init(name: String, type: ExchangeType, durable: Bool = true, autoDelete: Bool = false, isInternal: Bool = false, arguments: [String: ArgumentValue] = [:]) {
            self.name = name
            self.type = type
            self.durable = durable
            self.autoDelete = autoDelete
            self.isInternal = isInternal
            self.arguments = arguments
        }
    }

    public struct Queue: Sendable, Equatable {
        public var name: String
        public var durable: Bool
        public var autoDelete: Bool
        public var arguments: [String: ArgumentValue]

        public init(name: String, durable: Bool = true, autoDelete: Bool = false, arguments: [String: ArgumentValue] = [:]) {
            self.name = name
            self.durable = durable
            self.autoDelete = autoDelete
            self.arguments = arguments
        }
    }

    public enum DestinationType: String, Sendable, Equatable {
        case queue, exchange
    }

    public struct Binding: Sendable, Equatable {
        /// The exchange the binding routes from.
        public var source: String
        public var destination: String
        public var destinationType: DestinationType
        public var routingKey: String
        public var arguments: [String: ArgumentValue]

        public init(source: String, destination: String, destinationType: DestinationType = .queue, routingKey: String, arguments: [String: ArgumentValue] = [:]) {
            self.source = source
            self.destination = destination
            self.destinationType = destinationType
            self.routingKey = routingKey
            self.arguments = arguments
        }
    }

    /// A delay queue of the retry path.
    ///
    /// To retry a command after `delayMilliseconds`, publish it to `Topology.retryExchange`
    /// with the command's own routing key and the header `BCC` set to `[queue]`. The `BCC` key
    /// routes the message to the delay queue and is removed before it is stored. When the
    /// message expires, the queue dead-letters it to `tally.commands` with the routing keys it
    /// was published with, which do not include `BCC` keys, so it comes back as the same
    /// command type.
    public struct RetryQueue: Sendable, Equatable {
        public var queue: String
        public var delayMilliseconds: Int64

        public init(queue: String, delayMilliseconds: Int64) {
            self.queue = queue
            self.delayMilliseconds = delayMilliseconds
        }
    }
}

extension Topology {
    public static let commandExchange = "tally.commands"
    /// The alternate exchange of `tally.commands`: it takes commands whose routing key matches
    /// no binding and sends them to the command queue, so that the worker dead-letters them with
    /// reason `unknown_routing_key` instead of the broker dropping them.
    public static let unroutedCommandExchange = "tally.commands.unrouted"
    public static let resultExchange = "tally.results"
    public static let deadLetterExchange = "tally.dead"
    public static let retryExchange = "tally.retry"

    public static let commandQueue = "tally.commands"
    public static let deadLetterQueue = "tally.dead"
    /// The example consumer queue for billing, bound to the redemption results.
    public static let billingExampleQueue = "billing.redemptions"
    /// The example consumer queue for the tracker, bound to the other results.
    public static let trackerResultQueue = "tracker.results"
    /// The example consumer queues. Where billing and the tracker bind queues of their own,
    /// these would keep a copy of every result that no consumer reads: see `withoutExampleQueues()`.
    public static let exampleQueues: Set<String> = [billingExampleQueue, trackerResultQueue]

    /// Deliveries of one command before the quorum queue dead-letters it to `tally.dead`.
    public static let commandDeliveryLimit: Int64 = 5

    /// The delay queues, shortest delay first.
    public static let retryQueues: [RetryQueue] = [
        RetryQueue(queue: "tally.retry.1s", delayMilliseconds: 1_000),
        RetryQueue(queue: "tally.retry.5s", delayMilliseconds: 5_000),
        RetryQueue(queue: "tally.retry.30s", delayMilliseconds: 30_000),
    ]

    /// Picks the delay queue for a retry: the first retry waits 1 s, the second 5 s, every later
    /// one 30 s. `attempt` counts retries from 1.
    public static func retryQueue(forAttempt attempt: Int) -> RetryQueue {
        retryQueues[min(max(attempt, 1), retryQueues.count) - 1]
    }

    public static let standard: Topology = {
        // Quorum queues dead-letter at least once only with reject-publish overflow: the message
        // leaves the source queue after the dead-letter target has confirmed it.
        let atLeastOnceDeadLettering: [String: ArgumentValue] = [
            "x-dead-letter-strategy": .string("at-least-once"),
            "x-overflow": .string("reject-publish"),
        ]
        let quorum: [String: ArgumentValue] = ["x-queue-type": .string("quorum")]

        let exchanges = [
            Exchange(name: commandExchange, type: .topic, arguments: ["alternate-exchange": .string(unroutedCommandExchange)]),
            Exchange(name: unroutedCommandExchange, type: .fanout, isInternal: true),
            Exchange(name: resultExchange, type: .topic),
            Exchange(name: deadLetterExchange, type: .fanout),
            Exchange(name: retryExchange, type: .direct),
        ]

        var queues = [
            Queue(name: commandQueue, arguments: quorum.merging(atLeastOnceDeadLettering) { $1 }.merging([
                "x-delivery-limit": .int(commandDeliveryLimit),
                "x-dead-letter-exchange": .string(deadLetterExchange),
            ]) { $1 }),
            Queue(name: deadLetterQueue, arguments: quorum),
        ]
        for retry in retryQueues {
            queues.append(Queue(name: retry.queue, arguments: quorum.merging(atLeastOnceDeadLettering) { $1 }.merging([
                "x-message-ttl": .int(retry.delayMilliseconds),
                "x-dead-letter-exchange": .string(commandExchange),
            ]) { $1 }))
        }
        queues.append(Queue(name: billingExampleQueue, arguments: quorum))
        queues.append(Queue(name: trackerResultQueue, arguments: quorum))

        var bindings = CommandKind.allCases.map {
            Binding(source: commandExchange, destination: commandQueue, routingKey: $0.rawValue)
        }
        bindings.append(Binding(source: unroutedCommandExchange, destination: commandQueue, routingKey: ""))
        bindings.append(Binding(source: deadLetterExchange, destination: deadLetterQueue, routingKey: ""))
        for retry in retryQueues {
            bindings.append(Binding(source: retryExchange, destination: retry.queue, routingKey: retry.queue))
        }
        for kind in [ResultKind.incidentRedeemed, .incidentUnredeemed] {
            bindings.append(Binding(source: resultExchange, destination: billingExampleQueue, routingKey: kind.rawValue))
        }
        for key in ["issue.*", ResultKind.incidentRejected.rawValue, ResultKind.quotaLow.rawValue] {
            bindings.append(Binding(source: resultExchange, destination: trackerResultQueue, routingKey: key))
        }

        return Topology(exchanges: exchanges, queues: queues, bindings: bindings)
    }()
}

extension Topology {
    /// This topology without the example consumer queues and the bindings that lead to them.
    ///
    /// Results then reach only the queues that billing and the tracker bind themselves. Until
    /// they bind one, the broker returns each result as unroutable, and the worker keeps it in
    /// its outbox and publishes it again until a queue takes it.
    public func withoutExampleQueues() -> Topology {
        var topology = self
        topology.queues.removeAll { Self.exampleQueues.contains($0.name) }
        topology.bindings.removeAll { $0.destinationType == .queue && Self.exampleQueues.contains($0.destination) }
        return topology
    }
}
