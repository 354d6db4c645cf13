import Foundation

/// The customer database Tally checks commands against: Tally's counterpart of Eventum's
/// customer backend.
///
/// A company that keeps customers in its own database adds one type that conforms to this
/// protocol. The lookups read its data; the three changes store an accepted issue and the
/// redemptions with their ledger rows. The rules themselves are not part of a backend:
/// `apply(_:commandID:)` reads a snapshot through the lookups, decides with `IssueRules` and
/// `IncidentRules`, and calls the changes, all inside `withTransaction`.
///
/// Lookups return `nil` or an empty list for ids they do not know; they throw only when the
/// database fails.
public protocol CustomerBackend {
    func customer(id: CustomerID) throws -> Customer?
    func contact(id: ContactID) throws -> Contact?
    func contacts(customerID: CustomerID) throws -> [Contact]
    /// Returns the contacts whose e-mail equals `email`, ignoring case.
    func contacts(email: String) throws -> [Contact]
    func contract(id: ContractID) throws -> Contract?
    func contracts(customerID: CustomerID) throws -> [Contract]
    func supportLevel(id: String) throws -> SupportLevel?
    func supportLevels() throws -> [SupportLevel]
    func incidentTypes() throws -> [IncidentType]
    func accountManagers(customerID: CustomerID) throws -> [AccountManager]
    func note(customerID: CustomerID) throws -> CustomerNote?

    func issue(id: Int64) throws -> IssueRecord?
    /// Returns the number of live redemptions per incident type on a contract; types with none
    /// may be left out.
    func usedCounts(contractID: ContractID) throws -> [IncidentTypeID: Int]
    func redemptions(issueID: Int64) throws -> [LiveRedemption]

    /// Inserts an accepted issue, or replaces the record of a known issue id.
    func saveIssue(_ issue: IssueRecord) throws

    /// The reason the issue's last `issue.create` was rejected, or nil when it was never
    /// rejected. Lets the rules reject an incident command for that issue at once, saying why,
    /// instead of treating the issue as one that may still arrive.
    func issueRejection(issueID: Int64) throws -> IssueRejectionReason?

    /// Records that an `issue.create` was rejected.
    func saveIssueRejection(issueID: Int64, reason: IssueRejectionReason, at instant: Date) throws
    /// Records a redemption of `entry.incidentType` for `entry.issueID` on `entry.contractID`,
    /// raises the used count to `entry.usedAfter` and appends `entry` to the ledger.
    /// Returns the new ledger id.
    func redeem(_ entry: LedgerEntry) throws -> Int64
    /// Removes the live redemption of `entry.incidentType` for `entry.issueID`, lowers the used
    /// count to `entry.usedAfter` and appends `entry` to the ledger. Returns the new ledger id.
    func unredeem(_ entry: LedgerEntry) throws -> Int64

    /// Runs `body` so that no other writer changes the data between its reads and its writes,
    /// and undoes its writes when it throws. Joins a transaction that is already open.
    func withTransaction<T>(_ body: () throws -> T) throws -> T
}

extension CustomerBackend {
    /// A backend that keeps no rejected issues reports none.
    public func issueRejection(issueID: Int64) throws -> IssueRejectionReason? {
        nil
    }

    /// A backend that keeps no rejected issues stores nothing.
    public func saveIssueRejection(issueID: Int64, reason: IssueRejectionReason, at instant: Date) throws {}
}
