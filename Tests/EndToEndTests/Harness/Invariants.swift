import Foundation
import TallyStore

/// The checks every chaos test makes after a run: one outcome per command, each redemption in
/// the ledger once and billed once, no quota overdrawn. Each property lists the violations and
/// is empty when there are none.
struct RunInvariants {
    let results: [ReceivedMessage]
    let snapshot: StoreSnapshot

    /// `results` are the distinct results received; `snapshot` the database afterwards.
    init(results: [ReceivedMessage], snapshot: StoreSnapshot) {
        self.results = results
        self.snapshot = snapshot
    }

    /// Commands with two different outcomes for one subject (the issue, or one
    /// incident type): the sign of a command processed twice.
    var commandsAnsweredTwice: [String] {
        var outcomes: [String: Set<String>] = [:]
        for result in results where result.routingKey != "quota.low" {
            let subject = result.routingKey.hasPrefix("issue.") ? "issue" : (result.incidentType ?? "?")
            outcomes["\(result.correlationID ?? "?") \(subject)", default: []].insert(result.routingKey)
        }
        return outcomes.filter { $0.value.count > 1 }.map { "\($0.key): \($0.value.sorted())" }.sorted()
    }

    /// Commands among `commandIDs` without any result.
    func unanswered(_ commandIDs: Set<String>) -> [String] {
        let answered = Set(results.compactMap(\.correlationID))
        return commandIDs.subtracting(answered).sorted()
    }

    /// Ledger ids billed (in `incident.redeemed` results) that are not redeem rows of the
    /// ledger, and redeem rows that were never billed; the same for un-redeems.
    var billingMismatches: [String] {
        var mismatches: [String] = []
        for (kind, action) in [("incident.redeemed", LedgerEntry.Action.redeem), ("incident.unredeemed", .unredeem)] {
            let billed = results.filter { $0.routingKey == kind }.compactMap(\.ledgerID)
            let rows = snapshot.ledger.filter { $0.action == action }.map(\.id)
            if billed.count != Set(billed).count {
                mismatches.append("\(kind): a ledger id is billed twice")
            }
            let missing = Set(rows).subtracting(billed).sorted()
            let unknown = Set(billed).subtracting(rows).sorted()
            if !missing.isEmpty { mismatches.append("\(kind): ledger rows never billed: \(missing.prefix(10))") }
            if !unknown.isEmpty { mismatches.append("\(kind): billed ids not in the ledger: \(unknown.prefix(10))") }
        }
        return mismatches
    }

    /// Ledger rows whose command, incident type and action repeat.
    var repeatedLedgerRows: [String] {
        let keys = snapshot.ledger.map { "\($0.commandID) \($0.incidentType) \($0.action)" }
        return Dictionary(grouping: keys) { $0 }.filter { $0.value.count > 1 }.keys.sorted()
    }
}
