import Foundation
import TallyStore
import Testing

/// One case of the outcome table: commands on issues of their own, and the outcomes expected
/// for each command, keyed by the command's message id.
struct OutcomeCase: Sendable, CustomTestStringConvertible {
    var name: String
    var commands: [TestCommand]
    /// Sorted outcomes per command, as `ReceivedMessage.outcome` writes them.
    var expected: [String: [String]]

    var testDescription: String { name }
}

extension OutcomeCase {
    static let now = Date()

    /// Every result kind and every rejection reason, each reached through the worker.
    static let all: [OutcomeCase] = {
        let now = Self.now
        func day(_ offset: Int) -> Date { CustomerFixtures.day(offset, from: now).addingTimeInterval(3_600) }
        func create(_ id: String, _ issue: Int64, _ customer: String, contact: String? = nil, contract: String? = nil, at: Date = now) -> TestCommand {
            Commands.createIssue(id, issue: issue, customer: customer, contact: contact ?? "\(customer)-1", contract: contract, at: at)
        }

        return [
            // issue.create
            OutcomeCase(name: "issue accepted", commands: [create("o-accept", 101, "act")], expected: ["o-accept": ["issue.accepted"]]),
            OutcomeCase(name: "issue unknown_customer", commands: [create("o-ucust", 102, "ghost", contact: "act-1")], expected: ["o-ucust": ["issue.rejected/unknown_customer"]]),
            OutcomeCase(name: "issue unknown_contact", commands: [create("o-ucont", 103, "act", contact: "ghost-1")], expected: ["o-ucont": ["issue.rejected/unknown_contact"]]),
            OutcomeCase(name: "issue contact_not_of_customer", commands: [create("o-cnoc", 104, "act", contact: "low-1")], expected: ["o-cnoc": ["issue.rejected/contact_not_of_customer"]]),
            OutcomeCase(name: "issue unknown_contract", commands: [create("o-uctr", 105, "act", contract: "nope-c")], expected: ["o-uctr": ["issue.rejected/unknown_contract"]]),
            OutcomeCase(name: "issue no_contract", commands: [create("o-noctr", 106, "none")], expected: ["o-noctr": ["issue.rejected/no_contract"]]),
            OutcomeCase(name: "issue contract_not_started", commands: [create("o-inots", 107, "soon")], expected: ["o-inots": ["issue.rejected/contract_not_started"]]),
            OutcomeCase(name: "issue contract_expired", commands: [create("o-iexp", 108, "old")], expected: ["o-iexp": ["issue.rejected/contract_expired"]]),

            // incident.redeem and incident.unredeem
            OutcomeCase(
                name: "redeem redeemed",
                commands: [create("o-r-c", 201, "act"), Commands.redeem("o-r", issue: 201, type: "email", at: now)],
                expected: ["o-r-c": ["issue.accepted"], "o-r": ["incident.redeemed"]]),
            OutcomeCase(
                name: "redeem quota.low",
                commands: [create("o-low-c", 202, "low"), Commands.redeem("o-low", issue: 202, type: "phone", at: now)],
                expected: ["o-low-c": ["issue.accepted"], "o-low": ["incident.redeemed", "quota.low"]]),
            OutcomeCase(
                name: "redeem no_incidents_left",
                commands: [
                    create("o-nil-c1", 203, "full"), create("o-nil-c2", 204, "full"),
                    Commands.redeem("o-nil-1", issue: 203, type: "phone", at: now),
                    Commands.redeem("o-nil-2", issue: 204, type: "phone", at: now),
                ],
                expected: [
                    "o-nil-c1": ["issue.accepted"], "o-nil-c2": ["issue.accepted"], "o-nil-1": ["incident.redeemed"],
                    "o-nil-2": ["incident.rejected/no_incidents_left"],
                ]),
            OutcomeCase(
                name: "redeem already_redeemed",
                commands: [
                    create("o-ar-c", 205, "act"), Commands.redeem("o-ar-1", issue: 205, type: "onsite", at: now),
                    Commands.redeem("o-ar-2", issue: 205, type: "onsite", at: now),
                ],
                expected: ["o-ar-c": ["issue.accepted"], "o-ar-1": ["incident.redeemed"], "o-ar-2": ["incident.rejected/already_redeemed"]]),
            OutcomeCase(
                name: "redeem of a rejected issue, at once",
                commands: [create("o-rji-c", 215, "ghost", contact: "act-1"), Commands.redeem("o-rji", issue: 215, type: "phone", at: now)],
                expected: ["o-rji-c": ["issue.rejected/unknown_customer"], "o-rji": ["incident.rejected/unknown_issue"]]),
            OutcomeCase(
                name: "redeem unknown_incident_type",
                commands: [create("o-uit-c", 206, "act"), Commands.redeem("o-uit", issue: 206, type: "fax", at: now)],
                expected: ["o-uit-c": ["issue.accepted"], "o-uit": ["incident.rejected/unknown_incident_type"]]),
            OutcomeCase(
                name: "redeem not_per_incident",
                commands: [create("o-npi-c", 207, "flat"), Commands.redeem("o-npi", issue: 207, type: "phone", at: now)],
                expected: ["o-npi-c": ["issue.accepted"], "o-npi": ["incident.rejected/not_per_incident"]]),
            OutcomeCase(
                name: "redeem contract_not_started",
                commands: [create("o-rns-c", 208, "soon", at: day(20)), Commands.redeem("o-rns", issue: 208, type: "phone", at: now)],
                expected: ["o-rns-c": ["issue.accepted"], "o-rns": ["incident.rejected/contract_not_started"]]),
            OutcomeCase(
                name: "redeem contract_expired",
                commands: [create("o-rexp-c", 209, "ending", at: day(-50)), Commands.redeem("o-rexp", issue: 209, type: "phone", at: now)],
                expected: ["o-rexp-c": ["issue.accepted"], "o-rexp": ["incident.rejected/contract_expired"]]),
            OutcomeCase(
                name: "redeem overage in grace period",
                commands: [
                    create("o-ovr-c1", 210, "grace"), create("o-ovr-c2", 211, "grace"),
                    Commands.redeem("o-ovr-1", issue: 210, type: "phone", at: now),
                    Commands.redeem("o-ovr-2", issue: 211, type: "phone", at: now),
                ],
                expected: [
                    "o-ovr-c1": ["issue.accepted"], "o-ovr-c2": ["issue.accepted"], "o-ovr-1": ["incident.redeemed"],
                    "o-ovr-2": ["incident.redeemed"],
                ]),
            OutcomeCase(
                name: "unredeem unredeemed",
                commands: [
                    create("o-un-c", 212, "act"), Commands.redeem("o-un-r", issue: 212, type: "email", at: now),
                    Commands.unredeem("o-un", issue: 212, type: "email", at: now),
                ],
                expected: ["o-un-c": ["issue.accepted"], "o-un-r": ["incident.redeemed"], "o-un": ["incident.unredeemed"]]),
            OutcomeCase(
                name: "unredeem not_redeemed",
                commands: [create("o-nr-c", 213, "act"), Commands.unredeem("o-nr", issue: 213, type: "email", at: now)],
                expected: ["o-nr-c": ["issue.accepted"], "o-nr": ["incident.rejected/not_redeemed"]]),

            // incident.update
            OutcomeCase(
                name: "update redeems, un-redeems, then nothing",
                commands: [
                    create("o-up-c", 214, "act"), Commands.update("o-up-1", issue: 214, types: ["email", "phone"], at: now),
                    Commands.update("o-up-2", issue: 214, types: ["phone"], at: now),
                    Commands.update("o-up-3", issue: 214, types: ["phone"], at: now),
                ],
                expected: [
                    "o-up-c": ["issue.accepted"], "o-up-1": ["incident.redeemed", "incident.redeemed"],
                    "o-up-2": ["incident.unredeemed"],
                ]),
        ]
    }()
}

