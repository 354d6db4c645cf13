import Testing
@testable import TallySupport

@Suite struct RedactionTests {
    @Test(arguments: [
        ("amqp://tally:secret@broker:5672/%2f", "amqp://tally:***@broker:5672/%2f"),
        ("amqp://tally:p@ss:w@rd@broker/vhost", "amqp://tally:***@broker/vhost"),
        ("amqps://user:pw@host", "amqps://user:***@host"),
        ("amqp://user@host:5672", "amqp://user@host:5672"),
        ("amqp://host:5672/x?user=a:b@c", "amqp://host:5672/x?user=a:b@c"),
        ("amqp://:pw@host", "amqp://:***@host"),
        ("not a url user:pw@host", "not a url user:pw@host"),
    ])
    func redactsPassword(url: String, expected: String) {
        #expect(redactingPassword(inURL: url) == expected)
    }

    @Test func metadataValueIsRedacted() {
        #expect(Logger.MetadataValue.redactedURL("amqp://a:b@h") == .string("amqp://a:***@h"))
    }
}
