import AMQPClient
import Foundation

/// The `tally-worker` processes of a chaos run. Each slot keeps its worker id across restarts,
/// and every start appends to the slot's log file. Processes are ended by their own PID only.
final class ChaosWorkerPool {
    struct Settings {
        var executable: URL
        var amqpURL: AMQPURL
        var databasePath: String
        var logFolder: URL
        var arguments: [String]
    }

    let settings: Settings
    private(set) var processes: [Process]
    /// Starts after the first, per slot.
    private(set) var restarts = 0

    init(settings: Settings, count: Int) throws {
        self.settings = settings
        processes = []
        for slot in 0..<count {
            processes.append(try Self.start(slot: slot, settings: settings))
        }
        writePIDFile()
    }

    /// The file that lists the running workers' process ids, one a line, so that a script can
    /// stop them when the run itself is killed.
    var pidFile: URL {
        settings.logFolder.appendingPathComponent("workers.pid")
    }

    private func writePIDFile() {
        let lines = processes.filter(\.isRunning).map { "\($0.processIdentifier)\n" }.joined()
        try? Data(lines.utf8).write(to: pidFile)
    }

    deinit {
        stopAll(timeout: .seconds(30))
    }

    var count: Int { processes.count }

    static func workerID(slot: Int) -> String {
        "chaos-\(slot + 1)"
    }

    func logURL(slot: Int) -> URL {
        settings.logFolder.appendingPathComponent("\(Self.workerID(slot: slot)).log")
    }

    private static func start(slot: Int, settings: Settings) throws -> Process {
        let logURL = settings.logFolder.appendingPathComponent("\(workerID(slot: slot)).log")
        if !FileManager.default.fileExists(atPath: logURL.path) {
            _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        }
        let log = try FileHandle(forWritingTo: logURL)
        try log.seekToEnd()

        let process = Process()
        process.executableURL = settings.executable
        process.arguments = ["--database", settings.databasePath, "--worker-id", workerID(slot: slot)] + settings.arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TALLY_AMQP_URL"] = settings.amqpURL.urlWithPassword
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try log.close()
        return process
    }

    /// Starts the slot's worker again after it exited.
    func restart(slot: Int) throws {
        precondition(!processes[slot].isRunning, "restart of a running worker")
        processes[slot] = try Self.start(slot: slot, settings: settings)
        restarts += 1
        writePIDFile()
    }

    /// Sends `signal` to the slot's worker, waits up to `timeout` for its exit and returns the
    /// exit status, or nil when it is still running.
    @discardableResult
    func send(_ signalNumber: Int32, to slot: Int, timeout: Duration) -> Int32? {
        let process = processes[slot]
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, signalNumber)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Slots whose worker exited on its own, with the exit status.
    var exited: [(slot: Int, status: Int32)] {
        processes.enumerated().compactMap { slot, process in
            process.isRunning ? nil : (slot, process.terminationStatus)
        }
    }

    /// Stops every worker with SIGTERM, then SIGKILL for any still running after `timeout`.
    func stopAll(timeout: Duration) {
        for slot in processes.indices where processes[slot].isRunning {
            kill(processes[slot].processIdentifier, SIGTERM)
        }
        for slot in processes.indices where send(SIGTERM, to: slot, timeout: timeout) == nil {
            send(SIGKILL, to: slot, timeout: .seconds(5))
        }
    }

    /// Stops and starts every worker, so that each opens a new connection and channel.
    func restartAll() throws {
        stopAll(timeout: .seconds(30))
        for slot in processes.indices {
            try restart(slot: slot)
        }
    }
}

extension AMQPURL {
    /// The URL with its password, for a child process's environment only: the environment,
    /// unlike the command line, is not shown by `ps`.
    var urlWithPassword: String {
        func encoded(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
        }
        return "amqp://\(encoded(user)):\(encoded(password))@\(host):\(port)/\(encoded(virtualHost))"
    }
}
