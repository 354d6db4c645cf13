import AMQPClient
import Foundation

/// A `tally-worker` process started by a test, with its log in a file. The test ends it by its
/// own PID only.
final class WorkerProcess {
    let process = Process()
    let logURL: URL
    let workerID: String
    private let logHandle: FileHandle

    /// Starts the worker. Its log goes to `folder/<workerID>.log`, appended to when a worker
    /// of the same id ran before, so a restarted worker keeps one log.
    init(url: AMQPURL, database: String, workerID: String, folder: URL, arguments: [String] = [], environment: [String: String] = [:]) throws {
        self.workerID = workerID
        logURL = folder.appendingPathComponent("\(workerID).log")
        if !FileManager.default.fileExists(atPath: logURL.path) {
            _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        }
        logHandle = try FileHandle(forWritingTo: logURL)
        try logHandle.seekToEnd()

        process.executableURL = Paths.executable("tally-worker")
        process.arguments = [
            "--database", database, "--worker-id", workerID,
            "--log-format", "logfmt", "--log-level", "debug",
        ] + arguments
        var env = ProcessInfo.processInfo.environment
        env["TALLY_AMQP_URL"] = Self.urlString(url)
        env.merge(environment) { _, new in new }
        process.environment = env
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? logHandle.close()
    }

    var pid: Int32 { process.processIdentifier }

    var isRunning: Bool { process.isRunning }

    /// Sends SIGTERM: a graceful stop.
    func terminate() {
        if process.isRunning { kill(pid, SIGTERM) }
    }

    /// Sends SIGKILL: a crash at whatever instant the process is in.
    func crash() {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Pauses the process with SIGSTOP; `resume()` continues it.
    func pause() {
        if process.isRunning { kill(pid, SIGSTOP) }
    }

    func resume() {
        if process.isRunning { kill(pid, SIGCONT) }
    }

    /// Waits for the process to exit and returns its status, or nil on timeout.
    func waitForExit(timeout: Duration) -> Int32? {
        let exited = eventually(timeout: timeout) { !process.isRunning }
        return exited ? process.terminationStatus : nil
    }

    /// User plus system CPU time so far, in clock ticks, read from /proc; nil once it exited.
    var cpuTicks: Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = text.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is field 3, utime 14 and stime 15.
        let fields = text[text.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return user + system
    }

    var log: String {
        (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
    }

    /// The log lines whose message is `message`, in logfmt as `msg="..."`.
    func logLines(_ message: String) -> [String] {
        log.split(separator: "\n").map(String.init).filter { line in
            line.contains("msg=\"\(message)\"") || line.contains("msg=\(message) ") || line.hasSuffix("msg=\(message)")
        }
    }

    /// Waits until the log contains `text`.
    func waitForLog(_ text: String, timeout: Duration = .seconds(30)) -> Bool {
        eventually(timeout: timeout) { log.contains(text) }
    }

    /// The URL with the password in clear, for the environment of a local test process (the
    /// environment, unlike the command line, is not shown by `ps`).
    static func urlString(_ url: AMQPURL) -> String {
        let vhost = url.virtualHost.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? url.virtualHost
        return "amqp://\(url.user):\(url.password)@\(url.host):\(url.port)/\(vhost)"
    }
}

/// Restarts a worker each time it exits, as systemd's `Restart=always` would, on a thread of
/// its own, until `stop()`.
final class WorkerSupervisor: @unchecked Sendable {
    // Every field below is read and written only while holding `lock`.
    private let lock = NSLock()
    private var current: WorkerProcess?
    private var exitStatuses: [Int32] = []
    private var stopping = false
    private let start: () throws -> WorkerProcess
    private let finished = DispatchSemaphore(value: 0)

    init(start: @escaping () throws -> WorkerProcess) throws {
        self.start = start
        current = try start()
        let thread = Thread { [self] in watch() }
        thread.start()
    }

    /// Exit statuses of the workers that ended by themselves, in order.
    var exits: [Int32] {
        lock.withLock { exitStatuses }
    }

    var worker: WorkerProcess? {
        lock.withLock { current }
    }

    private func watch() {
        defer { finished.signal() }
        while true {
            guard let worker = lock.withLock({ stopping ? nil : current }) else { return }
            worker.process.waitUntilExit()

            let restart = lock.withLock { () -> Bool in
                guard !stopping else { return false }
                exitStatuses.append(worker.process.terminationStatus)
                return true
            }
            guard restart else { return }
            Thread.sleep(forTimeInterval: 0.1)
            guard let next = try? start() else { return }
            lock.withLock { current = next }
        }
    }

    /// Stops restarting and ends the running worker with SIGTERM, waiting up to `timeout`.
    /// Returns the worker's exit status, or nil when it had to be killed.
    @discardableResult
    func stop(timeout: Duration = .seconds(30)) -> Int32? {
        let worker = lock.withLock { () -> WorkerProcess? in
            stopping = true
            return current
        }
        guard let worker else { return nil }
        worker.terminate()
        let status = worker.waitForExit(timeout: timeout)
        if status == nil { worker.crash() }
        finished.wait()
        return status
    }
}

/// Runs `tallyctl` on a scenario's vhost and database and returns its exit status and output.
func runTallyctl(_ arguments: [String], scenario: Scenario) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = Paths.executable("tallyctl")
    process.arguments = arguments + ["--database", scenario.databasePath, "--management-url", scenario.node.managementURL.absoluteString]
    var environment = ProcessInfo.processInfo.environment
    environment["TALLY_AMQP_URL"] = WorkerProcess.urlString(scenario.url)
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
