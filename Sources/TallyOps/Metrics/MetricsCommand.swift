import Foundation
import TallyCore
import TallySupport

/// `tallyctl metrics`: the status figures for node_exporter's textfile collector.
enum MetricsCommand {
    static func spec(console: Console) -> CommandSpec {
        CommandSpec(
            name: "metrics",
            abstract: "Print the status figures in the Prometheus text format, for node_exporter's textfile collector.",
            discussion: "With --output, the file is written beside its final name and renamed into place, so the collector never reads half a file. A broker or database that cannot be read shows as tally_broker_up 0 or tally_database_up 0, and the command still exits 0 once the figures are written. ops/metrics has a systemd timer that runs it every 30 seconds.",
            options: [
                .option("output", short: "o", valueName: "path", help: "The file to write, such as /var/lib/node_exporter/textfile/tally.prom; standard output when left out.",
                        configurable: false, as: String.self),
                StatusCommand.staleAfter, StatusCommand.deadLetterSample, StatusCommand.noExampleQueues,
            ],
            optionGroups: [SharedOptions.broker, SharedOptions.storage, SharedOptions.configuration],
            validate: { parsed in
                try requireDatabase(parsed)
                _ = try BrokerSettings(parsed, management: true)
            },
            run: { parsed in
                let collector = try StatusCommand.collector(parsed)
                let report = try await runBlocking { collector.collect() }
                let text = render(report)

                guard let output = parsed.value("output", as: String.self) else {
                    console.write(text)
                    return 0
                }
                try writeAtomically(text, to: output)
                return 0
            }
        )
    }

    static func render(_ report: StatusReport) -> String {
        var metrics = PrometheusText()
        let broker = report.broker
        metrics.add("tally_broker_up", .gauge, help: "1 when the broker responded over AMQP.", value: broker.error == nil ? 1 : 0)
        metrics.add("tally_management_api_up", .gauge, help: "1 when the RabbitMQ management API responded.", value: broker.source == "management" ? 1 : 0)
        metrics.add("tally_database_up", .gauge, help: "1 when the database could be read.", value: report.database.error == nil ? 1 : 0)

        func queueSamples(_ value: (QueueStatus) -> Double?) -> [([(String, String)], Double)] {
            report.queues.compactMap { queue in
                guard queue.exists, let number = value(queue) else { return nil }
                return ([("queue", queue.name), ("role", queue.role)], number)
            }
        }
        metrics.add("tally_queue_exists", .gauge, help: "1 when the queue of the topology exists.",
                    samples: report.queues.map { ([("queue", $0.name), ("role", $0.role)], $0.exists ? 1 : 0) })
        metrics.add("tally_queue_messages_ready", .gauge, help: "Messages ready for delivery.", samples: queueSamples { $0.ready.map(Double.init) })
        metrics.add("tally_queue_messages_unacknowledged", .gauge, help: "Messages delivered and not yet acknowledged (management API only).",
                    samples: queueSamples { $0.unacknowledged.map(Double.init) })
        metrics.add("tally_queue_consumers", .gauge, help: "Consumers of the queue.", samples: queueSamples { $0.consumers.map(Double.init) })
        metrics.add("tally_queue_publish_rate", .gauge, help: "Messages published per second (management API only).", samples: queueSamples(\.publishRate))
        metrics.add("tally_queue_deliver_rate", .gauge, help: "Messages delivered per second (management API only).", samples: queueSamples(\.deliverRate))
        metrics.add("tally_queue_ack_rate", .gauge, help: "Messages acknowledged per second (management API only).", samples: queueSamples(\.ackRate))

        if let unrouted = report.unroutedResultKeys {
            metrics.add("tally_result_key_unrouted", .gauge,
                        help: "1 when no queue bound to tally.results takes results with this routing key (management API only).",
                        samples: ResultKind.allCases.map { ([("routing_key", $0.rawValue)], unrouted.contains($0.rawValue) ? 1 : 0) })
        }

        if let dead = report.deadLetters {
            metrics.add("tally_dead_letters", .gauge, help: "Messages in the dead-letter queue.", value: Double(dead.total))
            metrics.add("tally_dead_letters_by_reason", .gauge, help: "Dead letters by reason, among those sampled.",
                        samples: dead.byReason.sorted(by: { $0.key < $1.key }).map { ([("reason", $0.key)], Double($0.value)) })
        }

        let database = report.database
        if database.error == nil {
            metrics.add("tally_outbox_messages", .gauge, help: "Results and copies waiting in the outbox to be published.", value: Double(database.outboxCount ?? 0))
            metrics.add("tally_outbox_oldest_age_seconds", .gauge, help: "Age of the oldest outbox entry in seconds; 0 when the outbox is empty.",
                        value: database.outboxOldestAgeSeconds ?? 0)
            metrics.add("tally_inbox_message_ids", .gauge, help: "Message ids recorded in the inbox.", value: Double(database.inboxCount ?? 0))
            metrics.add("tally_worker_up", .gauge, help: "1 when the worker is alive, 0 when stale or stopped.",
                        samples: database.workers.map { ([("worker", $0.workerID), ("host", $0.host)], $0.liveness == "alive" ? 1 : 0) })
            metrics.add("tally_worker_last_activity_age_seconds", .gauge, help: "Seconds since the worker last handled deliveries.",
                        samples: database.workers.map { ([("worker", $0.workerID), ("host", $0.host)], $0.lastActivityAgeSeconds) })
            var events: [([(String, String)], Double)] = []
            for worker in database.workers {
                for (event, count) in worker.counters.sorted(by: { $0.key < $1.key }) {
                    events.append(([("worker", worker.workerID), ("host", worker.host), ("event", event)], Double(count)))
                }
            }
            metrics.add("tally_worker_events_total", .counter, help: "The worker's counters since it started, from its heartbeat.", samples: events)
        }

        let level: Double = switch report.health.level {
        case .ok: 0
        case .warning: 1
        case .critical: 2
        }
        metrics.add("tally_health_level", .gauge, help: "0 healthy, 1 warning, 2 critical, as status --check judges with default thresholds.", value: level)
        metrics.add("tally_status_generated_timestamp_seconds", .gauge, help: "When these figures were read, in Unix seconds.",
                    value: report.generatedAt.timeIntervalSince1970.rounded())
        return metrics.text
    }

    /// Writes `text` to a temporary file in the target's folder, then renames it over `path`.
    static func writeAtomically(_ text: String, to path: String) throws {
        let target = URL(fileURLWithPath: path)
        let temporary = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try Data(text.utf8).write(to: temporary)
            if rename(temporary.path, target.path) != 0 {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: temporary)
                throw TallyctlError("cannot move the metrics into \(path): \(reason)")
            }
        } catch let error as TallyctlError {
            throw error
        } catch {
            throw TallyctlError("cannot write the metrics to \(temporary.path): \(error.localizedDescription); check that the folder exists and is writable")
        }
    }
}
