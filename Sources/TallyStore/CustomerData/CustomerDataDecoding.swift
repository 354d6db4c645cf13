import Foundation

extension CustomerDataDocument {
    /// Parses and checks a customer data file, collecting every problem before giving up.
    ///
    /// Checks types, required keys, unknown keys, lengths (customer and contact ids up to 128
    /// characters, contract ids up to 50), ranges, dates and duplicate ids. References to
    /// customers, support levels and incident types are checked by the import, because they may
    /// point into the database.
    ///
    /// - Throws: `StoreError` with kind `importInvalid`, listing each problem with its JSON path.
    public static func decode(from data: Data) throws -> CustomerDataDocument {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw StoreError(.importInvalid([ImportIssue(path: "$", reason: "not valid JSON")]))
        }

        var reader = JSONReader()
        let document = reader.document(root)
        guard reader.issues.isEmpty, let document else {
            throw StoreError(.importInvalid(reader.issues))
        }
        return document
    }
}

/// Walks the output of `JSONSerialization`, reporting each problem with its path.
struct JSONReader {
    var issues: [ImportIssue] = []

    mutating func report(_ path: String, _ reason: String) {
        issues.append(ImportIssue(path: path, reason: reason))
    }

    mutating func document(_ root: Any) -> CustomerDataDocument? {
        guard let object = object(root, "$") else { return nil }
        checkKeys(object, ["version", "support_levels", "incident_types", "customers", "contracts"], "$")

        let version = integer(object, "version", "$", range: 1...Int.max)
        if let version, version != CustomerDataDocument.currentVersion {
            report("$.version", "version \(version) is not supported; this program reads version \(CustomerDataDocument.currentVersion)")
        }

        var supportLevelIDs = UniqueIDs(kind: "support level")
        let supportLevels = array(object, "support_levels", "$").compactMap { (element, path) -> CustomerDataDocument.SupportLevelEntry? in
            guard let entry = self.object(element, path) else { return nil }
            checkKeys(entry, ["id", "name", "group", "max_first_response_seconds"], path)
            let id = string(entry, "id", path, maxLength: 64)
            let name = string(entry, "name", path)
            let group = string(entry, "group", path)
            let seconds = integer(entry, "max_first_response_seconds", path, range: 0...Int(Int32.max))
            if let id { supportLevelIDs.add(id, at: path + ".id", into: &self) }
            guard let id, let name, let group, let seconds else { return nil }
            return .init(id: id, name: name, group: group, maxFirstResponseSeconds: seconds)
        }

        var incidentTypeIDs = UniqueIDs(kind: "incident type")
        let incidentTypes = array(object, "incident_types", "$").compactMap { (element, path) -> IncidentType? in
            guard let entry = self.object(element, path) else { return nil }
            checkKeys(entry, ["id", "title"], path)
            let id = string(entry, "id", path, maxLength: 64)
            let title = string(entry, "title", path)
            if let id { incidentTypeIDs.add(id, at: path + ".id", into: &self) }
            guard let id, let title else { return nil }
            return IncidentType(id: id, title: title)
        }

        var customerIDs = UniqueIDs(kind: "customer")
        var contactIDs = UniqueIDs(kind: "contact")
        let customers = array(object, "customers", "$").compactMap { (element, path) -> CustomerDataDocument.CustomerEntry? in
            customer(element, path, customerIDs: &customerIDs, contactIDs: &contactIDs)
        }

        var contractIDs = UniqueIDs(kind: "contract")
        let contracts = array(object, "contracts", "$").compactMap { (element, path) -> CustomerDataDocument.ContractEntry? in
            contract(element, path, contractIDs: &contractIDs)
        }

        guard let version else { return nil }
        return CustomerDataDocument(
            version: version, supportLevels: supportLevels, incidentTypes: incidentTypes, customers: customers,
            contracts: contracts)
    }

