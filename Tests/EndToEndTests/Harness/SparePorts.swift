import Foundation

/// AMQP ports for the nodes that single tests start for faults that disturb a whole node.
/// `ops/test` sets TALLY_TEST_SPARE_PORT_BASE relative to its own node's port, so that two
/// checkouts running their suites at once never start a node on the same port.
enum SparePorts {
    static let base: Int = ProcessInfo.processInfo.environment["TALLY_TEST_SPARE_PORT_BASE"].flatMap(Int.init) ?? 5720

    /// The port at `offset` from the base: 0 and 2 for the node drills, 32 for the chaos drill.
    static func port(_ offset: Int) -> Int {
        base + offset
    }
}
