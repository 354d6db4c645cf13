import Foundation
import TallyCore

/// The health of Tally as `status --check` judges it.
struct HealthReport: Encodable, Sendable {
    enum Level: String, Encodable, Sendable, Comparable {
        case ok
        case warning
        case critical

        static func < (a: Level, b: Level) -> Bool {
            a.rank < b.rank
        }

        private var rank: Int {
            switch self {
            case .ok: 0
            case .warning: 1
            case .critical: 2
            }
        }

        /// The exit code of `status --check`: 0, 1 or 2.
        var exitCode: Int32 {
            switch self {
            case .ok: TallyctlExitCode.success
            case .warning: TallyctlExitCode.failure
            case .critical: TallyctlExitCode.critical
            }
        }
    }

    struct Finding: Encodable, Sendable {
        var level: Level
        var message: String
    }

    var level: Level
    var findings: [Finding]
}

/// The limits of `status --check`, each settable by an option.
struct HealthThresholds: Sendable {
    /// A worker whose last sign of life is older than this is stale.
    var staleAfter: Duration = .seconds(60)
    /// Warning at this many dead letters or more.
    var warningDeadLetters = 1
    /// Warning when the oldest outbox row is older than this.
    var warningOutboxAge: Duration = .seconds(60)
    /// Warning, then critical, at this many ready commands or more.
    var warningCommandsReady = 1_000
    var criticalCommandsReady = 10_000
}

enum HealthCheck {
    /// Judges a report. Critical: broker or database unusable, no live worker, too many ready
    /// commands. Warning: dead letters, an old outbox row, a stale worker, a missing queue,
    /// result routing keys that no queue takes, many ready commands.
    static func evaluate(
        broker: BrokerStatus, queues: [QueueStatus], deadLetters: DeadLetterSummary?,
        database: DatabaseStatus, unroutedResultKeys: [String]? = nil, exampleQueuesDeclared: Bool = true,
        thresholds: HealthThresholds
    ) -> HealthReport {
        var findings: [HealthReport.Finding] = []
        func add(_ level: HealthReport.Level, _ message: String) {
            findings.append(.init(level: level, message: message))
        }

        if let error = broker.error {
            add(.critical, "broker unusable: \(error)")
        }
        if let error = database.error {
            add(.critical, "database unusable: \(error)")
        }

        for queue in queues where !queue.exists {
            // A missing example queue matters only for the results that then reach no queue,
            // which the next finding names when the bindings are known.
            if Topology.exampleQueues.contains(queue.name), unroutedResultKeys != nil {
                continue
            }
            add(.warning, "queue \(queue.name) does not exist; run 'tallyctl topology apply' or start a worker")
        }
        if let unrouted = unroutedResultKeys, !unrouted.isEmpty {
            let fix = exampleQueuesDeclared
                ? "until billing or the tracker binds a queue for them, or 'tallyctl topology apply' declares the example queues"
                : "until billing and the tracker bind queues of their own for them (see 'Binding your own queue' in docs/INTEGRATION.md)"
            add(.warning, "no queue is bound to tally.results for \(unrouted.joined(separator: ", ")): the worker keeps those results in its outbox \(fix)")
        }
        if let commands = queues.first(where: { $0.name == Topology.commandQueue }), let ready = commands.ready {
            if ready >= thresholds.criticalCommandsReady {
                add(.critical, "\(Format.count(ready)) commands ready in \(commands.name) (critical at \(Format.count(thresholds.criticalCommandsReady)))")
            } else if ready >= thresholds.warningCommandsReady {
                add(.warning, "\(Format.count(ready)) commands ready in \(commands.name) (warning at \(Format.count(thresholds.warningCommandsReady)))")
            }
        }

        if let deadLetters, deadLetters.total >= thresholds.warningDeadLetters, deadLetters.total > 0 {
            add(.warning, "\(Format.count(deadLetters.total)) dead letters in \(Topology.deadLetterQueue); see 'tallyctl dead list'")
        }

        if database.error == nil {
            if let age = database.outboxOldestAgeSeconds, age > thresholds.warningOutboxAge.inSeconds {
                add(.warning, "the oldest outbox entry waits for \(Format.age(age)) (warning after \(Format.age(thresholds.warningOutboxAge.inSeconds))): results are not being published; check the worker logs for unroutable or nacked results")
            }
            let alive = database.workers.filter { $0.liveness == "alive" }
            for worker in database.workers where worker.liveness == "stale" {
                add(.warning, "worker \(worker.workerID) on \(worker.host) is stale: last activity \(Format.age(worker.lastActivityAgeSeconds)) ago")
            }
            if alive.isEmpty {
                add(.critical, "no live worker: no heartbeat shows a worker consuming or active within \(Format.age(thresholds.staleAfter.inSeconds))")
            }
        }

        let level = findings.map(\.level).max() ?? .ok
        return HealthReport(level: level, findings: findings)
    }
}