    private mutating func customer(
        _ element: Any, _ path: String, customerIDs: inout UniqueIDs, contactIDs: inout UniqueIDs
    ) -> CustomerDataDocument.CustomerEntry? {
        guard let entry = object(element, path) else { return nil }
        checkKeys(entry, ["id", "name", "contacts", "account_managers", "note"], path)
        let id = string(entry, "id", path, maxLength: 128)
        let name = string(entry, "name", path)
        if let id { customerIDs.add(id, at: path + ".id", into: &self) }

        let contacts = array(entry, "contacts", path).compactMap { (element, contactPath) -> CustomerDataDocument.ContactEntry? in
            guard let contact = self.object(element, contactPath) else { return nil }
            checkKeys(contact, ["id", "name", "email"], contactPath)
            let contactID = string(contact, "id", contactPath, maxLength: 128)
            let contactName = string(contact, "name", contactPath)
            let email = string(contact, "email", contactPath, maxLength: 254)
            if let email, !Self.looksLikeEmail(email) {
                report(contactPath + ".email", "not an e-mail address")
            }
            if let contactID { contactIDs.add(contactID, at: contactPath + ".id", into: &self) }
            guard let contactID, let contactName, let email else { return nil }
            return .init(id: contactID, name: contactName, email: email)
        }

        var managers: [CustomerDataDocument.AccountManagerEntry]?
        if entry["account_managers"] != nil {
            var userIDs = UniqueIDs(kind: "account manager")
            managers = array(entry, "account_managers", path).compactMap { (element, managerPath) -> CustomerDataDocument.AccountManagerEntry? in
                guard let manager = self.object(element, managerPath) else { return nil }
                checkKeys(manager, ["user_id", "role"], managerPath)
                let userID = string(manager, "user_id", managerPath, maxLength: 128)
                let roleText = string(manager, "role", managerPath, allowEmpty: true)
                let role = roleText.flatMap(AccountManager.Role.init(rawValue:))
                if roleText != nil && role == nil {
                    report(managerPath + ".role", "must be \"primary\" or \"backup\"")
                }
                if let userID { userIDs.add(userID, at: managerPath + ".user_id", into: &self) }
                guard let userID, let role else { return nil }
                return .init(userID: userID, role: role)
            }
        }

        let note = entry["note"] is NSNull ? nil : optionalString(entry, "note", path)
        guard let id, let name else { return nil }
        return .init(id: id, name: name, contacts: contacts, accountManagers: managers, note: note)
    }

    private mutating func contract(_ element: Any, _ path: String, contractIDs: inout UniqueIDs) -> CustomerDataDocument.ContractEntry? {
        guard let entry = object(element, path) else { return nil }
        checkKeys(
            entry,
            ["id", "customer_id", "support_level_id", "starts_at", "ends_at", "grace_days", "per_incident", "allows_overage", "incidents"],
            path)
        let id = string(entry, "id", path, maxLength: 50)
        let customerID = string(entry, "customer_id", path, maxLength: 128)
        let supportLevelID = string(entry, "support_level_id", path, maxLength: 64)
        let startsAt = date(entry, "starts_at", path)
        let endsAt = date(entry, "ends_at", path)
        let graceDays = integer(entry, "grace_days", path, range: 0...36_500)
        let isPerIncident = bool(entry, "per_incident", path)
        let allowsOverage = entry["allows_overage"] == nil ? false : bool(entry, "allows_overage", path)
        if let id { contractIDs.add(id, at: path + ".id", into: &self) }
        if let startsAt, let endsAt, endsAt < startsAt {
            report(path + ".ends_at", "is before starts_at")
        }

        var types = UniqueIDs(kind: "incident type")
        let incidents = array(entry, "incidents", path, required: false).compactMap { (element, incidentPath) -> CustomerDataDocument.IncidentAllowance? in
            guard let incident = self.object(element, incidentPath) else { return nil }
            checkKeys(incident, ["type", "total", "low_water_mark"], incidentPath)
            let type = string(incident, "type", incidentPath, maxLength: 64)
            let total = integer(incident, "total", incidentPath, range: 0...Int(Int32.max))
            let mark = incident["low_water_mark"] == nil || incident["low_water_mark"] is NSNull
                ? nil : integer(incident, "low_water_mark", incidentPath, range: 0...Int(Int32.max))
            if let type { types.add(type, at: incidentPath + ".type", into: &self) }
            guard let type, let total else { return nil }
            return .init(incidentType: type, total: total, lowWaterMark: mark)
        }

        guard let id, let customerID, let supportLevelID, let startsAt, let endsAt, let graceDays, let isPerIncident,
              let allowsOverage
        else { return nil }
        return .init(
            id: id, customerID: customerID, supportLevelID: supportLevelID, startsAt: startsAt, endsAt: endsAt,
            graceDays: graceDays, isPerIncident: isPerIncident, allowsOverage: allowsOverage, incidents: incidents)
    }

