import Foundation
import Testing
@testable import TallyCore

@Suite struct RulesIssueTests {
    typealias F = RulesFixtures

    /// The expected outcome of one case: the chosen contract, or a rejection reason.
    enum Expected: Equatable, Sendable, CustomStringConvertible {
        case accepted(ContractID, ContractStatus)
        case rejected(IssueRejectionReason)

        var description: String {
            switch self {
            case .accepted(let id, let status): "accepted \(id) \(status.rawValue)"
            case .rejected(let reason): "rejected \(reason.rawValue)"
            }
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var customer: CustomerID
        var contact: ContactID
        var contract: ContractID?
        var expected: Expected
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "current contract chosen", customer: "1", contact: "87", contract: nil, expected: .accepted("c1", .active)),
        Case(name: "second contact", customer: "1", contact: "93", contract: nil, expected: .accepted("c1", .active)),
        Case(name: "named active", customer: "1", contact: "87", contract: "c1", expected: .accepted("c1", .active)),
        Case(name: "named expired", customer: "1", contact: "87", contract: "c1-old", expected: .rejected(.contractExpired)),
        Case(name: "grace period", customer: "2", contact: "67", contract: nil, expected: .accepted("c2", .inGracePeriod)),
        Case(name: "named grace period", customer: "2", contact: "67", contract: "c2", expected: .accepted("c2", .inGracePeriod)),
        Case(name: "unknown customer", customer: "99", contact: "87", contract: nil, expected: .rejected(.unknownCustomer)),
        Case(name: "unknown contact", customer: "1", contact: "999", contract: nil, expected: .rejected(.unknownContact)),
        Case(name: "contact of other customer", customer: "2", contact: "93", contract: nil, expected: .rejected(.contactNotOfCustomer)),
        Case(name: "unknown contract", customer: "1", contact: "87", contract: "nope", expected: .rejected(.unknownContract)),
        Case(name: "other customer's contract", customer: "1", contact: "87", contract: "c2", expected: .rejected(.unknownContract)),
        Case(name: "no contract at all", customer: "3", contact: "21", contract: nil, expected: .rejected(.noContract)),
        Case(name: "several current", customer: "4", contact: "40", contract: nil, expected: .rejected(.noContract)),
        Case(name: "several current, one named", customer: "4", contact: "40", contract: "c4b", expected: .accepted("c4b", .inGracePeriod)),
        Case(name: "all expired", customer: "5", contact: "50", contract: nil, expected: .rejected(.contractExpired)),
        Case(name: "all not started", customer: "6", contact: "60", contract: nil, expected: .rejected(.contractNotStarted)),
        Case(name: "named not started", customer: "6", contact: "60", contract: "c6a", expected: .rejected(.contractNotStarted)),
        Case(name: "expired beats not started", customer: "7", contact: "70", contract: nil, expected: .rejected(.contractExpired)),
        Case(name: "used up still accepted", customer: "8", contact: "80", contract: nil, expected: .accepted("c8", .active)),
        // Precedence: the first reason in the declared order wins.
        Case(name: "unknown customer and contact", customer: "99", contact: "999", contract: "nope", expected: .rejected(.unknownCustomer)),
        Case(name: "unknown contact and contract", customer: "1", contact: "999", contract: "nope", expected: .rejected(.unknownContact)),
        Case(name: "foreign contact and unknown contract", customer: "3", contact: "87", contract: "nope", expected: .rejected(.contactNotOfCustomer)),
        Case(name: "foreign contact, no contract", customer: "3", contact: "87", contract: nil, expected: .rejected(.contactNotOfCustomer)),
        Case(name: "unknown contract, no contract", customer: "3", contact: "21", contract: "c1", expected: .rejected(.unknownContract)),
    ]

    static func decide(customer: CustomerID, contact: ContactID, contract: ContractID?, at instant: Date = F.now) -> IssueOutcome {
        let creation = IssueCreation(
            issueID: 42, projectID: 1, customerID: customer, contactID: contact, contractID: contract, createdAt: instant)
        return IssueRules.decide(creation, snapshot: F.issueSnapshot(customer: customer, contact: contact))
    }

    static func summary(_ outcome: IssueOutcome) -> Expected {
        switch outcome {
        case .accepted(let acceptance): .accepted(acceptance.contractID, acceptance.contractStatus)
        case .rejected(let rejection): .rejected(rejection.reason)
        }
    }

    @Test(arguments: cases)
    func issueCase(_ testCase: Case) {
        let outcome = Self.decide(customer: testCase.customer, contact: testCase.contact, contract: testCase.contract)
        #expect(Self.summary(outcome) == testCase.expected)
    }

    @Test func everyReasonIsCovered() {
        let covered = Set(Self.cases.compactMap { testCase -> IssueRejectionReason? in
            if case .rejected(let reason) = testCase.expected { return reason }
            return nil
        })
        #expect(covered == Set(IssueRejectionReason.allCases))
    }

