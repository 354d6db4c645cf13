import AMQPClient
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ConnectionErrorTests {
    @Test func refusedPortIsConnectionRefused() throws {
        let port = try freeLoopbackPort()
        var options = ConnectionOptions(url: try AMQPURL("amqp://guest:guest@127.0.0.1:\(port)/"))
        options.connectTimeout = .seconds(2)

        let error = try #require(throws: AMQPError.self) { try Connection(options) }
        #expect(error.kind == .connectionRefused)
        #expect(error.operation == "connect")
        #expect(error.object == "127.0.0.1:\(port)")
        #expect(error.isRecoverable)
        #expect(error.description.contains("connect to 127.0.0.1:\(port) failed"))
    }

    @Test func wrongPasswordIsAuthenticationFailed() throws {
        var options = try TestBroker.options()
        let password = "wrong-\(UUID().uuidString)"
        options.url.password = password

        let error = try #require(throws: AMQPError.self) { try Connection(options) }
        #expect(error.kind == .authenticationFailed)
        #expect(error.replyCode == 403)
        #expect(!error.isRecoverable)
        #expect(error.description.contains("ACCESS_REFUSED"))
        #expect(!error.description.contains(password))
        #expect(!String(reflecting: error).contains(password))
    }

    @Test func unknownVirtualHostIsAccessRefused() throws {
        var options = try TestBroker.options()
        let virtualHost = TestBroker.uniqueName("no-such-vhost")
        options.url.virtualHost = virtualHost

        let error = try #require(throws: AMQPError.self) { try Connection(options) }
        #expect(error.kind == .accessRefused)
        #expect(error.replyCode == 530)
        #expect(error.description.contains(virtualHost))
        #expect(!error.isRecoverable)
    }

    @Test func forcedCloseIsConnectionClosed320() throws {
        // A virtual host of its own lets close_all_connections reach only this connection.
        let virtualHost = TestBroker.uniqueName("forced-close")
        let user = try TestBroker.url().user
        try TestBroker.ctl(["add_vhost", virtualHost])
        defer { _ = try? TestBroker.ctl(["delete_vhost", virtualHost]) }
        try TestBroker.ctl(["set_permissions", "--vhost", virtualHost, user, ".*", ".*", ".*"])
        var options = try TestBroker.options()
        options.url.virtualHost = virtualHost
        let connection = try Connection(options)
        defer { connection.close() }
        let channel = try connection.openChannel()
        try channel.declareQueue("", durable: false, exclusive: true)

        try TestBroker.ctl(["close_all_connections", "--vhost", virtualHost, "closed by a test"])

        let error = try #require(throws: AMQPError.self) {
            _ = try connection.nextEvent(timeout: .seconds(10))
        }
        #expect(error.kind == .connectionClosed)
        #expect(error.replyCode == 320)
        #expect(error.replyText?.contains("CONNECTION_FORCED") == true)
        #expect(error.isRecoverable)
        #expect(!connection.isOpen)
        #expect(connection.closeReason?.replyCode == 320)

        let later = try #require(throws: AMQPError.self) {
            try channel.publish(exchange: "", routingKey: "x", body: [1])
        }
        #expect(later.replyCode == 320)
    }

    @Test func connectionNameAndCapabilitiesReachBroker() throws {
        let name = TestBroker.uniqueName("properties")
        var options = try TestBroker.options()
        options.connectionName = name
        let connection = try Connection(options)
        defer { connection.close() }
        #expect(connection.negotiatedFrameMax == 131_072)
        #expect(connection.negotiatedHeartbeat == .seconds(10))

        let properties = try TestBroker.clientProperties(ofConnectionNamed: name)
        for capability in [
            "connection.blocked", "consumer_cancel_notify", "publisher_confirms", "basic.nack",
            "authentication_failure_close",
        ] {
            #expect(properties.contains("[\"\(capability)\",\"bool\",true]"), "capability \(capability)")
        }
    }

    @Test func closeIsIdempotent() throws {
        let connection = try TestBroker.connect()
        let channel = try connection.openChannel()
        connection.close()
        connection.close()
        #expect(!connection.isOpen)
        #expect(!channel.isOpen)
        let error = try #require(throws: AMQPError.self) { try connection.openChannel() }
        #expect(error.kind == .connectionClosed)
        #expect(connection.closeReason == nil)
    }
}
