import AMQPClient
import Testing

@Suite struct AMQPURLTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var isTLS: Bool
        var host: String
        var port: Int
        var user: String
        var password: String
        var virtualHost: String
        var testDescription: String { text }
    }

    @Test(arguments: [
        Case(
            text: "amqp://tally:s3cret@broker.example:5673/%2F", isTLS: false,
            host: "broker.example", port: 5673, user: "tally", password: "s3cret", virtualHost: "/"),
        Case(
            text: "amqps://tally:s3cret@broker.example/billing", isTLS: true,
            host: "broker.example", port: 5671, user: "tally", password: "s3cret",
            virtualHost: "billing"),
        Case(
            text: "amqp://127.0.0.1", isTLS: false, host: "127.0.0.1", port: 5672, user: "guest",
            password: "guest", virtualHost: "/"),
        Case(
            text: "amqp://u@h/", isTLS: false, host: "h", port: 5672, user: "u", password: "",
            virtualHost: "/"),
        Case(
            text: "AMQP://a%40b:p%3Aw%2Fd%25@[::1]:5999/v%2Fh", isTLS: false, host: "::1",
            port: 5999, user: "a@b", password: "p:w/d%", virtualHost: "v/h"),
        Case(
            text: "amqp://user:pa@ss@host/", isTLS: false, host: "host", port: 5672, user: "user",
            password: "pa@ss", virtualHost: "/"),
    ])
    func parsesComponents(_ expected: Case) throws {
        let url = try AMQPURL(expected.text)
        #expect(url.isTLS == expected.isTLS)
        #expect(url.host == expected.host)
        #expect(url.port == expected.port)
        #expect(url.user == expected.user)
        #expect(url.password == expected.password)
        #expect(url.virtualHost == expected.virtualHost)
    }

    @Test func acceptsHeartbeatAndConnectionTimeout() throws {
        let url = try AMQPURL("amqp://h/?heartbeat=5&connection_timeout=2500")
        #expect(url.heartbeat == .seconds(5))
        #expect(url.connectionTimeout == .milliseconds(2500))

        let options = ConnectionOptions(url: url)
        #expect(options.heartbeat == .seconds(5))
        #expect(options.connectTimeout == .milliseconds(2500))

        let defaults = ConnectionOptions(url: try AMQPURL("amqp://h/"))
        #expect(defaults.heartbeat == .seconds(30))
        #expect(defaults.connectTimeout == .seconds(10))
        #expect(defaults.frameMax == 131_072)
        #expect(defaults.verifyPeer)
    }

    @Test(arguments: [
        ("http://h/", "unsupported scheme 'http'"),
        ("h:5672", "missing scheme"),
        ("amqp://h:99999/", "invalid port"),
        ("amqp://h:port/", "invalid port"),
        ("amqp://h/a/b", "one path segment"),
        ("amqp://h/?frame_max=1", "unsupported query parameter 'frame_max'"),
        ("amqp://h/?heartbeat=soon", "invalid heartbeat"),
        ("amqp://h/#top", "fragment"),
        ("amqp://u:p%zz@h/", "the password contains an invalid percent-encoding"),
    ])
    func rejectsMalformed(_ text: String, _ message: String) {
        let error = #expect(throws: AMQPURLError.self) { try AMQPURL(text) }
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "no error")")
    }

    @Test(arguments: [
        "amqp://tally:topsecret@h:5672/",
        "amqp://tally:topsecret@h:bad/",
        "amqp://tally:topsecret%zz@h/",
        "amqp://tally:topsecret@h/?bogus=1",
        "amqp://tally:topsecret/",
    ])
    func errorsNeverContainPassword(_ text: String) {
        do {
            let url = try AMQPURL(text)
            #expect(!url.description.contains("topsecret"))
        } catch {
            #expect(!String(describing: error).contains("topsecret"))
        }
    }

    @Test func descriptionHidesPassword() throws {
        let url = try AMQPURL("amqps://tally:s3cret@broker:5671/%2F?heartbeat=10&connection_timeout=5000")
        #expect(url.description == "amqps://tally:***@broker:5671/%2F?heartbeat=10&connection_timeout=5000")
        #expect(try AMQPURL(url.description).virtualHost == "/")
    }
}
