import TallyOps
import TallySupport
import TallyWorker
import Testing

@Suite struct ConfigurationKeyTests {
    /// One configuration file serves the worker and tallyctl. An unknown key makes every
    /// tallyctl command fail, so tallyctl must accept every key the worker reads.
    @Test func tallyctlAcceptsEveryWorkerKey() {
        let workerKeys = Set(WorkerOptions.groups.flatMap(\.options).filter(\.isConfigurable).map(\.long))
        let tallyctlKeys = TallyctlCommand.root.configurationKeys

        #expect(workerKeys.count >= 15)
        #expect(workerKeys.subtracting(tallyctlKeys).sorted() == [])
    }
}