/// The outcome table run once through one worker; each case then checks its own commands.
struct OutcomeRun: Sendable {
    var outcomes: [String: [String]]
    var overage: [String: Bool]
    var issueRejectionReasons: [String: String]
    /// Per un-redeem command, the ledger id it names and the ledger id of the redeem of the same
    /// issue and type that billing received.
    var creditedCharges: [String: (named: Int64?, charged: Int64?)]
    var ledgerCommands: [String: Int]
    var discrepancies: [LedgerDiscrepancy]
    var outboxCount: Int
    var workerExits: [Int32?]
    var logHint: String

    static let shared = Task<OutcomeRun, any Error> {
        let scenario = try await Scenario.make("outcomes", customers: CustomerFixtures.situations(now: OutcomeCase.now))
        let commands = OutcomeCase.all.flatMap(\.commands)
        let expectedResults = OutcomeCase.all.flatMap { $0.expected.values.joined() }.count

        try scenario.publish(commands)
        let tap = try scenario.tapResults()
        try scenario.startWorker("outcomes")
        try tap.collect(distinct: expectedResults, timeout: .seconds(30))
        try tap.collect(for: .milliseconds(500))
        let exits = scenario.stopWorkers()

        let customers = ["act", "low", "full", "grace", "old", "ending", "soon", "flat", "none"]
        let snapshot = try scenario.withStore { try StoreSnapshot($0, customers: customers) }
        var overage: [String: Bool] = [:]
        for message in tap.distinct where message.routingKey == "incident.redeemed" {
            overage[message.correlationID ?? ""] = message.isOverage
        }
        var issueRejectionReasons: [String: String] = [:]
        for message in tap.distinct where message.routingKey == "incident.rejected" {
            issueRejectionReasons[message.correlationID ?? ""] = message.issueRejectionReason ?? "-"
        }
        var creditedCharges: [String: (named: Int64?, charged: Int64?)] = [:]
        let charges = snapshot.ledger.filter { $0.action == .redeem }
        for message in tap.distinct where message.routingKey == "incident.unredeemed" {
            let ledgerRow = snapshot.ledger.first { $0.id == message.ledgerID }
            let charge = charges.last { $0.issueID == ledgerRow?.issueID && $0.incidentType == ledgerRow?.incidentType && $0.id < (ledgerRow?.id ?? 0) }
            creditedCharges[message.correlationID ?? ""] = (message.redemptionLedgerID, charge?.id)
        }
        let run = OutcomeRun(
            outcomes: tap.outcomesByCommand, overage: overage, issueRejectionReasons: issueRejectionReasons,
            creditedCharges: creditedCharges,
            ledgerCommands: Dictionary(grouping: snapshot.ledger, by: \.commandID).mapValues(\.count),
            discrepancies: snapshot.discrepancies, outboxCount: snapshot.outboxCount, workerExits: exits,
            logHint: scenario.logHint)
        await scenario.finish()
        return run
    }
}

