import AMQPClient
import Foundation
import TallyCore

/// Everything a worker process needs to run. Built by `tally-worker` from flags, environment
/// variables and a configuration file; tests build it directly.
public struct WorkerConfiguration: Sendable {
    /// The broker to consume from and publish to. The password never appears in logs.
    public var amqpURL: AMQPURL
    /// Path of the SQLite database shared by every worker of one installation.
    public var databasePath: String
    /// Identifies this worker in heartbeats, logs and the connection name. Unique per host.
    public var workerID: String

    /// With `amqps://`: the CA certificates (PEM) that verify the broker; nil uses the system's.
    public var caCertificatePath: String? = nil

    /// Maximum unacknowledged deliveries the broker sends ahead (basic.qos prefetch count).
    public var prefetch: UInt16 = 500
    /// Maximum deliveries applied in one SQLite transaction.
    public var batchSize: Int = 200
    /// Maximum size of a command body in bytes; larger ones are dead-lettered as body_too_large.
    public var maximumBodySize: Int = 64 * 1024
    /// Maximum time to wait for the broker to confirm a batch of results before logging and
    /// waiting again. Acks stay held meanwhile.
    public var confirmTimeout: Duration = .seconds(10)
    /// Maximum time from SIGTERM or SIGINT to a closed connection. Work not finished by then is
    /// left unacked, so the broker delivers it again; nothing committed is lost.
    public var shutdownGracePeriod: Duration = .seconds(20)
    /// Reconnect backoff: first delay and cap, doubled per failed attempt, with full jitter.
    public var reconnectDelay: Duration = .milliseconds(500)
    public var reconnectDelayCap: Duration = .seconds(30)
    /// How long a failed database write (disk full, read-only, locked) waits before it is tried
    /// again, first and at most. Deliveries stay unacked while the worker waits.
    public var storageRetryDelay: Duration = .milliseconds(200)
    public var storageRetryDelayCap: Duration = .seconds(10)
    /// AMQP heartbeat interval negotiated with the broker.
    public var amqpHeartbeat: Duration = .seconds(30)
    /// SQLite busy timeout: how long a write waits for another process's lock.
    public var databaseBusyTimeout: Duration = .seconds(5)
    /// How often the worker records its heartbeat row and sweeps the outbox for results left by
    /// a crash, a nack or an unroutable return.
    public var housekeepingInterval: Duration = .seconds(5)
    /// How long a command's message id stays in the inbox. A duplicate that arrives later is
    /// processed again, so keep this longer than any redelivery or replay can take.
    public var inboxRetention: Duration = .seconds(30 * 86_400)
    /// Outbox rows younger than this are left to the worker that wrote them.
    public var outboxSweepMinimumAge: Duration = .seconds(10)
    /// Test-only fault switch: the process exits at once, without acking, when it receives a
    /// command with this message id. Lets tests drive a crash loop on one message.
    public var crashOnMessageID: String? = nil
    /// The command queue's type: the topology's quorum queue unless a benchmark asks for a
    /// classic one. Nil reads `TALLY_COMMAND_QUEUE_TYPE` when the worker connects.
    public var commandQueueType: CommandQueueType? = nil
    /// Whether the worker declares the example consumer queues `billing.redemptions` and
    /// `tracker.results`. Turn it off where billing and the tracker consume queues of their
    /// own. The worker then declares only the exchanges and queues it uses itself.
    public var declaresExampleQueues = true

    public init(amqpURL: AMQPURL, databasePath: String, workerID: String) {
        self.amqpURL = amqpURL
        self.databasePath = databasePath
        self.workerID = workerID
    }

    /// Returns the exchanges, queues and bindings the worker declares when it connects.
    func topology(commandQueueType: CommandQueueType) -> Topology {
        let topology = Topology.standard.withCommandQueue(commandQueueType)
        return declaresExampleQueues ? topology : topology.withoutExampleQueues()
    }

    /// The default worker id: host name and process id.
    public static func defaultWorkerID() -> String {
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    }
}
