import TallyOps
import TallySupport
import TallyWorker
import Testing

@Suite struct ConfigurationKeyTests {
    /// One configuration file serves the worker and tallyctl. An unknown key makes either
    /// program fail at start, so each must accept every key the other reads.
    @Test func workerAndTallyctlAcceptSameKeys() {
        let workerKeys = Set(WorkerOptions.groups.flatMap(\.options).filter(\.isConfigurable).map(\.long))
        let tallyctlKeys = TallyctlCommand.root.configurationKeys

        #expect(workerKeys.count >= 16)
        #expect(workerKeys.subtracting(tallyctlKeys).sorted() == [])
        #expect(tallyctlKeys.subtracting(workerKeys).sorted() == [])
    }
}
