import Foundation
import TallyStore
import Testing

/// Holds the database's write lock on a thread of its own until `release()`, as another
/// process with a long transaction would.
final class WriteLockHolder: @unchecked Sendable {
    private let lockTaken = DispatchSemaphore(value: 0)
    private let releaseSignal = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(path: String) {
        let thread = Thread { [self] in
            defer { finished.signal() }
            guard let store = try? Store(path: path) else {
                lockTaken.signal()
                return
            }
            defer { store.close() }
            _ = try? store.write { _ in
                lockTaken.signal()
                releaseSignal.wait()
            }
        }
        thread.start()
        lockTaken.wait()
    }

    /// Commits the empty transaction and waits until the lock is free.
    func release() {
        releaseSignal.signal()
        finished.wait()
    }
}

@Suite struct StorageTests {
    /// While another connection holds the write lock, the worker cannot commit, so it acks
    /// nothing and publishes nothing. Once the lock is free, it processes every command once.
    @Test func ackWaitsForCommit() async throws {
        let now = Date()
        let scenario = try await Scenario.make("storage", customers: CustomerFixtures.tightQuotas(customers: 1, total: 100, now: now))
        let results = try scenario.tapResults()
        let worker = try scenario.startWorker("storage", arguments: ["--busy-timeout", "0.1"])
        #expect(worker.waitForLog("msg=consuming", timeout: .seconds(15)))

        let lock = WriteLockHolder(path: scenario.databasePath)
        let commands = (1...10).map { number in
            Commands.createIssue("storage-\(number)", issue: Int64(number), customer: "Q001", contact: "Q001-1", at: now)
        }
        try scenario.publish(commands)
        #expect(worker.waitForLog("database write failed; holding deliveries unacked", timeout: .seconds(15)), "\(scenario.logHint)")
        // Queue statistics refresh every 5 seconds.
        let commandsHeld = eventually(timeout: .seconds(15)) {
            guard let counts = try? scenario.queueCounts("tally.commands") else { return false }
            return counts.ready + counts.unacked == commands.count
        }
        #expect(commandsHeld, "commands were acked before their transaction committed")
        try results.collect(for: .milliseconds(500))
        #expect(results.messages.isEmpty)

        lock.release()
        #expect(try results.collect(distinct: commands.count, timeout: .seconds(30)))
        #expect(worker.waitForLog("database writable again; resuming", timeout: .seconds(5)))
        #expect(scenario.stopWorkers() == [0])
        #expect(try scenario.readyCount("tally.commands") == 0)
        #expect(Set(results.outcomesByCommand.keys) == Set(commands.compactMap(\.messageID)))
        #expect(results.outcomesByCommand.values.allSatisfy { $0 == ["issue.accepted"] })
        #expect(try scenario.withStore { try $0.read { try $0.inboxCount() } } == commands.count)
        await scenario.finish()
    }
}
