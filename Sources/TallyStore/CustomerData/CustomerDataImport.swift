import Foundation
import SQLite

extension Store {
    /// Decodes a customer data file, checks it against the database and upserts it, all in one
    /// transaction: either everything is written or nothing.
    ///
    /// - Throws: `StoreError` with kind `importInvalid` listing every problem with its JSON path.
    public func importCustomerData(from data: Data) throws -> ImportReport {
        let document = try CustomerDataDocument.decode(from: data)
        return try write { try $0.importCustomerData(document) }
    }

    /// Returns all customer data the database stores, sorted by id.
    public func exportCustomerData() throws -> CustomerDataDocument {
        try read { try $0.exportCustomerData() }
    }
}

extension WriteTransaction {
    /// Checks the references of a decoded document against the document and the database, then
    /// upserts it. Entries missing from the document stay in the database as they are.
    ///
    /// - Throws: `StoreError` with kind `importInvalid` when a reference is missing or a contract
    ///   would move to another customer; the caller's transaction then rolls back.
    public func importCustomerData(_ document: CustomerDataDocument) throws -> ImportReport {
        let issues = try referenceIssues(document)
        guard issues.isEmpty else {
            throw StoreError(.importInvalid(issues))
        }

        var report = ImportReport()
        for level in document.supportLevels {
            try database.execute(
                """
                INSERT INTO support_levels (id, name, level_group, max_first_response_seconds) VALUES (?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, level_group = excluded.level_group,
                    max_first_response_seconds = excluded.max_first_response_seconds
                """, level.id, level.name, level.group, level.maxFirstResponseSeconds)
            report.supportLevels += 1
        }

        for type in document.incidentTypes {
            try database.execute(
                "INSERT INTO incident_types (id, title) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET title = excluded.title",
                type.id, type.title)
            report.incidentTypes += 1
        }

        for customer in document.customers {
            try upsert(customer, report: &report)
        }

        for contract in document.contracts {
            try upsert(contract, report: &report)
        }
        return report
    }

    private func upsert(_ customer: CustomerDataDocument.CustomerEntry, report: inout ImportReport) throws {
        try database.execute(
            "INSERT INTO customers (id, name) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name",
            customer.id, customer.name)
        report.customers += 1

        for contact in customer.contacts {
            try database.execute(
                """
                INSERT INTO contacts (id, customer_id, name, email) VALUES (?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, name = excluded.name,
                    email = excluded.email
                """, contact.id, customer.id, contact.name, contact.email)
            report.contacts += 1
        }

        if let managers = customer.accountManagers {
            try database.execute("DELETE FROM account_managers WHERE customer_id = ?", customer.id)
            for manager in managers {
                try database.execute(
                    "INSERT INTO account_managers (customer_id, user_id, role) VALUES (?, ?, ?)",
                    customer.id, manager.userID, manager.role.rawValue)
            }
        }

        if let note = customer.note {
            try database.execute(
                "INSERT INTO customer_notes (customer_id, note) VALUES (?, ?) ON CONFLICT (customer_id) DO UPDATE SET note = excluded.note",
                customer.id, note)
        }
    }

    private func upsert(_ contract: CustomerDataDocument.ContractEntry, report: inout ImportReport) throws {
        try database.execute(
            """
            INSERT INTO contracts (id, customer_id, support_level_id, starts_at, ends_at, grace_days, is_per_incident, allows_overage)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, support_level_id = excluded.support_level_id,
                starts_at = excluded.starts_at, ends_at = excluded.ends_at, grace_days = excluded.grace_days,
                is_per_incident = excluded.is_per_incident, allows_overage = excluded.allows_overage
            """,
            contract.id, contract.customerID, contract.supportLevelID, StoredDate.seconds(contract.startsAt),
            StoredDate.seconds(contract.endsAt), contract.graceDays, contract.isPerIncident, contract.allowsOverage)
        report.contracts += 1

        try database.execute("DELETE FROM contract_totals WHERE contract_id = ?", contract.id)
        for incident in contract.incidents {
            try database.execute(
                "INSERT INTO contract_totals (contract_id, incident_type, total, low_water_mark) VALUES (?, ?, ?, ?)",
                contract.id, incident.incidentType, incident.total, incident.lowWaterMark)
        }

        // Used counts stay as they are; report every type whose total is now below its count.
        let totals = Dictionary(contract.incidents.map { ($0.incidentType, $0.total) }, uniquingKeysWith: { first, _ in first })
        for (type, used) in try backend.usedCounts(contractID: contract.id).sorted(by: { $0.key < $1.key }) {
            let total = totals[type] ?? 0
            if used > total {
                report.loweredTotals.append(.init(contractID: contract.id, incidentType: type, total: total, used: used))
            }
        }
    }

