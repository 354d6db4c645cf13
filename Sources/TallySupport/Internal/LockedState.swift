import Foundation

/// A mutable value that is read and written only while holding a lock.
///
/// `NSLock` is used rather than `Synchronization.Mutex` because `Mutex` needs macOS 15
/// and the package supports macOS 14.
final class LockedState<State>: @unchecked Sendable {
    // Sendable is sound because `state` is touched only inside `withLock`, under `lock`.
    private let lock = NSLock()
    private var state: State

    init(_ state: State) {
        self.state = state
    }

    func withLock<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&state)
    }
}
