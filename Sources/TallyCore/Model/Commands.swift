import Foundation

/// Eventum's customer id: a string of 1 to 128 characters, as `iss_customer_id` stores it.
public typealias CustomerID = String

/// Eventum's contact id: a string of 1 to 128 characters, as `iss_customer_contact_id` stores it.
public typealias ContactID = String

/// Eventum's contract id: a string of 1 to 50 characters, as `iss_customer_contract_id` stores it.
public typealias ContractID = String

/// An incident type id, such as `phone`, `email` or `onsite`.
public typealias IncidentTypeID = String

/// A command from the tracker, decoded from one delivery.
///
/// Each command carries its own instant (`createdAt` or `requestedAt`). The rules use it, not the
/// clock, for contract status, so that replaying the same commands gives the same outcomes.
public enum Command: Sendable, Equatable {
    case createIssue(IssueCreation)
    case redeem(IncidentRequest)
    case unredeem(IncidentRequest)
    case setRedeemedTypes(RedeemedTypesUpdate)

    /// The tracker's issue id that the command is about.
    public var issueID: Int64 {
        switch self {
        case .createIssue(let creation): creation.issueID
        case .redeem(let request), .unredeem(let request): request.issueID
        case .setRedeemedTypes(let update): update.issueID
        }
    }

    /// The instant that decides contract status for this command.
    public var instant: Date {
        switch self {
        case .createIssue(let creation): creation.createdAt
        case .redeem(let request), .unredeem(let request): request.requestedAt
        case .setRedeemedTypes(let update): update.requestedAt
        }
    }
}

/// `issue.create`: an issue was opened for a customer's contact.
public struct IssueCreation: Sendable, Equatable {
    public var issueID: Int64
    public var projectID: Int64
    public var customerID: CustomerID
    public var contactID: ContactID
    /// The contract named by the tracker; `nil` lets Tally pick the customer's current one.
    public var contractID: ContractID?
    public var summary: String?
    public var createdAt: Date

    public init(
        issueID: Int64, projectID: Int64, customerID: CustomerID, contactID: ContactID,
        contractID: ContractID? = nil, summary: String? = nil, createdAt: Date
    ) {
        self.issueID = issueID
        self.projectID = projectID
        self.customerID = customerID
        self.contactID = contactID
        self.contractID = contractID
        self.summary = summary
        self.createdAt = createdAt
    }
}

/// `incident.redeem` or `incident.unredeem`: count, or give back, one incident of a type.
public struct IncidentRequest: Sendable, Equatable {
    public var issueID: Int64
    public var incidentType: IncidentTypeID
    /// The tracker user who asked, for the ledger; `nil` when the tracker did not say.
    public var actor: String?
    public var requestedAt: Date

    public init(issueID: Int64, incidentType: IncidentTypeID, actor: String? = nil, requestedAt: Date) {
        self.issueID = issueID
        self.incidentType = incidentType
        self.actor = actor
        self.requestedAt = requestedAt
    }
}

/// `incident.update`: the exact set of incident types redeemed for an issue, as Eventum's close
/// form sets it. Missing types are redeemed and extra ones un-redeemed in one step.
public struct RedeemedTypesUpdate: Sendable, Equatable {
    public var issueID: Int64
    public var incidentTypes: Set<IncidentTypeID>
    public var actor: String?
    public var requestedAt: Date

    public init(issueID: Int64, incidentTypes: Set<IncidentTypeID>, actor: String? = nil, requestedAt: Date) {
        self.issueID = issueID
        self.incidentTypes = incidentTypes
        self.actor = actor
        self.requestedAt = requestedAt
    }
}
