import AMQPClient
import Foundation
import Testing

@Suite struct BatchPublishTests {
    /// Makes a message for `queue` whose body, id and headers all carry `index`.
    private func numberedMessage(_ index: Int, queue: String, bodySize: Int = 64) -> OutgoingMessage {
        var body = Array("message \(index) ".utf8)
        body += (0..<max(0, bodySize - body.count)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
        let properties = MessageProperties(
            contentType: "application/json", headers: ["index": .int64(Int64(index)), "name": .string("n-\(index)")],
            persistent: index % 2 == 0, correlationID: "correlation-\(index)", messageID: "m-\(index)",
            timestamp: Date(timeIntervalSince1970: 1_700_000_000 + Double(index)), type: "batch.test")
        return OutgoingMessage(exchange: "", routingKey: queue, body: body, properties: properties)
    }

    @Test func batchArrivesCompleteAndInOrder() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("batch-order")
        try channel.declareQueue(queue, durable: false, autoDelete: true)
        try channel.enableConfirms()

        let messages = (0..<500).map { numberedMessage($0, queue: queue, bodySize: $0 * 7) }
        let sequenceNumbers = try channel.publish(messages)
        #expect(sequenceNumbers == Array(1...500))
        let report = try channel.waitForConfirms(timeout: .seconds(30))
        #expect(report.acked.sorted() == Array(1...500))
        #expect(report.nacked.isEmpty)

        try channel.consume(queue: queue, noAck: true)
        let deliveries = try collectDeliveries(connection, count: 500)
        try #require(deliveries.count == 500)
        for (delivery, message) in zip(deliveries, messages) {
            #expect(delivery.body == message.body, "body of \(message.properties.messageID ?? "")")
            #expect(delivery.properties == message.properties, "properties of \(message.properties.messageID ?? "")")
            #expect(delivery.routingKey == queue)
        }
    }

    @Test func everyPropertyAndHeaderTypeRoundTrips() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("batch-properties")
        try channel.declareQueue(queue, durable: false, autoDelete: true)

        let full = try EveryProperty.properties()
        let messages = [
            OutgoingMessage(exchange: "", routingKey: queue, body: [0, 255, 1], properties: full),
            OutgoingMessage(exchange: "", routingKey: queue, body: []),
        ]

        #expect(try channel.publish(messages) == [0, 0])
        var received: [Delivery] = []
        for _ in 0..<200 where received.count < 2 {
            if let result = try channel.get(queue: queue, noAck: true) {
                received.append(result.delivery)
            } else {
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        try #require(received.count == 2)
        #expect(received[0].body == [0, 255, 1])
        #expect(received[0].properties == full)
        #expect(received[1].body.isEmpty)
        #expect(received[1].properties == MessageProperties())
    }

    @Test(arguments: [4096, 131_072])
    func bodiesLargerThanFrameMaxArriveWhole(frameMax: Int) throws {
        var options = try TestBroker.options()
        options.frameMax = frameMax
        let connection = try Connection(options)
        defer { connection.close() }
        #expect(connection.negotiatedFrameMax == frameMax)
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("batch-large")
        try channel.declareQueue(queue, durable: false, autoDelete: true)
        try channel.enableConfirms()

        let payloadMax = frameMax - 8
        let sizes = [0, 1, payloadMax - 1, payloadMax, payloadMax + 1, 3 * payloadMax, 300_000, 17]
        let messages = sizes.enumerated().map { numberedMessage($0.offset, queue: queue, bodySize: $0.element) }
        #expect(try channel.publish(messages) == Array(1...UInt64(sizes.count)))
        #expect(try channel.waitForConfirms(timeout: .seconds(30)).acked.sorted() == Array(1...UInt64(sizes.count)))

        try channel.consume(queue: queue, noAck: true)
        let deliveries = try collectDeliveries(connection, count: sizes.count)
        try #require(deliveries.count == sizes.count)
        for (delivery, message) in zip(deliveries, messages) {
            #expect(delivery.body.count == message.body.count)
            #expect(delivery.body == message.body, "body of \(message.body.count) bytes")
            #expect(delivery.properties == message.properties)
        }
    }

    @Test func confirmsMatchReturnedSequenceNumbers() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("batch-confirms")
        try channel.declareQueue(queue, durable: true)
        defer { _ = try? channel.deleteQueue(queue) }
        try channel.enableConfirms()

        var returned: [UInt64] = []
        for batch in 0..<5 {
            let messages = (0..<40).map { numberedMessage(batch * 40 + $0, queue: queue) }
            returned += try channel.publish(messages)
        }
        let report = try channel.waitForConfirms(timeout: .seconds(30))

        #expect(returned == Array(1...200))
        #expect(report.acked.sorted() == returned)
        #expect(report.nacked.isEmpty)
        #expect(channel.outstandingConfirms == 0)
        #expect(try channel.declareQueue(queue, passive: true).messageCount == 200)
    }

    @Test func batchesInterleaveWithSinglePublishes() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("batch-interleave")
        try channel.declareQueue(queue, durable: false, autoDelete: true)
        try channel.enableConfirms()

