import AMQPClient
import Foundation
import Synchronization
import TallyCore
import TallyLoad
import TallyStore
import TallySupport

/// A failure of a tally-bench command: one line, exit 1.
struct BenchError: CommandError {
    let message: String
}

let amqpURLOption = OptionSpec.option(
    "amqp-url", valueName: "url", help: "The broker: amqp://user:password@host:port/vhost.",
    default: "amqp://guest:guest@127.0.0.1:5672/%2F", environment: "TALLY_AMQP_URL", as: String.self)

func amqpURL(_ parsed: ParsedCommand) throws -> AMQPURL {
    do {
        return try AMQPURL(parsed.value("amqp-url", as: String.self) ?? "")
    } catch {
        throw UsageError("invalid value for '--amqp-url <url>': \(error)")
    }
}

let customers = CommandSpec(
    name: "customers",
    abstract: "Write the demo's customer data: Eventum's example customers and a synthetic set.",
    discussion: "Dates are relative to now, so that active, grace-period and expired contracts all occur. The same seed gives the same customers.",
    options: [
        .option("synthetic", valueName: "count", help: "How many synthetic customers to add.", default: 2000, in: 0...1_000_000),
        .option("seed", help: "Seed of the synthetic customers.", default: 42, in: 0...Int.max),
        .option("output", valueName: "path", help: "The JSON file to write.", required: true, as: String.self),
        .option("database", valueName: "path", help: "Also import the customers into this database, creating it if needed.", as: String.self),
    ],
    run: { parsed in
        let document = CustomerDataSets.demo(
            synthetic: parsed.value("synthetic", as: Int.self) ?? 2000,
            seed: UInt64(parsed.value("seed", as: Int.self) ?? 42), now: Date())
        let path = parsed.value("output", as: String.self) ?? ""
        do {
            try document.jsonData().write(to: URL(fileURLWithPath: path))
        } catch {
            throw BenchError(message: "cannot write \(path): \(error)")
        }
        print("Wrote \(document.customers.count) customers and \(document.contracts.count) contracts to \(path).")

        if let databasePath = parsed.value("database", as: String.self) {
            do {
                let store = try Store(path: databasePath)
                defer { store.close() }
                let report = try store.importCustomerData(from: try document.jsonData())
                print("Imported \(report.customers) customers and \(report.contracts) contracts into \(databasePath).")
            } catch {
                throw BenchError(message: "cannot import into \(databasePath): \(error)")
            }
        }
        return 0
    })

let tracker = CommandSpec(
    name: "tracker",
    abstract: "Publish a seeded, realistic stream of tracker commands to tally.commands.",
    discussion: "Issue creations, redeems (some exhausting quotas, some repeated), un-redeems, exact-set updates, duplicates and malformed commands, for the customers of a customer data file.",
    options: [
        amqpURLOption,
        .option("customers", valueName: "path", help: "The customer data file the commands refer to.", required: true, as: String.self),
        .option("commands", valueName: "count", help: "How many commands to publish.", default: 3000, in: 1...100_000_000),
        .option("seed", help: "Seed of the stream.", default: 42, in: 0...Int.max),
        .option("run-id", valueName: "id", help: "Prefix of the message ids; must differ between runs on one database.", required: true, as: String.self),
        .option("first-issue-id", valueName: "id", help: "Issue ids start here; must not overlap earlier runs on one database.", default: 1, in: 1...Int.max),
        .option("rate", valueName: "per-second", help: "Pace the publishes at this many commands per second instead of as fast as possible.", as: Double.self),
    ],
    run: { parsed in
        // The demo's mix: every follow-up of a rejected issue is kept.
        let commands = try workload(parsed, defaultCommands: 3000, rejectedFollowUpShare: 1)

        let publisher = try TrackerPublisher(url: try amqpURL(parsed))
        let start = ContinuousClock.now
        let failures = try publisher.publish(commands, ratePerSecond: parsed.value("rate", as: Double.self))
        let elapsed = ContinuousClock.now - start
        publisher.close()

        var byIntent: [String: Int] = [:]
        for command in commands {
            byIntent[command.intent.rawValue, default: 0] += 1
        }
        print("Published \(commands.count) commands in \(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1)))):")
        for (intent, count) in byIntent.sorted(by: { $0.key < $1.key }) {
            print("  \(intent.padding(toLength: 14, withPad: " ", startingAt: 0)) \(String(count).leftPadded(to: 7))")
        }
        if failures > 0 {
            throw BenchError(message: "the broker returned or nacked \(failures) commands")
        }
        return 0
    })

