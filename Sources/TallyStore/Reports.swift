import Foundation

/// One contract of a customer at an instant: its status, support level and counters.
public struct ContractQuotas: Sendable, Equatable {
    public var contract: Contract
    public var status: ContractStatus
    public var supportLevel: SupportLevel
    /// Per incident type, sorted by type; empty when the contract is not per-incident.
    public var quotas: [IncidentQuota]

    public init(contract: Contract, status: ContractStatus, supportLevel: SupportLevel, quotas: [IncidentQuota]) {
        self.contract = contract
        self.status = status
        self.supportLevel = supportLevel
        self.quotas = quotas
    }
}

/// The facts about one customer that `tallyctl customers show` prints.
public struct CustomerReport: Sendable, Equatable {
    public var customer: Customer
    public var contacts: [Contact]
    public var contracts: [ContractQuotas]
    public var accountManagers: [AccountManager]
    public var note: String?
    /// The newest ledger rows, newest first.
    public var recentLedger: [LedgerEntry]

    public init(
        customer: Customer, contacts: [Contact], contracts: [ContractQuotas], accountManagers: [AccountManager],
        note: String?, recentLedger: [LedgerEntry]
    ) {
        self.customer = customer
        self.contacts = contacts
        self.contracts = contracts
        self.accountManagers = accountManagers
        self.note = note
        self.recentLedger = recentLedger
    }
}
