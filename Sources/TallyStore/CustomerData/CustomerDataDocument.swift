import Foundation

/// Customer data as a JSON file: support levels, incident types, customers with their contacts,
/// account managers and notes, and contracts with their per-type totals. docs/CUSTOMER-DATA.md
/// describes the format.
///
/// Keys are snake_case; dates are RFC 3339 strings in whole seconds. Use `decode(from:)` to read a file: it reports every problem with its JSON path.
public struct CustomerDataDocument: Codable, Equatable, Sendable {
    public static let currentVersion = 1

    public var version: Int
    public var supportLevels: [SupportLevelEntry]
    public var incidentTypes: [IncidentType]
    public var customers: [CustomerEntry]
    public var contracts: [ContractEntry]

    enum CodingKeys: String, CodingKey {
        case version
        case supportLevels = "support_levels"
        case incidentTypes = "incident_types"
        case customers
        case contracts
    }

    public init(
        version: Int = CustomerDataDocument.currentVersion, supportLevels: [SupportLevelEntry] = [],
        incidentTypes: [IncidentType] = [], customers: [CustomerEntry] = [], contracts: [ContractEntry] = []
    ) {
        self.version = version
        self.supportLevels = supportLevels
        self.incidentTypes = incidentTypes
        self.customers = customers
        self.contracts = contracts
    }

    public struct SupportLevelEntry: Codable, Equatable, Sendable {
        public var id: String
        public var name: String
        public var group: String
        /// Maximum time to the first response, in seconds.
        public var maxFirstResponseSeconds: Int

        enum CodingKeys: String, CodingKey {
            case id, name, group
            case maxFirstResponseSeconds = "max_first_response_seconds"
        }

        public init(id: String, name: String, group: String, maxFirstResponseSeconds: Int) {
            self.id = id
            self.name = name
            self.group = group
            self.maxFirstResponseSeconds = maxFirstResponseSeconds
        }

        public var supportLevel: SupportLevel {
            SupportLevel(id: id, name: name, group: group, maximumFirstResponseSeconds: maxFirstResponseSeconds)
        }
    }

    /// A customer with its contacts. `accountManagers` and `note` replace what the database
    /// holds when present and leave it as it is when `nil`.
    public struct CustomerEntry: Codable, Equatable, Sendable {
        public var id: CustomerID
        public var name: String
        public var contacts: [ContactEntry]
        public var accountManagers: [AccountManagerEntry]?
        public var note: String?

        enum CodingKeys: String, CodingKey {
            case id, name, contacts, note
            case accountManagers = "account_managers"
        }

        public init(
            id: CustomerID, name: String, contacts: [ContactEntry] = [], accountManagers: [AccountManagerEntry]? = nil,
            note: String? = nil
        ) {
            self.id = id
            self.name = name
            self.contacts = contacts
            self.accountManagers = accountManagers
            self.note = note
        }
    }

    public struct ContactEntry: Codable, Equatable, Sendable {
        public var id: ContactID
        public var name: String
        public var email: String

        public init(id: ContactID, name: String, email: String) {
            self.id = id
            self.name = name
            self.email = email
        }
    }

    public struct AccountManagerEntry: Codable, Equatable, Sendable {
        public var userID: String
        public var role: AccountManager.Role

        enum CodingKeys: String, CodingKey {
            case userID = "user_id"
            case role
        }

        public init(userID: String, role: AccountManager.Role) {
            self.userID = userID
            self.role = role
        }
    }

    /// A contract. Its `incidents` replace the contract's totals in the database; the used
    /// counts stay, even where a total drops below them.
    public struct ContractEntry: Codable, Equatable, Sendable {
        public var id: ContractID
        public var customerID: CustomerID
        public var supportLevelID: String
        public var startsAt: Date
        public var endsAt: Date
        public var graceDays: Int
        public var isPerIncident: Bool
        public var allowsOverage: Bool
        public var incidents: [IncidentAllowance]

        enum CodingKeys: String, CodingKey {
            case id
            case customerID = "customer_id"
            case supportLevelID = "support_level_id"
            case startsAt = "starts_at"
            case endsAt = "ends_at"
            case graceDays = "grace_days"
            case isPerIncident = "per_incident"
            case allowsOverage = "allows_overage"
            case incidents
        }

        public init(
            id: ContractID, customerID: CustomerID, supportLevelID: String, startsAt: Date, endsAt: Date, graceDays: Int,
            isPerIncident: Bool, allowsOverage: Bool = false, incidents: [IncidentAllowance] = []
        ) {
            self.id = id
            self.customerID = customerID
            self.supportLevelID = supportLevelID
            self.startsAt = startsAt
            self.endsAt = endsAt
            self.graceDays = graceDays
            self.isPerIncident = isPerIncident
            self.allowsOverage = allowsOverage
            self.incidents = incidents
        }
    }

    /// The total of one incident type on a contract, with its optional low-water mark.
    public struct IncidentAllowance: Codable, Equatable, Sendable {
        public var incidentType: IncidentTypeID
        public var total: Int
        public var lowWaterMark: Int?

        enum CodingKeys: String, CodingKey {
            case incidentType = "type"
            case total
            case lowWaterMark = "low_water_mark"
        }

        public init(incidentType: IncidentTypeID, total: Int, lowWaterMark: Int? = nil) {
            self.incidentType = incidentType
            self.total = total
            self.lowWaterMark = lowWaterMark
        }
    }

    /// Encodes the document as pretty-printed JSON with sorted keys and RFC 3339 dates.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.string(from: date))
        }
        return try encoder.encode(self)
    }
}

extension CustomerDataDocument.ContractEntry {
    /// The contract as the rules see it.
    public var contract: Contract {
        var totals: [IncidentTypeID: Int] = [:]
        var marks: [IncidentTypeID: Int] = [:]
        for allowance in incidents {
            totals[allowance.incidentType] = allowance.total
            marks[allowance.incidentType] = allowance.lowWaterMark
        }
        return Contract(
            id: id, customerID: customerID, supportLevelID: supportLevelID, startsAt: startsAt, endsAt: endsAt,
            graceDays: graceDays, isPerIncident: isPerIncident, allowsOverage: allowsOverage, totals: totals,
            lowWaterMarks: marks)
    }
}

/// The number of entries an import wrote per kind, and the totals it left below their used count.
public struct ImportReport: Sendable, Equatable {
    /// A total set below the number of incidents already redeemed: remaining shows as 0 and
    /// further redeems are rejected unless the contract allows overage.
    public struct LoweredTotal: Sendable, Equatable, CustomStringConvertible {
        public var contractID: ContractID
        public var incidentType: IncidentTypeID
        public var total: Int
        public var used: Int

        public init(contractID: ContractID, incidentType: IncidentTypeID, total: Int, used: Int) {
            self.contractID = contractID
            self.incidentType = incidentType
            self.total = total
            self.used = used
        }

        public var description: String {
            "contract \(contractID), \(incidentType): total \(total) is below the \(used) already used"
        }
    }

    public var supportLevels = 0
    public var incidentTypes = 0
    public var customers = 0
    public var contacts = 0
    public var contracts = 0
    public var loweredTotals: [LoweredTotal] = []

    public init() {}
}
