import Foundation
import TallyCore
import TallyStore

/// The customers a workload draws from: ids only, as the tracker would know them.
public struct WorkloadUniverse: Sendable {
    public struct Customer: Sendable {
        public var id: CustomerID
        public var contactIDs: [ContactID]
        public var contractIDs: [ContractID]
        /// Whether a contract of the customer is active or in its grace period, so that an
        /// issue created for it is expected to be accepted.
        public var hasContractInEffect: Bool

        public init(id: CustomerID, contactIDs: [ContactID], contractIDs: [ContractID], hasContractInEffect: Bool = true) {
            self.id = id
            self.contactIDs = contactIDs
            self.contractIDs = contractIDs
            self.hasContractInEffect = hasContractInEffect
        }
    }

    public var customers: [Customer]
    public var incidentTypes: [IncidentTypeID]

    public init(customers: [Customer], incidentTypes: [IncidentTypeID]) {
        self.customers = customers
        self.incidentTypes = incidentTypes
    }

    /// Collects the ids of a customer data file, as the tracker would know them, and which
    /// customers have a contract in effect at `now`.
    public init(_ document: CustomerDataDocument, at now: Date = Date()) {
        var contracts: [CustomerID: [ContractID]] = [:]
        var inEffect: Set<CustomerID> = []
        for contract in document.contracts {
            contracts[contract.customerID, default: []].append(contract.id)
            switch contract.contract.status(at: now) {
            case .active, .inGracePeriod: inEffect.insert(contract.customerID)
            case .notStarted, .expired: break
            }
        }
        self.customers = document.customers.map { customer in
            Customer(
                id: customer.id, contactIDs: customer.contacts.map(\.id), contractIDs: contracts[customer.id] ?? [],
                hasContractInEffect: inEffect.contains(customer.id))
        }
        self.incidentTypes = document.incidentTypes.map(\.id)
    }
}

/// One command as the tracker publishes it.
public struct PlannedCommand: Sendable, Equatable {
    public var routingKey: String
    /// `nil` for the malformed commands that lack a message id.
    public var messageID: String?
    public var headers: [String: String]
    public var body: [UInt8]
    /// What the generator meant this command to exercise, for the demo's summary.
    public var intent: Intent

    public enum Intent: String, Sendable, CaseIterable {
        case createIssue = "create_issue"
        case redeem
        case unredeem
        case update
        case duplicate
        case malformed
    }
}

/// Knobs of a generated workload. Shares are fractions of the command count.
public struct WorkloadOptions: Sendable {
    public var commands: Int
    public var seed: UInt64
    /// Fraction of commands published a second time with the same message id.
    public var duplicateShare = 0.03
    /// Fraction of commands that are malformed in one of several ways.
    public var malformedShare = 0.01
    /// Fraction of issue creations that name a wrong contact or an unknown customer.
    public var invalidIssueShare = 0.03
    /// Fraction of redeems of an issue that does not exist yet when the redeem is published.
    public var earlyRedeemShare = 0.002
    /// Fraction of issues whose incident is given back later.
    public var unredeemShare = 0.1
    /// Fraction of issues closed with `incident.update` instead of a single redeem.
    public var updateShare = 0.1
    /// Fraction of follow-ups (redeems, un-redeems, updates) kept for issues whose creation is
    /// expected to be rejected; the rest become new issues. The worker rejects such a follow-up
    /// after one lookup, so benchmarks keep this low to measure mostly accepted commands.
    public var rejectedIssueFollowUpShare = 1.0
    /// The instant written into `created_at` and `requested_at`.
    public var now: Date
    /// Prefix of every message id, so that runs never collide in one database.
    public var runID: String
    /// Issue ids start above this, so that runs never collide in one database.
    public var firstIssueID: Int64 = 1

    public init(commands: Int, seed: UInt64, now: Date = Date(), runID: String) {
        self.commands = commands
        self.seed = seed
        self.now = now
        self.runID = runID
    }
}

