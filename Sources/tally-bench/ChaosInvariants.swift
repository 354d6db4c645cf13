import Foundation
import SQLite
import TallyLoad
import TallyStore

/// The outcomes that the commands published so far must produce, by message id.
struct ChaosExpectations {
    /// Commands that end in exactly one decision: `issue.create`, `incident.redeem`,
    /// `incident.unredeem`.
    private(set) var decided: Set<String> = []
    /// `incident.update` commands: at most one decision per incident type, none when nothing
    /// changes.
    private(set) var updates: Set<String> = []
    /// Malformed commands with a message id, each dead-lettered at least once.
    private(set) var malformed: Set<String> = []
    /// Malformed commands without a message id: the worker names each copy it dead-letters
    /// `unidentified-<uuid>`, so a redelivered one may be dead-lettered twice.
    private(set) var malformedWithoutID = 0
    private(set) var published = 0

    mutating func add(_ commands: [PlannedCommand]) {
        published += commands.count
        for command in commands {
            guard let messageID = command.messageID else {
                malformedWithoutID += 1
                continue
            }
            if command.intent == .malformed {
                malformed.insert(messageID)
            } else if command.routingKey == "incident.update" {
                updates.insert(messageID)
            } else {
                decided.insert(messageID)
            }
        }
    }

    /// Message ids the inbox must hold once every command was processed.
    var inboxCount: Int {
        decided.count + updates.count + malformed.count
    }
}

/// The checks after each round. Each returns one line per violation, empty when it holds.
struct ChaosInvariants {
    let store: Store
    let runID: String

    static let decisionKinds: Set<String> = [
        "issue.accepted", "issue.rejected", "incident.redeemed", "incident.unredeemed", "incident.rejected",
    ]

    /// Returns whether everything published so far has been processed and delivered: every
    /// command has its decision, every malformed command its dead letter, and the outbox is
    /// empty.
    func isSettled(_ expected: ChaosExpectations, _ observer: ChaosObserver) throws -> Bool {
        let decisions = decisionCounts(observer)
        guard expected.decided.allSatisfy({ (decisions[$0] ?? 0) > 0 }) else { return false }
        guard expected.malformed.allSatisfy({ observer.deadLetters[$0] != nil }) else { return false }
        guard unidentifiedDeadLetters(observer) >= expected.malformedWithoutID else { return false }
        return try store.read { _ in
            let outbox = try store.database.queryFirst("SELECT count(*) FROM outbox")?.get(0, as: Int.self) ?? 0
            let inbox = try store.database.queryFirst(
                "SELECT count(*) FROM inbox WHERE message_id LIKE ?", "\(runID)-%")?.get(0, as: Int.self) ?? 0
            return outbox == 0 && inbox >= expected.inboxCount
        }
    }

    /// Runs every check in order and returns one line per violation.
    func check(_ expected: ChaosExpectations, _ observer: ChaosObserver) throws -> [String] {
        var violations: [String] = []
        violations += oneOutcomePerCommand(expected, observer)
        violations += try ledgerOncePerRedemption(observer)
        violations += try noQuotaOverdrawn()
        violations += try ledgerMatchesCounts()
        violations += deadLettersOnlyForMalformed(expected, observer)
        violations += try outboxEmpty()
        return violations
    }

    private func decisionCounts(_ observer: ChaosObserver) -> [String: Int] {
        observer.resultIDsByCommand.mapValues { ids in
            ids.filter { Self.decisionKinds.contains(observer.results[$0]?.routingKey ?? "") }.count
        }
    }

    private func unidentifiedDeadLetters(_ observer: ChaosObserver) -> Int {
        observer.deadLetters.keys.filter { $0.hasPrefix("unidentified-") }.count
    }

    /// Checks that every command has exactly one outcome: one distinct decision result id, or
    /// for an update at most one per incident type.
    func oneOutcomePerCommand(_ expected: ChaosExpectations, _ observer: ChaosObserver) -> [String] {
        var violations: [String] = []
        let decisions = decisionCounts(observer)
        for id in expected.decided.sorted() where decisions[id] != 1 {
            let ids = (observer.resultIDsByCommand[id] ?? []).sorted().joined(separator: ", ")
            violations.append("command \(id) has \(decisions[id] ?? 0) outcomes, expected 1 (results: \(ids.isEmpty ? "none" : ids))")
        }
        for id in expected.updates.sorted() {
            var byType: [String: Int] = [:]
            for resultID in observer.resultIDsByCommand[id] ?? [] {
                guard let result = observer.results[resultID], Self.decisionKinds.contains(result.routingKey) else { continue }
                byType[result.incidentType ?? "-", default: 0] += 1
            }
            for (type, count) in byType where count > 1 {
                violations.append("update \(id) has \(count) outcomes for incident type \(type), expected at most 1")
            }
        }
        return violations
    }

