import Foundation
import Testing
@testable import TallyStore

/// Several connections, in threads and in separate processes, race for the last incident of one
/// contract on one database file: exactly one redeem may win.
///
/// The process race runs this test binary again, once per contender, with TALLY_RACE_CHILD set:
/// `raceChildRedeemsOnce` then acts as the contender and does nothing in a normal run.
@Suite struct StoreRaceTests {
    static let now = RFC3339.date(from: "2026-06-15T12:00:00Z")!
    static let contenders = 8

    /// Creates a database whose contract "R" has one phone incident left and one accepted issue
    /// per contender.
    static func prepare(_ temporary: TemporaryStore) throws {
        let document = CustomerDataDocument(
            supportLevels: ExampleData.supportLevels, incidentTypes: ExampleData.incidentTypes,
            customers: [.init(id: "R", name: "Racing Ltd.", contacts: [.init(id: "R1", name: "Racer", email: "racer@example.test")])],
            contracts: [.init(
                id: "R", customerID: "R", supportLevelID: "1", startsAt: now.addingTimeInterval(-86_400),
                endsAt: now.addingTimeInterval(86_400), graceDays: 0, isPerIncident: true,
                incidents: [.init(incidentType: "phone", total: 1)])])
        _ = try temporary.store.importCustomerData(from: try document.jsonData())
        try temporary.store.write { transaction in
            for issue in 1...contenders {
                _ = try transaction.apply(
                    .createIssue(IssueCreation(issueID: Int64(issue), projectID: 1, customerID: "R", contactID: "R1", createdAt: now)),
                    commandID: "create-\(issue)")
            }
        }
    }

    static func redeemCommand(issue: Int) -> Command {
        .redeem(IncidentRequest(issueID: Int64(issue), incidentType: "phone", actor: "racer", requestedAt: now))
    }

    static func checkOneWinner(_ outcomes: [String], store: Store) throws {
        #expect(outcomes.count == contenders)
        #expect(outcomes.filter { $0 == "redeemed phone" }.count == 1, "\(outcomes)")
        #expect(outcomes.filter { $0 == "no_incidents_left" }.count == contenders - 1, "\(outcomes)")
        #expect(try store.read { try $0.backend.usedCounts(contractID: "R") } == ["phone": 1])
        #expect(try store.read { try $0.ledger(customerID: "R", since: nil) }.count == 1)
        #expect(try store.read { try $0.verifyLedger() } == [])
    }

    final class Results: @unchecked Sendable {
        // Guarded by `lock`.
        private var values: [String] = []
        private let lock = NSLock()

        func append(_ value: String) {
            lock.withLock { values.append(value) }
        }

        var all: [String] { lock.withLock { values } }
    }

    @Test func threadsRaceForLastIncident() throws {
        let temporary = try TemporaryStore()
        try Self.prepare(temporary)
        let path = temporary.path
        let results = Results()
        let ready = DispatchSemaphore(value: 0)
        let start = DispatchSemaphore(value: 0)
        let group = DispatchGroup()

        for issue in 1...Self.contenders {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let store = try Store(path: path, busyTimeout: .seconds(30))
                    defer { store.close() }
                    ready.signal()
                    start.wait()
                    let outcome = try store.write { try $0.apply(Self.redeemCommand(issue: issue), commandID: "race-\(issue)") }
                    results.append(outcome.summary)
                } catch {
                    ready.signal()
                    results.append("error: \(error)")
                }
            }
        }
        for _ in 1...Self.contenders { ready.wait() }
        for _ in 1...Self.contenders { start.signal() }
        group.wait()

        try Self.checkOneWinner(results.all, store: temporary.store)
    }

    @Test func processesRaceForLastIncident() throws {
        let temporary = try TemporaryStore()
        try Self.prepare(temporary)
        let executable = URL(fileURLWithPath: CommandLine.arguments[0])
        let startAt = Date().addingTimeInterval(3)

        var children: [(Process, URL)] = []
        for issue in 1...Self.contenders {
            let resultFile = temporary.folder.appendingPathComponent("result-\(issue).txt")
            let child = Process()
            child.executableURL = executable
            child.arguments = ["--testing-library", "swift-testing", "--filter", "raceChildRedeemsOnce"]
            var environment = ProcessInfo.processInfo.environment
            environment["TALLY_RACE_CHILD"] = temporary.path
            environment["TALLY_RACE_ISSUE"] = String(issue)
            environment["TALLY_RACE_RESULT"] = resultFile.path
            environment["TALLY_RACE_START"] = String(startAt.timeIntervalSince1970)
            child.environment = environment
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            try child.run()
            children.append((child, resultFile))
        }

        var outcomes: [String] = []
        for (child, resultFile) in children {
            child.waitUntilExit()
            #expect(child.terminationStatus == 0, "contender pid \(child.processIdentifier) exited with \(child.terminationStatus)")
            outcomes.append((try? String(contentsOf: resultFile, encoding: .utf8)) ?? "no result")
        }

        try Self.checkOneWinner(outcomes, store: temporary.store)
    }

    /// The contender of `processesRaceForLastIncident`; returns at once unless TALLY_RACE_CHILD is set.
    @Test func raceChildRedeemsOnce() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let path = environment["TALLY_RACE_CHILD"] else { return }
        let issue = try #require(environment["TALLY_RACE_ISSUE"].flatMap { Int($0) })
        let resultPath = try #require(environment["TALLY_RACE_RESULT"])
        let startAt = try #require(environment["TALLY_RACE_START"].flatMap { Double($0) })

        let store = try Store(path: path, busyTimeout: .seconds(30))
        defer { store.close() }
        let wait = startAt - Date().timeIntervalSince1970
        if wait > 0 {
            Thread.sleep(forTimeInterval: wait)
        }
        let outcome = try store.write { try $0.apply(Self.redeemCommand(issue: issue), commandID: "race-\(issue)") }
        try outcome.summary.write(toFile: resultPath, atomically: true, encoding: .utf8)
    }
}
