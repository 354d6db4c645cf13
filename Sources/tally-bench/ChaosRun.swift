import AMQPClient
import Foundation
import SQLite
import TallyCore
import TallyLoad
import TallyStore

/// The faults a chaos round can inject.
enum ChaosFault: String, CaseIterable, Sendable {
    /// SIGKILL of one worker at a random instant while commands flow.
    case sigkill
    /// SIGTERM of one worker in the middle of a batch; it must stop gracefully with status 0.
    case sigterm
    /// `ops/broker restart` while commands flow.
    case brokerRestart = "broker-restart"
    /// A memory alarm (high watermark 0) while results are being published.
    case memoryAlarm = "memory-alarm"
    /// Billing's queue unbound from the results exchange while results flow.
    case unbind
    /// The broker closes a channel whose deliveries stayed unacked past its consumer timeout.
    case consumerTimeout = "consumer-timeout"
    /// Another connection holds the database's write lock for longer than the AMQP heartbeat.
    case lock

    /// Whether the fault needs `ops/broker` control of the node (restart, alarms, settings).
    var needsBrokerControl: Bool {
        self == .brokerRestart || self == .memoryAlarm || self == .consumerTimeout
    }
}

/// The settings of one chaos run.
struct ChaosSettings {
    var amqpURL: AMQPURL
    var workerExecutable: URL
    var folder: URL
    var workers: Int
    var commandsPerRound: Int
    var schedule: [(fault: ChaosFault, rounds: Int)]
    var seed: UInt64
    var customers: Int
    var heartbeat: Int
    var settleTimeout: Duration
    /// `ops/broker` and the node's port, for the faults that need them.
    var brokerScript: URL?
    var brokerPort: Int?
}

/// Runs the rounds: generates each round's commands, injects the round's fault while they
/// flow, waits until everything is processed and delivered, and checks the invariants.
final class ChaosRun {
    let settings: ChaosSettings
    let runID: String
    let store: Store
    let pool: ChaosWorkerPool
    let observer: ChaosObserver
    let invariants: ChaosInvariants
    let universe: WorkloadUniverse
    var expectations = ChaosExpectations()
    var random: SplitMix64
    var violations: [String] = []
    var faultsInjected: [ChaosFault: Int] = [:]
    /// Facts seen while faults were active, such as "unroutable results kept": counts by name.
    var observations: [String: Int] = [:]

