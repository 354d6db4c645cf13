import Testing
@testable import TallySupport

@Suite struct RepeatLimiterTests {
    @Test func passesFirstEventsOfInterval() {
        let limiter = RepeatLimiter(limit: 2, interval: .seconds(10))
        let start = ContinuousClock.now

        #expect(limiter.admit("reconnect", at: start) == .log(suppressed: 0))
        #expect(limiter.admit("reconnect", at: start + .seconds(1)) == .log(suppressed: 0))
        #expect(limiter.admit("reconnect", at: start + .seconds(2)) == .suppress)
        #expect(limiter.admit("reconnect", at: start + .seconds(9)) == .suppress)
    }

    @Test func reportsSuppressedCountAfterInterval() {
        let limiter = RepeatLimiter(limit: 1, interval: .seconds(10))
        let start = ContinuousClock.now

        #expect(limiter.admit("k", at: start) == .log(suppressed: 0))
        for offset in 1...4 {
            #expect(limiter.admit("k", at: start + .seconds(offset)) == .suppress)
        }
        #expect(limiter.admit("k", at: start + .seconds(10)) == .log(suppressed: 4))
        #expect(limiter.admit("k", at: start + .seconds(11)) == .suppress)
        #expect(limiter.admit("k", at: start + .seconds(25)) == .log(suppressed: 1))
        #expect(limiter.admit("k", at: start + .seconds(40)) == .log(suppressed: 0))
    }

    @Test func keysAreCountedApart() {
        let limiter = RepeatLimiter(limit: 1, interval: .seconds(10))
        let start = ContinuousClock.now

        #expect(limiter.admit("a", at: start) == .log(suppressed: 0))
        #expect(limiter.admit("b", at: start) == .log(suppressed: 0))
        #expect(limiter.admit("a", at: start + .seconds(1)) == .suppress)
        #expect(limiter.admit("b", at: start + .seconds(1)) == .suppress)
        #expect(limiter.admit("b", at: start + .seconds(2)) == .suppress)
        #expect(limiter.admit("a", at: start + .seconds(10)) == .log(suppressed: 1))
        #expect(limiter.admit("b", at: start + .seconds(10)) == .log(suppressed: 2))
    }

    @Test func loggerAddsSuppressedMetadata() {
        let handler = CollectingLogHandler()
        let logger = Logger(label: "test", handler: handler)
        let limiter = RepeatLimiter(limit: 2, interval: .milliseconds(200))

        for _ in 0..<5 {
            logger.log(level: .warning, "publish failed", metadata: ["queue": "q"], limiter: limiter, key: "publish")
        }
        #expect(handler.events.count == 2)
        #expect(handler.events.allSatisfy { $0.metadata["suppressed"] == nil })

        // Wait for the interval to end on the real clock, because the logger asks the
        // limiter with the current time.
        let deadline = ContinuousClock.now + .milliseconds(250)
        while ContinuousClock.now < deadline {}
        logger.log(level: .warning, "publish failed", metadata: ["queue": "q"], limiter: limiter, key: "publish")

        #expect(handler.events.count == 3)
        #expect(handler.events.last?.metadata["suppressed"] == .stringConvertible(3))
        #expect(handler.events.last?.metadata["queue"] == "q")
    }

    @Test func disabledLevelIsNotCounted() {
        let handler = CollectingLogHandler()
        let logger = Logger(label: "test", logLevel: .error, handler: handler)
        let limiter = RepeatLimiter(limit: 1, interval: .seconds(60))

        logger.log(level: .debug, "noise", limiter: limiter, key: "k")
        logger.log(level: .error, "failure", limiter: limiter, key: "k")

        #expect(handler.events.map(\.message) == ["failure"])
    }
}
