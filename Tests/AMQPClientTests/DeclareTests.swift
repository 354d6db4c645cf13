import AMQPClient
import Foundation
import Testing

@Suite struct DeclareTests {
    @Test func quorumQueueWithDeliveryLimitAndDeadLetter() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("quorum")
        let arguments: FieldTable = [
            "x-queue-type": "quorum", "x-delivery-limit": .int32(5),
            "x-dead-letter-exchange": "", "x-dead-letter-routing-key": .string(queue + ".dead"),
        ]
        let declared = try channel.declareQueue(queue, durable: true, arguments: arguments)
        defer { _ = try? channel.deleteQueue(queue) }
        #expect(declared.name == queue)
        #expect(declared.messageCount == 0)

        // Declaring again with the same arguments is accepted.
        try channel.declareQueue(queue, durable: true, arguments: arguments)
        let listing = try TestBroker.ctl(["list_queues", "--quiet", "--no-table-headers", "name", "type", "arguments"])
        let line = try #require(listing.split(separator: "\n").first { $0.hasPrefix(queue + "\t") })
        #expect(line.contains("quorum"))
        #expect(line.contains("x-delivery-limit"))
    }

    @Test func passiveDeclareReturnsCounts() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("counts")
        try channel.declareQueue(queue, durable: false, autoDelete: true)
        try channel.enableConfirms()
        for _ in 0..<3 {
            try channel.publish(exchange: "", routingKey: queue, body: [1])
        }
        _ = try channel.waitForConfirms(timeout: .seconds(10))
        let consumer = try connection.openChannel()
        try consumer.setPrefetch(count: 1)
        try consumer.consume(queue: queue)
        _ = try collectDeliveries(connection, count: 1)

        let state = try channel.declareQueue(queue, passive: true)
        #expect(state.name == queue)
        #expect(state.consumerCount == 1)
        #expect(state.messageCount == 2)
    }

    @Test func passiveDeclareOfMissingQueueThrows404() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("missing")

        let error = try #require(throws: AMQPError.self) {
            try channel.declareQueue(queue, passive: true)
        }
        #expect(error.kind == .channelClosed)
        #expect(error.replyCode == 404)
        #expect(error.operation == "queue.declare")
        #expect(error.object == queue)
        #expect(error.channel == channel.id)
        #expect(error.description.contains("queue.declare on queue '\(queue)' failed"))
        #expect(error.description.contains("404 NOT_FOUND"))
        #expect(!error.isRecoverable)
        #expect(!channel.isOpen)
        #expect(connection.isOpen)

        // The connection stays usable: a new channel works.
        let next = try connection.openChannel()
        #expect(next.id != channel.id)
        try next.declareQueue(queue, durable: false, autoDelete: true)
    }

    @Test func redeclareWithOtherArgumentsThrows406() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("inequivalent")
        try channel.declareQueue(
            queue, durable: true, arguments: ["x-queue-type": "quorum", "x-delivery-limit": .int32(5)])
        defer {
            if let cleanup = try? connection.openChannel() {
                _ = try? cleanup.deleteQueue(queue)
            }
        }

        let error = try #require(throws: AMQPError.self) {
            try channel.declareQueue(
                queue, durable: true,
                arguments: ["x-queue-type": "quorum", "x-delivery-limit": .int32(9)])
        }
        #expect(error.kind == .channelClosed)
        #expect(error.replyCode == 406)
        #expect(error.replyText?.contains("PRECONDITION_FAILED") == true)
        #expect(error.replyText?.contains("x-delivery-limit") == true)
        #expect(error.description.contains("x-delivery-limit"))
        #expect(!error.isRecoverable)
    }

    @Test func serverNamedQueue() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let declared = try channel.declareQueue("", durable: false, exclusive: true)
        #expect(declared.name.hasPrefix("amq.gen-"))
        try channel.bindQueue(declared.name, exchange: "amq.direct", routingKey: declared.name)
        try channel.unbindQueue(declared.name, exchange: "amq.direct", routingKey: declared.name)
        #expect(try channel.deleteQueue(declared.name) == 0)
    }

    @Test func channelIDsCountUp() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let first = try connection.openChannel()
        let second = try connection.openChannel()
        #expect(first.id == 1)
        #expect(second.id == 2)
        try first.close()
        try first.close()
        let third = try connection.openChannel()
        #expect(third.id == 3)
        #expect(!first.isOpen)
        let error = try #require(throws: AMQPError.self) {
            try first.declareQueue("x", passive: true)
        }
        #expect(error.kind == .channelClosed)
    }
}
