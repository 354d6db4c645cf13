import Foundation
import Testing
@testable import TallyStore

@Suite struct StoreMessagingTests {
    static let now = Date(timeIntervalSince1970: 1_781_000_000.123)

    @Test func inboxDetectsDuplicate() throws {
        let temporary = try TemporaryStore()
        let first = try temporary.store.write { try $0.recordInbox(messageID: "m-1", routingKey: "incident.redeem", receivedAt: Self.now) }
        let again = try temporary.store.write { try $0.recordInbox(messageID: "m-1", routingKey: "incident.redeem", receivedAt: Self.now) }
        let other = try temporary.store.write { try $0.recordInbox(messageID: "m-2", routingKey: "issue.create", receivedAt: Self.now) }

        #expect(first)
        #expect(!again)
        #expect(other)
        #expect(try temporary.store.read { try $0.inboxCount() } == 2)
    }

    @Test func inboxDeletesOldIDs() throws {
        let temporary = try TemporaryStore()
        _ = try temporary.store.write { try $0.recordInbox(messageID: "old", routingKey: "k", receivedAt: Self.now.addingTimeInterval(-100)) }
        _ = try temporary.store.write { try $0.recordInbox(messageID: "new", routingKey: "k", receivedAt: Self.now) }

        #expect(try temporary.store.write { try $0.deleteInbox(receivedBefore: Self.now.addingTimeInterval(-1)) } == 1)
        #expect(try temporary.store.read { try $0.inboxCount() } == 1)
        #expect(try temporary.store.write { try $0.recordInbox(messageID: "old", routingKey: "k", receivedAt: Self.now) })
    }

    static func message(_ number: Int, createdAt: Date = now) -> OutboxMessage {
        OutboxMessage(
            exchange: "tally.events", routingKey: "incident.redeemed", messageID: "out-\(number)",
            correlationID: "in-\(number)", type: "incident.redeemed", headers: ["schema": "1", "b": "two"],
            body: Array("{\"n\":\(number)}".utf8), createdAt: createdAt)
    }

    @Test func outboxRoundTripsOldestFirst() throws {
        let temporary = try TemporaryStore()
        let ids = try temporary.store.write { transaction in
            try (1...3).map { try transaction.enqueueOutbox(Self.message($0, createdAt: Self.now.addingTimeInterval(Double($0)))) }
        }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == 3)

        let pending = try temporary.store.read { try $0.pendingOutbox(limit: 10) }
        #expect(pending.map(\.messageID) == ["out-1", "out-2", "out-3"])
        #expect(pending.map(\.id) == ids)

        var expected = Self.message(1, createdAt: Self.now.addingTimeInterval(1))
        expected.id = ids[0]
        expected.createdAt = pending[0].createdAt
        #expect(pending[0] == expected)
        #expect(abs(pending[0].createdAt.timeIntervalSince(Self.now.addingTimeInterval(1))) < 0.001)

        #expect(try temporary.store.read { try $0.pendingOutbox(limit: 2) }.count == 2)
        let beforeSecond = try temporary.store.read { try $0.pendingOutbox(limit: 10, createdBefore: Self.now.addingTimeInterval(2)) }
        #expect(beforeSecond.map(\.messageID) == ["out-1"])
    }

    @Test func outboxStatisticsAndDelete() throws {
        let temporary = try TemporaryStore()
        let empty = try temporary.store.read { try $0.outboxStatistics() }
        #expect(empty.count == 0)
        #expect(empty.oldestCreatedAt == nil)

        let ids = try temporary.store.write { transaction in
            try (1...4).map { try transaction.enqueueOutbox(Self.message($0, createdAt: Self.now.addingTimeInterval(Double($0)))) }
        }
        let statistics = try temporary.store.read { try $0.outboxStatistics() }
        #expect(statistics.count == 4)
        #expect(statistics.oldestCreatedAt.map { abs($0.timeIntervalSince(Self.now.addingTimeInterval(1))) < 0.001 } == true)

        try temporary.store.write { try $0.deleteOutbox(ids: [ids[0], ids[2], 99_999]) }
        #expect(try temporary.store.read { try $0.pendingOutbox(limit: 10) }.map(\.messageID) == ["out-2", "out-4"])
    }

    @Test func outboxDeletesLargeBatches() throws {
        let temporary = try TemporaryStore()
        let ids = try temporary.store.write { transaction in
            try (1...1_203).map { try transaction.enqueueOutbox(Self.message($0)) }
        }
        try temporary.store.write { try $0.deleteOutbox(ids: Array(ids.dropLast())) }
        #expect(try temporary.store.read { try $0.outboxStatistics() }.count == 1)
    }

    @Test func outboxFailureCountsAttempts() throws {
        let temporary = try TemporaryStore()
        let id = try temporary.store.write { try $0.enqueueOutbox(Self.message(1)) }
        try temporary.store.write { try $0.recordOutboxFailure(id: id, error: "returned: NO_ROUTE", at: Self.now) }
        try temporary.store.write { try $0.recordOutboxFailure(id: id, error: "connection lost", at: Self.now) }

        let message = try #require(try temporary.store.read { try $0.pendingOutbox(limit: 1) }.first)
        #expect(message.attempts == 2)
        #expect(message.lastError == "connection lost")
    }

    @Test func heartbeatUpsertsByWorker() throws {
        let temporary = try TemporaryStore()
        var heartbeat = WorkerHeartbeat(
            workerID: "w-1", pid: 4242, host: "host-a", startedAt: Date(timeIntervalSince1970: 1_781_000_000),
            lastActivityAt: Date(timeIntervalSince1970: 1_781_000_010), state: "running", counters: ["handled": 3])
        try temporary.store.write { try $0.recordHeartbeat(heartbeat) }
        heartbeat.lastActivityAt = Date(timeIntervalSince1970: 1_781_000_020)
        heartbeat.state = "draining"
        heartbeat.counters = ["handled": 9, "retried": 1]
        try temporary.store.write { try $0.recordHeartbeat(heartbeat) }
        let other = WorkerHeartbeat(
            workerID: "w-0", pid: 1, host: "host-b", startedAt: heartbeat.startedAt, lastActivityAt: heartbeat.startedAt, state: "running")
        try temporary.store.write { try $0.recordHeartbeat(other) }

        let stored = try temporary.store.read { try $0.heartbeats() }
        #expect(stored.map(\.workerID) == ["w-0", "w-1"])
        #expect(stored.last?.state == "draining")
        #expect(stored.last?.counters == ["handled": 9, "retried": 1])
        #expect(stored.last?.lastActivityAt == heartbeat.lastActivityAt)
        #expect(stored.allSatisfy { $0.recordedAt != nil })
    }

    @Test func heartbeatKeepsGivenRecordingTime() throws {
        let temporary = try TemporaryStore()
        let recordedAt = Date(timeIntervalSince1970: 1_781_000_030)
        let heartbeat = WorkerHeartbeat(
            workerID: "w-1", pid: 1, host: "host-a", startedAt: recordedAt, lastActivityAt: recordedAt,
            state: "consuming", recordedAt: recordedAt)

        try temporary.store.write { try $0.recordHeartbeat(heartbeat) }

        let stored = try temporary.store.read { try $0.heartbeats() }
        #expect(stored == [heartbeat])
    }
}
