import Testing

@testable import TallyWorker

@Suite struct BackoffTests {
    @Test func ceilingDoublesUpToCap() {
        var backoff = Backoff(base: .milliseconds(500), cap: .seconds(30))
        var ceilings: [Duration] = []
        for _ in 0..<10 {
            ceilings.append(backoff.nextCeiling)
            _ = backoff.nextDelay(unit: 1)
        }
        #expect(ceilings[0] == .milliseconds(500))
        #expect(ceilings[1] == .seconds(1))
        #expect(ceilings[2] == .seconds(2))
        #expect(ceilings[5] == .seconds(16))
        #expect(ceilings[6] == .seconds(30))
        #expect(ceilings[9] == .seconds(30))
    }

    @Test func jitterStaysWithinCeiling() {
        var backoff = Backoff(base: .seconds(1), cap: .seconds(8))
        #expect(backoff.nextDelay(unit: 0) == .zero)
        #expect(backoff.nextDelay(unit: 0.5) == .seconds(1))
        #expect(backoff.nextDelay(unit: 1) == .seconds(4))
        #expect(backoff.nextDelay(unit: 7) == .seconds(8))
    }

    @Test func hugeAttemptCountDoesNotOverflow() {
        var backoff = Backoff(base: .seconds(1), cap: .seconds(60))
        for _ in 0..<200 {
            _ = backoff.nextDelay(unit: 1)
        }
        #expect(backoff.nextCeiling == .seconds(60))
    }

    @Test func resetStartsOver() {
        var backoff = Backoff(base: .seconds(1), cap: .seconds(60))
        _ = backoff.nextDelay(unit: 1)
        _ = backoff.nextDelay(unit: 1)
        backoff.reset()
        #expect(backoff.attempt == 0)
        #expect(backoff.nextCeiling == .seconds(1))
    }
}