    /// Checks that every redeem and un-redeem is in the ledger once and reached billing with
    /// one result id, and that billing received nothing the ledger lacks.
    func ledgerOncePerRedemption(_ observer: ChaosObserver) throws -> [String] {
        var violations: [String] = []
        var billed: [String: Set<String>] = [:]
        for (id, result) in observer.results where result.routingKey == "incident.redeemed" || result.routingKey == "incident.unredeemed" {
            let action = result.routingKey == "incident.redeemed" ? "redeem" : "unredeem"
            billed["\(action) \(result.correlationID) \(result.incidentType ?? "-")", default: []].insert(id)
        }

        let rows = try store.read { _ in
            try store.database.query("SELECT action, command_id, incident_type, count(*) FROM ledger GROUP BY 1, 2, 3")
        }
        var ledgerKeys: Set<String> = []
        for row in rows {
            let key = "\(try row.get(0, as: String.self)) \(try row.get(1, as: String.self)) \(try row.get(2, as: String.self))"
            let count = try row.get(3, as: Int.self)
            ledgerKeys.insert(key)
            if count != 1 {
                violations.append("ledger holds \(key) \(count) times, expected once")
            }
            let ids = billed[key] ?? []
            if ids.count != 1 {
                violations.append("billing received \(ids.count) result ids for ledger entry \(key), expected 1")
            }
        }
        for key in billed.keys.sorted() where !ledgerKeys.contains(key) {
            violations.append("billing received \(key) but the ledger has no such entry")
        }
        return violations
    }

    /// Checks that no contract without overage uses more incidents of a type than its total.
    func noQuotaOverdrawn() throws -> [String] {
        let rows = try store.read { _ in
            try store.database.query("""
                SELECT ic.contract_id, ic.incident_type, ic.used, coalesce(ct.total, 0)
                FROM incident_counts ic
                JOIN contracts c ON c.id = ic.contract_id
                LEFT JOIN contract_totals ct ON ct.contract_id = ic.contract_id AND ct.incident_type = ic.incident_type
                WHERE c.allows_overage = 0 AND ic.used > coalesce(ct.total, 0)
                """)
        }
        return try rows.map { row in
            "contract \(try row.get(0, as: String.self)) type \(try row.get(1, as: String.self)): used \(try row.get(2, as: Int.self)) of \(try row.get(3, as: Int.self))"
        }
    }

    /// Checks that the used counts equal the ledger's redeems minus un-redeems and the live
    /// redemptions.
    func ledgerMatchesCounts() throws -> [String] {
        try store.read { transaction in try transaction.verifyLedger() }.map { "ledger and counts disagree: \($0)" }
    }

    /// Checks that dead letters carry a malformed-command reason and belong to malformed commands only,
    /// and each malformed command was dead-lettered.
    func deadLettersOnlyForMalformed(_ expected: ChaosExpectations, _ observer: ChaosObserver) -> [String] {
        var violations: [String] = []
        for (id, deadLetter) in observer.deadLetters.sorted(by: { $0.key < $1.key }) {
            let isMalformed = expected.malformed.contains(id) || id.hasPrefix("unidentified-")
            if !isMalformed {
                violations.append("dead letter \(id) (\(deadLetter.routingKey), reason \(deadLetter.reason ?? "none")) is not a malformed command")
            } else if deadLetter.reason == nil || deadLetter.reason == "processing_failed" {
                violations.append("dead letter \(id) has reason \(deadLetter.reason ?? "none"), expected a malformed-command reason")
            }
        }
        for id in expected.malformed.sorted() where observer.deadLetters[id] == nil {
            violations.append("malformed command \(id) was not dead-lettered")
        }
        if unidentifiedDeadLetters(observer) < expected.malformedWithoutID {
            violations.append("\(expected.malformedWithoutID) commands without message id, but \(unidentifiedDeadLetters(observer)) dead letters for them")
        }
        return violations
    }

    func outboxEmpty() throws -> [String] {
        let count = try store.read { _ in
            try store.database.queryFirst("SELECT count(*) FROM outbox")?.get(0, as: Int.self) ?? 0
        }
        return count == 0 ? [] : ["\(count) results still in the outbox"]
    }
}