let collect = CommandSpec(
    name: "collect",
    abstract: "Consume a results queue as billing or the tracker would, and print a summary.",
    discussion: "Each result is kept once by its message id, however often the broker delivers it. Stops when the queues named by --until-empty are empty and no result arrived for --idle-timeout, or after --timeout.",
    options: [
        amqpURLOption,
        .option("queue", help: "The queue to consume.", required: true, as: String.self),
        .flag("billing", help: "Summarize as billing: incidents billed per customer."),
        .repeating("until-empty", valueName: "queue", help: "Keep collecting while this queue holds messages.", as: String.self),
        .option("idle-timeout", valueName: "seconds", help: "Stop after this long without a result.", default: Duration.seconds(5)),
        .option("timeout", valueName: "seconds", help: "Stop after this long in any case.", default: Duration.seconds(300)),
    ],
    run: { parsed in
        let url = try amqpURL(parsed)
        let queue = parsed.value("queue", as: String.self) ?? ""
        let watched = parsed.values("until-empty", as: String.self)
        let collector = try ResultCollector(url: url, queue: queue)
        let probe = try QueueProbe(url: url)

        let idle = parsed.value("idle-timeout", as: Duration.self) ?? .seconds(5)
        let deadline = ContinuousClock.now + (parsed.value("timeout", as: Duration.self) ?? .seconds(300))
        while ContinuousClock.now < deadline {
            try collector.collect(idleTimeout: idle, timeout: deadline - ContinuousClock.now)
            if try watched.allSatisfy({ try probe.readyCount(queue: $0) == 0 }) {
                break
            }
        }
        collector.close()

        print(ResultSummary(collector).render(billing: parsed.flag("billing")))
        return 0
    })

let preload = CommandSpec(
    name: "preload",
    abstract: "Publish a seeded workload to tally.commands, as fast as confirms allow, before a consumer starts.",
    discussion: "Each command carries its send time in the x-bench-sent-ns header. With --answers, writes the message ids that a worker run must answer, for 'measure --answers'.",
    options: [
        amqpURLOption,
        .option("customers", valueName: "path", help: "The customer data file the commands refer to.", required: true, as: String.self),
        .option("commands", valueName: "count", help: "How many commands to publish.", default: 100_000, in: 1...100_000_000),
        .option("seed", help: "Seed of the stream.", default: 42, in: 0...Int.max),
        .option("run-id", valueName: "id", help: "Prefix of the message ids; must differ between runs on one database.", required: true, as: String.self),
        .option("first-issue-id", valueName: "id", help: "Issue ids start here.", default: 1, in: 1...Int.max),
        .option("rejected-follow-ups", valueName: "share", help: "Share of follow-ups kept for issues expected to be rejected, from 0 to 1; the others become new issues.", default: 0.02, as: Double.self),
        .repeating("purge", valueName: "queue", help: "Empty this queue first.", as: String.self),
        .option("answers", valueName: "path", help: "Write the expected answers here: a line 'unidentified N', then one message id a line.", as: String.self),
    ],
    run: { parsed in
        let commands = try workload(parsed)
        let publisher = try TrackerPublisher(url: try amqpURL(parsed), connectionName: "tally-bench preload")
        defer { publisher.close() }
        let probe = try QueueProbe(url: try amqpURL(parsed))
        for queue in parsed.values("purge", as: String.self) {
            _ = try probe.channel.purgeQueue(queue)
        }

        if let path = parsed.value("answers", as: String.self) {
            let text = answersFile(commands)
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            } catch {
                throw BenchError(message: "cannot write \(path): \(error)")
            }
        }

        publisher.stampsSendTime = true
        let start = ContinuousClock.now
        let failures = try publisher.publish(commands)
        let seconds = (ContinuousClock.now - start).benchSeconds
        print("preloaded=\(commands.count) seconds=\(format(seconds)) rate=\(Int(Double(commands.count) / seconds))")
        if failures > 0 {
            throw BenchError(message: "the broker returned or nacked \(failures) commands")
        }
        return 0
    })

