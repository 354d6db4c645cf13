import Foundation

/// Decides an `issue.create`: which contract the issue falls under, or why it is rejected.
public enum IssueRules {
    /// Accepts the issue when the customer and contact exist, the contact belongs to the
    /// customer, and the named or chosen contract is active or in its grace period at
    /// `creation.createdAt`. Reasons are checked in the order of `IssueRejectionReason`.
    public static func decide(_ creation: IssueCreation, snapshot: IssueSnapshot) -> IssueOutcome {
        func reject(_ reason: IssueRejectionReason, _ detail: String) -> IssueOutcome {
            .rejected(IssueRejection(
                issueID: creation.issueID, customerID: creation.customerID, contactID: creation.contactID,
                reason: reason, detail: detail))
        }

        guard snapshot.customer != nil else {
            return reject(.unknownCustomer, "Customer \(creation.customerID) is not defined.")
        }
        guard let contact = snapshot.contact else {
            return reject(.unknownContact, "Contact \(creation.contactID) is not defined.")
        }
        guard contact.customerID == creation.customerID else {
            return reject(
                .contactNotOfCustomer,
                "Contact \(contact.id) belongs to customer \(contact.customerID), not to customer \(creation.customerID).")
        }

        let instant = creation.createdAt
        let chosen: ContractState
        switch selectContract(named: creation.contractID, customerID: creation.customerID, from: snapshot.contracts, at: instant) {
        case .selected(let state):
            chosen = state
        case .rejected(let reason, let detail):
            return reject(reason, detail)
        }

        let status = chosen.contract.status(at: instant)
        switch status {
        case .notStarted:
            return reject(.contractNotStarted, startsDetail(chosen.contract))
        case .expired:
            return reject(.contractExpired, expiredDetail(chosen.contract))
        case .active, .inGracePeriod:
            break
        }

        let quotas = chosen.quotas
        let incidentLimitReached = chosen.contract.isPerIncident && quotas.allSatisfy { $0.remaining == 0 }
        return .accepted(IssueAcceptance(
            issueID: creation.issueID, projectID: creation.projectID, customerID: creation.customerID,
            contactID: contact.id, contractID: chosen.contract.id, contractStatus: status,
            supportLevel: chosen.supportLevel, isPerIncident: chosen.contract.isPerIncident,
            incidentLimitReached: incidentLimitReached, quotas: quotas))
    }

    enum Selection {
        case selected(ContractState)
        case rejected(IssueRejectionReason, String)
    }

    /// Picks the named contract, or the customer's one current contract. With none current, the
    /// contract that expired last decides; when none has expired, the next to start does.
    static func selectContract(
        named contractID: ContractID?, customerID: CustomerID, from contracts: [ContractState], at instant: Date
    ) -> Selection {
        if let contractID {
            guard let named = contracts.first(where: { $0.contract.id == contractID && $0.contract.customerID == customerID }) else {
                return .rejected(.unknownContract, "Contract \(contractID) is not a contract of customer \(customerID).")
            }
            return .selected(named)
        }

        guard !contracts.isEmpty else {
            return .rejected(.noContract, "Customer \(customerID) has no contract.")
        }

        let current = contracts.filter { $0.contract.status(at: instant).isCurrent }
        if current.count == 1 {
            return .selected(current[0])
        }
        if current.count > 1 {
            let ids = current.map(\.contract.id).sorted().joined(separator: ", ")
            return .rejected(
                .noContract,
                "Customer \(customerID) has \(current.count) current contracts (\(ids)), so the issue must name one.")
        }

        // Ties on the date go to the smaller id, so that the choice does not depend on row order.
        let expired = contracts.filter { $0.contract.status(at: instant) == .expired }
        if let last = expired.max(by: { ($0.contract.expiresAt, $1.contract.id) < ($1.contract.expiresAt, $0.contract.id) }) {
            return .selected(last)
        }
        let upcoming = contracts.filter { $0.contract.status(at: instant) == .notStarted }
        if let next = upcoming.min(by: { ($0.contract.startsAt, $0.contract.id) < ($1.contract.startsAt, $1.contract.id) }) {
            return .selected(next)
        }
        return .rejected(.noContract, "Customer \(customerID) has no contract.")
    }

    static func startsDetail(_ contract: Contract) -> String {
        "Contract \(contract.id) starts at \(RFC3339.string(from: contract.startsAt))."
    }

    static func expiredDetail(_ contract: Contract) -> String {
        "Contract \(contract.id) expired at \(RFC3339.string(from: contract.expiresAt)), "
            + "\(contract.graceDays) grace days after its end at \(RFC3339.string(from: contract.endsAt))."
    }
}
