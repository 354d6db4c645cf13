import Foundation
import Synchronization

/// SIGTERM and SIGINT handling: the first signal asks the worker to stop gracefully; a second
/// one ends the process at once with status 130 (nothing committed is lost: unacked deliveries
/// come back from the broker and the outbox survives in SQLite).
public enum ShutdownSignal {
    /// The number of the first stop signal received, or 0.
    private static let received = Atomic<Int32>(0)

    /// Installs the handlers. Call once, before the worker starts.
    public static func install() {
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber) { number in
                let (exchanged, _) = ShutdownSignal.received.compareExchange(
                    expected: 0, desired: number, ordering: .relaxed)
                if !exchanged {
                    _exit(130)
                }
            }
        }
    }

    /// The signal that asked for the stop, or nil while none has.
    public static var requested: Int32? {
        let value = received.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// Asks for a graceful stop as a signal would (for tests and embedding).
    public static func request(_ signalNumber: Int32 = SIGTERM) {
        _ = received.compareExchange(expected: 0, desired: signalNumber, ordering: .relaxed)
    }

    /// Forgets a stop request, so tests can run several workers one after the other.
    public static func reset() {
        received.store(0, ordering: .relaxed)
    }
}
