import Foundation

/// Decides redeems and un-redeems of per-incident contracts.
///
/// The outcomes carry the counters after the change and a `ledgerID` of 0: the caller stores the
/// change and fills in the ledger id.
public enum IncidentRules {
    /// Redeems one incident of `request.incidentType` for the issue, checking the reasons in
    /// the order `unknownIssue`, `unknownIncidentType`, `notPerIncident`, `contractNotStarted`,
    /// `contractExpired`, `alreadyRedeemed`, `noIncidentsLeft`. With nothing left and overage
    /// allowed, the redeem succeeds and is flagged `isOverage`.
    public static func redeem(_ request: IncidentRequest, snapshot: IncidentSnapshot) -> IncidentOutcome {
        redeem(request.incidentType, issueID: request.issueID, actor: request.actor, at: request.requestedAt, snapshot: snapshot)
    }

    /// Gives back the issue's incident of `request.incidentType`, checking `unknownIssue`,
    /// `unknownIncidentType`, `notPerIncident` and `notRedeemed` in that order. The contract's
    /// status does not matter, so a correction is possible after it expired.
    public static func unredeem(_ request: IncidentRequest, snapshot: IncidentSnapshot) -> IncidentOutcome {
        unredeem(request.incidentType, issueID: request.issueID, actor: request.actor, at: request.requestedAt, snapshot: snapshot)
    }

    /// Makes the issue's redeemed types equal `update.incidentTypes`: un-redeems the extra types,
    /// then redeems the missing ones, each in type order. Returns one outcome per type that had to
    /// change, a rejection where it could not; types are independent, so a rejected type leaves
    /// the others to proceed. An unknown issue has no redemptions, so every requested type is
    /// rejected as `unknownIssue` and an empty set needs no change.
    public static func setRedeemedTypes(_ update: RedeemedTypesUpdate, snapshot: IncidentSnapshot) -> [IncidentOutcome] {
        let current = snapshot.redeemedTypes
        let extra = current.subtracting(update.incidentTypes).sorted()
        let missing = update.incidentTypes.subtracting(current).sorted()

        let unredeemed = extra.map {
            unredeem($0, issueID: update.issueID, actor: update.actor, at: update.requestedAt, snapshot: snapshot)
        }
        let redeemed = missing.map {
            redeem($0, issueID: update.issueID, actor: update.actor, at: update.requestedAt, snapshot: snapshot)
        }
        return unredeemed + redeemed
    }

    static func redeem(
        _ incidentType: IncidentTypeID, issueID: Int64, actor: String?, at instant: Date, snapshot: IncidentSnapshot
    ) -> IncidentOutcome {
        let context = RejectionContext(issueID: issueID, incidentType: incidentType, snapshot: snapshot)
        guard let issue = snapshot.issue, let state = snapshot.contract else {
            return context.rejectUnknownIssue()
        }
        guard snapshot.incidentTypes.contains(incidentType) else {
            return context.reject(.unknownIncidentType, "Incident type \"\(incidentType)\" is not defined.")
        }

        let contract = state.contract
        guard contract.isPerIncident else {
            return context.reject(.notPerIncident, "Contract \(contract.id) of issue \(issueID) is not per-incident.")
        }

        let status = contract.status(at: instant)
        switch status {
        case .notStarted:
            return context.reject(.contractNotStarted, IssueRules.startsDetail(contract), quota: state.quota(of: incidentType))
        case .expired:
            return context.reject(.contractExpired, IssueRules.expiredDetail(contract), quota: state.quota(of: incidentType))
        case .active, .inGracePeriod:
            break
        }

        if let redeemedOn = snapshot.redemptions[incidentType] {
            return context.reject(
                .alreadyRedeemed, "Issue \(issueID) already has a redeemed \(incidentType) incident.",
                contractID: redeemedOn.contract.id, quota: redeemedOn.quota(of: incidentType))
        }

        let before = state.quota(of: incidentType)
        let isOverage = before.remaining == 0
        if isOverage && !contract.allowsOverage {
            return context.reject(
                .noIncidentsLeft,
                "Contract \(contract.id) has no \(incidentType) incidents left: \(before.used) of \(before.total) used.",
                quota: before)
        }

        let after = IncidentQuota(incidentType: incidentType, total: before.total, used: before.used + 1)
        let lowWaterMark = contract.lowWaterMarks[incidentType]
        return .redeemed(Redemption(
            ledgerID: 0, issueID: issueID, customerID: issue.customerID, contractID: contract.id,
            contractStatus: status, supportLevel: state.supportLevel, quota: after, isOverage: isOverage,
            isLowQuota: lowWaterMark.map { after.remaining <= $0 } ?? false, lowWaterMark: lowWaterMark,
            actor: actor, at: instant))
    }

