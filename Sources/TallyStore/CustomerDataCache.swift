import SQLite
import TallyCore

/// The customer data the rules read for every command (customers, contacts, contracts with
/// their totals, support levels and incident types), kept in memory between transactions.
///
/// Triggers raise the counter in `customer_data_generation` on every change to that data. A
/// customer backend first compares the counter with the one the entries were read under and
/// drops them when it moved, so a change committed by any connection reaches the next lookup.
/// Issues, redemptions and used counts change with every command and are never cached.
///
/// Not thread-safe: it belongs to one `Store`, which is used from one thread at a time. It keeps
/// at most `capacity` entries and starts over when full, so its memory stays bounded.
final class CustomerDataCache {
    private(set) var generation: Int64?
    private let capacity: Int

    private var customers: [CustomerID: Customer?] = [:]
    private var contacts: [ContactID: Contact?] = [:]
    private var contracts: [ContractID: Contract?] = [:]
    private var contractsByCustomer: [CustomerID: [Contract]] = [:]
    private var supportLevels: [String: SupportLevel?] = [:]
    private var incidentTypes: [IncidentType]?
    private var count = 0

    init(capacity: Int = 20_000) {
        self.capacity = capacity
    }

    /// Drops every entry when the database's generation is not the one they were read under.
    func validate(against database: Database) throws {
        let current: Int64 = try database.queryFirst("SELECT generation FROM customer_data_generation WHERE id = 1")?.get(0) ?? -1
        guard current != generation else { return }
        removeAll()
        generation = current
    }

    func removeAll() {
        customers.removeAll()
        contacts.removeAll()
        contracts.removeAll()
        contractsByCustomer.removeAll()
        supportLevels.removeAll()
        incidentTypes = nil
        count = 0
    }

    func customer(id: CustomerID, load: () throws -> Customer?) rethrows -> Customer? {
        if let cached = customers[id] { return cached }
        let loaded = try load()
        admit { customers[id] = .some(loaded) }
        return loaded
    }

    func contact(id: ContactID, load: () throws -> Contact?) rethrows -> Contact? {
        if let cached = contacts[id] { return cached }
        let loaded = try load()
        admit { contacts[id] = .some(loaded) }
        return loaded
    }

    func contract(id: ContractID, load: () throws -> Contract?) rethrows -> Contract? {
        if let cached = contracts[id] { return cached }
        let loaded = try load()
        admit { contracts[id] = .some(loaded) }
        return loaded
    }

    func contracts(customerID: CustomerID, load: () throws -> [Contract]) rethrows -> [Contract] {
        if let cached = contractsByCustomer[customerID] { return cached }
        let loaded = try load()
        admit { contractsByCustomer[customerID] = loaded }
        return loaded
    }

    func supportLevel(id: String, load: () throws -> SupportLevel?) rethrows -> SupportLevel? {
        if let cached = supportLevels[id] { return cached }
        let loaded = try load()
        admit { supportLevels[id] = .some(loaded) }
        return loaded
    }

    func incidentTypes(load: () throws -> [IncidentType]) rethrows -> [IncidentType] {
        if let cached = incidentTypes { return cached }
        let loaded = try load()
        admit { incidentTypes = loaded }
        return loaded
    }

    /// Stores one entry, after emptying the cache when it is full.
    private func admit(_ store: () -> Void) {
        if count >= capacity {
            removeAll()
        }
        store()
        count += 1
    }
}
