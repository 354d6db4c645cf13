import AMQPClient
import Foundation

/// A `tally-worker` process started by a test, with its log in a file. The test ends it by its
/// own PID only.
final class WorkerProcess {
    let process = Process()
    let logURL: URL
    private let logHandle: FileHandle

    init(url: AMQPURL, database: String, workerID: String, folder: URL) throws {
        logURL = folder.appendingPathComponent("\(workerID).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        logHandle = try FileHandle(forWritingTo: logURL)

        process.executableURL = executable("tally-worker")
        process.arguments = ["--database", database, "--worker-id", workerID, "--log-level", "debug"]
        var environment = ProcessInfo.processInfo.environment
        environment["TALLY_AMQP_URL"] = OpsTestBroker.urlString(url)
        process.environment = environment
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

    /// Sends SIGTERM: a graceful stop.
    func terminate() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
    }

    /// Waits for the process to exit and returns its status, or nil on timeout.
    func waitForExit(timeout: Duration) -> Int32? {
        eventually(timeout: timeout) { !process.isRunning } ? process.terminationStatus : nil
    }

    var log: String {
        (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
    }

    func waitForLog(_ text: String, timeout: Duration = .seconds(30)) -> Bool {
        eventually(timeout: timeout) { log.contains(text) }
    }
}
