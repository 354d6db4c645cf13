/// A limiter that lets the first `limit` events of a key through per interval and counts
/// the rest.
///
/// The interval of a key starts with the first event that passes after the previous
/// interval ended. The first event that passes in a new interval reports how many events
/// of that key were suppressed since the last one that passed, so a flood of identical
/// errors becomes a few lines plus a count. Use it through
/// `Logger.log(level:_:metadata:limiter:key:)`.
public final class RepeatLimiter: Sendable {
    /// The decision for one event.
    public enum Decision: Equatable, Sendable {
        /// Log the event. `suppressed` is the number of events of the key dropped since
        /// the previous event that passed.
        case log(suppressed: Int)
        /// Drop the event; it is counted.
        case suppress
    }

    private struct KeyState {
        var intervalStart: ContinuousClock.Instant
        var passed: Int
        var suppressed: Int
    }

    /// The maximum number of keys kept. When a new key would exceed it, keys whose
    /// interval has ended and that have nothing to report are removed first.
    private static let maximumKeyCount = 1024

    public let limit: Int
    public let interval: Duration
    private let states = LockedState<[String: KeyState]>([:])

    /// Creates a limiter that lets `limit` events of each key through per `interval`.
    /// `limit` must be at least 1 and `interval` must be positive.
    public init(limit: Int, interval: Duration) {
        precondition(limit >= 1, "RepeatLimiter limit must be at least 1, got \(limit)")
        precondition(interval > .zero, "RepeatLimiter interval must be positive, got \(interval)")
        self.limit = limit
        self.interval = interval
    }

    /// Decides whether the event of `key` happening at `now` is logged, and counts it.
    public func admit(_ key: String, at now: ContinuousClock.Instant = .now) -> Decision {
        states.withLock { states in
            guard var state = states[key], now - state.intervalStart < interval else {
                let carried = states[key]?.suppressed ?? 0
                if states[key] == nil && states.count >= Self.maximumKeyCount {
                    removeIdleKeys(from: &states, at: now)
                }
                states[key] = KeyState(intervalStart: now, passed: 1, suppressed: 0)
                return .log(suppressed: carried)
            }

            if state.passed < limit {
                state.passed += 1
                states[key] = state
                return .log(suppressed: 0)
            }

            state.suppressed += 1
            states[key] = state
            return .suppress
        }
    }

    private func removeIdleKeys(from states: inout [String: KeyState], at now: ContinuousClock.Instant) {
        states = states.filter { _, state in
            state.suppressed > 0 || now - state.intervalStart < interval
        }
    }
}
