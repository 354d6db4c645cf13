import Foundation
import Testing

/// The short version of `ops/chaos`: a few rounds of each fault against a pool of workers,
/// with the invariants checked after every round by `tally-bench chaos run`, which exits 1 on
/// any violation. Faults that change only the worker processes, the bindings and the database
/// run in a virtual host of the suite's node; the broker restart, the memory alarm and the
/// consumer timeout run on a node the test starts on port 5752.
@Suite struct ChaosDrillTests {
    static func runChaos(url: String, folder: URL, arguments: [String]) throws -> (status: Int32, output: String) {
        try DrillProcess.run(
            Paths.executable("tally-bench"),
            ["chaos", "run", "--amqp-url", url, "--work-dir", folder.path, "--workers", "2", "--commands", "100", "--heartbeat", "2", "--settle-timeout", "90"]
                + arguments)
    }

    @Test func workerAndDatabaseFaults() async throws {
        let url = try await DrillBroker.makeVirtualHost("chaos")
        let folder = try Paths.temporaryFolder("drill-chaos")
        defer { try? FileManager.default.removeItem(at: folder) }

        let run = try Self.runChaos(
            url: DrillWorker.urlString(url), folder: folder,
            arguments: ["--fault", "sigkill=3", "--fault", "sigterm=2", "--fault", "unbind=1", "--fault", "lock=1"])

        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("violations: 0"), "\(run.output)")
        #expect(run.output.contains("sigkill: 3"))
        #expect(run.output.contains("lock: 1"))
        await DrillBroker.deleteVirtualHost(url)
    }

    @Test func brokerFaultsOnOwnNode() throws {
        let folder = try Paths.temporaryFolder("drill-chaos-node")
        defer { try? FileManager.default.removeItem(at: folder) }
        let node = try DrillOwnNode.start(port: SparePorts.port(32), folder: folder)
        defer { node.stop(folder: folder) }

        let run = try Self.runChaos(
            url: "amqp://guest:guest@127.0.0.1:\(node.port)/%2F", folder: folder.appendingPathComponent("run"),
            arguments: [
                "--fault", "broker-restart=1", "--fault", "memory-alarm=1", "--fault", "consumer-timeout=1",
                "--broker-port", String(node.port), "--broker-script", Paths.repositoryRoot.appendingPathComponent("ops/broker").path,
            ])

        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("violations: 0"), "\(run.output)")
        #expect(run.output.contains("broker-restart: 1"))
        #expect(run.output.contains("memory-alarm: 1"))
    }
}