@Suite struct OutcomeTests {
    @Test(arguments: OutcomeCase.all)
    func outcome(_ outcomeCase: OutcomeCase) async throws {
        let run = try await OutcomeRun.shared.value
        for (messageID, expected) in outcomeCase.expected.sorted(by: { $0.key < $1.key }) {
            #expect(run.outcomes[messageID] ?? [] == expected, "command \(messageID); \(run.logHint)")
        }
    }

    @Test func outcomeOverageFlagged() async throws {
        let run = try await OutcomeRun.shared.value
        #expect(run.overage["o-ovr-1"] == false)
        #expect(run.overage["o-ovr-2"] == true)
        #expect(run.overage["o-r"] == false)
    }

    @Test func outcomeCreditNamesItsCharge() async throws {
        let run = try await OutcomeRun.shared.value
        #expect(run.creditedCharges["o-un"]?.named != nil)
        #expect(run.creditedCharges["o-un"]?.named == run.creditedCharges["o-un"]?.charged)
        #expect(run.creditedCharges["o-up-2"]?.named != nil)
        #expect(run.creditedCharges["o-up-2"]?.named == run.creditedCharges["o-up-2"]?.charged)
    }

    @Test func outcomeRejectedIssueNamed() async throws {
        let run = try await OutcomeRun.shared.value
        #expect(run.issueRejectionReasons["o-rji"] == "unknown_customer")
        #expect(run.issueRejectionReasons["o-nr"] == "-")
    }

    @Test func outcomeNoCommandAnsweredTwice() async throws {
        let run = try await OutcomeRun.shared.value
        let published = Set(OutcomeCase.all.flatMap(\.commands).compactMap(\.messageID))
        #expect(Set(run.outcomes.keys).isSubset(of: published))
        // o-up-3 requests the set the issue already has, so it has no result.
        #expect(run.outcomes["o-up-3"] == nil)
    }

    @Test func outcomeLedgerMatchesResults() async throws {
        let run = try await OutcomeRun.shared.value
        #expect(run.discrepancies == [])
        #expect(run.outboxCount == 0)
        #expect(run.workerExits == [0])

        // One ledger row per redeemed or un-redeemed result, under the command that caused it.
        var expectedRows: [String: Int] = [:]
        for (messageID, outcomes) in run.outcomes {
            let rows = outcomes.filter { $0 == "incident.redeemed" || $0 == "incident.unredeemed" }.count
            if rows > 0 { expectedRows[messageID] = rows }
        }
        #expect(run.ledgerCommands == expectedRows)
    }
}