/// Generates a realistic, seeded stream of tracker commands: issue creations, redeems (some
/// exhausting quotas, some repeated), un-redeems, exact-set updates, duplicates and malformed
/// commands. The same options always give the same stream.
public enum WorkloadGenerator {
    public static func generate(_ options: WorkloadOptions, universe: WorkloadUniverse) -> [PlannedCommand] {
        precondition(!universe.customers.isEmpty && !universe.incidentTypes.isEmpty, "a workload needs customers and incident types")
        var random = SplitMix64(seed: options.seed)
        var builder = Builder(options: options, universe: universe)

        while builder.commands.count < options.commands {
            let roll = random.nextUnit()
            if roll < options.malformedShare {
                builder.addMalformed(&random)
            } else if roll < options.malformedShare + options.duplicateShare, let original = builder.lastWellFormed(&random) {
                builder.add(PlannedCommand(routingKey: original.routingKey, messageID: original.messageID, headers: original.headers, body: original.body, intent: .duplicate))
            } else if builder.openIssues.isEmpty || random.nextUnit() < 0.4 {
                builder.addIssue(&random)
            } else if !builder.addFollowUp(&random) {
                builder.addIssue(&random)
            }
        }
        return Array(builder.commands.prefix(options.commands))
    }

    private struct OpenIssue {
        var issueID: Int64
        var customerIndex: Int
        var redeemedTypes: Set<IncidentTypeID>
        var expectsRejection: Bool
    }

    private struct Builder {
        let options: WorkloadOptions
        let universe: WorkloadUniverse
        var commands: [PlannedCommand] = []
        var openIssues: [OpenIssue] = []
        var nextIssueID: Int64
        var sequence = 0
        let timestamp: String

        init(options: WorkloadOptions, universe: WorkloadUniverse) {
            self.options = options
            self.universe = universe
            self.nextIssueID = options.firstIssueID
            self.timestamp = RFC3339.string(from: options.now)
        }

        mutating func nextMessageID() -> String {
            sequence += 1
            return "\(options.runID)-\(sequence)"
        }

        mutating func add(_ command: PlannedCommand) {
            commands.append(command)
        }

        func lastWellFormed(_ random: inout SplitMix64) -> PlannedCommand? {
            let candidates = commands.suffix(50).filter { $0.intent != .malformed && $0.intent != .duplicate }
            guard !candidates.isEmpty else { return nil }
            return candidates[random.next(below: candidates.count)]
        }

        mutating func addIssue(_ random: inout SplitMix64) {
            let customerIndex = random.next(below: universe.customers.count)
            let customer = universe.customers[customerIndex]
            let issueID = nextIssueID
            nextIssueID += 1

            var customerID = customer.id
            var contactID = customer.contactIDs.isEmpty ? "none" : customer.contactIDs[random.next(below: customer.contactIDs.count)]
            var expectsRejection = !customer.hasContractInEffect || customer.contactIDs.isEmpty
            if random.nextUnit() < options.invalidIssueShare {
                expectsRejection = true
                if random.nextUnit() < 0.5 {
                    customerID = "unknown-\(issueID)"
                } else {
                    let other = universe.customers[random.next(below: universe.customers.count)]
                    if other.id != customer.id, let stranger = other.contactIDs.first {
                        contactID = stranger
                    }
                }
            }

            var body: [String: Any] = [
                "issue_id": issueID, "project_id": 1, "customer_id": customerID, "contact_id": contactID,
                "summary": "Issue \(issueID) reported by contact \(contactID)", "created_at": timestamp,
            ]
            if random.nextUnit() < 0.2, let contract = customer.contractIDs.first {
                body["contract_id"] = contract
            }

            let command = PlannedCommand(
                routingKey: "issue.create", messageID: nextMessageID(), headers: ["customer-id": customerID],
                body: JSON.encode(body), intent: .createIssue)
            if random.nextUnit() < options.earlyRedeemShare {
                addRedeem(issueID: issueID, customerID: customerID, type: universe.incidentTypes[0])
            }
            add(command)
            openIssues.append(OpenIssue(issueID: issueID, customerIndex: customerIndex, redeemedTypes: [], expectsRejection: expectsRejection))
        }

