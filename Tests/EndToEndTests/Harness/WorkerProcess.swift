import AMQPClient
import Foundation

/// A `tally-worker` process started by a test, with its log in a file. The test ends it by its
/// own PID only.
final class WorkerProcess {
    let process = Process()
    let logURL: URL
    let workerID: String
    private let logHandle: FileHandle

    init(url: AMQPURL, database: String, workerID: String, folder: URL, arguments: [String] = [], environment: [String: String] = [:]) throws {
        self.workerID = workerID
        logURL = folder.appendingPathComponent("\(workerID).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        logHandle = try FileHandle(forWritingTo: logURL)

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

    /// Waits for the process to exit and returns its status, or nil on timeout.
    func waitForExit(timeout: Duration) -> Int32? {
        let exited = eventually(timeout: timeout) { !process.isRunning }
        return exited ? process.terminationStatus : nil
    }

    var log: String {
        (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
    }

    /// Waits until the log holds `text`.
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
