import Foundation
import Testing
@testable import TallyCore

@Suite struct RulesIncidentTests {
    typealias F = RulesFixtures

    static let issue = IssueRecord(issueID: 42, projectID: 1, customerID: "1", contactID: "87", contractID: "c1", createdAt: F.now)

    /// The issue on contract c1 (phone 5, email 10), with `used` live redemptions counted against
    /// it and `redeemed` of them belonging to issue 42.
    static func snapshot(
        contract: Contract = F.contracts[0], used: [IncidentTypeID: Int] = [:], redeemed: Set<IncidentTypeID> = [],
        knownIssue: Bool = true
    ) -> IncidentSnapshot {
        guard knownIssue else { return IncidentSnapshot(issue: nil, incidentTypes: F.incidentTypes, contract: nil) }
        let state = ContractState(contract: contract, supportLevel: F.level, used: used)
        var redemptions: [IncidentTypeID: ContractState] = [:]
        for type in redeemed { redemptions[type] = state }
        return IncidentSnapshot(issue: issue, incidentTypes: F.incidentTypes, contract: state, redemptions: redemptions)
    }

    static func request(_ type: IncidentTypeID, at instant: Date = F.now) -> IncidentRequest {
        IncidentRequest(issueID: 42, incidentType: type, actor: "admin", requestedAt: instant)
    }

    static func reason(_ outcome: IncidentOutcome) -> IncidentRejectionReason? {
        if case .rejected(let rejection) = outcome { return rejection.reason }
        return nil
    }

