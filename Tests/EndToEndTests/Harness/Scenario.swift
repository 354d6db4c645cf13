import AMQPClient
import Foundation
@testable import TallyWorker
import TallyStore

/// One test's world: a virtual host of its own with Tally's topology and a queue that receives
/// every result, a folder with a database of the test's customer data, and the workers the test
/// starts. `finish()` removes it all, except the folder when TALLY_TEST_KEEP_FILES is set, so
/// that the workers' logs can be read after a failure.
final class Scenario {
    static let resultTapQueue = "e2e.results"

    let node: BrokerNode
    let url: AMQPURL
    let folder: URL
    let databasePath: String
    private(set) var workers: [WorkerProcess] = []
    private var admin: Connection?
    private var adminChannel: Channel?

    private init(node: BrokerNode, url: AMQPURL, folder: URL) {
        self.node = node
        self.url = url
        self.folder = folder
        self.databasePath = folder.appendingPathComponent("tally.sqlite").path
    }

    /// Creates the virtual host, declares `topology` (and, with `tapResults`, the queue
    /// `e2e.results` bound to `tally.results` with `#`), and imports `customers`.
    static func make(
        _ label: String, node: BrokerNode? = nil, customers: CustomerDataDocument, topology: Topology = .standard,
        tapResults: Bool = true
    ) async throws -> Scenario {
        let node = try node ?? BrokerNode.suite
        let url = try await node.makeVirtualHost(label)
        let scenario = Scenario(node: node, url: url, folder: try Paths.temporaryFolder(label))

        let store = try Store(path: scenario.databasePath)
        defer { store.close() }
        _ = try store.write { try $0.importCustomerData(customers) }

        let channel = try scenario.channel()
        try TopologyDeclarer(channel: channel).declare(topology)
        if tapResults {
            try scenario.bindResultTap()
        }
        return scenario
    }

    /// Declares the queue `e2e.results` and binds it to `tally.results` with `#`.
    func bindResultTap() throws {
        let channel = try channel()
        try channel.declareQueue(Self.resultTapQueue, durable: true)
        try channel.bindQueue(Self.resultTapQueue, exchange: Topology.resultExchange, routingKey: "#")
    }

    deinit {
        for worker in workers { worker.crash() }
        admin?.close()
    }

    /// Starts a worker on this scenario's vhost and database.
    @discardableResult
    func startWorker(_ workerID: String, arguments: [String] = [], environment: [String: String] = [:]) throws -> WorkerProcess {
        let worker = try makeWorker(workerID, arguments: arguments, environment: environment)
        workers.append(worker)
        return worker
    }

    /// Builds a worker process without keeping it, for a supervisor that restarts it.
    func makeWorker(_ workerID: String, arguments: [String] = [], environment: [String: String] = [:]) throws -> WorkerProcess {
        try WorkerProcess(url: url, database: databasePath, workerID: workerID, folder: folder, arguments: arguments, environment: environment)
    }

    /// Stops every running worker with SIGTERM and returns their exit statuses, nil for one
    /// that did not exit within `timeout` and was killed.
    @discardableResult
    func stopWorkers(timeout: Duration = .seconds(30)) -> [Int32?] {
        for worker in workers { worker.terminate() }
        return workers.map { worker in
            let status = worker.waitForExit(timeout: timeout)
            if status == nil { worker.crash() }
            return status
        }
    }

    /// A channel on a connection kept for the test's own declarations and queue checks; opened
    /// again when the broker closed it.
    func channel() throws -> Channel {
        if let adminChannel, adminChannel.isOpen, admin?.isOpen == true {
            return adminChannel
        }
        admin?.close()
        var options = ConnectionOptions(url: url)
        options.connectionName = "e2e admin"
        let connection = try Connection(options)
        admin = connection
        let channel = try connection.openChannel()
        adminChannel = channel
        return channel
    }

    func publish(_ commands: [TestCommand], perSecond: Double? = nil) throws {
        let publisher = try CommandPublisher(url: url)
        try publisher.publish(commands, perSecond: perSecond)
    }

    func tapResults() throws -> QueueTap {
        try QueueTap(url: url, queue: Self.resultTapQueue)
    }

    func tapDeadLetters() throws -> QueueTap {
        try QueueTap(url: url, queue: Topology.deadLetterQueue)
    }

    /// Ready messages of a queue.
    func readyCount(_ queue: String) throws -> Int {
        try channel().queueState(queue).ready
    }

    /// Ready and unacknowledged messages of a queue as rabbitmqctl reports them, with no
    /// statistics delay.
    func queueCounts(_ queue: String) throws -> (ready: Int, unacked: Int) {
        let output = try node.ctl(["list_queues", "-p", url.virtualHost, "--quiet", "--no-table-headers", "name", "messages_ready", "messages_unacknowledged"])
        for line in output.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            if fields.count == 3, fields[0] == queue, let ready = Int(fields[1]), let unacked = Int(fields[2]) {
                return (ready, unacked)
            }
        }
        throw BrokerScriptError(description: "rabbitmqctl list_queues did not list \(queue): \(output)")
    }

    /// Opens the database for checks; the caller closes it.
    func openStore() throws -> Store {
        try Store(path: databasePath)
    }

    func withStore<T>(_ body: (Store) throws -> T) throws -> T {
        let store = try openStore()
        defer { store.close() }
        return try body(store)
    }

    /// The workers' log files, to point at in a failure message.
    var logHint: String {
        "worker logs in \(folder.path)"
    }

    /// Ends the workers, deletes the virtual host and the folder.
    func finish() async {
        for worker in workers { worker.crash() }
        workers.removeAll()
        admin?.close()
        admin = nil
        await node.deleteVirtualHost(url)
        if ProcessInfo.processInfo.environment["TALLY_TEST_KEEP_FILES"] == nil {
            try? FileManager.default.removeItem(at: folder)
        }
    }
}

/// The database's state after a run, read in one transaction.
struct StoreSnapshot {
    var inboxCount: Int
    var outboxCount: Int
    var discrepancies: [LedgerDiscrepancy]
    var ledger: [LedgerEntry]
    /// Per contract and incident type: total and used.
    var quotas: [String: IncidentQuota]
    var overageAllowed: Set<String>

    init(_ store: Store, customers: [String], now: Date = Date()) throws {
        var inbox = 0
        var outbox = 0
        var discrepancies: [LedgerDiscrepancy] = []
        var ledger: [LedgerEntry] = []
        var quotas: [String: IncidentQuota] = [:]
        var overage = Set<String>()
        try store.read { transaction in
            inbox = try transaction.inboxCount()
            outbox = try transaction.outboxStatistics().count
            discrepancies = try transaction.verifyLedger()
            for customer in customers {
                ledger += try transaction.ledger(customerID: customer, since: nil)
                for contract in try transaction.quotas(customerID: customer, at: now) ?? [] {
                    if contract.contract.allowsOverage { overage.insert(contract.contract.id) }
                    for quota in contract.quotas {
                        quotas["\(contract.contract.id)/\(quota.incidentType)"] = quota
                    }
                }
            }
        }
        inboxCount = inbox
        outboxCount = outbox
        self.discrepancies = discrepancies
        self.ledger = ledger.sorted { $0.id < $1.id }
        self.quotas = quotas
        overageAllowed = overage
    }

    /// Contract and type pairs whose used count exceeds the total without overage allowed.
    var overdrawn: [String] {
        quotas.filter { key, quota in
            quota.used > quota.total && !overageAllowed.contains(String(key.split(separator: "/")[0]))
        }.keys.sorted()
    }
}
