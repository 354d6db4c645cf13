import Foundation
import TallyCore

/// The queue type the worker declares for the command queue: a knob for benchmarks, which
/// compare classic and quorum command queues on one broker.
///
/// The topology's command queue is a quorum queue, and production should keep it: only a
/// quorum queue counts deliveries and dead-letters a command that keeps crashing workers
/// (`x-delivery-limit`). A classic command queue has no such limit, so a command that crashes
/// every worker is delivered again forever.
public enum CommandQueueType: String, Sendable, CaseIterable {
    case quorum
    case classic

    /// The environment variable that selects the type when the configuration does not.
    public static let environmentVariable = "TALLY_COMMAND_QUEUE_TYPE"

    /// Reads the type from `TALLY_COMMAND_QUEUE_TYPE`: `quorum` when it is unset or empty.
    ///
    /// - Throws: `TopologyMismatchError` when the variable names another type, so a typo stops
    ///   the worker before it declares anything.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> CommandQueueType {
        guard let value = environment[environmentVariable], !value.isEmpty else { return .quorum }
        guard let type = CommandQueueType(rawValue: value) else {
            throw TopologyMismatchError(
                object: "queue '\(Topology.commandQueue)'",
                reason: "\(environmentVariable) is '\(value)'; expected 'quorum' or 'classic'")
        }
        return type
    }
}

extension Topology {
    /// This topology with the command queue declared as `type`. For `classic`, the arguments
    /// only quorum queues take (delivery limit, dead-letter strategy) are dropped.
    func withCommandQueue(_ type: CommandQueueType) -> Topology {
        guard type == .classic else { return self }
        var topology = self
        for index in topology.queues.indices where topology.queues[index].name == Topology.commandQueue {
            var arguments = topology.queues[index].arguments
            arguments["x-queue-type"] = .string("classic")
            arguments["x-delivery-limit"] = nil
            arguments["x-dead-letter-strategy"] = nil
            topology.queues[index].arguments = arguments
        }
        return topology
    }
}
