import Foundation

/// Errors for data that a backend returned in a state the rules cannot work with.
public struct CustomerBackendError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

extension CustomerBackend {
    /// Applies one command: reads the snapshot, decides with the rules and stores the changes,
    /// all in one transaction. Business rejections are returned as outcomes; the method throws
    /// only when the backend fails.
    public func apply(_ command: Command, commandID: String) throws -> CommandOutcome {
        try withTransaction {
            switch command {
            case .createIssue(let creation):
                return .issue(try createIssue(creation))
            case .redeem(let request):
                let outcome = IncidentRules.redeem(request, snapshot: try incidentSnapshot(issueID: request.issueID))
                return .incidents([try store(outcome, commandID: commandID)])
            case .unredeem(let request):
                let outcome = IncidentRules.unredeem(request, snapshot: try incidentSnapshot(issueID: request.issueID))
                return .incidents([try store(outcome, commandID: commandID)])
            case .setRedeemedTypes(let update):
                let outcomes = IncidentRules.setRedeemedTypes(update, snapshot: try incidentSnapshot(issueID: update.issueID))
                return .incidents(try outcomes.map { try store($0, commandID: commandID) })
            }
        }
    }

    /// Returns the contract's status at `instant`, `nil` for an unknown contract.
    public func contractStatus(contractID: ContractID, at instant: Date) throws -> ContractStatus? {
        try contract(id: contractID)?.status(at: instant)
    }

    /// Returns the per-type quotas of a contract, sorted by type; empty when it is not
    /// per-incident or not known.
    public func quotas(contractID: ContractID) throws -> [IncidentQuota] {
        guard let contract = try contract(id: contractID) else { return [] }
        return try contractState(contract).quotas
    }

    /// Returns the incident types redeemed for an issue.
    public func redeemedTypes(issueID: Int64) throws -> Set<IncidentTypeID> {
        Set(try redemptions(issueID: issueID).map(\.incidentType))
    }

    /// Reads what `IssueRules` needs for `creation`.
    public func issueSnapshot(for creation: IssueCreation) throws -> IssueSnapshot {
        guard let customer = try customer(id: creation.customerID) else {
            return IssueSnapshot(customer: nil, contact: try contact(id: creation.contactID), contracts: [])
        }
        let states = try contracts(customerID: customer.id).map(contractState)
        return IssueSnapshot(customer: customer, contact: try contact(id: creation.contactID), contracts: states)
    }

    /// Reads what `IncidentRules` needs for one issue.
    public func incidentSnapshot(issueID: Int64) throws -> IncidentSnapshot {
        let typeIDs = Set(try incidentTypes().map(\.id))
        guard let issue = try issue(id: issueID) else {
            return IncidentSnapshot(
                issue: nil, incidentTypes: typeIDs, contract: nil, issueRejection: try issueRejection(issueID: issueID))
        }

        let issueContract = try loadContractState(id: issue.contractID)
        var redemptionStates: [IncidentTypeID: ContractState] = [:]
        var ledgerIDs: [IncidentTypeID: Int64] = [:]
        for redemption in try redemptions(issueID: issueID) {
            redemptionStates[redemption.incidentType] = redemption.contractID == issue.contractID
                ? issueContract
                : try loadContractState(id: redemption.contractID)
            ledgerIDs[redemption.incidentType] = redemption.ledgerID
        }
        return IncidentSnapshot(
            issue: issue, incidentTypes: typeIDs, contract: issueContract, redemptions: redemptionStates,
            redemptionLedgerIDs: ledgerIDs)
    }

    private func createIssue(_ creation: IssueCreation) throws -> IssueOutcome {
        let outcome = IssueRules.decide(creation, snapshot: try issueSnapshot(for: creation))
        switch outcome {
        case .accepted(let acceptance):
            try saveIssue(IssueRecord(
                issueID: acceptance.issueID, projectID: acceptance.projectID, customerID: acceptance.customerID,
                contactID: acceptance.contactID, contractID: acceptance.contractID, createdAt: creation.createdAt))
        case .rejected(let rejection):
            try saveIssueRejection(issueID: rejection.issueID, reason: rejection.reason, at: creation.createdAt)
        }
        return outcome
    }

    private func store(_ outcome: IncidentOutcome, commandID: String) throws -> IncidentOutcome {
        switch outcome {
        case .rejected:
            return outcome
        case .redeemed(var redemption):
            redemption.ledgerID = try redeem(ledgerEntry(for: redemption, action: .redeem, commandID: commandID))
            return .redeemed(redemption)
        case .unredeemed(var redemption):
            redemption.ledgerID = try unredeem(ledgerEntry(for: redemption, action: .unredeem, commandID: commandID))
            return .unredeemed(redemption)
        }
    }

    private func ledgerEntry(for redemption: Redemption, action: LedgerEntry.Action, commandID: String) -> LedgerEntry {
        LedgerEntry(
            commandID: commandID, action: action, actor: redemption.actor, at: redemption.at,
            customerID: redemption.customerID, contractID: redemption.contractID, issueID: redemption.issueID,
            incidentType: redemption.quota.incidentType, totalAfter: redemption.quota.total,
            usedAfter: redemption.quota.used, remainingAfter: redemption.quota.remaining)
    }

    private func loadContractState(id: ContractID) throws -> ContractState {
        guard let contract = try contract(id: id) else {
            throw CustomerBackendError("Contract \(id) is referenced by an issue or a redemption but is not defined.")
        }
        return try contractState(contract)
    }

    private func contractState(_ contract: Contract) throws -> ContractState {
        guard let level = try supportLevel(id: contract.supportLevelID) else {
            throw CustomerBackendError(
                "Support level \(contract.supportLevelID) of contract \(contract.id) is not defined.")
        }
        return ContractState(contract: contract, supportLevel: level, used: try usedCounts(contractID: contract.id))
    }
}
