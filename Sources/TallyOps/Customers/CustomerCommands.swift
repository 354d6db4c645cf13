import Foundation
import TallyStore
import TallySupport

/// `tallyctl customers import | export | show`.
enum CustomerCommands {
    static func spec(console: Console) -> CommandSpec {
        CommandSpec(
            name: "customers",
            abstract: "Import, export or show customer data: contacts, contracts, quotas.",
            subcommands: [importSpec(console), exportSpec(console), showSpec(console)]
        )
    }

    private static func importSpec(_ console: Console) -> CommandSpec {
        CommandSpec(
            name: "import",
            abstract: "Load a customer data file into the database, all or nothing.",
            discussion: "The file format is described in docs/CUSTOMER-DATA.md. Every problem is listed with its JSON path, and with any problem nothing is written. Entries the file does not mention stay as they are. The database is created when it does not exist yet.",
            optionGroups: [SharedOptions.storage, SharedOptions.configuration],
            arguments: [.required("file", help: "The customer data file (JSON), or - for standard input.", as: String.self)],
            validate: requireDatabase,
            run: { parsed in
                let settings = try DatabaseSettings(parsed)
                let file = parsed.argument("file", as: String.self) ?? "-"
                let data = try readInput(file)

                let report = try await runBlocking { () throws -> ImportReport in
                    let store = try DatabaseAccess.open(settings, allowCreating: true)
                    defer { store.close() }
                    return try DatabaseAccess.mapping(path: settings.path) { try store.importCustomerData(from: data) }
                }

                console.write("""
                    imported \(report.supportLevels) support levels, \(report.incidentTypes) incident types, \
                    \(report.customers) customers, \(report.contacts) contacts, \(report.contracts) contracts

                    """)
                for lowered in report.loweredTotals {
                    console.writeError("warning: \(lowered)\n")
                }
                return 0
            }
        )
    }

    private static func exportSpec(_ console: Console) -> CommandSpec {
        CommandSpec(
            name: "export",
            abstract: "Write all customer data as a customer data file (JSON).",
            options: [
                .option("output", short: "o", valueName: "path", help: "The file to write; standard output when left out.",
                        configurable: false, as: String.self),
            ],
            optionGroups: [SharedOptions.storage, SharedOptions.configuration],
            validate: requireDatabase,
            run: { parsed in
                let settings = try DatabaseSettings(parsed)
                let data = try await runBlocking { () throws -> Data in
                    let store = try DatabaseAccess.open(settings)
                    defer { store.close() }
                    return try DatabaseAccess.mapping(path: settings.path) { try store.exportCustomerData().jsonData() }
                }

                if let output = parsed.value("output", as: String.self) {
                    do {
                        try data.write(to: URL(fileURLWithPath: output), options: .atomic)
                    } catch {
                        throw TallyctlError("cannot write \(output): \(error.localizedDescription)")
                    }
                } else {
                    console.write(String(decoding: data, as: UTF8.self))
                    if data.last != UInt8(ascii: "\n") { console.write("\n") }
                }
                return 0
            }
        )
    }

    private static func showSpec(_ console: Console) -> CommandSpec {
        CommandSpec(
            name: "show",
            abstract: "Show a customer: contacts, contracts with their status today, support level, account managers, note, quotas and the last redemptions.",
            options: [
                SharedOptions.json,
                .option("redemptions", valueName: "count", help: "How many of the newest ledger rows to show.",
                        default: 10, configurable: false, in: 0...1000),
            ],
            optionGroups: [SharedOptions.storage, SharedOptions.configuration],
            arguments: [.required("customer", help: "The customer id, as Eventum stores it.", as: String.self)],
            validate: requireDatabase,
            run: { parsed in
                let settings = try DatabaseSettings(parsed)
                let customerID = parsed.argument("customer", as: String.self) ?? ""
                let limit = parsed.value("redemptions", as: Int.self) ?? 10
                let now = Date()

                let report = try await runBlocking { () throws -> CustomerReport? in
                    let store = try DatabaseAccess.open(settings)
                    defer { store.close() }
                    return try DatabaseAccess.mapping(path: settings.path) {
                        try store.read { try $0.customerReport(customerID: customerID, at: now, recentLedgerLimit: limit) }
                    }
                }
                guard let report else {
                    throw TallyctlError.customerNotFound(customerID, path: settings.path)
                }

                if parsed.flag("json") {
                    console.write(try JSONOutput.encode(CustomerReportJSON(report, at: now)))
                } else {
                    console.write(render(report, console: console))
                }
                return 0
            }
        )
    }

