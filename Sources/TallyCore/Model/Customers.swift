import Foundation

/// A company that buys support, identified by Eventum's customer id.
public struct Customer: Sendable, Equatable, Codable {
    public var id: CustomerID
    public var name: String

    public init(id: CustomerID, name: String) {
        self.id = id
        self.name = name
    }
}

/// A person who may open issues for one customer. E-mail lookups ignore case.
public struct Contact: Sendable, Equatable, Codable {
    public var id: ContactID
    public var customerID: CustomerID
    public var name: String
    public var email: String

    public init(id: ContactID, customerID: CustomerID, name: String, email: String) {
        self.id = id
        self.customerID = customerID
        self.name = name
        self.email = email
    }
}

/// A kind of incident that per-incident contracts count separately, such as a phone call.
public struct IncidentType: Sendable, Equatable, Codable {
    public var id: IncidentTypeID
    public var title: String

    public init(id: IncidentTypeID, title: String) {
        self.id = id
        self.title = title
    }
}

/// A tracker user who looks after a customer, as Eventum's `customer_account_manager` stores it.
public struct AccountManager: Sendable, Equatable, Codable {
    public enum Role: String, Sendable, Equatable, CaseIterable, Codable {
        case primary
        case backup
    }

    public var customerID: CustomerID
    /// The tracker's user id.
    public var userID: String
    public var role: Role

    public init(customerID: CustomerID, userID: String, role: Role) {
        self.customerID = customerID
        self.userID = userID
        self.role = role
    }
}

/// The one free-text note kept per customer.
public struct CustomerNote: Sendable, Equatable, Codable {
    public var customerID: CustomerID
    public var text: String

    public init(customerID: CustomerID, text: String) {
        self.customerID = customerID
        self.text = text
    }
}

/// An issue that Tally accepted, with the contract its incidents count against.
public struct IssueRecord: Sendable, Equatable, Codable {
    public var issueID: Int64
    public var projectID: Int64
    public var customerID: CustomerID
    public var contactID: ContactID
    public var contractID: ContractID
    public var createdAt: Date

    public init(
        issueID: Int64, projectID: Int64, customerID: CustomerID, contactID: ContactID,
        contractID: ContractID, createdAt: Date
    ) {
        self.issueID = issueID
        self.projectID = projectID
        self.customerID = customerID
        self.contactID = contactID
        self.contractID = contractID
        self.createdAt = createdAt
    }
}

/// A redemption that has not been given back: at most one per issue and incident type.
public struct LiveRedemption: Sendable, Equatable, Codable {
    /// The ledger id of the redeem that created it, which is also the redemption's id.
    public var ledgerID: Int64
    public var issueID: Int64
    public var incidentType: IncidentTypeID
    /// The contract the incident counts against: the issue's contract when it was redeemed.
    public var contractID: ContractID
    public var redeemedAt: Date

    public init(ledgerID: Int64, issueID: Int64, incidentType: IncidentTypeID, contractID: ContractID, redeemedAt: Date) {
        self.ledgerID = ledgerID
        self.issueID = issueID
        self.incidentType = incidentType
        self.contractID = contractID
        self.redeemedAt = redeemedAt
    }
}