    @Test func acceptanceCarriesContractDetails() throws {
        guard case .accepted(let acceptance) = Self.decide(customer: "1", contact: "93", contract: nil) else {
            Issue.record("expected acceptance")
            return
        }
        #expect(acceptance.issueID == 42)
        #expect(acceptance.projectID == 1)
        #expect(acceptance.contactID == "93")
        #expect(acceptance.supportLevel == F.level)
        #expect(acceptance.isPerIncident)
        #expect(!acceptance.incidentLimitReached)
        #expect(acceptance.quotas == [
            IncidentQuota(incidentType: "email", total: 10, used: 0),
            IncidentQuota(incidentType: "phone", total: 5, used: 2),
        ])
    }

    @Test func usedUpContractFlagsLimit() {
        guard case .accepted(let acceptance) = Self.decide(customer: "8", contact: "80", contract: nil) else {
            Issue.record("expected acceptance")
            return
        }
        #expect(acceptance.incidentLimitReached)
        #expect(acceptance.quotas.allSatisfy { $0.remaining == 0 })
    }

    @Test func notPerIncidentNeverFlagsLimit() {
        var contract = F.contract("plain", customer: "1", startsIn: -F.day, endsIn: F.day, perIncident: false, totals: [:])
        contract.supportLevelID = F.level.id
        let snapshot = IssueSnapshot(
            customer: F.customers[0], contact: F.contacts[0], contracts: [ContractState(contract: contract, supportLevel: F.level)])
        let outcome = IssueRules.decide(
            IssueCreation(issueID: 1, projectID: 1, customerID: "1", contactID: "87", createdAt: F.now), snapshot: snapshot)
        guard case .accepted(let acceptance) = outcome else {
            Issue.record("expected acceptance, got \(outcome)")
            return
        }
        #expect(!acceptance.isPerIncident)
        #expect(!acceptance.incidentLimitReached)
        #expect(acceptance.quotas.isEmpty)
    }

    @Test func rejectionDetailsNameTheIds() {
        let expectations: [(IssueOutcome, String)] = [
            (Self.decide(customer: "2", contact: "93", contract: nil), "Contact 93 belongs to customer 1, not to customer 2."),
            (Self.decide(customer: "99", contact: "87", contract: nil), "Customer 99 is not defined."),
            (Self.decide(customer: "1", contact: "999", contract: nil), "Contact 999 is not defined."),
            (Self.decide(customer: "1", contact: "87", contract: "c2"), "Contract c2 is not a contract of customer 1."),
            (Self.decide(customer: "3", contact: "21", contract: nil), "Customer 3 has no contract."),
            (Self.decide(customer: "4", contact: "40", contract: nil),
             "Customer 4 has 2 current contracts (c4a, c4b), so the issue must name one."),
        ]
        for (outcome, detail) in expectations {
            guard case .rejected(let rejection) = outcome else {
                Issue.record("expected a rejection for \(detail)")
                continue
            }
            #expect(rejection.detail == detail)
            #expect(rejection.issueID == 42)
        }
    }

    @Test func expiredPicksContractThatEndedLast() {
        guard case .rejected(let rejection) = Self.decide(customer: "5", contact: "50", contract: nil) else {
            Issue.record("expected a rejection")
            return
        }
        #expect(rejection.detail.hasPrefix("Contract c5b expired at"))
    }

    @Test func notStartedPicksNextToStart() {
        guard case .rejected(let rejection) = Self.decide(customer: "6", contact: "60", contract: nil) else {
            Issue.record("expected a rejection")
            return
        }
        let starts = RFC3339.string(from: F.now.addingTimeInterval(20 * F.day))
        #expect(rejection.detail == "Contract c6b starts at \(starts).")
    }

    static let boundaryOffsets: [(String, TimeInterval, Expected)] = {
        let contract = F.contracts[0]
        let start = contract.startsAt.timeIntervalSince(F.now)
        let end = contract.endsAt.timeIntervalSince(F.now)
        let expires = contract.expiresAt.timeIntervalSince(F.now)
        return [
            ("start - 1 s", start - 1, .rejected(.contractNotStarted)),
            ("start", start, .accepted("c1", .active)),
            ("end - 1 s", end - 1, .accepted("c1", .active)),
            ("end", end, .accepted("c1", .inGracePeriod)),
            ("end + grace - 1 s", expires - 1, .accepted("c1", .inGracePeriod)),
            ("end + grace", expires, .rejected(.contractExpired)),
        ]
    }()

    @Test(arguments: boundaryOffsets)
    func namedContractBoundary(name: String, offset: TimeInterval, expected: Expected) {
        let outcome = Self.decide(customer: "1", contact: "87", contract: "c1", at: F.now.addingTimeInterval(offset))
        #expect(Self.summary(outcome) == expected, "\(name)")
    }

    @Test func choiceFollowsInstant() {
        // Before c1 starts, c1-old is long expired and c1 is next: the expired one decides.
        let early = F.contracts[0].startsAt.addingTimeInterval(-1)
        #expect(Self.summary(Self.decide(customer: "1", contact: "87", contract: nil, at: early)) == .rejected(.contractExpired))

        // While c1-old was current, it is chosen.
        let old = F.contracts[1].startsAt.addingTimeInterval(1)
        #expect(Self.summary(Self.decide(customer: "1", contact: "87", contract: nil, at: old)) == .accepted("c1-old", .active))
    }
}
