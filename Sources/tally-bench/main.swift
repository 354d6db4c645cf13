import AMQPClient
import Foundation
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
        let path = parsed.value("customers", as: String.self) ?? ""
        let document: CustomerDataDocument
        do {
            document = try CustomerDataDocument.decode(from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw BenchError(message: "cannot read the customer data \(path): \(error)")
        }

        var options = WorkloadOptions(
            commands: parsed.value("commands", as: Int.self) ?? 3000,
            seed: UInt64(parsed.value("seed", as: Int.self) ?? 42),
            runID: parsed.value("run-id", as: String.self) ?? "run")
        options.firstIssueID = Int64(parsed.value("first-issue-id", as: Int.self) ?? 1)
        let commands = WorkloadGenerator.generate(options, universe: WorkloadUniverse(document))

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
    abstract: "Load tools for Tally: customer data, a tracker stand-in and a results collector.",
    version: "tally-bench 0.1.0",
    subcommands: [customers, tracker, collect])

await CommandLineTool.main(root)