    // MARK: Values

    mutating func object(_ value: Any, _ path: String) -> [String: Any]? {
        guard let object = value as? [String: Any] else {
            report(path, "not an object")
            return nil
        }
        return object
    }

    mutating func checkKeys(_ object: [String: Any], _ allowed: Set<String>, _ path: String) {
        for key in object.keys.sorted() where !allowed.contains(key) {
            report("\(path).\(key)", "unknown key; expected one of \(allowed.sorted().joined(separator: ", "))")
        }
    }

    /// Returns the elements of an array with their paths; a missing optional array is empty.
    mutating func array(_ object: [String: Any], _ key: String, _ path: String, required: Bool = false) -> [(Any, String)] {
        guard let value = object[key] else {
            if required { report("\(path).\(key)", "missing") }
            return []
        }
        guard let elements = value as? [Any] else {
            report("\(path).\(key)", "not an array")
            return []
        }
        return elements.enumerated().map { ($0.element, "\(path).\(key)[\($0.offset)]") }
    }

    mutating func string(
        _ object: [String: Any], _ key: String, _ path: String, maxLength: Int? = nil, allowEmpty: Bool = false
    ) -> String? {
        guard let value = object[key], !(value is NSNull) else {
            report("\(path).\(key)", "missing")
            return nil
        }
        guard let text = value as? String else {
            report("\(path).\(key)", "not a string")
            return nil
        }
        if !allowEmpty && text.isEmpty {
            report("\(path).\(key)", "empty")
            return nil
        }
        if let maxLength, text.count > maxLength {
            report("\(path).\(key)", "longer than \(maxLength) characters")
            return nil
        }
        return text
    }

    mutating func optionalString(_ object: [String: Any], _ key: String, _ path: String) -> String? {
        guard object[key] != nil else { return nil }
        return string(object, key, path, allowEmpty: true)
    }

    mutating func integer(_ object: [String: Any], _ key: String, _ path: String, range: ClosedRange<Int>) -> Int? {
        guard let value = object[key], !(value is NSNull) else {
            report("\(path).\(key)", "missing")
            return nil
        }
        guard let number = value as? NSNumber, !Self.isBoolean(number), !Self.isFloatingPoint(number) else {
            report("\(path).\(key)", "not an integer")
            return nil
        }
        let integer = number.intValue
        guard range.contains(integer) else {
            let bound = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "from \(range.lowerBound) to \(range.upperBound)"
            report("\(path).\(key)", "\(integer) is out of range: must be \(bound)")
            return nil
        }
        return integer
    }

    mutating func bool(_ object: [String: Any], _ key: String, _ path: String) -> Bool? {
        guard let value = object[key], !(value is NSNull) else {
            report("\(path).\(key)", "missing")
            return nil
        }
        guard let number = value as? NSNumber, Self.isBoolean(number) else {
            report("\(path).\(key)", "not true or false")
            return nil
        }
        return number.boolValue
    }

    mutating func date(_ object: [String: Any], _ key: String, _ path: String) -> Date? {
        guard let text = string(object, key, path) else { return nil }
        guard let date = RFC3339.date(from: text), date.timeIntervalSince1970.rounded(.down) == date.timeIntervalSince1970 else {
            report("\(path).\(key)", "not an RFC 3339 date in whole seconds, such as 2026-03-10T00:00:00Z")
            return nil
        }
        return date
    }

    // JSONSerialization returns booleans as NSNumber with the Objective-C type "c" (char), and
    // numbers with a fraction or exponent as "d" (double).
    static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }

    static func isFloatingPoint(_ number: NSNumber) -> Bool {
        let type = String(cString: number.objCType)
        return type == "d" || type == "f"
    }

    static func looksLikeEmail(_ text: String) -> Bool {
        guard let at = text.firstIndex(of: "@") else { return false }
        return at != text.startIndex && text.index(after: at) != text.endIndex
            && !text.contains(where: { $0.isWhitespace })
    }
}

/// Ids seen so far in one list, to report duplicates with the path of the first one.
struct UniqueIDs {
    var kind: String
    var firstPaths: [String: String] = [:]

    mutating func add(_ id: String, at path: String, into reader: inout JSONReader) {
        if let first = firstPaths[id] {
            reader.report(path, "duplicate \(kind) id \"\(id)\", first defined at \(first)")
        } else {
            firstPaths[id] = path
        }
    }
}