        /// Adds a follow-up of a random open issue; returns false when it skipped one on an
        /// issue expected to be rejected.
        mutating func addFollowUp(_ random: inout SplitMix64) -> Bool {
            let index = random.next(below: openIssues.count)
            var issue = openIssues[index]
            if issue.expectsRejection, options.rejectedIssueFollowUpShare < 1, random.nextUnit() >= options.rejectedIssueFollowUpShare {
                return false
            }
            let customerID = universe.customers[issue.customerIndex].id
            let type = universe.incidentTypes[random.next(below: universe.incidentTypes.count)]
            let roll = random.nextUnit()

            if !issue.redeemedTypes.isEmpty, roll < options.unredeemShare {
                let given = issue.redeemedTypes.sorted()[random.next(below: issue.redeemedTypes.count)]
                issue.redeemedTypes.remove(given)
                add(incidentCommand("incident.unredeem", intent: .unredeem, issueID: issue.issueID, customerID: customerID, type: given))
            } else if roll < options.unredeemShare + options.updateShare {
                var types = Set<IncidentTypeID>()
                for candidate in universe.incidentTypes where random.nextUnit() < 0.4 {
                    types.insert(candidate)
                }
                issue.redeemedTypes = types
                let body: [String: Any] = [
                    "issue_id": issue.issueID, "incident_types": types.sorted(),
                    "redeemed_by": "staff-\(random.next(below: 20))", "requested_at": timestamp,
                ]
                add(PlannedCommand(
                    routingKey: "incident.update", messageID: nextMessageID(), headers: ["customer-id": customerID],
                    body: JSON.encode(body), intent: .update))
            } else {
                issue.redeemedTypes.insert(type)
                addRedeem(issueID: issue.issueID, customerID: customerID, type: type)
            }

            openIssues[index] = issue
            if openIssues.count > 500 {
                openIssues.removeFirst(100)
            }
            return true
        }

        mutating func addRedeem(issueID: Int64, customerID: CustomerID, type: IncidentTypeID) {
            add(incidentCommand("incident.redeem", intent: .redeem, issueID: issueID, customerID: customerID, type: type))
        }

        mutating func incidentCommand(_ routingKey: String, intent: PlannedCommand.Intent, issueID: Int64, customerID: CustomerID, type: IncidentTypeID) -> PlannedCommand {
            let body: [String: Any] = [
                "issue_id": issueID, "incident_type": type, "redeemed_by": "staff", "requested_at": timestamp,
            ]
            return PlannedCommand(
                routingKey: routingKey, messageID: nextMessageID(), headers: ["customer-id": customerID],
                body: JSON.encode(body), intent: intent)
        }

        mutating func addMalformed(_ random: inout SplitMix64) {
            let issueID = nextIssueID
            let kinds: [(String, String?, [UInt8])] = [
                ("incident.redeem", nextMessageID(), Array("{\"issue_id\": 12, \"incident_type\": ".utf8)),
                ("incident.redeem", nextMessageID(), JSON.encode(["issue_id": "twelve", "incident_type": "phone", "requested_at": timestamp])),
                ("issue.create", nextMessageID(), JSON.encode(["issue_id": issueID, "project_id": 1, "customer_id": "1", "created_at": timestamp])),
                ("incident.refund", nextMessageID(), JSON.encode(["issue_id": 1, "incident_type": "phone", "requested_at": timestamp])),
                ("incident.redeem", nil, JSON.encode(["issue_id": 1, "incident_type": "phone", "requested_at": timestamp])),
                ("incident.redeem", nextMessageID(), [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D]),
            ]
            let (routingKey, messageID, body) = kinds[random.next(below: kinds.count)]
            add(PlannedCommand(routingKey: routingKey, messageID: messageID, headers: [:], body: body, intent: .malformed))
        }
    }
}

extension SplitMix64 {
    /// A uniform value in 0..<1.
    mutating func nextUnit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }
}

enum JSON {
    /// Encodes a JSON object with sorted keys. The values are generated here, so they always
    /// encode; a failure is a programming error.
    static func encode(_ object: [String: Any]) -> [UInt8] {
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return Array(data)
    }
}
