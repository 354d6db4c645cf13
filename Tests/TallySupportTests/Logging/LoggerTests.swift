import Foundation
import Testing
@testable import TallySupport

@Suite struct LoggerTests {
    /// Counts how often the message and metadata closures run.
    final class EvaluationCounter: @unchecked Sendable {
        // Only touched from the test's own thread.
        var messages = 0
        var metadata = 0

        func message() -> Logger.Message {
            messages += 1
            return "built"
        }

        func makeMetadata() -> Logger.Metadata {
            metadata += 1
            return ["key": "value"]
        }
    }

    @Test func disabledLevelBuildsNothing() {
        let handler = CollectingLogHandler()
        let logger = Logger(label: "test", logLevel: .warning, handler: handler)
        let counter = EvaluationCounter()

        logger.trace(counter.message(), metadata: counter.makeMetadata())
        logger.debug(counter.message(), metadata: counter.makeMetadata())
        logger.info(counter.message(), metadata: counter.makeMetadata())
        logger.notice(counter.message(), metadata: counter.makeMetadata())

        #expect(counter.messages == 0)
        #expect(counter.metadata == 0)
        #expect(handler.events.isEmpty)
    }

    @Test func enabledLevelBuildsOnce() {
        let handler = CollectingLogHandler()
        let logger = Logger(label: "test", logLevel: .warning, handler: handler)
        let counter = EvaluationCounter()

        logger.warning(counter.message(), metadata: counter.makeMetadata())
        logger.error(counter.message(), metadata: counter.makeMetadata())
        logger.critical(counter.message(), metadata: counter.makeMetadata())

        #expect(counter.messages == 3)
        #expect(counter.metadata == 3)
        #expect(handler.events.map(\.level) == [.warning, .error, .critical])
    }

    @Test(arguments: Logger.Level.allCases)
    func levelFiltersBelowItself(threshold: Logger.Level) {
        let handler = CollectingLogHandler()
        let logger = Logger(label: "test", logLevel: threshold, handler: handler)

        for level in Logger.Level.allCases {
            logger.log(level: level, "event")
        }

        #expect(handler.events.map(\.level) == Logger.Level.allCases.filter { $0 >= threshold })
    }

    @Test func levelsAreOrdered() {
        #expect(Logger.Level.allCases == [.trace, .debug, .info, .notice, .warning, .error, .critical])
        #expect(Logger.Level.allCases.sorted() == Logger.Level.allCases)
    }

    @Test(arguments: [("info", Logger.Level.info), ("WARNING", .warning), ("Critical", .critical)])
    func levelParsesName(text: String, level: Logger.Level) {
        #expect(Logger.Level(parsing: text) == level)
        #expect(Logger.Level(argument: text) == level)
    }

    @Test func levelRejectsUnknownName() {
        #expect(Logger.Level(parsing: "warn") == nil)
    }

    @Test func eventMetadataOverridesLogger() throws {
        let handler = CollectingLogHandler()
        var logger = Logger(label: "tally.worker", handler: handler)
        logger[metadataKey: "queue"] = "tally.commands"
        logger[metadataKey: "attempt"] = "1"

        logger.info("delivery received", metadata: ["attempt": "2", "message_id": "m-1"])

        let event = try #require(handler.events.first)
        #expect(event.label == "tally.worker")
        #expect(event.message == "delivery received")
        #expect(event.metadata == ["queue": "tally.commands", "attempt": "2", "message_id": "m-1"])
        #expect(logger[metadataKey: "attempt"] == "1")
    }

    @Test func copiesKeepTheirOwnMetadata() {
        let handler = CollectingLogHandler()
        var parent = Logger(label: "parent", handler: handler)
        parent[metadataKey: "a"] = "1"
        var child = parent
        child[metadataKey: "b"] = "2"

        parent.info("from parent")
        child.info("from child")

        #expect(handler.events.map(\.metadata) == [["a": "1"], ["a": "1", "b": "2"]])
    }

    @Test func metadataInterpolationBuildsString() {
        let count = 3
        let value: Logger.MetadataValue = "count \(count)"

        #expect(value == .string("count 3"))
    }
}
