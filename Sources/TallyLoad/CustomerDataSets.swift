import Foundation
import TallyCore
import TallyStore

/// The customer data of the demo and the benchmarks: Eventum's example customers and a seeded
/// synthetic set, in one document.
public enum CustomerDataSets {
    /// Merges documents; for an id present in several, the first document's entry wins.
    public static func merge(_ documents: [CustomerDataDocument]) -> CustomerDataDocument {
        var merged = documents[0]
        for document in documents.dropFirst() {
            let supportLevelIDs = Set(merged.supportLevels.map(\.id))
            merged.supportLevels += document.supportLevels.filter { !supportLevelIDs.contains($0.id) }
            let typeIDs = Set(merged.incidentTypes.map(\.id))
            merged.incidentTypes += document.incidentTypes.filter { !typeIDs.contains($0.id) }
            let customerIDs = Set(merged.customers.map(\.id))
            merged.customers += document.customers.filter { !customerIDs.contains($0.id) }
            let contractIDs = Set(merged.contracts.map(\.id))
            merged.contracts += document.contracts.filter { !contractIDs.contains($0.id) }
        }
        return merged
    }

    /// The example customers plus `synthetic` generated ones, with dates relative to `now`.
    public static func demo(synthetic: Int, seed: UInt64, now: Date) -> CustomerDataDocument {
        let example = ExampleData.document(now: now)
        guard synthetic > 0 else { return example }
        return merge([example, SyntheticData.document(customers: synthetic, seed: seed, now: now)])
    }
}
