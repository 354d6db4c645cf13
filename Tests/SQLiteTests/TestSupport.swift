import Foundation
import SQLite

/// A fresh folder under the system temporary directory, removed with its contents on deinit.
final class TemporaryFolder {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "sqlite-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Returns the path of a file in this folder.
    func file(_ name: String) -> String {
        path + "/" + name
    }

    /// Opens a database file in this folder.
    func openDatabase(
        _ name: String = "test.sqlite", configure: (inout Database.Configuration) -> Void = { _ in }
    ) throws -> Database {
        var configuration = Database.Configuration()
        configure(&configuration)
        return try Database(path: file(name), configuration: configuration)
    }
}

/// Runs `body` on a new thread and returns its result, without blocking the caller's thread.
///
/// Tests use it for a second connection that must block inside SQLite while the test holds a
/// lock with the first.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.start()
    }
}

/// Returns the seconds `body` took on the monotonic clock.
func measure(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try body()
    let elapsed = clock.now - start
    return elapsed / .seconds(1)
}