    init(settings: ChaosSettings) throws {
        self.settings = settings
        runID = "chaos\(Int(Date().timeIntervalSince1970))"
        random = SplitMix64(seed: settings.seed)
        try FileManager.default.createDirectory(at: settings.folder, withIntermediateDirectories: true)
        let databasePath = settings.folder.appendingPathComponent("tally.sqlite").path
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: databasePath + suffix)
        }

        store = try Store(path: databasePath)
        try Self.purgeQueues(settings.amqpURL)
        let document = CustomerDataSets.demo(synthetic: settings.customers, seed: settings.seed, now: Date())
        _ = try store.importCustomerData(from: try document.jsonData())
        universe = Self.universeOfActiveCustomers(document)
        invariants = ChaosInvariants(store: store, runID: runID)

        pool = try ChaosWorkerPool(settings: .init(
            executable: settings.workerExecutable, amqpURL: settings.amqpURL, databasePath: databasePath,
            logFolder: settings.folder,
            arguments: ["--heartbeat", String(settings.heartbeat), "--confirm-timeout", "1", "--log-format", "logfmt"]),
            count: settings.workers)
        observer = ChaosObserver(url: settings.amqpURL)
    }

    /// Empties the topology's queues, so that messages of an earlier run on the same virtual
    /// host do not count against this one. A queue that does not exist yet is skipped.
    static func purgeQueues(_ url: AMQPURL) throws {
        let connection = try Connection(ConnectionOptions(url: url))
        defer { connection.close() }
        for queue in Topology.standard.queues {
            let channel = try connection.openChannel()
            _ = try? channel.purgeQueue(queue.name)
            try? channel.close()
        }
    }

    /// The customers whose every contract is active now, so that every issue is accepted. A
    /// follow-up of a rejected issue is retried through the delay queues for 36 s before its
    /// final rejection, which would make every round last that long.
    static func universeOfActiveCustomers(_ document: CustomerDataDocument) -> WorkloadUniverse {
        let now = Date()
        var inactive: Set<String> = []
        var withContracts: Set<String> = []
        for contract in document.contracts {
            withContracts.insert(contract.customerID)
            let endOfGrace = contract.endsAt.addingTimeInterval(Double(contract.graceDays) * 86_400 - 86_400)
            if contract.startsAt > now || endOfGrace <= now {
                inactive.insert(contract.customerID)
            }
        }
        var universe = WorkloadUniverse(document)
        universe.customers.removeAll { !withContracts.contains($0.id) || inactive.contains($0.id) || $0.contactIDs.isEmpty }
        return universe
    }

    /// Returns the faults in run order: the schedule's rounds, shuffled with the seed.
    func plannedRounds() -> [ChaosFault] {
        var rounds = settings.schedule.flatMap { Array(repeating: $0.fault, count: $0.rounds) }
        var shuffler = SplitMix64(seed: settings.seed)
        for index in rounds.indices.reversed() where index > 0 {
            rounds.swapAt(index, shuffler.next(below: index + 1))
        }
        return rounds
    }

    /// Runs every round and returns the number of violations.
    func run(log: (String) -> Void) throws -> Int {
        waitForWorkers()
        let rounds = plannedRounds()
        for (index, fault) in rounds.enumerated() {
            let start = ContinuousClock.now
            let roundViolations = try runRound(index + 1, fault: fault)
            violations += roundViolations.map { "round \(index + 1) (\(fault.rawValue)): \($0)" }
            let elapsed = (ContinuousClock.now - start).components.seconds
            let status = roundViolations.isEmpty ? "ok" : "\(roundViolations.count) violations"
            log("round \(index + 1)/\(rounds.count) \(fault.rawValue): \(expectations.published) commands so far, \(elapsed) s, \(status)")
            for line in roundViolations.prefix(10) {
                log("  violation: \(line)")
            }
        }
        return violations.count
    }

    private func waitForWorkers() {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let heartbeats = (try? store.read { try $0.heartbeats() }) ?? []
            if heartbeats.filter({ $0.state == "consuming" }).count >= settings.workers { return }
            observer.poll(for: .milliseconds(200))
        }
    }

    func runRound(_ round: Int, fault: ChaosFault) throws -> [String] {
        var options = WorkloadOptions(commands: settings.commandsPerRound, seed: settings.seed &+ UInt64(round), runID: "\(runID)-r\(round)")
        options.firstIssueID = Int64(round) * 1_000_000 + 1
        // Redeems of an issue that was never accepted wait 36 s in the delay queues before their
        // final rejection. Without them, a round settles in seconds.
        options.earlyRedeemShare = 0
        options.invalidIssueShare = 0
        let commands = WorkloadGenerator.generate(options, universe: universe)
        expectations.add(commands)

        var roundViolations = try inject(fault, commands: commands)
        faultsInjected[fault, default: 0] += 1

        let deadline = ContinuousClock.now + settings.settleTimeout
        while try !invariants.isSettled(expectations, observer), ContinuousClock.now < deadline {
            observer.poll(for: .milliseconds(250))
            roundViolations += restartExitedWorkers()
        }
        observer.poll(for: .milliseconds(100))
        roundViolations += try invariants.check(expectations, observer)
        return roundViolations
    }

    /// Restarts workers that exited although no fault stopped them, and returns a violation
    /// for each.
    private func restartExitedWorkers() -> [String] {
        var found: [String] = []
        for (slot, status) in pool.exited {
            found.append("worker \(ChaosWorkerPool.workerID(slot: slot)) exited with status \(status) on its own")
            try? pool.restart(slot: slot)
        }
        return found
    }

    // MARK: - Faults

    private func inject(_ fault: ChaosFault, commands: [PlannedCommand]) throws -> [String] {
        let slot = Int.random(in: 0..<pool.count, using: &random)
        switch fault {
        case .sigkill:
            try publish(commands)
            observer.poll(for: .milliseconds(Int.random(in: 0...400, using: &random)))
            pool.send(SIGKILL, to: slot, timeout: .seconds(10))
            try pool.restart(slot: slot)
            return []

        case .sigterm:
            try publish(commands)
            observer.poll(for: .milliseconds(Int.random(in: 20...300, using: &random)))
            let status = pool.send(SIGTERM, to: slot, timeout: .seconds(40))
            try pool.restart(slot: slot)
            return status == 0 ? [] : ["worker \(ChaosWorkerPool.workerID(slot: slot)) stopped with status \(status.map(String.init) ?? "none, still running after 40 s") after SIGTERM, expected 0"]

        case .brokerRestart:
            let half = commands.count / 2
            try publish(Array(commands[..<half]))
            observer.poll(for: .milliseconds(Int.random(in: 0...300, using: &random)))
            try broker(["restart", "--quiet"])
            try publish(Array(commands[half...]))
            return []

        case .memoryAlarm:
            return try memoryAlarm(commands)

        case .unbind:
            return try unbind(commands)

        case .consumerTimeout:
            return try consumerTimeout(commands)

        case .lock:
            try holdWriteLock(for: .seconds(2 * settings.heartbeat + 1)) {
                try publish(commands)
            }
            return []
        }
    }

    /// Stops the workers, queues the round, raises the alarm, starts the workers: their results
    /// cannot be published, so no command of the round may be acked until the alarm clears.
    private func memoryAlarm(_ commands: [PlannedCommand]) throws -> [String] {
        var found: [String] = []
        pool.stopAll(timeout: .seconds(30))
        try publish(commands)
        let queued = try queueDepth(Topology.commandQueue)
        try ctl(["set_vm_memory_high_watermark", "0"])
        defer { _ = try? ctl(["set_vm_memory_high_watermark", "0.4"]) }
        try pool.restartAll()

        let alarmEnds = ContinuousClock.now + .seconds(6)
        var sawBlocked = false
        while ContinuousClock.now < alarmEnds {
            observer.poll(for: .milliseconds(500))
            let states = try store.read { try $0.heartbeats() }.map(\.state)
            sawBlocked = sawBlocked || states.contains("blocked")
        }
        let queuedAtEnd = try queueDepth(Topology.commandQueue)
        if queuedAtEnd < queued {
            found.append("\(queued - queuedAtEnd) commands left the command queue while the broker blocked publishing")
        }
        if !sawBlocked {
            found.append("no worker reported itself blocked during the memory alarm")
        }
        return found
    }

    /// Unbinds billing's queue while results flow, then binds it again; the results returned
    /// as unroutable must stay in the outbox and reach billing later.
    private func unbind(_ commands: [PlannedCommand]) throws -> [String] {
        let keys = [ResultKind.incidentRedeemed.rawValue, ResultKind.incidentUnredeemed.rawValue]
        try withChannel { channel in
            for key in keys {
                try channel.unbindQueue(Topology.billingExampleQueue, exchange: Topology.resultExchange, routingKey: key)
            }
        }
        try publish(commands)
        observer.poll(for: .seconds(3))
        let kept = try store.read { _ in
            try store.database.queryFirst("SELECT count(*) FROM outbox WHERE last_error LIKE 'returned unroutable%'")?.get(0, as: Int.self) ?? 0
        }
        observations["results returned unroutable and kept", default: 0] += kept
        try withChannel { channel in
            for key in keys {
                try channel.bindQueue(Topology.billingExampleQueue, exchange: Topology.resultExchange, routingKey: key)
            }
        }
        return []
    }

    /// Shortens the broker's consumer timeout for new channels, restarts the workers so their
    /// channels take it, and holds the database lock past it, so deliveries stay unacked.
    private func consumerTimeout(_ commands: [PlannedCommand]) throws -> [String] {
        // A channel reads both settings when it opens, and checks the timeout on each tick
        // (every 60 s by default in RabbitMQ 3.10).
        try ctl(["eval", "application:set_env(rabbit, consumer_timeout, 2000), application:set_env(rabbit, channel_tick_interval, 1000)."])
        defer { _ = try? ctl(["eval", "application:set_env(rabbit, consumer_timeout, 1800000), application:set_env(rabbit, channel_tick_interval, 60000)."]) }
        try pool.restartAll()
        waitForWorkers()
        let closesBefore = consumerTimeoutCloses()

        try holdWriteLock(for: .seconds(12)) {
            try publish(commands)
        }
        observer.poll(for: .seconds(2))
        observations["channels closed by the consumer timeout", default: 0] += consumerTimeoutCloses() - closesBefore
        return []
    }

    private func consumerTimeoutCloses() -> Int {
        (0..<pool.count).reduce(0) { total, slot in
            let log = (try? String(contentsOf: pool.logURL(slot: slot), encoding: .utf8)) ?? ""
            return total + log.components(separatedBy: "acknowledgement").count - 1
        }
    }

    /// Holds a write transaction (BEGIN IMMEDIATE) on the database for `duration`, as another
    /// process's writer would, and runs `body` (which publishes the round) while holding it, so
    /// the workers receive deliveries they cannot write. Reading the broker waits meanwhile.
    private func holdWriteLock(for duration: Duration, while body: () throws -> Void) throws {
        let start = ContinuousClock.now
        try store.write { _ in
            try body()
            let remaining = duration - (ContinuousClock.now - start)
            if remaining > .zero {
                Thread.sleep(forTimeInterval: remaining.chaosSeconds)
            }
        }
        observations["write locks held", default: 0] += 1
    }

    // MARK: - Broker access

    /// Publishes like the tracker: commands the broker nacks or returns (a quorum queue
    /// without a leader yet, after a restart) are published again, and a failed connection is
    /// opened again. A command published twice is a duplicate, which the inbox absorbs.
    private func publish(_ commands: [PlannedCommand]) throws {
        var lastProblem = "no attempt"
        for _ in 0..<30 {
            do {
                let publisher = try TrackerPublisher(url: settings.amqpURL, connectionName: "tally chaos tracker")
                defer { publisher.close() }
                let failures = try publisher.publish(commands)
                if failures == 0 { return }
                observations["publishes of a round repeated after broker nacks or returns", default: 0] += 1
                lastProblem = "the broker nacked or returned \(failures) commands"
            } catch {
                lastProblem = "\(error)"
            }
            observer.poll(for: .seconds(1))
        }
        throw ChaosError(message: "cannot publish the round's commands: \(lastProblem)")
    }

    private func withChannel(_ body: (Channel) throws -> Void) throws {
        let connection = try Connection(ConnectionOptions(url: settings.amqpURL))
        defer { connection.close() }
        try body(try connection.openChannel())
    }

    private func queueDepth(_ queue: String) throws -> Int {
        let output = try ctl(["list_queues", "-p", settings.amqpURL.virtualHost, "-q", "--no-table-headers", "name", "messages"])
        for line in output.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            if fields.count == 2, fields[0] == queue, let count = Int(fields[1]) {
                return count
            }
        }
        throw ChaosError(message: "rabbitmqctl list_queues did not list \(queue): \(output)")
    }

    @discardableResult
    private func ctl(_ arguments: [String]) throws -> String {
        try broker(["ctl", "--"] + arguments)
    }

    @discardableResult
    private func broker(_ arguments: [String]) throws -> String {
        guard let script = settings.brokerScript, let port = settings.brokerPort else {
            throw ChaosError(message: "this fault needs --broker-port: the node must be one that ops/broker runs")
        }
        // The output goes to a file, not a pipe: a node that `restart` starts inherits the
        // descriptor and keeps it open, so a pipe would never reach its end.
        let outputURL = settings.folder.appendingPathComponent("broker-command.out")
        var fullArguments = arguments
        fullArguments.insert(contentsOf: ["--port", String(port)], at: 1)
        let status = try spawnAndWait(script.path, fullArguments, outputPath: outputURL.path)
        let text = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw ChaosError(message: "ops/broker \(arguments.joined(separator: " ")) failed with status \(status): \(text)")
        }
        return text
    }
}

/// Runs `path` with `arguments`, its output in the file at `outputPath`, and waits for its
/// exit status. Uses posix_spawn and waitpid directly: Foundation's `Process` has missed the
/// exit of `ops/broker restart`, whose node keeps running in the background, and left it a
/// zombie.
func spawnAndWait(_ path: String, _ arguments: [String], outputPath: String) throws -> Int32 {
    var fileActions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&fileActions)
    defer { posix_spawn_file_actions_destroy(&fileActions) }
    posix_spawn_file_actions_addopen(&fileActions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&fileActions, 1, 2)

    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, path, &fileActions, nil, argv, environ)
    guard spawned == 0 else {
        throw ChaosError(message: "cannot start \(path): \(String(cString: strerror(spawned)))")
    }

    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1, errno == EINTR {}
    // The exit code is in bits 8 to 15 when the process exited normally (low 7 bits zero).
    return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}