    static func unredeem(
        _ incidentType: IncidentTypeID, issueID: Int64, actor: String?, at instant: Date, snapshot: IncidentSnapshot
    ) -> IncidentOutcome {
        let context = RejectionContext(issueID: issueID, incidentType: incidentType, snapshot: snapshot)
        guard let issue = snapshot.issue, let issueContract = snapshot.contract else {
            return context.rejectUnknownIssue()
        }
        guard snapshot.incidentTypes.contains(incidentType) else {
            return context.reject(.unknownIncidentType, "Incident type \"\(incidentType)\" is not defined.")
        }

        // The incident goes back to the contract it was counted against.
        let state = snapshot.redemptions[incidentType] ?? issueContract
        let contract = state.contract
        guard contract.isPerIncident else {
            return context.reject(.notPerIncident, "Contract \(contract.id) of issue \(issueID) is not per-incident.")
        }
        guard snapshot.redemptions[incidentType] != nil else {
            return context.reject(
                .notRedeemed, "Issue \(issueID) has no redeemed \(incidentType) incident.", quota: state.quota(of: incidentType))
        }

        let before = state.quota(of: incidentType)
        let after = IncidentQuota(incidentType: incidentType, total: before.total, used: max(0, before.used - 1))
        return .unredeemed(Redemption(
            ledgerID: 0, issueID: issueID, customerID: issue.customerID, contractID: contract.id,
            contractStatus: contract.status(at: instant), supportLevel: state.supportLevel, quota: after,
            isOverage: false, isLowQuota: false,
            lowWaterMark: contract.lowWaterMarks[incidentType], actor: actor, at: instant,
            redemptionLedgerID: snapshot.redemptionLedgerIDs[incidentType]))
    }

    private struct RejectionContext {
        var issueID: Int64
        var incidentType: IncidentTypeID
        var snapshot: IncidentSnapshot

        /// Rejects as `unknownIssue`, saying whether the issue's creation was rejected (final) or
        /// never seen (it may still arrive).
        func rejectUnknownIssue() -> IncidentOutcome {
            guard let issueRejection = snapshot.issueRejection else {
                return reject(.unknownIssue, "Issue \(issueID) is not known: no issue.create for it was accepted.")
            }
            var outcome = reject(
                .unknownIssue, "Issue \(issueID) is not known: its issue.create was rejected as \(issueRejection.rawValue).")
            if case .rejected(var rejection) = outcome {
                rejection.issueRejectionReason = issueRejection
                outcome = .rejected(rejection)
            }
            return outcome
        }

        func reject(
            _ reason: IncidentRejectionReason, _ detail: String, contractID: ContractID? = nil, quota: IncidentQuota? = nil
        ) -> IncidentOutcome {
            let knownType = snapshot.incidentTypes.contains(incidentType)
            return .rejected(IncidentRejection(
                issueID: issueID, incidentType: incidentType, reason: reason, detail: detail,
                customerID: snapshot.issue?.customerID,
                contractID: contractID ?? snapshot.contract?.contract.id,
                quota: quota ?? (knownType ? snapshot.contract?.quota(of: incidentType) : nil)))
        }
    }
}
