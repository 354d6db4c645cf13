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

        func common(_ kind: ResultKind, occurredAt: Date) -> [JSONMember] {
            [
                JSONMember("schema_version", .integer(ResultEncoder.schemaVersion)),
                JSONMember("type", .string(kind.rawValue)),
                JSONMember("command_message_id", .string(commandMessageID)),
                JSONMember("occurred_at", time(occurredAt)),
                JSONMember("processed_at", time(processedAt)),
            ]
        }

        func message(_ kind: ResultKind, incidentType: IncidentTypeID?, customerID: CustomerID?, body: [JSONMember]) -> ResultMessage {
            var headers: [String: String] = [:]
            if let customerID { headers[ResultMessage.customerIDHeader] = customerID }
            return ResultMessage(
                routingKey: kind.rawValue,
                messageID: ResultMessageID.make(commandMessageID: commandMessageID, kind: kind, incidentType: incidentType),
                correlationID: commandMessageID,
                type: kind.rawValue,
                headers: headers,
                body: JSONWriter.bytes(.object(body))
            )
        }
    }

    // MARK: - Bodies

    private static func issueAccepted(_ acceptance: IssueAcceptance, _ context: Context) -> [JSONMember] {
        context.common(.issueAccepted, occurredAt: context.command.instant) + [
            JSONMember("issue_id", .integer(acceptance.issueID)),
            JSONMember("project_id", .integer(acceptance.projectID)),
            JSONMember("customer_id", .string(acceptance.customerID)),
            JSONMember("contact_id", .string(acceptance.contactID)),
            JSONMember("contract_id", .string(acceptance.contractID)),
            JSONMember("contract_status", .string(acceptance.contractStatus.rawValue)),
            JSONMember("support_level", supportLevel(acceptance.supportLevel)),
            JSONMember("per_incident", .bool(acceptance.isPerIncident)),
            JSONMember("incident_limit_reached", .bool(acceptance.incidentLimitReached)),
            JSONMember("quotas", .array(acceptance.quotas.map(quota))),
        ]
    }

    /// `project_id` and the requested `contract_id` come from the command, because the
    /// rejection does not carry them.
    private static func issueRejected(_ rejection: IssueRejection, _ context: Context) -> [JSONMember] {
        var projectID = JSONValue.null
        var requestedContractID = JSONValue.null
        if case .createIssue(let creation) = context.command {
            projectID = .integer(creation.projectID)
            requestedContractID = optionalString(creation.contractID)
        }
        return context.common(.issueRejected, occurredAt: context.command.instant) + [
            JSONMember("issue_id", .integer(rejection.issueID)),
            JSONMember("project_id", projectID),
            JSONMember("customer_id", .string(rejection.customerID)),
            JSONMember("contact_id", .string(rejection.contactID)),
            JSONMember("contract_id", requestedContractID),
            JSONMember("reason", .string(rejection.reason.rawValue)),
            JSONMember("detail", .string(rejection.detail)),
        ]
    }

    /// Builds the body of `incident.redeemed` and `incident.unredeemed`, with everything billing
    /// needs to invoice or credit one incident.
    private static func redemptionBody(_ kind: ResultKind, _ redemption: Redemption, _ context: Context) -> [JSONMember] {
        context.common(kind, occurredAt: redemption.at) + [
            JSONMember("command_type", .string(CommandKind(of: context.command).rawValue)),
            JSONMember("ledger_id", .integer(redemption.ledgerID)),
            JSONMember("issue_id", .integer(redemption.issueID)),
            JSONMember("customer_id", .string(redemption.customerID)),
            JSONMember("contract_id", .string(redemption.contractID)),
            JSONMember("contract_status", .string(redemption.contractStatus.rawValue)),
            JSONMember("support_level", supportLevel(redemption.supportLevel)),
            JSONMember("incident_type", .string(redemption.quota.incidentType)),
            JSONMember("quota", quota(redemption.quota)),
            JSONMember("overage", .bool(redemption.isOverage)),
            JSONMember("low_quota", .bool(redemption.isLowQuota)),
            JSONMember("low_water_mark", optionalInteger(redemption.lowWaterMark)),
            JSONMember("redeemed_by", optionalString(redemption.actor)),
        ]
    }

    private static func quotaLow(_ redemption: Redemption, _ context: Context) -> [JSONMember] {
        context.common(.quotaLow, occurredAt: redemption.at) + [
            JSONMember("ledger_id", .integer(redemption.ledgerID)),
            JSONMember("issue_id", .integer(redemption.issueID)),
            JSONMember("customer_id", .string(redemption.customerID)),
            JSONMember("contract_id", .string(redemption.contractID)),
            JSONMember("contract_status", .string(redemption.contractStatus.rawValue)),
            JSONMember("support_level", supportLevel(redemption.supportLevel)),
            JSONMember("incident_type", .string(redemption.quota.incidentType)),
            JSONMember("quota", quota(redemption.quota)),
            JSONMember("overage", .bool(redemption.isOverage)),
            JSONMember("low_water_mark", optionalInteger(redemption.lowWaterMark)),
        ]
    }

    private static func incidentRejected(_ rejection: IncidentRejection, _ context: Context) -> [JSONMember] {
        context.common(.incidentRejected, occurredAt: context.command.instant) + [
            JSONMember("command_type", .string(CommandKind(of: context.command).rawValue)),
            JSONMember("issue_id", .integer(rejection.issueID)),
            JSONMember("incident_type", .string(rejection.incidentType)),
            JSONMember("reason", .string(rejection.reason.rawValue)),
            JSONMember("detail", .string(rejection.detail)),
            JSONMember("issue_rejection_reason", optionalString(rejection.issueRejectionReason?.rawValue)),
            JSONMember("customer_id", optionalString(rejection.customerID)),
            JSONMember("contract_id", optionalString(rejection.contractID)),
            JSONMember("quota", rejection.quota.map(quota) ?? .null),
            JSONMember("redeemed_by", optionalString(actor(of: context.command))),
        ]
    }

    // MARK: - Parts

    private static func supportLevel(_ level: SupportLevel) -> JSONValue {
        .object([
            JSONMember("id", .string(level.id)),
            JSONMember("name", .string(level.name)),
            JSONMember("group", .string(level.group)),
            JSONMember("maximum_first_response_seconds", .integer(Int64(level.maximumFirstResponseSeconds))),
        ])
    }

    private static func quota(_ quota: IncidentQuota) -> JSONValue {
        .object([
            JSONMember("incident_type", .string(quota.incidentType)),
            JSONMember("total", .integer(Int64(quota.total))),
            JSONMember("used", .integer(Int64(quota.used))),
            JSONMember("remaining", .integer(Int64(quota.remaining))),
        ])
    }

    private static func time(_ date: Date) -> JSONValue {
        .string(RFC3339.string(from: date))
    }

    private static func optionalString(_ text: String?) -> JSONValue {
        text.map(JSONValue.string) ?? .null
    }

    private static func optionalInteger(_ number: Int?) -> JSONValue {
        number.map { .integer(Int64($0)) } ?? .null
    }

    private static func actor(of command: Command) -> String? {
        switch command {
        case .createIssue: nil
        case .redeem(let request), .unredeem(let request): request.actor
        case .setRedeemedTypes(let update): update.actor
        }
    }
}
