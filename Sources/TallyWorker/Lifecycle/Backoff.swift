/// Capped exponential backoff with full jitter: attempt n waits a random time in
/// `0 ... min(cap, base * 2^n)`. Full jitter spreads the reconnects of many workers after a
/// broker restart instead of bunching them.
public struct Backoff: Sendable {
    public let base: Duration
    public let cap: Duration
    public private(set) var attempt = 0

    public init(base: Duration, cap: Duration) {
        precondition(base > .zero && cap >= base, "backoff needs 0 < base <= cap")
        self.base = base
        self.cap = cap
    }

    /// The upper bound of the next delay, before jitter.
    public var nextCeiling: Duration {
        let factor = 1 << min(attempt, 30)
        let grown = base * factor
        return grown > cap || grown < base ? cap : grown
    }

    /// Returns the next delay and counts the attempt. `unit` is a random value in 0...1.
    public mutating func nextDelay(unit: Double) -> Duration {
        let ceiling = nextCeiling
        attempt += 1
        let clampedUnit = min(max(unit, 0), 1)
        return ceiling * clampedUnit
    }

    public mutating func nextDelay() -> Duration {
        nextDelay(unit: Double.random(in: 0...1))
    }

    public mutating func reset() {
        attempt = 0
    }
}
