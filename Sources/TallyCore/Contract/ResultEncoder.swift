import Foundation

/// Turns a command's outcome into the messages for `tally.results`.
///
/// Every body has `schema_version` 1, `type`, `command_message_id`, `occurred_at` (the
/// command's instant or the ledger entry's) and `processed_at`. Times are RFC 3339 in UTC with
/// `Z`. An optional value that is unknown is written as `null`, so every key of a result type
/// is always present.
public enum ResultEncoder {
    public static let schemaVersion: Int64 = 1

    /// Returns one result per `IssueOutcome`, one per `IncidentOutcome` in the outcome's order,
    /// and after each `redeemed` outcome with `isLowQuota` a `quota.low`. An un-redeem never
    /// raises `quota.low`, because it gives an incident back.
    public static func results(for outcome: CommandOutcome, command: Command, commandMessageID: String, processedAt: Date) -> [ResultMessage] {
        let context = Context(command: command, commandMessageID: commandMessageID, processedAt: processedAt)

        switch outcome {
        case .issue(.accepted(let acceptance)):
            return [context.message(.issueAccepted, incidentType: nil, customerID: acceptance.customerID, body: issueAccepted(acceptance, context))]
        case .issue(.rejected(let rejection)):
            return [context.message(.issueRejected, incidentType: nil, customerID: rejection.customerID, body: issueRejected(rejection, context))]
        case .incidents(let outcomes):
            var messages: [ResultMessage] = []
            messages.reserveCapacity(outcomes.count + 1)
            for incidentOutcome in outcomes {
                switch incidentOutcome {
                case .redeemed(let redemption):
                    messages.append(context.message(.incidentRedeemed, incidentType: redemption.quota.incidentType, customerID: redemption.customerID, body: redemptionBody(.incidentRedeemed, redemption, context)))
                    if redemption.isLowQuota {
                        messages.append(context.message(.quotaLow, incidentType: redemption.quota.incidentType, customerID: redemption.customerID, body: quotaLow(redemption, context)))
                    }
                case .unredeemed(let redemption):
                    messages.append(context.message(.incidentUnredeemed, incidentType: redemption.quota.incidentType, customerID: redemption.customerID, body: redemptionBody(.incidentUnredeemed, redemption, context)))
                case .rejected(let rejection):
                    messages.append(context.message(.incidentRejected, incidentType: rejection.incidentType, customerID: rejection.customerID, body: incidentRejected(rejection, context)))
                }
            }
            return messages
        }
    }

    fileprivate struct Context {
        var command: Command
        var commandMessageID: String
        var processedAt: Date

        func message(_ kind: ResultKind, incidentType: IncidentTypeID?, customerID: CustomerID?, body: [UInt8]) -> ResultMessage {
            var headers: [String: String] = [:]
            if let customerID { headers[ResultMessage.customerIDHeader] = customerID }
            return ResultMessage(
                routingKey: kind.rawValue,
                messageID: ResultMessageID.make(commandMessageID: commandMessageID, kind: kind, incidentType: incidentType),
                correlationID: commandMessageID,
                type: kind.rawValue,
                headers: headers,
                body: body
            )
        }
    }

    // MARK: - Bodies
    //
    // Each body writes its members in ascending key order, which is the order `JSONWriter`
    // sorts them in, so results keep their bytes. Debug builds check the order. Every body has
    // `command_message_id`, `occurred_at`, `processed_at`, `schema_version` and `type`.

    private static func issueAccepted(_ acceptance: IssueAcceptance, _ context: Context) -> [UInt8] {
        var object = JSONObjectWriter()
        object.string("command_message_id", context.commandMessageID)
        object.string("contact_id", acceptance.contactID)
        object.string("contract_id", acceptance.contractID)
        object.string("contract_status", acceptance.contractStatus.rawValue)
        object.string("customer_id", acceptance.customerID)
        object.bool("incident_limit_reached", acceptance.incidentLimitReached)
        object.integer("issue_id", acceptance.issueID)
        object.time("occurred_at", context.command.instant)
        object.bool("per_incident", acceptance.isPerIncident)
        object.time("processed_at", context.processedAt)
        object.integer("project_id", acceptance.projectID)
        object.array("quotas", acceptance.quotas, writeQuota)
        object.integer("schema_version", schemaVersion)
        object.object("support_level") { writeSupportLevel(&$0, acceptance.supportLevel) }
        object.string("type", ResultKind.issueAccepted.rawValue)
        return object.finish()
    }

    /// `project_id` and the requested `contract_id` come from the command, because the
    /// rejection does not carry them.
    private static func issueRejected(_ rejection: IssueRejection, _ context: Context) -> [UInt8] {
        var projectID: Int?
        var requestedContractID: String?
        if case .createIssue(let creation) = context.command {
            projectID = Int(creation.projectID)
            requestedContractID = creation.contractID
        }

        var object = JSONObjectWriter()
        object.string("command_message_id", context.commandMessageID)
        object.string("contact_id", rejection.contactID)
        object.string("contract_id", requestedContractID)
        object.string("customer_id", rejection.customerID)
        object.string("detail", rejection.detail)
        object.integer("issue_id", rejection.issueID)
        object.time("occurred_at", context.command.instant)
        object.time("processed_at", context.processedAt)
        object.integer("project_id", projectID)
        object.string("reason", rejection.reason.rawValue)
        object.integer("schema_version", schemaVersion)
        object.string("type", ResultKind.issueRejected.rawValue)
        return object.finish()
    }

