import AMQPClient
import Foundation
import Testing

@Suite struct PublishConsumeTests {
    @Test func everyPropertyRoundTrips() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("properties")
        try channel.declareQueue(queue, durable: false, autoDelete: true)
        try channel.enableConfirms()

        let headers = EveryProperty.headers
        let properties = try EveryProperty.properties()
        let body: [UInt8] = Array("{\"hello\":\"world\"}".utf8) + [0, 255]

        let sequenceNumber = try channel.publish(
            exchange: "", routingKey: queue, body: body, properties: properties)
        #expect(sequenceNumber == 1)
        let report = try channel.waitForConfirms(timeout: .seconds(10))
        #expect(report.acked == [1])
        #expect(report.nacked.isEmpty)

        let tag = try channel.consume(queue: queue)
        let deliveries = try collectDeliveries(connection, count: 1)
        let delivery = try #require(deliveries.first)
        #expect(delivery.body == body)
        #expect(delivery.consumerTag == tag)
        #expect(delivery.routingKey == queue)
        #expect(delivery.exchange == "")
        #expect(delivery.redelivered == false)
        #expect(delivery.channel == channel.id)
        #expect(delivery.properties == properties)
        for (key, value) in headers {
            #expect(delivery.properties.headers[key] == value, "header \(key)")
        }
        try channel.ack(delivery.deliveryTag)
    }

    @Test func emptyPropertiesAndBodyRoundTrip() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("empty")
        try channel.declareQueue(queue, durable: false, autoDelete: true)

        #expect(try channel.publish(exchange: "", routingKey: queue, body: []) == 0)
        let result = try #require(try channel.get(queue: queue, noAck: true))
        #expect(result.delivery.body.isEmpty)
        #expect(result.delivery.properties == MessageProperties())
        #expect(result.messageCount == 0)
    }

    @Test func ackMultipleSettlesEarlierDeliveries() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("ack-multiple")
        try channel.declareQueue(queue, durable: false, autoDelete: true)
        try channel.enableConfirms()
        for index in 0..<10 {
            try channel.publish(exchange: "", routingKey: queue, body: [UInt8(index)])
        }
        _ = try channel.waitForConfirms(timeout: .seconds(10))

        try channel.setPrefetch(count: 20)
        try channel.consume(queue: queue)
        let deliveries = try collectDeliveries(connection, count: 10)
        #expect(deliveries.map(\.body) == (0..<10).map { [UInt8($0)] })
        let last = try #require(deliveries.last)
        try channel.ack(last.deliveryTag, multiple: true)

        // A passive declare on a second channel finds the queue empty once the acks landed.
        let probe = try connection.openChannel()
        let state = try probe.declareQueue(queue, passive: true)
        #expect(state.messageCount == 0)
        try probe.close()
    }

    @Test func rejectWithRequeueRedelivers() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("reject")
        try channel.declareQueue(queue, durable: false, autoDelete: true)
        try channel.publish(exchange: "", routingKey: queue, body: Array("once".utf8))

        let first = try #require(try channel.get(queue: queue))
        #expect(first.delivery.redelivered == false)
        try channel.reject(first.delivery.deliveryTag, requeue: true)

        let second = try #require(try channel.get(queue: queue))
        #expect(second.delivery.redelivered == true)
        #expect(second.delivery.body == Array("once".utf8))
        try channel.reject(second.delivery.deliveryTag, requeue: false)
        #expect(try channel.get(queue: queue) == nil)
    }

    @Test func basicGetReportsRemainingCount() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("get")
        try channel.declareQueue(queue, durable: false, autoDelete: true)
        try channel.enableConfirms()
        for index in 0..<3 {
            try channel.publish(exchange: "", routingKey: queue, body: [UInt8(index)])
        }
        _ = try channel.waitForConfirms(timeout: .seconds(10))

        let first = try #require(try channel.get(queue: queue))
        #expect(first.messageCount == 2)
        #expect(first.delivery.body == [0])
        #expect(first.delivery.consumerTag == "")
        try channel.ack(first.delivery.deliveryTag)
        #expect(try channel.purgeQueue(queue) == 2)
        #expect(try channel.get(queue: queue) == nil)
    }

    @Test func nackWithoutRequeueDeadLetters() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let deadLetterExchange = TestBroker.uniqueName("dlx")
        let deadLetterQueue = TestBroker.uniqueName("dlq")
        let queue = TestBroker.uniqueName("work")
        try channel.declareExchange(deadLetterExchange, type: "fanout", durable: false, autoDelete: true)
        try channel.declareQueue(deadLetterQueue, durable: false, autoDelete: true)
        try channel.bindQueue(deadLetterQueue, exchange: deadLetterExchange, routingKey: "")
        try channel.declareQueue(
            queue, durable: false, autoDelete: true,
            arguments: ["x-dead-letter-exchange": .string(deadLetterExchange)])
        defer { _ = try? channel.deleteExchange(deadLetterExchange) }

        try channel.publish(
            exchange: "", routingKey: queue, body: Array("bad".utf8),
            properties: MessageProperties(messageID: "m-1"))
        let received = try #require(try channel.get(queue: queue))
        try channel.nack(received.delivery.deliveryTag, requeue: false)

        var dead: GetResult?
        for _ in 0..<50 where dead == nil {
            dead = try channel.get(queue: deadLetterQueue, noAck: true)
            if dead == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        let deadLetter = try #require(dead)
        #expect(deadLetter.delivery.body == Array("bad".utf8))
        #expect(deadLetter.delivery.properties.messageID == "m-1")
        let deaths = try #require(deadLetter.delivery.properties.headers["x-death"]?.arrayValue)
        let death = try #require(deaths.first?.tableValue)
        #expect(death["reason"]?.stringValue == "rejected")
        #expect(death["queue"]?.stringValue == queue)
        #expect(death["count"]?.intValue == 1)
    }

    @Test func cancelStopsDeliveries() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("cancel")
        try channel.declareQueue(queue, durable: false, autoDelete: false)
        defer { _ = try? channel.deleteQueue(queue) }
        let tag = try channel.consume(queue: queue, consumerTag: "tag-\(queue)", noAck: true)
        #expect(tag == "tag-\(queue)")
        try channel.cancel(consumerTag: tag)
        try channel.publish(exchange: "", routingKey: queue, body: [1])
        #expect(try connection.nextEvent(timeout: .milliseconds(300)) == nil)
        #expect(try channel.declareQueue(queue, passive: true).messageCount == 1)
    }

    @Test func brokerCancelsConsumerOfDeletedQueue() throws {
        let connection = try TestBroker.connect()
        defer { connection.close() }
        let channel = try connection.openChannel()
        let queue = TestBroker.uniqueName("deleted")
        try channel.declareQueue(queue, durable: false)
        let tag = try channel.consume(queue: queue)

        let other = try connection.openChannel()
        try other.deleteQueue(queue)

        let cancelled = try waitForEvent(connection) { event -> String? in
            if case .consumerCancelled(let channelID, let consumerTag) = event,
                channelID == channel.id
            {
                return consumerTag
            }
            return nil
        }
        #expect(cancelled == tag)
        #expect(channel.isOpen)
    }
}
