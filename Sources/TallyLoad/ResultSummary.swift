import Foundation

/// What a collector received, summarized for people: results by kind and reason, and what
/// billing would invoice per customer.
public struct ResultSummary {
    public var resultsByKind: [String: Int] = [:]
    public var rejectionsByReason: [String: Int] = [:]
    public var redeemedByCustomer: [String: Int] = [:]
    public var unredeemedByCustomer: [String: Int] = [:]
    public var duplicateDeliveries = 0

    public init(_ collector: ResultCollector) {
        duplicateDeliveries = collector.duplicateDeliveries
        for result in collector.results.values {
            resultsByKind[result.routingKey, default: 0] += 1
            if let reason = result.body["reason"] as? String {
                rejectionsByReason["\(result.routingKey) \(reason)", default: 0] += 1
            }
            let customer = (result.body["customer_id"] as? String) ?? result.headers["customer-id"] ?? "-"
            if result.routingKey == "incident.redeemed" {
                redeemedByCustomer[customer, default: 0] += 1
            } else if result.routingKey == "incident.unredeemed" {
                unredeemedByCustomer[customer, default: 0] += 1
            }
        }
    }

    /// Aligned tables, largest first; at most `limit` customers.
    public func render(billing: Bool, limit: Int = 15) -> String {
        var lines: [String] = []
        if billing {
            let customers = Set(redeemedByCustomer.keys).union(unredeemedByCustomer.keys)
            let rows = customers.map { customer -> (String, Int, Int) in
                (customer, redeemedByCustomer[customer] ?? 0, unredeemedByCustomer[customer] ?? 0)
            }.sorted { ($0.1 - $0.2, $1.0) > ($1.1 - $1.2, $0.0) }

            let totalRedeemed = rows.reduce(0) { $0 + $1.1 }
            let totalGivenBack = rows.reduce(0) { $0 + $1.2 }
            if rows.count <= limit {
                lines.append("Incidents billed per customer (\(rows.count) \(rows.count == 1 ? "customer" : "customers")):")
            } else {
                lines.append("Incidents billed per customer (\(rows.count) customers, the \(limit) largest):")
            }
            lines.append(Self.table(
                header: ["customer", "redeemed", "given back", "billed"],
                rows: rows.prefix(limit).map { [$0.0, String($0.1), String($0.2), String($0.1 - $0.2)] }
                    + [["total", String(totalRedeemed), String(totalGivenBack), String(totalRedeemed - totalGivenBack)]]))
        } else {
            var counts = resultsByKind
            for kind in Self.trackerResultKinds where counts[kind] == nil {
                counts[kind] = 0
            }
            lines.append("Results by kind:")
            lines.append(Self.table(header: ["result", "count"], rows: counts.sorted { $0.key < $1.key }.map { [$0.key, String($0.value)] }))
            lines.append("")
            lines.append("Rejections by reason:")
            lines.append(Self.table(header: ["result and reason", "count"], rows: rejectionsByReason.sorted { $0.key < $1.key }.map { [$0.key, String($0.value)] }))
        }
        lines.append("Deliveries received twice and recorded once: \(duplicateDeliveries)")
        return lines.joined(separator: "\n")
    }

    /// The results the tracker's queue receives, listed even when none arrived.
    static let trackerResultKinds = ["issue.accepted", "issue.rejected", "incident.rejected", "quota.low"]

    /// A plain table with columns padded to their widest cell; numbers aligned right.
    static func table(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.indices.map { column in
                let cell = row[column]
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
