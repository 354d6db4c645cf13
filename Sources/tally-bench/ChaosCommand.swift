import AMQPClient
import Foundation
import TallyStore
import TallySupport

/// A failure of a chaos command: one line, exit 1.
struct ChaosError: CommandError {
    let message: String
}

/// The rounds of each fault when `--fault` is not given.
let defaultChaosSchedule = [
    "sigkill=100", "sigterm=20", "broker-restart=10", "memory-alarm=5", "unbind=5", "consumer-timeout=3", "lock=5",
]

let chaosRun = CommandSpec(
    name: "run",
    abstract: "Inject faults into a pool of workers, round after round, and check Tally's invariants after each.",
    discussion: """
        Each round publishes a realistic stream of commands (duplicates and malformed ones included), injects one fault while they flow, waits until every command has its outcome, and checks: every command has exactly one outcome (one distinct result id), every redeem and un-redeem is in the ledger once and reached billing with one result id, no quota is overdrawn, the ledger matches the used counts, dead letters are only for malformed commands, and the outbox is empty. Prints one line per round and a summary; exits 1 on any violation.

        Faults: sigkill, sigterm, broker-restart, memory-alarm, unbind, consumer-timeout, lock. broker-restart, memory-alarm and consumer-timeout change the whole node, so they need --broker-port and a node of the run's own.
        """,
    options: [
        amqpURLOption,
        .option("work-dir", valueName: "path", help: "Folder for the database and the worker logs; its database is replaced.", required: true, as: String.self),
        .option("worker", valueName: "path", help: "The tally-worker executable. Default: the one beside tally-bench.", as: String.self),
        .option("workers", valueName: "count", help: "Workers in the pool.", default: 3, in: 1...32),
        .option("commands", valueName: "count", help: "Commands published per round.", default: 200, in: 2...100_000),
        .repeating("fault", valueName: "name=rounds", help: "A fault and its number of rounds; repeat for several. Rounds run in a shuffled order.", default: defaultChaosSchedule, as: String.self),
        .option("seed", help: "Seed of the commands and of the fault order and timing.", default: 7, in: 0...Int.max),
        .option("customers", valueName: "count", help: "Synthetic customers besides the three example ones.", default: 300, in: 0...100_000),
        .option("heartbeat", valueName: "seconds", help: "The workers' AMQP heartbeat interval; the lock fault holds the database for twice this plus one second.", default: 5, in: 1...60),
        .option("settle-timeout", valueName: "seconds", help: "Maximum wait per round for every outcome to arrive.", default: Duration.seconds(120)),
        .option("broker-port", valueName: "port", help: "The AMQP port of the node that ops/broker runs, for the faults that restart or reconfigure it.", in: 1024...45535, as: Int.self),
        .option("broker-script", valueName: "path", help: "The ops/broker script.", default: "ops/broker", as: String.self),
    ],
    run: { parsed in
        let settings = try chaosSettings(parsed)
        let started = ContinuousClock.now
        let chaos = try ChaosRun(settings: settings)
        let header = "Chaos run \(chaos.runID): \(settings.workers) workers, \(settings.commandsPerRound) commands a round, \(chaos.plannedRounds().count) rounds; logs in \(settings.folder.path).\n"
        FileHandle.standardOutput.write(Data(header.utf8))

        let violations = try chaos.run { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        chaos.pool.stopAll(timeout: .seconds(30))
        chaos.observer.close()

        print("")
        print(chaos.summary(elapsed: ContinuousClock.now - started))
        if violations > 0 {
            print("Violations:")
            for line in chaos.violations {
                print("  \(line)")
            }
            throw ChaosError(message: "\(violations) invariant violations; see above and the worker logs in \(settings.folder.path)")
        }
        return 0
    })

func chaosSettings(_ parsed: ParsedCommand) throws -> ChaosSettings {
    var schedule: [(fault: ChaosFault, rounds: Int)] = []
    for entry in parsed.values("fault", as: String.self) {
        let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let fault = ChaosFault(rawValue: parts[0]), let rounds = Int(parts[1]), rounds >= 0 else {
            throw UsageError("invalid value '\(entry)' for '--fault <name=rounds>': expected a fault (\(ChaosFault.allCases.map(\.rawValue).joined(separator: ", "))), '=' and a number of rounds")
        }
        schedule.append((fault, rounds))
    }

    let brokerPort = parsed.value("broker-port", as: Int.self)
    if brokerPort == nil, let fault = schedule.first(where: { $0.fault.needsBrokerControl && $0.rounds > 0 }) {
        throw UsageError("the fault '\(fault.fault.rawValue)' needs '--broker-port <port>' of a node that ops/broker runs")
    }

    let workerPath = parsed.value("worker", as: String.self)
        ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tally-worker").path
    return ChaosSettings(
        amqpURL: try amqpURL(parsed),
        workerExecutable: URL(fileURLWithPath: workerPath),
        folder: URL(fileURLWithPath: parsed.value("work-dir", as: String.self) ?? "var/chaos"),
        workers: parsed.value("workers", as: Int.self) ?? 3,
        commandsPerRound: parsed.value("commands", as: Int.self) ?? 200,
        schedule: schedule,
        seed: UInt64(parsed.value("seed", as: Int.self) ?? 7),
        customers: parsed.value("customers", as: Int.self) ?? 300,
        heartbeat: parsed.value("heartbeat", as: Int.self) ?? 5,
        settleTimeout: parsed.value("settle-timeout", as: Duration.self) ?? .seconds(120),
        brokerScript: brokerPort == nil ? nil : URL(fileURLWithPath: parsed.value("broker-script", as: String.self) ?? "ops/broker"),
        brokerPort: brokerPort)
}

let chaosLock = CommandSpec(
    name: "lock",
    abstract: "Hold the database's write lock again and again, as another writing process would.",
    discussion: "Each cycle begins an IMMEDIATE transaction, records a heartbeat row for 'chaos-lock-writer', keeps the transaction open for --hold, commits, and pauses for --pause. Runs for --duration, or until SIGTERM.",
    options: [
        .option("database", valueName: "path", help: "The database file.", required: true, as: String.self),
        .option("hold", valueName: "seconds", help: "How long each transaction keeps the write lock.", default: Duration.milliseconds(300)),
        .option("pause", valueName: "seconds", help: "The pause between two transactions.", default: Duration.milliseconds(100)),
        .option("duration", valueName: "seconds", help: "How long to keep going.", default: Duration.seconds(3600)),
    ],
    run: { parsed in
        let path = parsed.value("database", as: String.self) ?? ""
        let hold = parsed.value("hold", as: Duration.self) ?? .milliseconds(300)
        let pause = parsed.value("pause", as: Duration.self) ?? .milliseconds(100)
        let deadline = ContinuousClock.now + (parsed.value("duration", as: Duration.self) ?? .seconds(3600))
        let cycles = try holdWriteLockRepeatedly(path: path, hold: hold, pause: pause, until: deadline)
        print("Held the write lock \(cycles) times.")
        return 0
    })

/// Takes and holds the write lock of the database at `path` until `deadline` or SIGTERM, and
/// returns the number of transactions.
func holdWriteLockRepeatedly(path: String, hold: Duration, pause: Duration, until deadline: ContinuousClock.Instant) throws -> Int {
    let store = try Store(path: path, busyTimeout: .seconds(60))
    defer { store.close() }

    var cycles = 0
    signal(SIGTERM) { _ in ChaosLockStop.requested = 1 }
    while ContinuousClock.now < deadline, ChaosLockStop.requested == 0 {
        try store.write { transaction in
            try transaction.recordHeartbeat(WorkerHeartbeat(
                workerID: "chaos-lock-writer", pid: ProcessInfo.processInfo.processIdentifier,
                host: ProcessInfo.processInfo.hostName, startedAt: Date(), lastActivityAt: Date(),
                state: "holding_lock", counters: ["cycles": cycles]))
            Thread.sleep(forTimeInterval: hold.chaosSeconds)
        }
        cycles += 1
        Thread.sleep(forTimeInterval: pause.chaosSeconds)
    }
    return cycles
}

/// Set by the lock command's SIGTERM handler; read between two transactions.
enum ChaosLockStop {
    nonisolated(unsafe) static var requested: sig_atomic_t = 0
}

let chaos = CommandSpec(
    name: "chaos",
    abstract: "Fault injection against running workers, with invariant checks.",
    subcommands: [chaosRun, chaosLock])

extension ChaosRun {
    /// Formats the figures of the run, for people and for docs/RELIABILITY.md.
    func summary(elapsed: Duration) -> String {
        var lines: [String] = []
        let rounds = faultsInjected.values.reduce(0, +)
        lines.append("Summary of chaos run \(runID)")
        lines.append("  rounds: \(rounds) in \(elapsed.components.seconds) s")
        for fault in ChaosFault.allCases where faultsInjected[fault] != nil {
            lines.append("    \(fault.rawValue): \(faultsInjected[fault] ?? 0)")
        }
        lines.append("  commands published: \(expectations.published) (\(expectations.decided.count) to decide, \(expectations.updates.count) updates, \(expectations.malformed.count + expectations.malformedWithoutID) malformed; the rest are duplicates)")
        lines.append("  results received: \(observer.results.count) distinct, \(observer.duplicateDeliveries) deliveries received again")
        lines.append("  dead letters: \(observer.deadLetters.count) distinct")
        lines.append("  worker restarts: \(pool.restarts); observer reconnects: \(observer.reconnects)")
        for (name, count) in observations.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(name): \(count)")
        }
        lines.append("  invariant checks: \(rounds) rounds x 6 checks; violations: \(violations.count)")
        return lines.joined(separator: "\n")
    }
}

extension Duration {
    var chaosSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
