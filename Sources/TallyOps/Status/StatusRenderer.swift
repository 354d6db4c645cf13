import Foundation

/// Renders a `StatusReport` as aligned tables for people.
struct StatusRenderer {
    let console: Console

    func render(_ report: StatusReport) -> String {
        var text = ""
        let broker = report.broker
        text += "Broker  \(broker.address), virtual host '\(broker.virtualHost)'"
        switch broker.source {
        case "management":
            text += ", unacknowledged counts and rates from the management API\n"
        case "amqp":
            text += ", counts from AMQP passive declares only\n"
            text += "  " + console.colored("Management API not used: \(broker.managementProblem ?? "unknown reason").", .yellow) + "\n"
            text += "  Missing without it: unacknowledged counts, publish, deliver and ack rates, which workers hold consumers, and the bindings of tally.results (the queues bound and the result keys no queue takes).\n"
        default:
            text += "\n  " + console.colored("Unavailable: \(broker.error ?? "unknown reason")", .red) + "\n"
        }

        if !report.queues.isEmpty {
            text += "\n"
            var table = Table([
                .init(title: "QUEUE"), .init(title: "ROLE"), .init(title: "READY", alignment: .right),
                .init(title: "UNACKED", alignment: .right), .init(title: "CONSUMERS", alignment: .right),
                .init(title: "PUBLISH", alignment: .right), .init(title: "DELIVER", alignment: .right),
                .init(title: "ACK", alignment: .right),
            ])
            for queue in report.queues {
                if !queue.exists {
                    table.add([queue.name, queue.role.replacingOccurrences(of: "_", with: " "), "missing", "-", "-", "-", "-", "-"])
                    continue
                }
                table.add([
                    queue.name, queue.role.replacingOccurrences(of: "_", with: " "), Format.count(queue.ready),
                    Format.count(queue.unacknowledged), Format.count(queue.consumers), Format.rate(queue.publishRate),
                    Format.rate(queue.deliverRate), Format.rate(queue.ackRate),
                ])
            }
            text += table.render(indent: 2) { _, column, cell in
                cell == "missing" && column == 2 ? console.colored(cell, .red) : cell
            }
        }

        if let dead = report.deadLetters {
            text += "\nDead letters  \(Format.count(dead.total))"
            if dead.sampled < dead.total {
                text += " (reasons from the first \(Format.count(dead.sampled)))"
            }
            text += "\n"
            var table = Table([.init(title: "REASON"), .init(title: "COUNT", alignment: .right)])
            for (reason, count) in dead.byReason.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
                table.add([reason, Format.count(count)])
            }
            if !dead.byReason.isEmpty {
                text += table.render(indent: 2)
            }
        }

        let database = report.database
        text += "\nDatabase  \(database.path)\n"
        if let error = database.error {
            text += "  " + console.colored("Unavailable: \(error)", .red) + "\n"
        } else {
            let oldest = database.outboxOldestAgeSeconds.map { ", oldest \(Format.age($0))" } ?? ""
            text += "  Outbox  \(Format.count(database.outboxCount)) waiting\(oldest)\n"
            text += "  Inbox   \(Format.count(database.inboxCount)) message ids\n"

            text += "\nWorkers  \(database.workers.filter { $0.liveness == "alive" }.count) alive of \(database.workers.count)\n"
            if !database.workers.isEmpty {
                var table = Table([
                    .init(title: "WORKER"), .init(title: "HOST"), .init(title: "PID", alignment: .right),
                    .init(title: "STATE"), .init(title: "LIVENESS"), .init(title: "LAST ACTIVITY", alignment: .right),
                    .init(title: "PROCESSED", alignment: .right), .init(title: "DUPLICATES", alignment: .right),
                    .init(title: "DEAD", alignment: .right), .init(title: "RETRIED", alignment: .right),
                    .init(title: "PUBLISHED", alignment: .right),
                ])
                for worker in database.workers {
                    table.add([
                        worker.workerID, worker.host, String(worker.pid), worker.state,
                        worker.liveness + (worker.evidence.map { " (\($0))" } ?? ""),
                        Format.age(worker.lastActivityAgeSeconds) + " ago",
                        Format.count(worker.counters["processed"]), Format.count(worker.counters["duplicates"]),
                        Format.count(worker.counters["dead_lettered"]), Format.count(worker.counters["retried"]),
                        Format.count(worker.counters["results_published"]),
                    ])
                }
                text += table.render(indent: 2) { _, column, cell in
                    guard column == 4 else { return cell }
                    return cell.hasPrefix("alive") ? console.colored(cell, .green) : console.colored(cell, .yellow)
                }
            }
        }

        let health = report.health
        let levelText: String
        switch health.level {
        case .ok: levelText = console.colored("OK", .green)
        case .warning: levelText = console.colored("WARNING", .yellow)
        case .critical: levelText = console.colored("CRITICAL", .red)
        }
        text += "\nHealth  \(levelText)\n"
        for finding in health.findings {
            text += "  \(finding.level.rawValue): \(finding.message)\n"
        }
        return text
    }
}