    /// Builds the body of `incident.redeemed` and `incident.unredeemed`, with everything billing
    /// needs to invoice or credit one incident. An un-redeem also names the redeem it gives
    /// back (`redemption_ledger_id`), so billing can credit that very charge.
    private static func redemptionBody(_ kind: ResultKind, _ redemption: Redemption, _ context: Context) -> [UInt8] {
        var object = JSONObjectWriter()
        object.string("command_message_id", context.commandMessageID)
        object.string("command_type", CommandKind(of: context.command).rawValue)
        object.string("contract_id", redemption.contractID)
        object.string("contract_status", redemption.contractStatus.rawValue)
        object.string("customer_id", redemption.customerID)
        object.string("incident_type", redemption.quota.incidentType)
        object.integer("issue_id", redemption.issueID)
        object.integer("ledger_id", redemption.ledgerID)
        object.bool("low_quota", redemption.isLowQuota)
        object.integer("low_water_mark", redemption.lowWaterMark)
        object.time("occurred_at", redemption.at)
        object.bool("overage", redemption.isOverage)
        object.time("processed_at", context.processedAt)
        object.object("quota") { writeQuota(&$0, redemption.quota) }
        object.string("redeemed_by", redemption.actor)
        if kind == .incidentUnredeemed {
            object.integer("redemption_ledger_id", redemption.redemptionLedgerID.map(Int.init))
        }
        object.integer("schema_version", schemaVersion)
        object.object("support_level") { writeSupportLevel(&$0, redemption.supportLevel) }
        object.string("type", kind.rawValue)
        return object.finish()
    }

    private static func quotaLow(_ redemption: Redemption, _ context: Context) -> [UInt8] {
        var object = JSONObjectWriter()
        object.string("command_message_id", context.commandMessageID)
        object.string("contract_id", redemption.contractID)
        object.string("contract_status", redemption.contractStatus.rawValue)
        object.string("customer_id", redemption.customerID)
        object.string("incident_type", redemption.quota.incidentType)
        object.integer("issue_id", redemption.issueID)
        object.integer("ledger_id", redemption.ledgerID)
        object.integer("low_water_mark", redemption.lowWaterMark)
        object.time("occurred_at", redemption.at)
        object.bool("overage", redemption.isOverage)
        object.time("processed_at", context.processedAt)
        object.object("quota") { writeQuota(&$0, redemption.quota) }
        object.integer("schema_version", schemaVersion)
        object.object("support_level") { writeSupportLevel(&$0, redemption.supportLevel) }
        object.string("type", ResultKind.quotaLow.rawValue)
        return object.finish()
    }

    private static func incidentRejected(_ rejection: IncidentRejection, _ context: Context) -> [UInt8] {
        var object = JSONObjectWriter()
        object.string("command_message_id", context.commandMessageID)
        object.string("command_type", CommandKind(of: context.command).rawValue)
        object.string("contract_id", rejection.contractID)
        object.string("customer_id", rejection.customerID)
        object.string("detail", rejection.detail)
        object.string("incident_type", rejection.incidentType)
        object.integer("issue_id", rejection.issueID)
        object.string("issue_rejection_reason", rejection.issueRejectionReason?.rawValue)
        object.time("occurred_at", context.command.instant)
        object.time("processed_at", context.processedAt)
        if let quota = rejection.quota {
            object.object("quota") { writeQuota(&$0, quota) }
        } else {
            object.null("quota")
        }
        object.string("reason", rejection.reason.rawValue)
        object.string("redeemed_by", actor(of: context.command))
        object.integer("schema_version", schemaVersion)
        object.string("type", ResultKind.incidentRejected.rawValue)
        return object.finish()
    }

    // MARK: - Parts

    private static func writeSupportLevel(_ object: inout JSONObjectWriter, _ level: SupportLevel) {
        object.string("group", level.group)
        object.string("id", level.id)
        object.integer("maximum_first_response_seconds", Int64(level.maximumFirstResponseSeconds))
        object.string("name", level.name)
    }

    private static func writeQuota(_ object: inout JSONObjectWriter, _ quota: IncidentQuota) {
        object.string("incident_type", quota.incidentType)
        object.integer("remaining", Int64(quota.remaining))
        object.integer("total", Int64(quota.total))
        object.integer("used", Int64(quota.used))
    }

    private static func actor(of command: Command) -> String? {
        switch command {
        case .createIssue: nil
        case .redeem(let request), .unredeem(let request): request.actor
        case .setRedeemedTypes(let update): update.actor
        }
    }
}
