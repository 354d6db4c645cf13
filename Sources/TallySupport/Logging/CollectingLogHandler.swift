/// A handler that keeps every event in memory, for tests that check what was logged.
///
/// Copies of the handler share one store, so a test can keep a reference while the
/// code under test logs through a `Logger`.
public struct CollectingLogHandler: LogHandler {
    private let store = LockedState<[LogEvent]>([])

    public init() {}

    public func log(_ event: LogEvent) {
        store.withLock { $0.append(event) }
    }

    /// The events received so far, oldest first.
    public var events: [LogEvent] {
        store.withLock { $0 }
    }

    /// Removes the events received so far.
    public func removeAll() {
        store.withLock { $0.removeAll() }
    }
}
