import Foundation
import Testing
@testable import TallyCore

@Suite struct ModelContractTests {
    static let start = RFC3339.date(from: "2026-01-01T00:00:00Z")!
    static let end = RFC3339.date(from: "2026-07-01T00:00:00Z")!
    static let contract = Contract(
        id: "c1", customerID: "1", supportLevelID: "1", startsAt: start, endsAt: end, graceDays: 30, isPerIncident: true)

    static let aroundStart: [(Int, ContractStatus)] = [(-1, .notStarted), (0, .active)]
    static let aroundEnd: [(Int, ContractStatus)] = [
        (-1, .active), (0, .inGracePeriod), (30 * 86_400 - 1, .inGracePeriod), (30 * 86_400, .expired), (400 * 86_400, .expired),
    ]

    @Test(arguments: aroundStart)
    func statusAroundStart(offset: Int, expected: ContractStatus) {
        #expect(Self.contract.status(at: Self.start.addingTimeInterval(TimeInterval(offset))) == expected)
    }

    @Test(arguments: aroundEnd)
    func statusAroundEnd(offset: Int, expected: ContractStatus) {
        #expect(Self.contract.status(at: Self.end.addingTimeInterval(TimeInterval(offset))) == expected)
    }

    @Test func statusWithoutGraceGoesStraightToExpired() {
        var contract = Self.contract
        contract.graceDays = 0
        #expect(contract.status(at: Self.end.addingTimeInterval(-1)) == .active)
        #expect(contract.status(at: Self.end) == .expired)
    }

    @Test func statusUsesFractionsOfASecond() {
        #expect(Self.contract.status(at: Self.start.addingTimeInterval(-0.001)) == .notStarted)
        #expect(Self.contract.status(at: Self.end.addingTimeInterval(-0.001)) == .active)
    }

    @Test func totalOfUnsetTypeIsZero() {
        var contract = Self.contract
        contract.totals = ["phone": 3]
        #expect(contract.total(of: "phone") == 3)
        #expect(contract.total(of: "email") == 0)
    }

    @Test func quotaRemainingNeverNegative() {
        #expect(IncidentQuota(incidentType: "phone", total: 2, used: 5).remaining == 0)
        #expect(IncidentQuota(incidentType: "phone", total: 5, used: 2).remaining == 3)
    }
}

@Suite struct ModelTimestampTests {
    static let validTimestamps: [(String, Double)] = [
        ("1970-01-01T00:00:00Z", 0.0),
        ("2026-03-10T12:34:56Z", 1_773_146_096.0),
        ("2024-02-29T23:59:59Z", 1_709_251_199.0),
        ("2026-03-10T14:34:56+02:00", 1_773_146_096.0),
        ("2026-03-10t12:34:56z", 1_773_146_096.0),
        ("1969-12-31T23:59:59Z", -1.0),
        ("2026-03-10T12:34:56.5Z", 1_773_146_096.5),
    ]

    @Test(arguments: validTimestamps)
    func parsesValidTimestamps(text: String, seconds: Double) {
        #expect(RFC3339.date(from: text)?.timeIntervalSince1970 == seconds)
    }

    @Test(arguments: [
        "", "2026-03-10", "2026-03-10 12:34:56Z", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z",
        "2026-13-01T00:00:00Z", "2026-03-10T24:00:00Z", "2026-03-10T12:60:00Z", "2026-03-10T12:34:56",
        "2026-03-10T12:34:56+0200", "2026-03-10T12:34:56.Z", "2026-03-10T12:34:56Zjunk", "yesterday at noon!",
    ])
    func rejectsInvalidTimestamps(text: String) {
        #expect(RFC3339.date(from: text) == nil)
    }

    @Test(arguments: [
        0.0, 1_773_146_096.0, 1_709_251_199.0, -86_401.0, 4_102_444_800.0, 951_782_400.0,
    ])
    func formatRoundTrips(seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        let text = RFC3339.string(from: date)
        #expect(RFC3339.date(from: text) == date, "\(text)")
    }

    @Test func formatKeepsWholeSecondsPlain() {
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 1_773_146_096)) == "2026-03-10T12:34:56Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
    }

    @Test func civilDaysAgreeForFourHundredYears() {
        var days = RFC3339.daysFromCivil(year: 1900, month: 1, day: 1)
        for _ in 0..<(146_097) {
            let civil = RFC3339.civilFromDays(days)
            #expect(RFC3339.daysFromCivil(year: civil.year, month: civil.month, day: civil.day) == days)
            days += 1
        }
    }
}
