import TallyOps
import TallySupport

await CommandLineTool.main(TallyctlCommand.root)