extension Relay.ResultShape: ArgumentValue {}

let relay = CommandSpec(
    name: "relay",
    abstract: "Relay a queue: one small persistent result per delivery, with confirms, acked after the confirm.",
    discussion: "The ceiling a client can reach on this broker: the worker's delivery discipline with no database and no JSON. Results go to --result-queue, with the delivery's message id as correlation id: through the default exchange with --result-shape minimal, or through the topic exchange bench.relay.topic, which the relay binds to --result-queue with '#', with --result-shape tally.",
    options: [
        amqpURLOption,
        .option("queue", help: "The queue to consume.", default: "tally.commands", as: String.self),
        .option("result-queue", valueName: "queue", help: "The queue the results go to; declared if missing.", default: "bench.relay.results", as: String.self),
        .option("result-queue-type", valueName: "type", help: "x-queue-type of the result queue.", default: "quorum", as: String.self),
        .option("count", help: "Stop after this many deliveries.", default: 100_000, in: 1...100_000_000),
        .option("prefetch", valueName: "count", help: "Prefetch count.", default: 500, in: 1...65535),
        .option("batch-size", valueName: "count", help: "Results published before waiting for their confirms.", default: 200, in: 1...65535),
        .option("idle-timeout", valueName: "seconds", help: "Stop after this long without a delivery.", default: Duration.seconds(60)),
        .option(
            "result-shape", valueName: "shape",
            help: "minimal: 7 bytes through the default exchange. tally: an incident.redeemed body with the worker's properties, published mandatory through the topic exchange bench.relay.topic.",
            default: Relay.ResultShape.minimal),
    ],
    run: { parsed in
        var options = Relay.Options(
            queue: parsed.value("queue", as: String.self) ?? "tally.commands",
            resultQueue: parsed.value("result-queue", as: String.self) ?? "bench.relay.results")
        options.resultQueueType = parsed.value("result-queue-type", as: String.self) ?? "quorum"
        options.prefetch = UInt16(parsed.value("prefetch", as: Int.self) ?? 500)
        options.batchSize = parsed.value("batch-size", as: Int.self) ?? 200
        options.resultShape = parsed.value("result-shape", as: Relay.ResultShape.self) ?? .minimal
        let relay = try Relay(url: try amqpURL(parsed), options: options)
        defer { relay.close() }
        let relayed = try relay.run(
            count: parsed.value("count", as: Int.self) ?? 100_000,
            idleTimeout: parsed.value("idle-timeout", as: Duration.self) ?? .seconds(60))
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpuMicroseconds = (Int(usage.ru_utime.tv_sec) + Int(usage.ru_stime.tv_sec)) * 1_000_000
            + Int(usage.ru_utime.tv_usec) + Int(usage.ru_stime.tv_usec)
        print("relayed=\(relayed) nacked=\(relay.nacked) cpu_us=\(cpuMicroseconds) max_rss_kb=\(usage.ru_maxrss)")
        return 0
    })

