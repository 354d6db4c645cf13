import Foundation

/// A support contract of one customer, with its dates and, when per-incident, its totals.
public struct Contract: Sendable, Equatable, Codable {
    public var id: ContractID
    public var customerID: CustomerID
    public var supportLevelID: String
    /// First instant of the contract, inclusive.
    public var startsAt: Date
    /// End of the contract, exclusive: the grace period starts here.
    public var endsAt: Date
    /// Days after `endsAt` during which the contract still counts, as Eventum's grace offset.
    public var graceDays: Int
    public var isPerIncident: Bool
    /// Whether a redeem may go past the total. Off unless the contract says so.
    public var allowsOverage: Bool
    /// Per incident type, the number of incidents the contract includes. A type that has no
    /// entry has a total of 0.
    public var totals: [IncidentTypeID: Int]
    /// Per incident type, the remaining count at or below which a redeem raises a low-quota notice.
    public var lowWaterMarks: [IncidentTypeID: Int]

    public init(
        id: ContractID, customerID: CustomerID, supportLevelID: String, startsAt: Date, endsAt: Date,
        graceDays: Int, isPerIncident: Bool, allowsOverage: Bool = false,
        totals: [IncidentTypeID: Int] = [:], lowWaterMarks: [IncidentTypeID: Int] = [:]
    ) {
        self.id = id
        self.customerID = customerID
        self.supportLevelID = supportLevelID
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.graceDays = graceDays
        self.isPerIncident = isPerIncident
        self.allowsOverage = allowsOverage
        self.totals = totals
        self.lowWaterMarks = lowWaterMarks
    }

    /// The instant the grace period ends and the contract expires: `endsAt + graceDays * 86 400 s`.
    public var expiresAt: Date {
        endsAt.addingTimeInterval(TimeInterval(graceDays) * 86_400)
    }

    /// Returns the status at `instant`, with the boundaries documented on `ContractStatus`.
    public func status(at instant: Date) -> ContractStatus {
        if instant < startsAt { return .notStarted }
        if instant < endsAt { return .active }
        if instant < expiresAt { return .inGracePeriod }
        return .expired
    }

    /// Returns the total of `incidentType`, 0 when the contract sets none.
    public func total(of incidentType: IncidentTypeID) -> Int {
        totals[incidentType] ?? 0
    }
}

extension ContractStatus {
    /// True for `active` and `inGracePeriod`: the statuses under which issues are accepted and
    /// incidents redeemed.
    public var isCurrent: Bool {
        self == .active || self == .inGracePeriod
    }
}
