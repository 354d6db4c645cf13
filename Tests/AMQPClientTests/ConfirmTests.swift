import AMQPClient
import Foundation
import Testing

@Suite struct ConfirmTests {
    @Test func windowOfHundredConfirmsFiveThousand() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("window")
        try channel.declareQueue(queue, durable: true)
        defer { _ = try? channel.deleteQueue(queue) }
        try channel.enableConfirms()
        channel.confirmWindow = 100

        var acked: [UInt64] = []
        var nacked: [UInt64] = []
        let body = [UInt8](repeating: 42, count: 200)
        for index in 1...5000 {
            let sequenceNumber = try channel.publish(
                exchange: "", routingKey: queue, body: body,
                properties: MessageProperties(persistent: true))
            #expect(sequenceNumber == UInt64(index))
            #expect(channel.outstandingConfirms <= 100)
            let partial = channel.takeConfirmReport()
            acked += partial.acked
            nacked += partial.nacked
        }
        let report = try channel.waitForConfirms(timeout: .seconds(30))
        acked += report.acked
        nacked += report.nacked

        #expect(channel.outstandingConfirms == 0)
        #expect(nacked.isEmpty)
        #expect(acked.sorted() == Array(1...5000))
        #expect(try channel.declareQueue(queue, passive: true).messageCount == 5000)
    }

    @Test func mandatoryUnroutableIsReturnedAndAcked() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let exchange = TestBroker.uniqueName("direct")
        let queue = TestBroker.uniqueName("routed")
        try channel.declareExchange(exchange, type: "direct", durable: false, autoDelete: true)
        try channel.declareQueue(queue, durable: true)
        defer { _ = try? channel.deleteQueue(queue) }
        try channel.bindQueue(queue, exchange: exchange, routingKey: "bound")
        try channel.enableConfirms()

        // Persistent routed publishes are confirmed after the disk write, so they are still
        // unconfirmed when the return of a later unroutable publish arrives.
        var expectedReturns: [String: UInt64] = [:]
        for index in 1...30 {
            let routable = index % 3 != 0
            let messageID = "m-\(index)"
            let sequenceNumber = try channel.publish(
                exchange: exchange, routingKey: routable ? "bound" : "nowhere",
                body: Array(messageID.utf8),
                properties: MessageProperties(persistent: true, messageID: messageID),
                mandatory: true)
            if !routable {
                expectedReturns[messageID] = sequenceNumber
            }
        }
        let report = try channel.waitForConfirms(timeout: .seconds(10))

        #expect(report.acked.sorted() == Array(1...30))
        #expect(report.nacked.isEmpty)
        #expect(report.returned.count == expectedReturns.count)
        for returned in report.returned {
            let messageID = try #require(returned.properties.messageID)
            #expect(returned.sequenceNumber == expectedReturns[messageID], "return of \(messageID)")
            #expect(returned.replyCode == 312)
            #expect(returned.replyText == "NO_ROUTE")
            #expect(returned.exchange == exchange)
            #expect(returned.routingKey == "nowhere")
            #expect(returned.body == Array(messageID.utf8))
        }
        #expect(try channel.declareQueue(queue, passive: true).messageCount == 20)
    }

    @Test func returnWithoutConfirmModeIsReported() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("no-confirm")
        try channel.publish(exchange: "", routingKey: queue, body: [1], mandatory: true)
        // Any synchronous call reads past the return; a declare is one.
        try channel.declareQueue(queue, durable: false, autoDelete: true)
        _ = try connection.nextEvent(timeout: .milliseconds(100))
        let report = channel.takeConfirmReport()
        #expect(report.returned.count == 1)
        #expect(report.returned.first?.sequenceNumber == nil)
    }

    @Test func confirmWaitTimesOutAndResumes() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("timeout")
        try channel.declareQueue(queue, durable: false, autoDelete: true)
        try channel.enableConfirms()
        try channel.publish(exchange: "", routingKey: queue, body: [1])

        // A zero timeout reads only what has already arrived; if the confirm is not there
        // yet the wait throws .timeout and keeps the state.
        do {
            let report = try channel.waitForConfirms(timeout: .zero)
            #expect(report.acked == [1])
        } catch let error as AMQPError {
            #expect(error.kind == .timeout)
            #expect(channel.outstandingConfirms == 1)
            let report = try channel.waitForConfirms(timeout: .seconds(10))
            #expect(report.acked == [1])
        }
        #expect(channel.outstandingConfirms == 0)
    }

    @Test func publishToMissingExchangeClosesChannel() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        try channel.enableConfirms()
        let exchange = TestBroker.uniqueName("missing")
        try channel.publish(exchange: exchange, routingKey: "x", body: [1])

        let error = try #require(throws: AMQPError.self) {
            _ = try channel.waitForConfirms(timeout: .seconds(10))
        }
        #expect(error.kind == .channelClosed)
        #expect(error.replyCode == 404)
        #expect(error.operation == "basic.publish")
        #expect(error.description.contains(exchange))
        #expect(!channel.isOpen)
        #expect(connection.isOpen)

        let again = try #require(throws: AMQPError.self) {
            try channel.publish(exchange: "", routingKey: "x", body: [1])
        }
        #expect(again.replyCode == 404)
    }

    @Test func deliveriesDuringConfirmWaitAreQueuedInOrder() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let consumer = try connection.openChannel()
        let publisher = try connection.openChannel()
        let queue = TestBroker.uniqueName("interleaved")
        try consumer.declareQueue(queue, durable: false, autoDelete: true)
        try consumer.consume(queue: queue, noAck: true)
        try publisher.enableConfirms()

        for index in 0..<500 {
            try publisher.publish(exchange: "", routingKey: queue, body: withUnsafeBytes(of: UInt32(index).bigEndian, Array.init))
        }
        let report = try publisher.waitForConfirms(timeout: .seconds(10))
        #expect(report.acked.sorted() == Array(1...500))

        let deliveries = try collectDeliveries(connection, count: 500)
        #expect(deliveries.count == 500)
        let numbers = deliveries.map { $0.body.reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
        #expect(numbers == Array(0..<500))
    }

    @Test func rejectedPublishesAreNacked() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("overflow")
        try channel.declareQueue(
            queue, durable: false, autoDelete: true,
            arguments: ["x-max-length": .int32(1), "x-overflow": "reject-publish"])
        try channel.enableConfirms()

        for index in 1...3 {
            try channel.publish(exchange: "", routingKey: queue, body: [UInt8(index)])
        }
        let report = try channel.waitForConfirms(timeout: .seconds(10))
        #expect(report.acked == [1])
        #expect(report.nacked.sorted() == [2, 3])
        #expect(channel.outstandingConfirms == 0)
    }
}
