#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AMQPClient
import Foundation
import TallyStore

/// Gathers a `StatusReport` from the broker (management API, else AMQP passive declares) and
/// the database. It never changes anything: dead letters read to count reasons go back to
/// their queue when the channel closes.
struct StatusCollector {
    var broker: BrokerSettings
    var database: DatabaseSettings
    var thresholds: HealthThresholds
    /// The maximum number of dead letters read to count reasons.
    var deadLetterSample = 1_000
    /// False when the workers run with `--no-example-queues`: the example consumer queues are
    /// then neither expected nor offered as a fix.
    var exampleQueuesDeclared = true

    /// The figures that only the management API provides.
    static let managementOnlyFigures = [
        "unacknowledged", "publish_rate", "deliver_rate", "ack_rate", "consumer_names", "result_bindings",
    ]

    func collect() -> StatusReport {
        let now = Date()
        var brokerStatus = BrokerStatus(
            source: "management", address: "\(broker.url.user)@\(broker.url.host):\(broker.url.port)",
            virtualHost: broker.url.virtualHost, managementProblem: nil, missingFigures: [], error: nil)

        // The management API first: its failure only narrows the figures.
        var managementQueues: [String: [String: Any]]?
        var resultQueueNames: [String]?
        var resultBindings: [[String: Any]]?
        var consumerConnectionNames: Set<String>?
        if let base = broker.managementURL {
            let client = ManagementClient(
                baseURL: base, user: broker.url.user, password: broker.url.password, virtualHost: broker.url.virtualHost)
            do {
                let queues = try client.queues()
                managementQueues = Dictionary(queues.compactMap { queue in queue.string("name").map { ($0, queue) } }) { first, _ in first }
                let bindings = try client.bindings(fromExchange: Topology.resultExchange)
                resultBindings = bindings
                resultQueueNames = bindings
                    .filter { $0.string("destination_type") == "queue" }
                    .compactMap { $0.string("destination") }
                consumerConnectionNames = Set(try client.consumers().compactMap { consumer in
                    (consumer["channel_details"] as? [String: Any])?.string("connection_name")
                })
            } catch {
                managementQueues = nil
                resultQueueNames = nil
                resultBindings = nil
                consumerConnectionNames = nil
                brokerStatus.managementProblem = "\(error)"
            }
        }
        if managementQueues == nil {
            brokerStatus.source = "amqp"
            brokerStatus.missingFigures = Self.managementOnlyFigures
            if brokerStatus.managementProblem == nil {
                brokerStatus.managementProblem = "no management URL given"
            }
        }

        var queues: [QueueStatus] = []
        var deadLetters: DeadLetterSummary?
        do {
            let connection = try BrokerAccess.connect(broker, command: "status")
            defer { connection.close() }
            let names = Self.queueNames(resultQueues: resultQueueNames, exampleQueuesDeclared: exampleQueuesDeclared)
            // Ready and consumer counts come from passive declares, which are exact. The
            // management API's counts are samples up to 5 s old (its default statistics
            // interval), so it only adds what AMQP cannot give.
            for (name, role) in names {
                var queue = try Self.passiveQueueStatus(name: name, role: role, connection: connection)
                if !queue.exists, Self.isOptional(name, boundResultQueues: resultQueueNames, exampleQueuesDeclared: exampleQueuesDeclared) {
                    continue
                }
                if let managementQueues, queue.exists {
                    let sampled = Self.queueStatus(name: name, role: role, from: managementQueues[name])
                    queue.unacknowledged = sampled.unacknowledged ?? 0
                    queue.publishRate = sampled.publishRate ?? 0
                    queue.deliverRate = sampled.deliverRate ?? 0
                    queue.ackRate = sampled.ackRate ?? 0
                }
                queues.append(queue)
            }
            if queues.contains(where: { $0.name == Topology.deadLetterQueue && $0.exists }) {
                deadLetters = try summarizeDeadLetters(connection)
            }
        } catch {
            let described = BrokerAccess.describe(error, broker)
            brokerStatus.source = "unavailable"
            brokerStatus.error = described.message
            queues = []
        }

        var databaseStatus = DatabaseStatus(path: database.path, workers: [])
        do {
            try readDatabase(into: &databaseStatus, now: now, consumers: consumerConnectionNames)
        } catch {
            databaseStatus.error = (error as? TallyctlError)?.message ?? "\(error)"
        }

        let unrouted = resultBindings.map(Self.unroutedResultKeys)
        let health = HealthCheck.evaluate(
            broker: brokerStatus, queues: queues, deadLetters: deadLetters, database: databaseStatus,
            unroutedResultKeys: unrouted, exampleQueuesDeclared: exampleQueuesDeclared, thresholds: thresholds)
        return StatusReport(
            generatedAt: now, broker: brokerStatus, queues: queues, unroutedResultKeys: unrouted,
            deadLetters: deadLetters, database: databaseStatus, health: health)
    }

    /// Returns the result routing keys that no binding of `tally.results` takes, in the order of
    /// `ResultKind`. The broker returns such results, and the worker keeps them in its outbox.
    /// A binding to another exchange counts as taking the keys it matches.
    static func unroutedResultKeys(_ bindings: [[String: Any]]) -> [String] {
        let patterns = bindings.compactMap { $0.string("routing_key") }.map(TopicPattern.init)
        return ResultKind.allCases.map(\.rawValue).filter { key in
            !patterns.contains { $0.matches(key) }
        }
    }

