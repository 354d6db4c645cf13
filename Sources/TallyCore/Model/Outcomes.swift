import Foundation

/// A contract's status at an instant, in UTC.
///
/// With `start`, `end` and `grace` days: `notStarted` before `start`; `active` from `start`
/// (inclusive) to `end` (exclusive); `inGracePeriod` from `end` to `end + grace * 86_400 s`
/// (exclusive); `expired` from then on.
public enum ContractStatus: String, Sendable, Equatable, CaseIterable, Codable {
    case notStarted = "not_started"
    case active
    case inGracePeriod = "in_grace_period"
    case expired
}

/// A support level as Eventum defines it.
public struct SupportLevel: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    /// The group the level belongs to, such as `Normal` for levels 1 and 2.
    public var group: String
    /// Maximum time to the first response, in seconds.
    public var maximumFirstResponseSeconds: Int

    public init(id: String, name: String, group: String, maximumFirstResponseSeconds: Int) {
        self.id = id
        self.name = name
        self.group = group
        self.maximumFirstResponseSeconds = maximumFirstResponseSeconds
    }
}

/// The counters of one incident type on one contract. `remaining` is `max(0, total - used)`:
/// a total lowered below the used count, or an overage, never shows as negative.
public struct IncidentQuota: Sendable, Equatable, Codable {
    public var incidentType: IncidentTypeID
    public var total: Int
    public var used: Int

    public var remaining: Int { max(0, total - used) }

    public init(incidentType: IncidentTypeID, total: Int, used: Int) {
        self.incidentType = incidentType
        self.total = total
        self.used = used
    }
}

/// The reason an `issue.create` was rejected. Declared in the order of precedence: when several
/// reasons apply, the first one is reported.
public enum IssueRejectionReason: String, Sendable, Equatable, CaseIterable, Codable {
    case unknownCustomer = "unknown_customer"
    case unknownContact = "unknown_contact"
    case contactNotOfCustomer = "contact_not_of_customer"
    case unknownContract = "unknown_contract"
    case noContract = "no_contract"
    case contractNotStarted = "contract_not_started"
    case contractExpired = "contract_expired"
}

/// The reason a redeem or un-redeem was rejected. Declared in the order of precedence: redeem checks
/// `unknownIssue` through `noIncidentsLeft`; un-redeem checks `unknownIssue`,
/// `unknownIncidentType`, `notPerIncident` and `notRedeemed`.
public enum IncidentRejectionReason: String, Sendable, Equatable, CaseIterable, Codable {
    case unknownIssue = "unknown_issue"
    case unknownIncidentType = "unknown_incident_type"
    case notPerIncident = "not_per_incident"
    case contractNotStarted = "contract_not_started"
    case contractExpired = "contract_expired"
    case alreadyRedeemed = "already_redeemed"
    case noIncidentsLeft = "no_incidents_left"
    case notRedeemed = "not_redeemed"
}

/// The outcome of one command. Business rejections are outcomes, never thrown errors.
public enum CommandOutcome: Sendable, Equatable {
    case issue(IssueOutcome)
    /// One outcome for `incident.redeem` and `incident.unredeem`; one per type changed for
    /// `incident.update` (none when the set was already exact).
    case incidents([IncidentOutcome])
}

public enum IssueOutcome: Sendable, Equatable {
    case accepted(IssueAcceptance)
    case rejected(IssueRejection)
}

public struct IssueAcceptance: Sendable, Equatable {
    public var issueID: Int64
    public var projectID: Int64
    public var customerID: CustomerID
    public var contactID: ContactID
    public var contractID: ContractID
    public var contractStatus: ContractStatus
    public var supportLevel: SupportLevel
    public var isPerIncident: Bool
    /// True when a per-incident contract has no incident left of any type: Eventum's soft gate,
    /// the issue is still accepted.
    public var incidentLimitReached: Bool
    /// Per incident type, sorted by type id; empty when the contract is not per-incident.
    public var quotas: [IncidentQuota]

