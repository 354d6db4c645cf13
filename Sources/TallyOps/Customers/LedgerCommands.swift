import Foundation
import TallyStore
import TallySupport

/// An instant given on the command line: RFC 3339 (`2026-03-10T12:00:00Z`) or a UTC day
/// (`2026-03-10`, meaning its first second).
struct InstantArgument: ArgumentValue, CustomStringConvertible {
    let date: Date

    init?(argument: String) {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: argument) {
            self.date = date
            return
        }
        formatter.formatOptions = [.withFullDate]
        guard argument.count == 10, let date = formatter.date(from: argument) else { return nil }
        self.date = date
    }

    static var expectation: String { "a UTC day such as 2026-03-10 or an RFC 3339 instant such as 2026-03-10T12:00:00Z" }

    var description: String { Format.instant(date) }
}

/// `tallyctl quota`, `tallyctl ledger` and `tallyctl verify`.
enum LedgerCommands {
    static func quotaSpec(console: Console) -> CommandSpec {
        CommandSpec(
            name: "quota",
            abstract: "Show a customer's incidents per contract and type: total, used, remaining and the low-water mark.",
            options: [
                SharedOptions.json,
                .option("type", short: "t", valueName: "type", help: "Only this incident type, such as phone.",
                        configurable: false, as: String.self),
            ],
            optionGroups: [SharedOptions.storage, SharedOptions.configuration],
            arguments: [.required("customer", help: "The customer id.", as: String.self)],
            validate: requireDatabase,
            run: { parsed in
                let settings = try DatabaseSettings(parsed)
                let customerID = parsed.argument("customer", as: String.self) ?? ""
                let type = parsed.value("type", as: String.self)
                let now = Date()

                let found = try await runBlocking { () throws -> [ContractQuotas]? in
                    let store = try DatabaseAccess.open(settings)
                    defer { store.close() }
                    return try DatabaseAccess.mapping(path: settings.path) {
                        try store.read { try $0.quotas(customerID: customerID, at: now) }
                    }
                }
                guard var contracts = found else {
                    throw TallyctlError.customerNotFound(customerID, path: settings.path)
                }
                if let type {
                    for index in contracts.indices {
                        contracts[index].quotas = contracts[index].quotas.filter { $0.incidentType == type }
                    }
                    if !contracts.contains(where: { !$0.quotas.isEmpty }) {
                        throw TallyctlError("no contract of customer '\(customerID)' counts incident type '\(type)'")
                    }
                }

                if parsed.flag("json") {
                    console.write(try JSONOutput.encode(contracts.map(ContractQuotasJSON.init)))
                } else if contracts.isEmpty {
                    console.write("customer '\(customerID)' has no contracts\n")
                } else {
                    console.write(renderQuotas(contracts, console: console))
                }
                return 0
            }
        )
    }

    static func ledgerSpec(console: Console) -> CommandSpec {
        CommandSpec(
            name: "ledger",
            abstract: "Show the ledger rows of an issue or a customer, oldest first.",
            options: [
                SharedOptions.json,
                .option("issue", valueName: "id", help: "The issue id.", configurable: false, in: 1...Int.max),
                .option("customer", valueName: "id", help: "The customer id.", configurable: false, as: String.self),
                .option("since", valueName: "instant", help: "Only rows at or after this day or instant (UTC).",
                        configurable: false, as: InstantArgument.self),
            ],
            optionGroups: [SharedOptions.storage, SharedOptions.configuration],
            validate: { parsed in
                try requireDatabase(parsed)
                let issue = parsed.value("issue", as: Int.self)
                let customer = parsed.value("customer", as: String.self)
                if issue != nil && customer != nil {
                    throw UsageError("give either '--issue <id>' or '--customer <id>', not both")
                }
                if issue == nil && customer == nil {
                    throw UsageError("missing '--issue <id>' or '--customer <id>'")
                }
            },
            run: { parsed in
                let settings = try DatabaseSettings(parsed)
                let issue = parsed.value("issue", as: Int.self)
                let customer = parsed.value("customer", as: String.self)
                let since = parsed.value("since", as: InstantArgument.self)?.date

                // nil when the customer is not defined, so a mistyped id is not taken for a
                // customer without ledger rows.
                let found = try await runBlocking { () throws -> [LedgerEntry]? in
                    let store = try DatabaseAccess.open(settings)
                    defer { store.close() }
                    return try DatabaseAccess.mapping(path: settings.path) {
                        try store.read { transaction in
                            if let issue {
                                return try transaction.ledger(issueID: Int64(issue)).filter { since == nil || $0.at >= since! }
                            }
                            let customerID = customer ?? ""
                            guard try transaction.backend.customer(id: customerID) != nil else { return nil }
                            return try transaction.ledger(customerID: customerID, since: since)
                        }
                    }
                }
                guard let entries = found else {
                    throw TallyctlError.customerNotFound(customer ?? "", path: settings.path)
                }

                if parsed.flag("json") {
                    console.write(try JSONOutput.encode(entries))
                } else if entries.isEmpty {
                    console.write("no ledger rows\n")
                } else {
                    console.write(renderLedger(entries, indent: 0))
                }
                return 0
            }
        )
    }

