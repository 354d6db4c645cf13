import AMQPClient
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// TLS against the test broker through socat, which terminates TLS on a free loopback port
/// and forwards to the broker's plain AMQP port. Certificates come from openssl: a test CA
/// signs a server certificate that names only "localhost".
@Suite(.serialized) struct TLSTests {
    /// Certificates in a temporary folder and a running socat; `stop()` ends socat.
    final class Terminator {
        let folder: URL
        let port: Int
        let pid: pid_t

        var caPath: String { folder.appendingPathComponent("ca.pem").path }
        var otherCAPath: String { folder.appendingPathComponent("other-ca.pem").path }

        init() throws {
            let folder = FileManager.default.temporaryDirectory
                .appendingPathComponent("amqp-tls-\(UUID().uuidString)")
            self.folder = folder
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let path = { (name: String) in folder.appendingPathComponent(name).path }

            for ca in ["ca", "other-ca"] {
                try TestBroker.run("openssl", [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", path("\(ca).key"), "-out", path("\(ca).pem"),
                    "-subj", "/CN=AMQPClient test \(ca)",
                ])
            }
            try TestBroker.run("openssl", [
                "req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("server.key"),
                "-out", path("server.csr"), "-subj", "/CN=localhost",
            ])
            try "subjectAltName=DNS:localhost\n".write(
                toFile: path("server.ext"), atomically: true, encoding: .utf8)
            try TestBroker.run("openssl", [
                "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"),
                "-CAkey", path("ca.key"), "-CAcreateserial", "-days", "2",
                "-extfile", path("server.ext"), "-out", path("server.pem"),
            ])

            let broker = try TestBroker.url()
            let port = try freeLoopbackPort()
            self.port = port
            pid = try TestBroker.spawn(
                "socat",
                [
                    "OPENSSL-LISTEN:\(port),bind=127.0.0.1,reuseaddr,fork,cert=\(path("server.pem")),key=\(path("server.key")),verify=0",
                    "TCP:\(broker.host):\(broker.port)",
                ], outputPath: path("socat.out"), errorPath: path("socat.err"))
            try waitUntilListening()
        }

        func stop() {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            try? FileManager.default.removeItem(at: folder)
        }

        func options(host: String, caPath: String?, verifyPeer: Bool = true) throws
            -> ConnectionOptions
        {
            var url = try TestBroker.url()
            url.isTLS = true
            url.host = host
            url.port = port
            var options = ConnectionOptions(url: url)
            options.connectTimeout = .seconds(5)
            options.caCertificatePath = caPath
            options.verifyPeer = verifyPeer
            return options
        }

        private func waitUntilListening() throws {
            for _ in 0..<100 {
                let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                defer { close(descriptor) }
                var address = loopbackAddress(port: port)
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                if connected == 0 {
                    return
                }
                usleep(50_000)
            }
            throw ScriptFailure(arguments: ["socat"], status: 0, output: "socat did not listen on port \(port)")
        }
    }

    @Test func verifiedConnectionPublishesAndGets() throws {
        let terminator = try Terminator()
        defer { terminator.stop() }
        let connection = try Connection(try terminator.options(host: "localhost", caPath: terminator.caPath))
        defer { connection.close() }

        let channel = try connection.openChannel()
        let queue = try channel.declareQueue("", durable: false, exclusive: true).name
        try channel.enableConfirms()
        try channel.publish(exchange: "", routingKey: queue, body: Array("over TLS".utf8))
        #expect(try channel.waitForConfirms(timeout: .seconds(10)).acked == [1])
        let message = try #require(try channel.get(queue: queue, noAck: true))
        #expect(message.delivery.body == Array("over TLS".utf8))
    }

    @Test func batchPublishFallsBackToSinglePublishes() throws {
        let terminator = try Terminator()
        defer { terminator.stop() }
        let connection = try Connection(try terminator.options(host: "localhost", caPath: terminator.caPath))
        defer { connection.close() }

        let channel = try connection.openChannel()
        let queue = try channel.declareQueue("", durable: false, exclusive: true).name
        try channel.enableConfirms()
        #expect(try channel.publish(exchange: "", routingKey: queue, body: [0]) == 1)
        let messages = (1...20).map { index in
            OutgoingMessage(
                exchange: "", routingKey: queue, body: [UInt8](repeating: UInt8(index), count: index * 10_000),
                properties: MessageProperties(headers: ["index": .int32(Int32(index))], messageID: "m-\(index)"))
        }
        #expect(try channel.publish(messages) == Array(2...21))
        #expect(try channel.waitForConfirms(timeout: .seconds(10)).acked.sorted() == Array(1...21))

        _ = try channel.get(queue: queue, noAck: true)
        for message in messages {
            let received = try #require(try channel.get(queue: queue, noAck: true))
            #expect(received.delivery.body == message.body)
            #expect(received.delivery.properties == message.properties)
        }
    }

    @Test func unknownCertificateAuthorityIsTLSError() throws {
        let terminator = try Terminator()
        defer { terminator.stop() }
        let error = try #require(throws: AMQPError.self) {
            try Connection(try terminator.options(host: "localhost", caPath: terminator.otherCAPath))
        }
        #expect(error.kind == .tls)
        #expect(!error.isRecoverable)
    }

    @Test func hostNameMismatchIsTLSError() throws {
        let terminator = try Terminator()
        defer { terminator.stop() }
        let error = try #require(throws: AMQPError.self) {
            try Connection(try terminator.options(host: "127.0.0.1", caPath: terminator.caPath))
        }
        #expect(error.kind == .tls)
    }

    @Test func unverifiedConnectionSkipsChecks() throws {
        let terminator = try Terminator()
        defer { terminator.stop() }
        let connection = try Connection(
            try terminator.options(host: "127.0.0.1", caPath: nil, verifyPeer: false))
        defer { connection.close() }
        #expect(connection.isOpen)
        _ = try connection.openChannel()
    }

    @Test func missingCAFileIsTLSError() throws {
        var url = try TestBroker.url()
        url.isTLS = true
        var options = ConnectionOptions(url: url)
        options.caCertificatePath = "/nonexistent/ca.pem"
        let error = try #require(throws: AMQPError.self) { try Connection(options) }
        #expect(error.kind == .tls)
        #expect(error.description.contains("/nonexistent/ca.pem"))
    }
}

func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return address
}

/// A loopback port with no listener: bound to an ephemeral port, then closed.
func freeLoopbackPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(descriptor >= 0)
    defer { close(descriptor) }
    var address = loopbackAddress(port: 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, length)
        }
    }
    try #require(bound == 0)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            getsockname(descriptor, $0, &length)
        }
    }
    try #require(named == 0)
    return Int(UInt16(bigEndian: address.sin_port))
}
