/// The lifecycle of a worker process, as one explicit state machine.
///
/// The worker feeds every event it sees into `handle(_:)` and logs each change; the heartbeat row
/// shows the current state to `tallyctl status`. The machine does no I/O, so the rules below are
/// tested on their own:
/// - `blocked` and `waitingForStorage` are pauses of `consuming`: nothing is acked meanwhile.
/// - A lost connection goes back to `connecting` from any running state, unless a stop was
///   requested, which ends in `stopped` instead of reconnecting.
/// - `stopped` is final.
public enum WorkerState: String, Sendable, Equatable, CaseIterable {
    case starting
    case connecting
    case consuming
    /// The broker sent `connection.blocked`: results cannot be published, so acks are held.
    case blocked
    /// A database write failed (disk full, read-only, locked too long): deliveries are held
    /// unacked and the write is tried again after a delay.
    case waitingForStorage = "waiting_for_storage"
    /// A stop was requested: no new deliveries; in-flight work is finished, the outbox drained.
    case draining
    case stopped
}

public enum WorkerEvent: Sendable, Equatable {
    case connectStarted
    case connected
    case connectionLost
    case blocked
    case unblocked
    case storageFailed
    case storageRecovered
    case stopRequested
    case drained
}

public struct WorkerStateMachine: Sendable {
    public private(set) var state: WorkerState = .starting

    public init() {}

    /// Applies an event and returns the new state when it changed, or nil when it did not.
    @discardableResult
    public mutating func handle(_ event: WorkerEvent) -> WorkerState? {
        let next = Self.nextState(from: state, on: event)
        guard next != state else { return nil }
        state = next
        return next
    }

    static func nextState(from state: WorkerState, on event: WorkerEvent) -> WorkerState {
        switch (state, event) {
        case (.stopped, _):
            return .stopped
        case (_, .stopRequested):
            return state == .starting || state == .connecting ? .stopped : .draining
        case (.draining, .drained), (.draining, .connectionLost):
            return .stopped
        case (.draining, _):
            return .draining
        case (.starting, .connectStarted), (.consuming, .connectionLost), (.blocked, .connectionLost),
            (.waitingForStorage, .connectionLost):
            return .connecting
        case (.connecting, .connected):
            return .consuming
        case (.consuming, .blocked):
            return .blocked
        case (.blocked, .unblocked):
            return .consuming
        case (.consuming, .storageFailed), (.blocked, .storageFailed):
            return .waitingForStorage
        case (.waitingForStorage, .storageRecovered):
            return .consuming
        default:
            return state
        }
    }
}
