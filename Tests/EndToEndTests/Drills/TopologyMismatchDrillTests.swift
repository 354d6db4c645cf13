import AMQPClient
import Foundation
import TallyStore
import Testing
@testable import TallyWorker

/// The command queue declared earlier with other arguments: the worker stops with one error
/// that names the queue, the argument and both values, and exits 78, which the systemd unit
/// lists in RestartPreventExitStatus, so there is no crash loop.
@Suite struct TopologyMismatchDrillTests {
    /// Returns the command queue's arguments as Tally declares them, with `change` applied.
    static func commandQueueArguments(_ change: (inout FieldTable) -> Void) -> FieldTable {
        let queue = Topology.standard.queues.first { $0.name == Topology.commandQueue }!
        var table = FieldTable(queue.arguments)
        change(&table)
        return table
    }

    /// Declares the command queue before any worker does, then starts one worker.
    static func startWorker(afterDeclaring arguments: FieldTable, label: String) async throws -> (DrillWorker, AMQPURL, URL) {
        let url = try await DrillBroker.makeVirtualHost(label)
        let connection = try Connection(ConnectionOptions(url: url))
        defer { connection.close() }
        try connection.openChannel().declareQueue(Topology.commandQueue, durable: true, arguments: arguments)

        let folder = try Paths.temporaryFolder("drill-\(label)")
        let database = folder.appendingPathComponent("tally.sqlite").path
        try DrillCustomers.makeDatabase(at: database, total: 10)
        let worker = try DrillWorker(url: url, database: database, workerID: label, folder: folder)
        return (worker, url, folder)
    }

    @Test func classicQueueStopsWorker() async throws {
        // A classic queue takes neither a delivery limit nor a dead-letter strategy.
        let arguments = Self.commandQueueArguments { table in
            table["x-queue-type"] = .string("classic")
            table["x-delivery-limit"] = nil
            table["x-dead-letter-strategy"] = nil
        }
        let (worker, url, folder) = try await Self.startWorker(afterDeclaring: arguments, label: "d8-classic")
        defer { try? FileManager.default.removeItem(at: folder) }
        let status = worker.waitForExit(timeout: .seconds(30))
        await DrillBroker.deleteVirtualHost(url)

        #expect(status == 78)
        let errors = worker.logLines(containing: "Error:")
        #expect(errors.count == 1)
        let error = errors.joined()
        #expect(error.contains("tally.commands"))
        #expect(error.contains("x-queue-type"))
        #expect(error.contains("quorum"), "the value Tally declares: \(error)")
        #expect(error.contains("classic"), "the value the broker holds: \(error)")
        #expect(worker.logLines(containing: "topology mismatch").count == 1, "one attempt, no reconnect loop")
        #expect(!worker.log.contains("reconnecting"))
        #expect(!worker.log.contains("msg=consuming"))
    }

    @Test func otherDeliveryLimitStopsWorker() async throws {
        let arguments = Self.commandQueueArguments { $0["x-delivery-limit"] = .int64(10) }
        let (worker, url, folder) = try await Self.startWorker(afterDeclaring: arguments, label: "d8-limit")
        defer { try? FileManager.default.removeItem(at: folder) }
        let status = worker.waitForExit(timeout: .seconds(30))
        await DrillBroker.deleteVirtualHost(url)

        #expect(status == 78)
        let error = worker.logLines(containing: "Error:").joined()
        #expect(error.contains("tally.commands"))
        #expect(error.contains("x-delivery-limit"))
        #expect(error.contains("'5'"), "the value Tally declares: \(error)")
        #expect(error.contains("'10'"), "the value the broker holds: \(error)")
        #expect(worker.logLines(containing: "topology mismatch").count == 1)
        #expect(!worker.log.contains("reconnecting"))
    }

    /// RabbitMQ 3.10 compares numeric arguments by value across AMQP integer types (its
    /// argument check treats byte, short, signed int and long as one class), so the same
    /// delivery limit sent as a signed 32-bit int is no conflict, and the worker must not
    /// report one.
    @Test func sameLimitOtherIntegerTypeIsAccepted() async throws {
        let arguments = Self.commandQueueArguments { $0["x-delivery-limit"] = .int32(Int32(Topology.commandDeliveryLimit)) }
        let (worker, url, folder) = try await Self.startWorker(afterDeclaring: arguments, label: "d8-int32")
        defer { try? FileManager.default.removeItem(at: folder) }

        #expect(worker.waitForLog("msg=consuming", timeout: .seconds(30)), "log: \(worker.log)")
        #expect(!worker.log.contains("topology mismatch"))
        #expect(worker.stop() == 0)
        await DrillBroker.deleteVirtualHost(url)
    }

    @Test func nonDurableQuorumQueueRejected() {
        var topology = Topology.standard
        let index = topology.queues.firstIndex { $0.name == Topology.commandQueue }!
        topology.queues[index].durable = false

        #expect {
            try TopologyDeclarer.validate(topology)
        } throws: { error in
            let description = "\(error)"
            return error is TopologyMismatchError && description.contains("tally.commands") && description.contains("durable")
        }
        #expect(throws: Never.self) { try TopologyDeclarer.validate(Topology.standard) }
    }
}