    static let c1 = F.contracts[0]
    static var plain: Contract { var c = c1; c.isPerIncident = false; return c }
    static var expired: Contract { var c = c1; c.startsAt = F.now.addingTimeInterval(-500 * F.day); c.endsAt = F.now.addingTimeInterval(-200 * F.day); return c }
    static var notStarted: Contract { var c = c1; c.startsAt = F.now.addingTimeInterval(F.day); return c }
    static var overage: Contract { var c = c1; c.allowsOverage = true; return c }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var type: IncidentTypeID
        var snapshot: IncidentSnapshot
        var reason: IncidentRejectionReason?
        var testDescription: String { name }
    }

    static let redeemCases: [Case] = [
        Case(name: "success", type: "phone", snapshot: snapshot(used: ["phone": 2]), reason: nil),
        Case(name: "in grace period", type: "phone", snapshot: snapshot(contract: F.contracts[2]), reason: nil),
        Case(name: "unknown issue", type: "phone", snapshot: snapshot(knownIssue: false), reason: .unknownIssue),
        Case(name: "unknown type", type: "fax", snapshot: snapshot(), reason: .unknownIncidentType),
        Case(name: "not per-incident", type: "phone", snapshot: snapshot(contract: plain), reason: .notPerIncident),
        Case(name: "not started", type: "phone", snapshot: snapshot(contract: notStarted), reason: .contractNotStarted),
        Case(name: "expired", type: "phone", snapshot: snapshot(contract: expired), reason: .contractExpired),
        Case(name: "already redeemed", type: "phone", snapshot: snapshot(used: ["phone": 1], redeemed: ["phone"]), reason: .alreadyRedeemed),
        Case(name: "none left", type: "phone", snapshot: snapshot(used: ["phone": 5]), reason: .noIncidentsLeft),
        Case(name: "type without total", type: "onsite", snapshot: snapshot(), reason: .noIncidentsLeft),
        Case(name: "total lowered below used", type: "phone", snapshot: snapshot(used: ["phone": 7]), reason: .noIncidentsLeft),
        Case(name: "overage allowed", type: "phone", snapshot: snapshot(contract: overage, used: ["phone": 5]), reason: nil),
        // Precedence: the first reason in the declared order wins.
        Case(name: "unknown issue and type", type: "fax", snapshot: snapshot(knownIssue: false), reason: .unknownIssue),
        Case(name: "unknown type, not per-incident", type: "fax", snapshot: snapshot(contract: plain), reason: .unknownIncidentType),
        Case(name: "not per-incident and expired", type: "phone", snapshot: snapshot(contract: { var c = expired; c.isPerIncident = false; return c }()), reason: .notPerIncident),
        Case(name: "not started and none left", type: "phone", snapshot: snapshot(contract: notStarted, used: ["phone": 5]), reason: .contractNotStarted),
        Case(name: "expired and already redeemed", type: "phone", snapshot: snapshot(contract: expired, redeemed: ["phone"]), reason: .contractExpired),
        Case(name: "already redeemed and none left", type: "phone", snapshot: snapshot(used: ["phone": 5], redeemed: ["phone"]), reason: .alreadyRedeemed),
    ]

    static let unredeemCases: [Case] = [
        Case(name: "success", type: "phone", snapshot: snapshot(used: ["phone": 3], redeemed: ["phone"]), reason: nil),
        Case(name: "after expiry", type: "phone", snapshot: snapshot(contract: expired, used: ["phone": 1], redeemed: ["phone"]), reason: nil),
        Case(name: "before start", type: "phone", snapshot: snapshot(contract: notStarted, used: ["phone": 1], redeemed: ["phone"]), reason: nil),
        Case(name: "unknown issue", type: "phone", snapshot: snapshot(knownIssue: false), reason: .unknownIssue),
        Case(name: "unknown type", type: "fax", snapshot: snapshot(), reason: .unknownIncidentType),
        Case(name: "not per-incident", type: "phone", snapshot: snapshot(contract: plain), reason: .notPerIncident),
        Case(name: "not redeemed", type: "phone", snapshot: snapshot(used: ["phone": 3]), reason: .notRedeemed),
        Case(name: "other type redeemed", type: "email", snapshot: snapshot(used: ["phone": 1], redeemed: ["phone"]), reason: .notRedeemed),
        Case(name: "unknown issue and type", type: "fax", snapshot: snapshot(knownIssue: false), reason: .unknownIssue),
        Case(name: "unknown type, not per-incident", type: "fax", snapshot: snapshot(contract: plain), reason: .unknownIncidentType),
        Case(name: "not per-incident, not redeemed", type: "phone", snapshot: snapshot(contract: plain), reason: .notPerIncident),
    ]

    @Test(arguments: redeemCases)
    func redeemCase(_ testCase: Case) {
        let outcome = IncidentRules.redeem(Self.request(testCase.type), snapshot: testCase.snapshot)
        #expect(Self.reason(outcome) == testCase.reason)
        if testCase.reason == nil, case .redeemed(let redemption) = outcome {
            #expect(redemption.quota.used == (testCase.snapshot.contract?.used[testCase.type] ?? 0) + 1)
        } else if testCase.reason == nil {
            Issue.record("expected a redemption, got \(outcome)")
        }
    }

    @Test(arguments: unredeemCases)
    func unredeemCase(_ testCase: Case) {
        let outcome = IncidentRules.unredeem(Self.request(testCase.type), snapshot: testCase.snapshot)
        #expect(Self.reason(outcome) == testCase.reason)
        if testCase.reason == nil, case .unredeemed(let redemption) = outcome {
            #expect(redemption.quota.used == (testCase.snapshot.contract?.used[testCase.type] ?? 0) - 1)
        } else if testCase.reason == nil {
            Issue.record("expected an un-redeem, got \(outcome)")
        }
    }

    @Test func everyReasonIsCovered() {
        let covered = Set((Self.redeemCases + Self.unredeemCases).compactMap(\.reason))
        #expect(covered == Set(IncidentRejectionReason.allCases))
    }

    @Test func redeemReturnsCountersAfter() {
        guard case .redeemed(let redemption) = IncidentRules.redeem(Self.request("phone"), snapshot: Self.snapshot(used: ["phone": 2])) else {
            Issue.record("expected a redemption")
            return
        }
        #expect(redemption.quota == IncidentQuota(incidentType: "phone", total: 5, used: 3))
        #expect(redemption.quota.remaining == 2)
        #expect(redemption.issueID == 42)
        #expect(redemption.customerID == "1")
        #expect(redemption.contractID == "c1")
        #expect(redemption.contractStatus == .active)
        #expect(redemption.supportLevel == F.level)
        #expect(redemption.actor == "admin")
        #expect(redemption.at == F.now)
        #expect(redemption.ledgerID == 0)
        #expect(!redemption.isOverage)
        #expect(!redemption.isLowQuota)
        #expect(redemption.lowWaterMark == nil)
    }

    @Test func overageRedeemIsFlagged() {
        let outcome = IncidentRules.redeem(Self.request("phone"), snapshot: Self.snapshot(contract: Self.overage, used: ["phone": 6]))
        guard case .redeemed(let redemption) = outcome else {
            Issue.record("expected a redemption, got \(outcome)")
            return
        }
        #expect(redemption.isOverage)
        #expect(redemption.quota.used == 7)
        #expect(redemption.quota.remaining == 0)
    }

    @Test func overageContractBelowTotalIsNotOverage() {
        let outcome = IncidentRules.redeem(Self.request("phone"), snapshot: Self.snapshot(contract: Self.overage, used: ["phone": 4]))
        guard case .redeemed(let redemption) = outcome else {
            Issue.record("expected a redemption, got \(outcome)")
            return
        }
        #expect(!redemption.isOverage)
        #expect(redemption.quota.remaining == 0)
    }

    static let lowWaterCases: [(used: Int, mark: Int, isLow: Bool)] = [
        (0, 2, false), (1, 2, false), (2, 2, true), (3, 2, true), (4, 2, true), (0, 0, false), (4, 0, true),
    ]

    @Test(arguments: lowWaterCases)
    func lowWaterNotice(used: Int, mark: Int, isLow: Bool) {
        var contract = Self.c1
        contract.lowWaterMarks = ["phone": mark]
        let outcome = IncidentRules.redeem(Self.request("phone"), snapshot: Self.snapshot(contract: contract, used: ["phone": used]))
        guard case .redeemed(let redemption) = outcome else {
            Issue.record("expected a redemption, got \(outcome)")
            return
        }
        #expect(redemption.isLowQuota == isLow, "remaining \(redemption.quota.remaining), mark \(mark)")
        #expect(redemption.lowWaterMark == mark)
    }

    @Test func lowWaterOfOtherTypeIgnored() {
        var contract = Self.c1
        contract.lowWaterMarks = ["email": 9]
        guard case .redeemed(let redemption) = IncidentRules.redeem(Self.request("phone"), snapshot: Self.snapshot(contract: contract, used: ["phone": 4])) else {
            Issue.record("expected a redemption")
            return
        }
        #expect(!redemption.isLowQuota)
        #expect(redemption.lowWaterMark == nil)
    }

    @Test func rejectionCarriesQuota() {
        guard case .rejected(let rejection) = IncidentRules.redeem(Self.request("phone"), snapshot: Self.snapshot(used: ["phone": 5])) else {
            Issue.record("expected a rejection")
            return
        }
        #expect(rejection.quota == IncidentQuota(incidentType: "phone", total: 5, used: 5))
        #expect(rejection.customerID == "1")
        #expect(rejection.contractID == "c1")
        #expect(rejection.detail == "Contract c1 has no phone incidents left: 5 of 5 used.")
    }

    @Test func unknownIssueRejectionHasNoContext() {
        guard case .rejected(let rejection) = IncidentRules.redeem(Self.request("phone"), snapshot: Self.snapshot(knownIssue: false)) else {
            Issue.record("expected a rejection")
            return
        }
        #expect(rejection.customerID == nil)
        #expect(rejection.contractID == nil)
        #expect(rejection.quota == nil)
        #expect(rejection.detail == "Issue 42 is not known: no issue.create for it was accepted.")
    }

    static let redeemBoundaries: [(String, TimeInterval, IncidentRejectionReason?)] = {
        let contract = F.contracts[0]
        return [
            ("start - 1 s", contract.startsAt.timeIntervalSince(F.now) - 1, .contractNotStarted),
            ("start", contract.startsAt.timeIntervalSince(F.now), nil),
            ("end - 1 s", contract.endsAt.timeIntervalSince(F.now) - 1, nil),
            ("end", contract.endsAt.timeIntervalSince(F.now), nil),
            ("end + grace - 1 s", contract.expiresAt.timeIntervalSince(F.now) - 1, nil),
            ("end + grace", contract.expiresAt.timeIntervalSince(F.now), .contractExpired),
        ]
    }()

    @Test(arguments: redeemBoundaries)
    func redeemBoundary(name: String, offset: TimeInterval, reason: IncidentRejectionReason?) {
        let outcome = IncidentRules.redeem(Self.request("phone", at: F.now.addingTimeInterval(offset)), snapshot: Self.snapshot())
        #expect(Self.reason(outcome) == reason, "\(name)")
    }

    @Test func unredeemGoesBackToRedemptionContract() {
        let other = ContractState(contract: F.contracts[1], supportLevel: F.level, used: ["phone": 4])
        var snapshot = Self.snapshot(used: ["phone": 1])
        snapshot.redemptions = ["phone": other]
        guard case .unredeemed(let redemption) = IncidentRules.unredeem(Self.request("phone"), snapshot: snapshot) else {
            Issue.record("expected an un-redeem")
            return
        }
        #expect(redemption.contractID == "c1-old")
        #expect(redemption.quota.used == 3)
        #expect(redemption.contractStatus == .expired)
    }

    @Test func unredeemNamesTheRedeemItGivesBack() {
        var snapshot = Self.snapshot(used: ["phone": 1, "email": 1], redeemed: ["phone", "email"])
        snapshot.redemptionLedgerIDs = ["phone": 901, "email": 902]

        let outcome = IncidentRules.unredeem(Self.request("phone"), snapshot: snapshot)
        let update = RedeemedTypesUpdate(issueID: 42, incidentTypes: [], actor: "admin", requestedAt: F.now)
        let outcomes = IncidentRules.setRedeemedTypes(update, snapshot: snapshot)

        guard case .unredeemed(let redemption) = outcome else {
            Issue.record("expected an un-redeem")
            return
        }
        #expect(redemption.redemptionLedgerID == 901)
        #expect(outcomes.compactMap { outcome -> Int64? in
            guard case .unredeemed(let redemption) = outcome else { return nil }
            return redemption.redemptionLedgerID
        } == [902, 901], "email, then phone, in type order")
    }

    @Test func exactSetRedeemsAndUnredeems() {
        let update = RedeemedTypesUpdate(issueID: 42, incidentTypes: ["email", "onsite"], actor: "admin", requestedAt: F.now)
        let outcomes = IncidentRules.setRedeemedTypes(update, snapshot: Self.snapshot(used: ["phone": 1], redeemed: ["phone"]))
        #expect(outcomes.count == 3)
        guard outcomes.count == 3 else { return }

        guard case .unredeemed(let phone) = outcomes[0] else {
            Issue.record("expected phone to be un-redeemed first, got \(outcomes[0])")
            return
        }
        #expect(phone.quota == IncidentQuota(incidentType: "phone", total: 5, used: 0))
        guard case .redeemed(let email) = outcomes[1] else {
            Issue.record("expected email to be redeemed, got \(outcomes[1])")
            return
        }
        #expect(email.quota == IncidentQuota(incidentType: "email", total: 10, used: 1))
        // c1 has no onsite total.
        #expect(Self.reason(outcomes[2]) == .noIncidentsLeft)
    }

    @Test func exactSetAlreadyExactChangesNothing() {
        let update = RedeemedTypesUpdate(issueID: 42, incidentTypes: ["phone"], requestedAt: F.now)
        #expect(IncidentRules.setRedeemedTypes(update, snapshot: Self.snapshot(used: ["phone": 1], redeemed: ["phone"])).isEmpty)
    }

    @Test func exactSetEmptyUnredeemsAll() {
        let update = RedeemedTypesUpdate(issueID: 42, incidentTypes: [], requestedAt: F.now)
        let outcomes = IncidentRules.setRedeemedTypes(update, snapshot: Self.snapshot(used: ["phone": 1, "email": 1], redeemed: ["phone", "email"]))
        let types = outcomes.compactMap { outcome -> IncidentTypeID? in
            if case .unredeemed(let redemption) = outcome { return redemption.quota.incidentType }
            return nil
        }
        #expect(types == ["email", "phone"])
    }

    @Test func exactSetUnknownIssue() {
        let empty = RedeemedTypesUpdate(issueID: 42, incidentTypes: [], requestedAt: F.now)
        #expect(IncidentRules.setRedeemedTypes(empty, snapshot: Self.snapshot(knownIssue: false)).isEmpty)

        let two = RedeemedTypesUpdate(issueID: 42, incidentTypes: ["phone", "email"], requestedAt: F.now)
        let outcomes = IncidentRules.setRedeemedTypes(two, snapshot: Self.snapshot(knownIssue: false))
        #expect(outcomes.map(Self.reason) == [.unknownIssue, .unknownIssue])
    }

    @Test func exactSetAfterExpiryOnlyUnredeems() {
        let update = RedeemedTypesUpdate(issueID: 42, incidentTypes: ["email"], requestedAt: F.now)
        let outcomes = IncidentRules.setRedeemedTypes(update, snapshot: Self.snapshot(contract: Self.expired, used: ["phone": 1], redeemed: ["phone"]))
        #expect(outcomes.count == 2)
        guard outcomes.count == 2 else { return }
        if case .unredeemed = outcomes[0] {} else { Issue.record("expected phone un-redeemed, got \(outcomes[0])") }
        #expect(Self.reason(outcomes[1]) == .contractExpired)
    }
}