    static func verifySpec(console: Console) -> CommandSpec {
        CommandSpec(
            name: "verify",
            abstract: "Check the ledger against the used counts and live redemptions.",
            discussion: "For every contract and incident type, the used count, the number of live redemptions, the redeems minus un-redeems in the ledger and the newest ledger row's used count must agree. Exits 2 when any pair differs, listing each.",
            options: [SharedOptions.json],
            optionGroups: [SharedOptions.storage, SharedOptions.configuration],
            validate: requireDatabase,
            run: { parsed in
                let settings = try DatabaseSettings(parsed)
                let differences = try await runBlocking { () throws -> [LedgerDiscrepancy] in
                    let store = try DatabaseAccess.open(settings)
                    defer { store.close() }
                    return try DatabaseAccess.mapping(path: settings.path) {
                        try store.read { try $0.verifyLedger() }
                    }
                }

                if parsed.flag("json") {
                    console.write(try JSONOutput.encode(VerifyJSON(ok: differences.isEmpty, differences: differences.map(DiscrepancyJSON.init))))
                } else if differences.isEmpty {
                    console.write("ledger agrees with the counts\n")
                } else {
                    var table = Table([
                        .init(title: "CONTRACT"), .init(title: "TYPE"), .init(title: "USED", alignment: .right),
                        .init(title: "LEDGER", alignment: .right), .init(title: "LIVE", alignment: .right),
                        .init(title: "LAST ROW", alignment: .right),
                    ])
                    for difference in differences {
                        table.add([
                            difference.contractID, difference.incidentType, String(difference.usedCount),
                            String(difference.ledgerCount), String(difference.liveRedemptions),
                            difference.lastUsedAfter.map(String.init) ?? "-",
                        ])
                    }
                    console.write(table.render())
                    console.writeError("Error: \(differences.count) contract and type pairs disagree with the ledger\n")
                }
                return differences.isEmpty ? 0 : TallyctlExitCode.critical
            }
        )
    }

    // MARK: - Rendering

    static func renderQuotas(_ contracts: [ContractQuotas], console: Console) -> String {
        var table = Table([
            .init(title: "CONTRACT"), .init(title: "STATUS"), .init(title: "SUPPORT LEVEL"), .init(title: "ENDS"),
            .init(title: "TYPE"), .init(title: "TOTAL", alignment: .right), .init(title: "USED", alignment: .right),
            .init(title: "REMAINING", alignment: .right), .init(title: "LOW AT", alignment: .right),
        ])
        for contract in contracts {
            let status = contract.status.rawValue.replacingOccurrences(of: "_", with: " ")
            let level = "\(contract.supportLevel.name) (\(contract.supportLevel.id))"
            let ends = Format.day(contract.contract.endsAt)
            if contract.quotas.isEmpty {
                let kind = contract.contract.isPerIncident ? "-" : "not per incident"
                table.add([contract.contract.id, status, level, ends, kind, "-", "-", "-", "-"])
            }
            for quota in contract.quotas {
                table.add([
                    contract.contract.id, status, level, ends, quota.incidentType, String(quota.total),
                    String(quota.used), String(quota.remaining),
                    contract.contract.lowWaterMarks[quota.incidentType].map(String.init) ?? "-",
                ])
            }
        }
        return table.render(indent: 2) { _, column, cell in
            switch (column, cell) {
            case (1, "active"): console.colored(cell, .green)
            case (1, "in grace period"): console.colored(cell, .yellow)
            case (1, "expired"), (7, "0"): console.colored(cell, .red)
            default: cell
            }
        }
    }

    static func renderLedger(_ entries: [LedgerEntry], indent: Int) -> String {
        var table = Table([
            .init(title: "ID", alignment: .right), .init(title: "AT"), .init(title: "ACTION"),
            .init(title: "ISSUE", alignment: .right), .init(title: "TYPE"), .init(title: "CONTRACT"),
            .init(title: "USED", alignment: .right), .init(title: "REMAINING", alignment: .right),
            .init(title: "ACTOR"), .init(title: "COMMAND"),
        ])
        for entry in entries {
            table.add([
                String(entry.id), Format.instant(entry.at), entry.action.rawValue, String(entry.issueID),
                entry.incidentType, entry.contractID, "\(entry.usedAfter)/\(entry.totalAfter)",
                String(entry.remainingAfter), entry.actor ?? "-", entry.commandID,
            ])
        }
        return table.render(indent: indent)
    }
}

struct VerifyJSON: Encodable, Sendable {
    var ok: Bool
    var differences: [DiscrepancyJSON]
}

struct DiscrepancyJSON: Encodable, Sendable {
    var contractID: String
    var incidentType: String
    var usedCount: Int
    var ledgerCount: Int
    var liveRedemptions: Int
    var lastUsedAfter: Int?

    init(_ discrepancy: LedgerDiscrepancy) {
        contractID = discrepancy.contractID
        incidentType = discrepancy.incidentType
        usedCount = discrepancy.usedCount
        ledgerCount = discrepancy.ledgerCount
        liveRedemptions = discrepancy.liveRedemptions
        lastUsedAfter = discrepancy.lastUsedAfter
    }
}
