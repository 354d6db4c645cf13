import TallyCore

/// Decides whether an outcome is final or worth another try after a delay.
///
/// The tracker may publish an `incident.redeem` moments after the `issue.create` it depends on,
/// and another worker may still hold that issue in an uncommitted batch. An `unknown_issue`
/// rejection is therefore sent back through the delay queues of the topology, one per retry
/// (1 s, 5 s, then 30 s), and reported only when the last one has passed. An issue whose
/// creation Tally rejected will not arrive, so that rejection is final at once.
struct RetryPolicy: Sendable {
    let queues: [Topology.RetryQueue]

    init(queues: [Topology.RetryQueue] = Topology.retryQueues) {
        self.queues = queues
    }

    /// The delay queue for the next try, or nil when the outcome is final. `attempt` counts the
    /// retries already made.
    func retryQueue(for outcome: CommandOutcome, attempt: Int) -> Topology.RetryQueue? {
        guard attempt >= 0, attempt < queues.count, outcome.isUnknownIssueRejection else { return nil }
        return queues[attempt]
    }
}

extension CommandOutcome {
    var isUnknownIssueRejection: Bool {
        guard case .incidents(let outcomes) = self, !outcomes.isEmpty else { return false }
        return outcomes.allSatisfy { outcome in
            if case .rejected(let rejection) = outcome {
                return rejection.reason == .unknownIssue && rejection.issueRejectionReason == nil
            }
            return false
        }
    }
}