        var expected: [OutgoingMessage] = []
        var sequenceNumbers: [UInt64] = []
        for round in 0..<4 {
            let single = numberedMessage(round * 100, queue: queue)
            sequenceNumbers.append(
                try channel.publish(
                    exchange: single.exchange, routingKey: single.routingKey, body: single.body,
                    properties: single.properties))
            expected.append(single)
            let batch = (1...(round * 10 + 1)).map { numberedMessage(round * 100 + $0, queue: queue) }
            sequenceNumbers += try channel.publish(batch)
            expected += batch
        }
        let report = try channel.waitForConfirms(timeout: .seconds(30))

        #expect(sequenceNumbers == Array(1...UInt64(expected.count)))
        #expect(report.acked.sorted() == sequenceNumbers)
        try channel.consume(queue: queue, noAck: true)
        let deliveries = try collectDeliveries(connection, count: expected.count)
        #expect(deliveries.map(\.properties.messageID) == expected.map(\.properties.messageID))
        #expect(deliveries.map(\.body) == expected.map(\.body))
    }

    @Test func confirmWindowLimitsUnconfirmedPublishes() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("batch-window")
        try channel.declareQueue(queue, durable: true)
        defer { _ = try? channel.deleteQueue(queue) }
        try channel.enableConfirms()
        channel.confirmWindow = 25

        let sequenceNumbers = try channel.publish((0..<300).map { numberedMessage($0, queue: queue) })
        #expect(channel.outstandingConfirms <= 25)
        let report = try channel.waitForConfirms(timeout: .seconds(30))

        #expect(sequenceNumbers == Array(1...300))
        #expect(report.acked.sorted() == sequenceNumbers)
        #expect(try channel.declareQueue(queue, passive: true).messageCount == 300)
    }

    @Test func unroutableMandatoryMessagesAreReturned() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let exchange = TestBroker.uniqueName("batch-direct")
        let queue = TestBroker.uniqueName("batch-routed")
        try channel.declareExchange(exchange, type: "direct", durable: false, autoDelete: true)
        try channel.declareQueue(queue, durable: true)
        defer { _ = try? channel.deleteQueue(queue) }
        try channel.bindQueue(queue, exchange: exchange, routingKey: "bound")
        try channel.enableConfirms()

        let messages = (1...30).map { index in
            OutgoingMessage(
                exchange: exchange, routingKey: index % 3 == 0 ? "nowhere" : "bound",
                body: Array("m-\(index)".utf8),
                properties: MessageProperties(persistent: true, messageID: "m-\(index)"),
                mandatory: true)
        }
        let sequenceNumbers = try channel.publish(messages)
        let report = try channel.waitForConfirms(timeout: .seconds(10))

        var expectedReturns: [String: UInt64] = [:]
        for (message, sequenceNumber) in zip(messages, sequenceNumbers) where message.routingKey == "nowhere" {
            expectedReturns[message.properties.messageID!] = sequenceNumber
        }
        #expect(report.acked.sorted() == Array(1...30))
        #expect(report.returned.count == 10)
        for bounce in report.returned {
            let messageID = try #require(bounce.properties.messageID)
            #expect(bounce.sequenceNumber == expectedReturns[messageID], "return of \(messageID)")
            #expect(bounce.replyCode == 312)
            #expect(bounce.routingKey == "nowhere")
            #expect(bounce.body == Array(messageID.utf8))
        }
        #expect(try channel.declareQueue(queue, passive: true).messageCount == 20)
    }

    @Test func emptyBatchSendsNothing() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("batch-empty")
        try channel.declareQueue(queue, durable: false, autoDelete: true)
        try channel.enableConfirms()

        #expect(try channel.publish([]) == [])
        #expect(channel.outstandingConfirms == 0)
        #expect(try channel.publish(exchange: "", routingKey: queue, body: [1]) == 1)
        #expect(try channel.waitForConfirms(timeout: .seconds(10)).acked == [1])
    }

    @Test func invalidMessageSendsNothing() throws {
        var options = try TestBroker.options()
        options.frameMax = 4096
        let connection = try Connection(options)
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("batch-invalid")
        try channel.declareQueue(queue, durable: false, autoDelete: true)
        try channel.enableConfirms()

        let valid = numberedMessage(1, queue: queue)
        var longRoutingKey = valid
        longRoutingKey.routingKey = String(repeating: "k", count: 256)
        var longMessageID = valid
        longMessageID.properties.messageID = String(repeating: "i", count: 256)
        var largeHeaders = valid
        largeHeaders.properties.headers = ["large": .string(String(repeating: "h", count: 5000))]

        for invalid in [longRoutingKey, longMessageID, largeHeaders] {
            let error = try #require(throws: AMQPError.self) {
                try channel.publish([valid, invalid, valid])
            }
            #expect(error.kind == .invalidArgument)
            #expect(error.operation == "basic.publish")
        }
        #expect(connection.isOpen)
        #expect(channel.outstandingConfirms == 0)
        #expect(try channel.publish([valid]) == [1])
        #expect(try channel.waitForConfirms(timeout: .seconds(10)).acked == [1])
        #expect(try channel.declareQueue(queue, passive: true).messageCount == 1)
    }
}