    /// Returns every reference from the document to a customer, support level or incident type
    /// that neither the document nor the database defines, and every contract that would move
    /// to another customer.
    private func referenceIssues(_ document: CustomerDataDocument) throws -> [ImportIssue] {
        let backend = try backend
        let customerIDs = Set(document.customers.map(\.id))
        let levelIDs = Set(document.supportLevels.map(\.id))
        let typeIDs = Set(document.incidentTypes.map(\.id))
        var knownTypes: Set<String>?

        var issues: [ImportIssue] = []
        for (index, contract) in document.contracts.enumerated() {
            let path = "$.contracts[\(index)]"
            if !customerIDs.contains(contract.customerID), try backend.customer(id: contract.customerID) == nil {
                issues.append(.init(path: path + ".customer_id", reason: "customer \"\(contract.customerID)\" is not defined in this file or the database"))
            }
            if !levelIDs.contains(contract.supportLevelID), try backend.supportLevel(id: contract.supportLevelID) == nil {
                issues.append(.init(path: path + ".support_level_id", reason: "support level \"\(contract.supportLevelID)\" is not defined in this file or the database"))
            }
            if let existing = try backend.contract(id: contract.id), existing.customerID != contract.customerID {
                issues.append(.init(
                    path: path + ".customer_id",
                    reason: "contract \"\(contract.id)\" belongs to customer \"\(existing.customerID)\" in the database and cannot move to another customer"))
            }
            for (incidentIndex, incident) in contract.incidents.enumerated() where !typeIDs.contains(incident.incidentType) {
                if knownTypes == nil {
                    knownTypes = Set(try backend.incidentTypes().map(\.id))
                }
                if knownTypes?.contains(incident.incidentType) != true {
                    issues.append(.init(
                        path: "\(path).incidents[\(incidentIndex)].type",
                        reason: "incident type \"\(incident.incidentType)\" is not defined in this file or the database"))
                }
            }
        }
        return issues
    }
}

extension ReadTransaction {
    /// Returns all customer data the database stores as a document, sorted by id.
    public func exportCustomerData() throws -> CustomerDataDocument {
        let backend = try backend
        var document = CustomerDataDocument()
        document.supportLevels = try backend.supportLevels().map {
            .init(id: $0.id, name: $0.name, group: $0.group, maxFirstResponseSeconds: $0.maximumFirstResponseSeconds)
        }
        document.incidentTypes = try backend.incidentTypes()

        var contactsByCustomer: [CustomerID: [CustomerDataDocument.ContactEntry]] = [:]
        try database.forEachRow("SELECT id, customer_id, name, email FROM contacts ORDER BY id") { row in
            contactsByCustomer[try row.get(1), default: []].append(.init(id: try row.get(0), name: try row.get(2), email: try row.get(3)))
        }
        var managersByCustomer: [CustomerID: [CustomerDataDocument.AccountManagerEntry]] = [:]
        try database.forEachRow("SELECT customer_id, user_id, role FROM account_managers ORDER BY customer_id, user_id") { row in
            let role: String = try row.get(2)
            managersByCustomer[try row.get(0), default: []].append(.init(userID: try row.get(1), role: AccountManager.Role(rawValue: role) ?? .backup))
        }
        var notes: [CustomerID: String] = [:]
        try database.forEachRow("SELECT customer_id, note FROM customer_notes") { row in
            notes[try row.get(0)] = try row.get(1)
        }
        try database.forEachRow("SELECT id, name FROM customers ORDER BY id") { row in
            let id: String = try row.get(0)
            document.customers.append(.init(
                id: id, name: try row.get(1), contacts: contactsByCustomer[id] ?? [],
                accountManagers: managersByCustomer[id] ?? [], note: notes[id]))
        }

        var incidentsByContract: [ContractID: [CustomerDataDocument.IncidentAllowance]] = [:]
        try database.forEachRow("SELECT contract_id, incident_type, total, low_water_mark FROM contract_totals ORDER BY contract_id, incident_type") { row in
            incidentsByContract[try row.get(0), default: []].append(.init(incidentType: try row.get(1), total: try row.get(2), lowWaterMark: try row.get(3)))
        }
        try database.forEachRow("SELECT \(SQLiteCustomerBackend.contractColumns) FROM contracts ORDER BY id") { row in
            let id: String = try row.get(0)
            document.contracts.append(.init(
                id: id, customerID: try row.get(1), supportLevelID: try row.get(2),
                startsAt: StoredDate.date(seconds: try row.get(3)), endsAt: StoredDate.date(seconds: try row.get(4)),
                graceDays: try row.get(5), isPerIncident: try row.get(6), allowsOverage: try row.get(7),
                incidents: incidentsByContract[id] ?? []))
        }
        return document
    }
}