let measure = CommandSpec(
    name: "measure",
    abstract: "Consume result queues until a run is complete; print its throughput.",
    discussion: "Complete means every message id of --answers has an answer (a result, a dead letter or a retry copy), or --messages messages arrived. The rate is --commands over the time from the first answer to the last. Prints key=value pairs on one line.",
    options: [
        amqpURLOption,
        .repeating("queue", help: "A queue to consume; results are taken off it.", as: String.self),
        .option("answers", valueName: "path", help: "The answers file written by 'preload --answers'.", as: String.self),
        .option("messages", valueName: "count", help: "Complete after this many messages.", in: 1...100_000_000),
        .option("commands", valueName: "count", help: "Commands the run consumed, duplicates included, for the rate. Default: the answers.", in: 1...100_000_000),
        .option("idle-timeout", valueName: "seconds", help: "Give up after this long without a message.", default: Duration.seconds(60)),
        .option("timeout", valueName: "seconds", help: "Give up after this long in any case.", default: Duration.seconds(3600)),
    ],
    run: { parsed in
        let expectation: BenchCollector.Expectation
        if let path = parsed.value("answers", as: String.self) {
            expectation = try readAnswers(path)
        } else if let count = parsed.value("messages", as: Int.self) {
            expectation = .messages(count)
        } else {
            throw UsageError("give --answers or --messages")
        }
        let collector = try BenchCollector(url: try amqpURL(parsed), queues: parsed.values("queue", as: String.self), expectation: expectation)
        defer { collector.close() }
        let complete = try collector.collect(
            idleTimeout: parsed.value("idle-timeout", as: Duration.self) ?? .seconds(60),
            timeout: parsed.value("timeout", as: Duration.self) ?? .seconds(3600))

        let answered: Int
        switch expectation {
        case .answers: answered = collector.arrivals.count + collector.unidentified
        case .messages: answered = collector.messages
        }
        let seconds = Double((collector.lastArrival ?? 0) - (collector.firstArrival ?? 0)) / 1e9
        var line = "complete=\(complete ? "yes" : "no") answered=\(answered) messages=\(collector.messages) missing=\(collector.missingCount) unanswered_optional=\(collector.optionalMissingCount)"
        let commands = parsed.value("commands", as: Int.self) ?? answered
        line += " seconds=\(format(seconds)) rate=\(seconds > 0 ? Int(Double(commands) / seconds) : 0)"
        if let first = collector.firstArrival, let half = collector.halfwayArrival, let last = collector.lastArrival, half > first, last > half {
            line += " rate_first_half=\(Int(Double(commands) / 2 / (Double(half - first) / 1e9)))"
            line += " rate_second_half=\(Int(Double(commands) / 2 / (Double(last - half) / 1e9)))"
        }
        line += " first_ns=\(collector.firstArrival ?? 0) last_ns=\(collector.lastArrival ?? 0)"
        print(line)
        if !complete, !collector.missingSample.isEmpty {
            print("missing_sample=\(collector.missingSample.joined(separator: ","))")
        }
        if !collector.headerLatencies.isEmpty {
            print("header_latency \(LatencySummary(nanoseconds: collector.headerLatencies))")
        }
        return complete ? 0 : 1
    })

let latency = CommandSpec(
    name: "latency",
    abstract: "Publish a paced workload and measure command-to-result latency.",
    discussion: "Publishes from one connection at --rate commands per second while consuming the result queues on another, and matches each result's correlation id (or a copy's message id) to the command's send time. Prints p50, p99 and the maximum in milliseconds.",
    options: [
        amqpURLOption,
        .option("customers", valueName: "path", help: "The customer data file the commands refer to.", required: true, as: String.self),
        .option("commands", valueName: "count", help: "How many commands to publish.", default: 2000, in: 1...100_000_000),
        .option("seed", help: "Seed of the stream.", default: 42, in: 0...Int.max),
        .option("run-id", valueName: "id", help: "Prefix of the message ids; must differ between runs on one database.", required: true, as: String.self),
        .option("first-issue-id", valueName: "id", help: "Issue ids start here.", default: 1, in: 1...Int.max),
        .option("rejected-follow-ups", valueName: "share", help: "Share of follow-ups kept for issues expected to be rejected, from 0 to 1; the others become new issues.", default: 0.02, as: Double.self),
        .option("rate", valueName: "per-second", help: "Commands per second.", default: 200.0, as: Double.self),
        .repeating("queue", help: "A queue to consume; results are taken off it.", as: String.self),
        .option("timeout", valueName: "seconds", help: "Give up after this long.", default: Duration.seconds(600)),
    ],
    run: { parsed in
        let commands = try workload(parsed)
        let url = try amqpURL(parsed)
        let collector = try BenchCollector(
            url: url, queues: parsed.values("queue", as: String.self), expectation: expectedAnswers(commands))
        defer { collector.close() }

        let outcome = PacedPublish()
        let rate = parsed.value("rate", as: Double.self) ?? 200
        let thread = Thread {
            do {
                let publisher = try TrackerPublisher(url: url, connectionName: "tally-bench latency")
                publisher.stampsSendTime = true
                let failures = try publisher.publish(commands, ratePerSecond: rate)
                publisher.close()
                outcome.finish(sentAt: publisher.sentAt, error: failures > 0 ? "the broker returned or nacked \(failures) commands" : nil)
            } catch {
                outcome.finish(sentAt: [:], error: "\(error)")
            }
        }
        thread.start()

        let deadline = ContinuousClock.now + (parsed.value("timeout", as: Duration.self) ?? .seconds(600))
        while ContinuousClock.now < deadline {
            try collector.collect(idleTimeout: .seconds(3600), timeout: .milliseconds(500))
            if collector.isComplete, outcome.isFinished { break }
        }
        while !outcome.isFinished {
            usleep(100_000)
        }
        let (sentAt, error) = outcome.result
        if let error {
            throw BenchError(message: "publishing failed: \(error)")
        }

        var latencies: [UInt64] = []
        for (id, arrival) in collector.arrivals {
            if let sent = sentAt[id], arrival > sent {
                latencies.append(arrival - sent)
            }
        }
        print("complete=\(collector.isComplete ? "yes" : "no") missing=\(collector.missingCount) rate=\(rate) \(LatencySummary(nanoseconds: latencies))")
        return collector.isComplete ? 0 : 1
    })