    /// Lists the queues to show with their roles: the command queue, the retry queues, the
    /// dead-letter queue and the queues bound to `tally.results` (from the broker when the
    /// management API responds), with the example consumer queues of the standard topology
    /// unless they are not declared.
    static func queueNames(resultQueues: [String]?, exampleQueuesDeclared: Bool = true) -> [(String, String)] {
        var names: [(String, String)] = [(Topology.commandQueue, "commands")]
        names += Topology.retryQueues.map { ($0.queue, "retry") }
        names.append((Topology.deadLetterQueue, "dead_letters"))
        let standardTopology = exampleQueuesDeclared ? Topology.standard : Topology.standard.withoutExampleQueues()
        let standardResults = standardTopology.bindings
            .filter { $0.source == Topology.resultExchange && $0.destinationType == .queue }
            .map(\.destination)
        var seen = Set<String>()
        for name in (resultQueues ?? []) + standardResults where seen.insert(name).inserted {
            names.append((name, "results"))
        }
        return names
    }

    /// Returns true for a missing queue that the report leaves out instead of reporting it.
    ///
    /// That is an example consumer queue when the workers do not declare them, or where billing
    /// or the tracker has bound a queue of its own to `tally.results`. Otherwise, or without the
    /// management API to list the bindings, a missing example queue may be the only route for
    /// results, so it is reported.
    static func isOptional(_ name: String, boundResultQueues: [String]?, exampleQueuesDeclared: Bool = true) -> Bool {
        guard Topology.exampleQueues.contains(name) else { return false }
        guard exampleQueuesDeclared else { return true }
        guard let bound = boundResultQueues else { return false }
        return bound.contains { !Topology.exampleQueues.contains($0) }
    }

    static func queueStatus(name: String, role: String, from json: [String: Any]?) -> QueueStatus {
        guard let json else {
            return QueueStatus(name: name, role: role, exists: false)
        }
        return QueueStatus(
            name: name, role: role, exists: true, ready: json.int("messages_ready") ?? 0,
            unacknowledged: json.int("messages_unacknowledged") ?? 0, consumers: json.int("consumers") ?? 0,
            publishRate: json.rate("publish") ?? 0, deliverRate: json.rate("deliver_get") ?? 0,
            ackRate: json.rate("ack") ?? 0)
    }

    /// Reads one queue with a passive declare on its own channel, because a missing queue
    /// closes the channel with 404.
    static func passiveQueueStatus(name: String, role: String, connection: Connection) throws -> QueueStatus {
        let channel = try connection.openChannel()
        defer { try? channel.close() }
        do {
            let ok = try channel.declareQueue(name, passive: true)
            return QueueStatus(
                name: name, role: role, exists: true, ready: Int(ok.messageCount), consumers: Int(ok.consumerCount))
        } catch let error as AMQPError where error.replyCode == 404 {
            return QueueStatus(name: name, role: role, exists: false)
        }
    }

    private func summarizeDeadLetters(_ connection: Connection) throws -> DeadLetterSummary {
        let queue = try DeadLetterQueue(connection: connection)
        defer { queue.close() }
        let total = try queue.count()
        let letters = try queue.read(limit: min(total, deadLetterSample))
        var byReason: [String: Int] = [:]
        for letter in letters {
            byReason[letter.reason, default: 0] += 1
        }
        return DeadLetterSummary(total: total, sampled: letters.count, byReason: byReason)
    }

    private func readDatabase(into status: inout DatabaseStatus, now: Date, consumers: Set<String>?) throws {
        let store = try DatabaseAccess.open(database)
        defer { store.close() }
        let (outbox, inbox, heartbeats) = try DatabaseAccess.mapping(path: database.path) {
            try store.read { transaction in
                (try transaction.outboxStatistics(), try transaction.inboxCount(), try transaction.heartbeats())
            }
        }
        status.outboxCount = outbox.count
        status.outboxOldestAgeSeconds = outbox.oldestCreatedAt.map { max(0, now.timeIntervalSince($0)) }
        status.inboxCount = inbox
        status.workers = heartbeats.map { liveness(of: $0, now: now, consumers: consumers) }
    }

    /// Judges one heartbeat. The heartbeat row changes its last activity only when the worker
    /// handles deliveries. So an idle worker also counts as alive when it has a consumer on the
    /// broker (seen through the management API), or when its process runs on this host.
    func liveness(of heartbeat: WorkerHeartbeat, now: Date, consumers: Set<String>?) -> WorkerStatus {
        let age = max(0, now.timeIntervalSince(heartbeat.lastActivityAt))
        let heartbeatAge = heartbeat.recordedAt.map { max(0, now.timeIntervalSince($0)) } ?? age
        var liveness = "stale"
        var evidence: String?
        if heartbeat.state == "stopped" {
            liveness = "stopped"
        } else if consumers?.contains("tally-worker \(heartbeat.workerID)") == true {
            liveness = "alive"
            evidence = "consumer"
        } else if heartbeat.host == ProcessInfo.processInfo.hostName, heartbeat.pid > 0, kill(heartbeat.pid, 0) == 0 || errno == EPERM {
            liveness = "alive"
            evidence = "process"
        } else if heartbeatAge <= thresholds.staleAfter.inSeconds {
            liveness = "alive"
            evidence = heartbeat.recordedAt == nil ? "activity" : "heartbeat"
        }
        return WorkerStatus(
            workerID: heartbeat.workerID, host: heartbeat.host, pid: heartbeat.pid, state: heartbeat.state,
            liveness: liveness, evidence: evidence, startedAt: heartbeat.startedAt,
            lastActivityAt: heartbeat.lastActivityAt, lastActivityAgeSeconds: age, counters: heartbeat.counters)
    }
}
