import Foundation

/// A contract with its support level and the live redemptions counted against it.
public struct ContractState: Sendable, Equatable {
    public var contract: Contract
    public var supportLevel: SupportLevel
    /// Live redemptions per incident type; a missing type has none.
    public var used: [IncidentTypeID: Int]

    public init(contract: Contract, supportLevel: SupportLevel, used: [IncidentTypeID: Int] = [:]) {
        self.contract = contract
        self.supportLevel = supportLevel
        self.used = used
    }

    /// Returns the total and used count of one incident type.
    public func quota(of incidentType: IncidentTypeID) -> IncidentQuota {
        IncidentQuota(incidentType: incidentType, total: contract.total(of: incidentType), used: used[incidentType] ?? 0)
    }

    /// The quotas of every type that has a total or a used count, sorted by type id; empty when
    /// the contract is not per-incident.
    public var quotas: [IncidentQuota] {
        guard contract.isPerIncident else { return [] }
        let types = Set(contract.totals.keys).union(used.filter { $0.value != 0 }.keys)
        return types.sorted().map(quota(of:))
    }
}

/// The state `IssueRules` reads to decide an `issue.create`.
public struct IssueSnapshot: Sendable, Equatable {
    /// The named customer, `nil` when unknown.
    public var customer: Customer?
    /// The named contact, `nil` when unknown, whichever customer it belongs to.
    public var contact: Contact?
    /// Every contract of the named customer.
    public var contracts: [ContractState]

    public init(customer: Customer?, contact: Contact?, contracts: [ContractState]) {
        self.customer = customer
        self.contact = contact
        self.contracts = contracts
    }
}

/// The state `IncidentRules` reads to decide a redeem, an un-redeem or an exact set for one issue.
public struct IncidentSnapshot: Sendable, Equatable {
    /// The issue, `nil` when Tally never accepted it.
    public var issue: IssueRecord?
    /// Every defined incident type id.
    public var incidentTypes: Set<IncidentTypeID>
    /// The issue's contract, present whenever `issue` is.
    public var contract: ContractState?
    /// Per live redemption of the issue, the contract it counts against. This is the issue's
    /// contract unless a later `issue.create` moved the issue to another one.
    public var redemptions: [IncidentTypeID: ContractState]
    /// Per live redemption of the issue, the ledger id of the redeem that made it. A type
    /// missing here while present in `redemptions` gives an un-redeem without that id.
    public var redemptionLedgerIDs: [IncidentTypeID: Int64]
    /// Why the issue's `issue.create` was rejected, when `issue` is nil for that reason.
    public var issueRejection: IssueRejectionReason?

    public init(
        issue: IssueRecord?, incidentTypes: Set<IncidentTypeID>, contract: ContractState?,
        redemptions: [IncidentTypeID: ContractState] = [:], redemptionLedgerIDs: [IncidentTypeID: Int64] = [:],
        issueRejection: IssueRejectionReason? = nil
    ) {
        self.issue = issue
        self.incidentTypes = incidentTypes
        self.contract = contract
        self.redemptions = redemptions
        self.redemptionLedgerIDs = redemptionLedgerIDs
        self.issueRejection = issueRejection
    }

    /// The incident types the issue has live redemptions for.
    public var redeemedTypes: Set<IncidentTypeID> { Set(redemptions.keys) }
}