let history = CommandSpec(
    name: "history",
    abstract: "Add a bulk history of issues, ledger rows and redemptions to a database.",
    discussion: "Two redeems per issue on the contracts already in the database, spread evenly over the 365 days before now, oldest first, written with SQL in one transaction; the per-contract counts stay as they are, so a workload meets the same quotas with or without the history.",
    options: [
        .option("database", valueName: "path", help: "The database, with customer data imported.", required: true, as: String.self),
        .option("ledger-rows", valueName: "count", help: "Ledger rows to add.", default: 5_000_000, in: 2...1_000_000_000),
        .option("first-issue-id", valueName: "id", help: "Issue ids of the history start here; keep them clear of the workload's.", default: 100_000_000, in: 1...Int.max),
    ],
    run: { parsed in
        let path = parsed.value("database", as: String.self) ?? ""
        let rows = parsed.value("ledger-rows", as: Int.self) ?? 5_000_000
        let start = ContinuousClock.now
        do {
            let store = try Store(path: path)
            defer { store.close() }
            try LedgerHistory.load(
                into: store, ledgerRows: rows,
                firstIssueID: Int64(parsed.value("first-issue-id", as: Int.self) ?? 100_000_000), endingAt: Date())
        } catch {
            throw BenchError(message: "cannot add the history to \(path): \(error)")
        }
        print("ledger_rows=\(rows / 2 * 2) seconds=\(format((ContinuousClock.now - start).benchSeconds))")
        return 0
    })

let commitLatency = CommandSpec(
    name: "commit-latency",
    abstract: "Time small SQLite write transactions on a database, paced: the floor under the worker's latency.",
    discussion: "Each transaction records one inbox row through the Store, with the worker's settings (WAL, synchronous=FULL), so its time is mostly the disk's flush. Prints p50, p99 and the maximum in milliseconds.",
    options: [
        .option("database", valueName: "path", help: "A scratch database; created if missing.", required: true, as: String.self),
        .option("count", help: "Transactions to time.", default: 2000, in: 1...10_000_000),
        .option("rate", valueName: "per-second", help: "Transactions per second.", default: 200.0, as: Double.self),
    ],
    run: { parsed in
        let path = parsed.value("database", as: String.self) ?? ""
        let count = parsed.value("count", as: Int.self) ?? 2000
        let rate = parsed.value("rate", as: Double.self) ?? 200
        var durations: [UInt64] = []
        durations.reserveCapacity(count)
        do {
            let store = try Store(path: path)
            defer { store.close() }
            let run = UUID().uuidString
            let start = BenchClock.nanoseconds()
            for index in 0..<count {
                let due = start + UInt64(Double(index) / rate * 1e9)
                let now = BenchClock.nanoseconds()
                if due > now {
                    usleep(UInt32((due - now) / 1000))
                }
                let begin = BenchClock.nanoseconds()
                _ = try store.write { transaction in
                    try transaction.recordInbox(messageID: "\(run)-\(index)", routingKey: "bench.commit", receivedAt: Date())
                }
                durations.append(BenchClock.nanoseconds() - begin)
            }
        } catch {
            throw BenchError(message: "cannot write to \(path): \(error)")
        }
        print("rate=\(rate) \(LatencySummary(nanoseconds: durations))")
        return 0
    })

