import Foundation
import Testing
@testable import TallyStore

@Suite struct StoreInboxTests {
    let digestA: [UInt8] = Array(repeating: 0xA1, count: 32)
    let digestB: [UInt8] = Array(repeating: 0xB2, count: 32)
    let now = Date(timeIntervalSince1970: 1_780_000_000)

    func entry(_ id: String, _ digest: [UInt8]?, _ disposition: InboxDisposition = .processed) -> InboxEntry {
        InboxEntry(messageID: id, routingKey: "incident.redeem", bodyDigest: digest, disposition: disposition)
    }

    @Test func claimRecordsNewID() throws {
        let temporary = try TemporaryStore()

        let prior = try temporary.store.write { try $0.claimInbox(entry("m-1", digestA), receivedAt: now) }

        #expect(prior == nil)
        let stored = try temporary.store.read { try $0.inboxEntry(messageID: "m-1") }
        #expect(stored == entry("m-1", digestA))
    }

    @Test func claimReturnsEntryAlreadyThere() throws {
        let temporary = try TemporaryStore()
        try temporary.store.write { _ = try $0.claimInbox(entry("m-1", digestA), receivedAt: now) }

        let prior = try temporary.store.write { try $0.claimInbox(entry("m-1", digestB), receivedAt: now) }

        #expect(prior == entry("m-1", digestA))
        #expect(prior?.hasBody(digest: digestA) == true)
        #expect(prior?.hasBody(digest: digestB) == false)
    }

    @Test func replaceTakesOverDeadLetteredID() throws {
        let temporary = try TemporaryStore()
        try temporary.store.write { _ = try $0.claimInbox(entry("m-1", digestA, .deadLettered), receivedAt: now) }

        try temporary.store.write { try $0.replaceInbox(entry("m-1", digestB), receivedAt: now) }

        let stored = try temporary.store.read { try $0.inboxEntry(messageID: "m-1") }
        #expect(stored == entry("m-1", digestB, .processed))
        #expect(try temporary.store.read { try $0.inboxCount() } == 1)
    }

    @Test func entryWithoutDigestMatchesAnyBody() {
        #expect(entry("m-1", nil).hasBody(digest: digestA))
    }

    @Test func olderRecordHasNoDigestAndIsProcessed() throws {
        let temporary = try TemporaryStore()
        try temporary.store.write { transaction in
            _ = try transaction.recordInbox(messageID: "m-old", routingKey: "issue.create", receivedAt: now)
        }

        let stored = try temporary.store.read { try $0.inboxEntry(messageID: "m-old") }

        #expect(stored == InboxEntry(messageID: "m-old", routingKey: "issue.create", bodyDigest: nil, disposition: .processed))
    }

    @Test func outboxKeepsContentType() throws {
        let temporary = try TemporaryStore()
        let message = OutboxMessage(
            exchange: "tally.dead", routingKey: "incident.redeem", messageID: "m-1", body: [0xFF],
            createdAt: now, contentType: "text/plain")

        try temporary.store.write { _ = try $0.enqueueOutbox(message) }

        let pending = try temporary.store.read { try $0.pendingOutbox(limit: 10) }
        #expect(pending.count == 1)
        #expect(pending.first?.contentType == "text/plain")
    }
}
