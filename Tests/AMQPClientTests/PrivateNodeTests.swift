import AMQPClient
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Tests that disturb a whole node (a memory alarm, a frozen VM) run on a node of their own,
/// started and stopped here, so tests on the shared broker are not affected.
@Suite(.serialized) struct PrivateNodeTests {
    /// The port of the private node: TALLY_TEST_PRIVATE_BROKER_PORT, or 5683.
    static var port: Int {
        ProcessInfo.processInfo.environment["TALLY_TEST_PRIVATE_BROKER_PORT"].flatMap(Int.init) ?? 5683
    }

    /// Starts a fresh node, runs `body` with its URL, and stops the node.
    private func withPrivateNode(_ body: (AMQPURL) throws -> Void) throws {
        let port = Self.port
        try TestBroker.runBrokerScript(["start", "--port", String(port), "--fresh", "--quiet"])
        defer { _ = try? TestBroker.runBrokerScript(["stop", "--port", String(port), "--quiet"]) }
        try body(try AMQPURL("amqp://guest:guest@127.0.0.1:\(port)/"))
    }

    /// The pid of the node's Erlang VM, from the pid file `ops/broker` keeps for it.
    private func virtualMachinePID(port: Int) throws -> pid_t {
        let file = TestBroker.repositoryRoot.appendingPathComponent("var/broker-\(port)/rabbitmq.pid")
        let text = try String(contentsOf: file, encoding: .utf8)
        return try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test func silentBrokerIsHeartbeatTimeout() throws {
        try withPrivateNode { url in
            var options = ConnectionOptions(url: url)
            options.heartbeat = .seconds(2)
            let connection = try Connection(options)
            defer { connection.close() }
            #expect(connection.negotiatedHeartbeat == .seconds(2))
            let channel = try connection.openChannel()
            try channel.declareQueue("", durable: false, exclusive: true)

            let pid = try virtualMachinePID(port: Self.port)
            try #require(kill(pid, SIGSTOP) == 0)
            defer { kill(pid, SIGCONT) }
            let stopped = ContinuousClock.now

            let error = try #require(throws: AMQPError.self) {
                while ContinuousClock.now - stopped < .seconds(20) {
                    _ = try connection.nextEvent(timeout: .milliseconds(500))
                }
            }
            let elapsed = ContinuousClock.now - stopped
            #expect(error.kind == .heartbeatTimeout)
            #expect(error.isRecoverable)
            #expect(elapsed < .seconds(6), "noticed after \(elapsed)")
            #expect(!connection.isOpen)
        }
    }

    @Test func frozenBrokerTimesOutBatchPublish() throws {
        try withPrivateNode { url in
            var options = ConnectionOptions(url: url)
            options.heartbeat = .zero
            let connection = try Connection(options)
            defer { connection.close() }
            let channel = try connection.openChannel()
            let queue = try channel.declareQueue("", durable: false, exclusive: true).name

            let pid = try virtualMachinePID(port: Self.port)
            try #require(kill(pid, SIGSTOP) == 0)
            defer { kill(pid, SIGCONT) }

            // 64 MiB: far more than the socket buffers of both ends take.
            let body = [UInt8](repeating: 7, count: 1 << 20)
            let messages = (0..<64).map { _ in OutgoingMessage(exchange: "", routingKey: queue, body: body) }
            let started = ContinuousClock.now
            let error = try #require(throws: AMQPError.self) {
                try channel.publish(messages, timeout: .seconds(2))
            }
            let elapsed = ContinuousClock.now - started

            #expect(error.kind == .timeout)
            #expect(error.isRecoverable)
            #expect(error.detail?.contains("bytes written") == true)
            #expect(elapsed >= .seconds(2))
            #expect(elapsed < .seconds(10), "timed out after \(elapsed)")
            #expect(!connection.isOpen)
        }
    }

    @Test func stoppedBrokerIsSocketErrorOnBatchPublish() throws {
        try withPrivateNode { url in
            var options = ConnectionOptions(url: url)
            options.heartbeat = .zero
            let connection = try Connection(options)
            defer { connection.close() }
            let channel = try connection.openChannel()
            let queue = try channel.declareQueue("", durable: false, exclusive: true).name

            try TestBroker.runBrokerScript(["stop", "--port", String(Self.port), "--quiet"])

            // More than the socket buffer takes, so a send meets the closed connection.
            let body = [UInt8](repeating: 7, count: 1 << 20)
            let messages = (0..<16).map { _ in OutgoingMessage(exchange: "", routingKey: queue, body: body) }
            let error = try #require(throws: AMQPError.self) {
                try channel.publish(messages, timeout: .seconds(5))
            }
            #expect(error.kind == .socketError)
            #expect(error.isRecoverable)
            let detail = error.detail ?? ""
            #expect(detail.contains("Broken pipe") || detail.contains("Connection reset"), "detail: \(detail)")
            #expect(!connection.isOpen)
        }
    }

    @Test func memoryAlarmBlocksAndUnblocks() throws {
        try withPrivateNode { url in
            let connection = try Connection(ConnectionOptions(url: url))
            defer { connection.close() }
            let channel = try connection.openChannel()
            let queue = try channel.declareQueue("", durable: false, exclusive: true).name

            try TestBroker.ctl(["set_vm_memory_high_watermark", "0"], port: Self.port)
            defer {
                _ = try? TestBroker.ctl(["set_vm_memory_high_watermark", "0.4"], port: Self.port)
            }
            // RabbitMQ blocks a connection at its first publish after the alarm reached the
            // connection, which happens asynchronously: a publish that arrives earlier goes
            // through. So this publishes until the broker blocks the connection.
            var reason: String?
            let deadline = ContinuousClock.now + .seconds(20)
            while reason == nil, ContinuousClock.now < deadline {
                try channel.publish(exchange: "", routingKey: queue, body: [1])
                reason = try waitForEvent(connection, timeout: .milliseconds(500)) { event -> String? in
                    if case .blocked(let reason) = event { return reason }
                    return nil
                }
            }
            #expect(reason != nil)
            #expect(connection.isBlocked)
            #expect(connection.blockedReason == reason)

            try TestBroker.ctl(["set_vm_memory_high_watermark", "0.4"], port: Self.port)
            let unblocked = try waitForEvent(connection, timeout: .seconds(20)) { event -> Bool? in
                if case .unblocked = event { return true }
                return nil
            }
            #expect(unblocked == true)
            #expect(!connection.isBlocked)

            // The message published while blocked arrives once the alarm clears.
            var message: GetResult?
            for _ in 0..<100 where message == nil {
                message = try channel.get(queue: queue, noAck: true)
                if message == nil { Thread.sleep(forTimeInterval: 0.05) }
            }
            #expect(message?.delivery.body == [1])
        }
    }
}
