import Foundation
import TallyStore
import Testing

@Suite(.serialized) struct RaceTests {
    /// Three workers on one database file and one queue, 600 redeems against quotas of 5:
    /// exactly 5 redeemed per contract and type, the rest rejected, nothing overdrawn.
    @Test func workersRacingNeverOverdraw() async throws {
        let now = Date()
        let customerCount = 10
        let issuesPerCustomer = 30
        let total = 5
        let customers = CustomerFixtures.tightQuotas(customers: customerCount, total: total, now: now)
        let scenario = try await Scenario.make("race", customers: customers)
        let results = try scenario.tapResults()

        var creates: [TestCommand] = []
        var redeems: [TestCommand] = []
        for customer in customers.customers {
            for number in 1...issuesPerCustomer {
                let issue = Int64(customers.customers.firstIndex { $0.id == customer.id }! * 1_000 + number)
                creates.append(Commands.createIssue("race-create-\(issue)", issue: issue, customer: customer.id, contact: "\(customer.id)-1", at: now))
                for type in ["phone", "email"] {
                    redeems.append(Commands.redeem("race-\(type)-\(issue)", issue: issue, type: type, at: now))
                }
            }
        }
        // Interleave customers so that every batch competes for every quota.
        var random = SplitMix64(seed: 42)
        redeems.shuffle(using: &random)

        let workers = try (1...3).map { number in
            try scenario.startWorker("race-\(number)", arguments: ["--batch-size", "25", "--prefetch", "50", "--busy-timeout", "0.05"])
        }
        for worker in workers {
            #expect(worker.waitForLog("msg=consuming", timeout: .seconds(30)), "\(worker.workerID) did not start")
        }
        try scenario.publish(creates)
        #expect(try results.collect(distinct: creates.count, timeout: .seconds(30)))
        try scenario.publish(redeems)
        try results.collect(timeout: .seconds(60)) { tap in
            tap.byCommand.filter { $0.key.hasPrefix("race-phone") || $0.key.hasPrefix("race-email") }.count == redeems.count
        }
        try results.collect(for: .seconds(1))
        #expect(scenario.stopWorkers() == [0, 0, 0])

        let outcomes = results.outcomesByCommand
        var redeemedPerQuota: [String: Int] = [:]
        var rejectedPerQuota: [String: Int] = [:]
        for command in redeems {
            let id = command.messageID!
            let customerIndex = Int(id.split(separator: "-").last!)! / 1_000
            let key = "\(customers.customers[customerIndex].id)-c/\(id.split(separator: "-")[1])"
            switch outcomes[id] ?? [] {
            case ["incident.redeemed"], ["incident.redeemed", "quota.low"]:
                redeemedPerQuota[key, default: 0] += 1
            case ["incident.rejected/no_incidents_left"]:
                rejectedPerQuota[key, default: 0] += 1
            default:
                Issue.record("command \(id) has outcomes \(outcomes[id] ?? []); \(scenario.logHint)")
            }
        }
        let quotaKeys = customers.contracts.flatMap { contract in ["phone", "email"].map { "\(contract.id)/\($0)" } }
        #expect(redeemedPerQuota == Dictionary(uniqueKeysWithValues: quotaKeys.map { ($0, total) }))
        #expect(rejectedPerQuota == Dictionary(uniqueKeysWithValues: quotaKeys.map { ($0, issuesPerCustomer - total) }))

        let snapshot = try scenario.withStore { try StoreSnapshot($0, customers: customers.customers.map(\.id)) }
        let invariants = RunInvariants(results: results.distinct, snapshot: snapshot)
        #expect(invariants.commandsAnsweredTwice == [])
        #expect(invariants.billingMismatches == [])
        #expect(snapshot.ledger.count == quotaKeys.count * total)
        #expect(snapshot.quotas.values.allSatisfy { $0.used == total })
        #expect(snapshot.overdrawn == [])
        #expect(snapshot.discrepancies == [])
        #expect(snapshot.inboxCount == creates.count + redeems.count)
        #expect(snapshot.outboxCount == 0)

        // Each worker took part; otherwise nothing raced.
        for worker in workers {
            let stopLine = worker.logLines("worker stopped").last ?? ""
            #expect(!stopLine.contains("processed=0"), "\(worker.workerID): \(stopLine)")
        }
        await scenario.finish()
    }
}