    static func render(_ report: CustomerReport, console: Console) -> String {
        var text = "Customer  \(report.customer.id)  \(report.customer.name)\n"
        let managers = report.accountManagers.map { "\($0.userID) (\($0.role.rawValue))" }.joined(separator: ", ")
        text += "Account managers  \(managers.isEmpty ? "-" : managers)\n"
        text += "Note  \(report.note ?? "-")\n"

        text += "\nContacts\n"
        var contacts = Table([.init(title: "ID"), .init(title: "NAME"), .init(title: "E-MAIL")])
        for contact in report.contacts {
            contacts.add([contact.id, contact.name, contact.email])
        }
        text += report.contacts.isEmpty ? "  none\n" : contacts.render(indent: 2)

        text += "\nContracts\n"
        text += report.contracts.isEmpty ? "  none\n" : LedgerCommands.renderQuotas(report.contracts, console: console)

        text += "\nLast redemptions\n"
        text += report.recentLedger.isEmpty ? "  none\n" : LedgerCommands.renderLedger(report.recentLedger, indent: 2)
        return text
    }

    /// Reads a file, or standard input for `-`.
    static func readInput(_ path: String) throws -> Data {
        if path == "-" {
            return FileHandle.standardInput.readDataToEndOfFile()
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file"
            throw TallyctlError("cannot read \(path): \(reason)")
        }
    }
}

/// A customer report as `--json` prints it.
struct CustomerReportJSON: Encodable, Sendable {
    var customer: Customer
    var contacts: [Contact]
    var accountManagers: [AccountManager]
    var note: String?
    var contracts: [ContractQuotasJSON]
    var recentLedger: [LedgerEntry]

    init(_ report: CustomerReport, at instant: Date) {
        customer = report.customer
        contacts = report.contacts
        accountManagers = report.accountManagers
        note = report.note
        contracts = report.contracts.map(ContractQuotasJSON.init)
        recentLedger = report.recentLedger
    }
}

struct ContractQuotasJSON: Encodable, Sendable {
    struct Quota: Encodable, Sendable {
        var incidentType: String
        var total: Int
        var used: Int
        var remaining: Int
        /// A redeem that leaves this many or fewer publishes `quota.low`; left out when the
        /// contract sets no mark for the type.
        var lowWaterMark: Int?
    }

    var contractID: String
    var status: String
    var supportLevel: String
    var supportLevelName: String
    var startsAt: Date
    var endsAt: Date
    var graceDays: Int
    var isPerIncident: Bool
    var allowsOverage: Bool
    var quotas: [Quota]

    init(_ contract: ContractQuotas) {
        contractID = contract.contract.id
        status = contract.status.rawValue
        supportLevel = contract.supportLevel.id
        supportLevelName = contract.supportLevel.name
        startsAt = contract.contract.startsAt
        endsAt = contract.contract.endsAt
        graceDays = contract.contract.graceDays
        isPerIncident = contract.contract.isPerIncident
        allowsOverage = contract.contract.allowsOverage
        quotas = contract.quotas.map { quota in
            Quota(
                incidentType: quota.incidentType, total: quota.total, used: quota.used, remaining: quota.remaining,
                lowWaterMark: contract.contract.lowWaterMarks[quota.incidentType])
        }
    }
}
