import Foundation

/// Large generated customer data for benchmarks, the same for the same seed and day.
public enum SyntheticData {
    /// Returns `customers` customers named `S000001` and up, each with 1 to 3 contacts and one
    /// contract on the example support levels and incident types. About 75 % of the contracts are
    /// active, 10 % in their grace period, 10 % expired and 5 % not started. About 10 % of all
    /// contracts are active ones with totals of 1 or 2, so that their quotas run out. Every fifth
    /// customer also has an older, expired contract.
    ///
    /// Dates are whole days from 00:00 UTC of `now`'s day, as in `ExampleData`.
    public static func document(customers count: Int, seed: UInt64, now: Date) -> CustomerDataDocument {
        var random = SplitMix64(seed: seed)
        let today = (now.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400
        func day(_ offset: Int) -> Date {
            Date(timeIntervalSince1970: today + TimeInterval(offset) * 86_400)
        }

        var document = CustomerDataDocument(supportLevels: ExampleData.supportLevels, incidentTypes: ExampleData.incidentTypes)
        document.customers.reserveCapacity(count)
        for index in stride(from: 1, through: count, by: 1) {
            let customerID = "S" + String(format: "%06d", index)
            let contactCount = 1 + random.next(below: 3)
            let contacts = (1...contactCount).map { number in
                CustomerDataDocument.ContactEntry(
                    id: "\(customerID)-\(number)", name: "Contact \(number) of \(customerID)",
                    email: "contact\(number).\(customerID.lowercased())@example.test")
            }
            document.customers.append(.init(
                id: customerID, name: "Synthetic customer \(index)", contacts: contacts,
                accountManagers: [.init(userID: "manager-\(random.next(below: 20))", role: .primary)]))

            // Start and end days relative to today, picked by the status wanted.
            let roll = random.next(below: 100)
            let (start, end): (Int, Int)
            switch roll {
            case 0..<10: (start, end) = (-400 - random.next(below: 100), -1 - random.next(below: 25))  // in grace
            case 10..<20: (start, end) = (-900 - random.next(below: 100), -60 - random.next(below: 300))  // expired
            case 20..<25: (start, end) = (1 + random.next(below: 60), 400 + random.next(below: 100))  // not started
            default: (start, end) = (-random.next(below: 300), 30 + random.next(below: 700))  // active
            }
            let small = roll >= 90
            let incidents: [CustomerDataDocument.IncidentAllowance] = [
                .init(incidentType: "email", total: small ? 1 + random.next(below: 2) : 10 + random.next(below: 90)),
                .init(incidentType: "onsite", total: small ? 1 : random.next(below: 6)),
                .init(incidentType: "phone", total: small ? 1 + random.next(below: 2) : 5 + random.next(below: 45),
                      lowWaterMark: small ? nil : 2),
            ]
            document.contracts.append(.init(
                id: "\(customerID)-A", customerID: customerID, supportLevelID: String(1 + random.next(below: 4)),
                startsAt: day(start), endsAt: day(end), graceDays: 30, isPerIncident: true,
                allowsOverage: random.next(below: 20) == 0, incidents: incidents))

            if index % 5 == 0 {
                document.contracts.append(.init(
                    id: "\(customerID)-OLD", customerID: customerID, supportLevelID: "1", startsAt: day(-2_000),
                    endsAt: day(-1_000), graceDays: 30, isPerIncident: true,
                    incidents: [.init(incidentType: "phone", total: 10)]))
            }
        }
        return document
    }
}

/// A small seedable generator (Steele, Lea and Flood's SplitMix64), because the system generator
/// cannot be seeded. Not for secrets.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// Returns a number in `0..<bound`, the same on every platform and Swift version for a seed.
    public mutating func next(below bound: Int) -> Int {
        precondition(bound > 0, "the bound must be positive")
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }
}