/// Generates the workload that a command's workload options describe (customers, commands,
/// seed, run-id, first-issue-id, and rejected-follow-ups unless `rejectedFollowUpShare` is
/// given, for a command without that option).
func workload(_ parsed: ParsedCommand, defaultCommands: Int = 100_000, rejectedFollowUpShare: Double? = nil) throws -> [PlannedCommand] {
    let path = parsed.value("customers", as: String.self) ?? ""
    let document: CustomerDataDocument
    do {
        document = try CustomerDataDocument.decode(from: Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
        throw BenchError(message: "cannot read the customer data \(path): \(error)")
    }
    var options = WorkloadOptions(
        commands: parsed.value("commands", as: Int.self) ?? defaultCommands,
        seed: UInt64(parsed.value("seed", as: Int.self) ?? 42),
        runID: parsed.value("run-id", as: String.self) ?? "run")
    options.firstIssueID = Int64(parsed.value("first-issue-id", as: Int.self) ?? 1)
    options.rejectedIssueFollowUpShare = rejectedFollowUpShare ?? parsed.value("rejected-follow-ups", as: Double.self) ?? 0.02
    return WorkloadGenerator.generate(options, universe: WorkloadUniverse(document))
}

/// What a worker run of `commands` must answer. Exact-set updates may change nothing and
/// publish no result, so their answers are optional.
func expectedAnswers(_ commands: [PlannedCommand]) -> BenchCollector.Expectation {
    var ids: Set<String> = []
    var optional: Set<String> = []
    for command in commands {
        guard let id = command.messageID else { continue }
        ids.insert(id)
        if command.intent == .update {
            optional.insert(id)
        }
    }
    return .answers(ids, unidentified: commands.filter { $0.messageID == nil }.count, optional: optional)
}

/// The answers file of `commands`: a line 'unidentified N', then one message id a line, those
/// whose answer is optional prefixed with '? '.
func answersFile(_ commands: [PlannedCommand]) -> String {
    guard case .answers(let ids, let unidentified, let optional, _) = expectedAnswers(commands) else { return "" }
    return "unidentified \(unidentified)\n" + ids.sorted().map { optional.contains($0) ? "? \($0)" : $0 }.joined(separator: "\n") + "\n"
}

/// Reads an answers file written by `preload --answers`.
func readAnswers(_ path: String) throws -> BenchCollector.Expectation {
    let text: String
    do {
        text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
        throw BenchError(message: "cannot read \(path): \(error)")
    }
    var lines = text.split(separator: "\n")
    guard let first = lines.first, first.hasPrefix("unidentified "), let unidentified = Int(first.dropFirst(13)) else {
        throw BenchError(message: "\(path) is not an answers file: its first line must be 'unidentified N'")
    }
    lines.removeFirst()
    var ids: Set<String> = []
    var optional: Set<String> = []
    for line in lines {
        if line.hasPrefix("? ") {
            let id = String(line.dropFirst(2))
            ids.insert(id)
            optional.insert(id)
        } else {
            ids.insert(String(line))
        }
    }
    return .answers(ids, unidentified: unidentified, optional: optional)
}

/// The send times and error that the publishing thread of `latency` hands back, guarded by a
/// mutex.
final class PacedPublish: Sendable {
    private let state = Mutex<(finished: Bool, sentAt: [String: UInt64], error: String?)>((false, [:], nil))

    func finish(sentAt: [String: UInt64], error: String?) {
        state.withLock { $0 = (true, sentAt, error) }
    }

    var isFinished: Bool {
        state.withLock { $0.finished }
    }

    var result: ([String: UInt64], String?) {
        state.withLock { ($0.sentAt, $0.error) }
    }
}

func format(_ seconds: Double) -> String {
    String(Double(Int((seconds * 1000).rounded())) / 1000)
}

extension Duration {
    var benchSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// Reads queue depths with passive declares on a connection of its own.
final class QueueProbe {
    let connection: Connection
    let channel: Channel

    init(url: AMQPURL) throws {
        connection = try Connection(ConnectionOptions(url: url))
        channel = try connection.openChannel()
    }

    func readyCount(queue: String) throws -> Int {
        Int(try channel.declareQueue(queue, passive: true).messageCount)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: " ", count: max(0, width - count)) + self
    }
}

let root = CommandSpec(
    name: "tally-bench",
    abstract: "Load and benchmark tools for Tally: customer data, a tracker stand-in, a results collector, and the parts of ops/bench.",
    version: "tally-bench 0.1.0",
    subcommands: [customers, tracker, collect, preload, relay, measure, latency, history, commitLatency, chaos])

await CommandLineTool.main(root)