    public init(
        issueID: Int64, projectID: Int64, customerID: CustomerID, contactID: ContactID,
        contractID: ContractID, contractStatus: ContractStatus, supportLevel: SupportLevel,
        isPerIncident: Bool, incidentLimitReached: Bool, quotas: [IncidentQuota]
    ) {
        self.issueID = issueID
        self.projectID = projectID
        self.customerID = customerID
        self.contactID = contactID
        self.contractID = contractID
        self.contractStatus = contractStatus
        self.supportLevel = supportLevel
        self.isPerIncident = isPerIncident
        self.incidentLimitReached = incidentLimitReached
        self.quotas = quotas
    }
}

public struct IssueRejection: Sendable, Equatable {
    public var issueID: Int64
    public var customerID: CustomerID
    public var contactID: ContactID
    public var reason: IssueRejectionReason
    /// One sentence for people, naming the ids involved.
    public var detail: String

    public init(issueID: Int64, customerID: CustomerID, contactID: ContactID, reason: IssueRejectionReason, detail: String) {
        self.issueID = issueID
        self.customerID = customerID
        self.contactID = contactID
        self.reason = reason
        self.detail = detail
    }
}

public enum IncidentOutcome: Sendable, Equatable {
    case redeemed(Redemption)
    case unredeemed(Redemption)
    case rejected(IncidentRejection)
}

/// A redeem or un-redeem that took effect, with the counters after it.
public struct Redemption: Sendable, Equatable {
    /// The ledger row id of this redeem or un-redeem.
    public var ledgerID: Int64
    public var issueID: Int64
    public var customerID: CustomerID
    public var contractID: ContractID
    public var contractStatus: ContractStatus
    public var supportLevel: SupportLevel
    public var quota: IncidentQuota
    /// True when the redeem went past the total because the contract allows overage.
    public var isOverage: Bool
    /// True when this redeem left `remaining` at or below the contract's low-water mark.
    public var isLowQuota: Bool
    /// The low-water mark that `isLowQuota` was checked against, if the contract sets one.
    public var lowWaterMark: Int?
    public var actor: String?
    public var at: Date
    /// For an un-redeem, the ledger id of the redeem it gives back; nil for a redeem.
    public var redemptionLedgerID: Int64?

    public init(
        ledgerID: Int64, issueID: Int64, customerID: CustomerID, contractID: ContractID,
        contractStatus: ContractStatus, supportLevel: SupportLevel, quota: IncidentQuota,
        isOverage: Bool = false, isLowQuota: Bool = false, lowWaterMark: Int? = nil,
        actor: String? = nil, at: Date, redemptionLedgerID: Int64? = nil
    ) {
        self.ledgerID = ledgerID
        self.issueID = issueID
        self.customerID = customerID
        self.contractID = contractID
        self.contractStatus = contractStatus
        self.supportLevel = supportLevel
        self.quota = quota
        self.isOverage = isOverage
        self.isLowQuota = isLowQuota
        self.lowWaterMark = lowWaterMark
        self.actor = actor
        self.at = at
        self.redemptionLedgerID = redemptionLedgerID
    }
}

public struct IncidentRejection: Sendable, Equatable {
    public var issueID: Int64
    public var incidentType: IncidentTypeID
    public var reason: IncidentRejectionReason
    public var detail: String
    /// Known once the issue is known; `nil` for `unknownIssue`.
    public var customerID: CustomerID?
    public var contractID: ContractID?
    /// The counters at the time of the rejection, when the issue and type are known.
    public var quota: IncidentQuota?
    /// For `unknownIssue`: why the issue's `issue.create` was rejected, or nil when Tally never
    /// saw one. Only a nil value is worth a retry.
    public var issueRejectionReason: IssueRejectionReason?

    public init(
        issueID: Int64, incidentType: IncidentTypeID, reason: IncidentRejectionReason, detail: String,
        customerID: CustomerID? = nil, contractID: ContractID? = nil, quota: IncidentQuota? = nil,
        issueRejectionReason: IssueRejectionReason? = nil
    ) {
        self.issueID = issueID
        self.incidentType = incidentType
        self.reason = reason
        self.detail = detail
        self.customerID = customerID
        self.contractID = contractID
        self.quota = quota
        self.issueRejectionReason = issueRejectionReason
    }
}
