import Foundation

/// One row of the append-only ledger: a redeem or an un-redeem with the counters after it.
public struct LedgerEntry: Sendable, Equatable, Codable {
    public enum Action: String, Sendable, Equatable, CaseIterable, Codable {
        case redeem
        case unredeem
    }

    /// The ledger row id, 0 before the entry is stored. A redeem's id is also its redemption's id.
    public var id: Int64
    /// The id of the message that carried the command.
    public var commandID: String
    public var action: Action
    public var actor: String?
    /// The command's instant, in whole seconds once stored.
    public var at: Date
    public var customerID: CustomerID
    public var contractID: ContractID
    public var issueID: Int64
    public var incidentType: IncidentTypeID
    public var totalAfter: Int
    public var usedAfter: Int
    /// `max(0, totalAfter - usedAfter)`.
    public var remainingAfter: Int

    public init(
        id: Int64 = 0, commandID: String, action: Action, actor: String?, at: Date,
        customerID: CustomerID, contractID: ContractID, issueID: Int64, incidentType: IncidentTypeID,
        totalAfter: Int, usedAfter: Int, remainingAfter: Int
    ) {
        self.id = id
        self.commandID = commandID
        self.action = action
        self.actor = actor
        self.at = at
        self.customerID = customerID
        self.contractID = contractID
        self.issueID = issueID
        self.incidentType = incidentType
        self.totalAfter = totalAfter
        self.usedAfter = usedAfter
        self.remainingAfter = remainingAfter
    }
}
