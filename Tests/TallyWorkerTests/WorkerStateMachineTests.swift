import Testing

@testable import TallyWorker

@Suite struct WorkerStateMachineTests {
    struct Step: Sendable, CustomStringConvertible {
        let from: WorkerState
        let event: WorkerEvent
        let to: WorkerState
        var description: String { "\(from) + \(event) -> \(to)" }
    }

    static let steps: [Step] = [
        Step(from: .starting, event: .connectStarted, to: .connecting),
        Step(from: .connecting, event: .connected, to: .consuming),
        Step(from: .consuming, event: .blocked, to: .blocked),
        Step(from: .blocked, event: .unblocked, to: .consuming),
        Step(from: .consuming, event: .storageFailed, to: .waitingForStorage),
        Step(from: .blocked, event: .storageFailed, to: .waitingForStorage),
        Step(from: .waitingForStorage, event: .storageRecovered, to: .consuming),
        Step(from: .consuming, event: .connectionLost, to: .connecting),
        Step(from: .blocked, event: .connectionLost, to: .connecting),
        Step(from: .waitingForStorage, event: .connectionLost, to: .connecting),
        Step(from: .consuming, event: .stopRequested, to: .draining),
        Step(from: .blocked, event: .stopRequested, to: .draining),
        Step(from: .waitingForStorage, event: .stopRequested, to: .draining),
        Step(from: .connecting, event: .stopRequested, to: .stopped),
        Step(from: .starting, event: .stopRequested, to: .stopped),
        Step(from: .draining, event: .drained, to: .stopped),
        Step(from: .draining, event: .connectionLost, to: .stopped),
        Step(from: .draining, event: .connected, to: .draining),
        Step(from: .draining, event: .blocked, to: .draining),
        Step(from: .consuming, event: .connected, to: .consuming),
        Step(from: .connecting, event: .blocked, to: .connecting),
    ]

    @Test(arguments: steps)
    func transition(step: Step) {
        #expect(WorkerStateMachine.nextState(from: step.from, on: step.event) == step.to)
    }

    @Test(arguments: [WorkerEvent.connectStarted, .connected, .connectionLost, .blocked, .unblocked,
                      .storageFailed, .storageRecovered, .stopRequested, .drained])
    func stoppedIsFinal(event: WorkerEvent) {
        #expect(WorkerStateMachine.nextState(from: .stopped, on: event) == .stopped)
    }

    @Test func handleReportsOnlyChanges() {
        var machine = WorkerStateMachine()
        #expect(machine.handle(.connectStarted) == .connecting)
        #expect(machine.handle(.connectStarted) == nil)
        #expect(machine.handle(.connected) == .consuming)
        #expect(machine.state == .consuming)
    }
}
