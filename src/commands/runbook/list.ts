import {FintechCommand} from '../../cli/base-command.js'
import {projectRunbooks} from '../../cli/runbooks.js'
import {ExitCode} from '../../core/errors.js'
import type {RunbookProblem} from '../../core/runbook/load.js'
import {renderRunbookList} from '../../ui/runbook.js'

interface RunbookListOutput {
  runbooks: Array<{name: string; title: string; severity: string; envs: string[]; file: string}>
  problems: RunbookProblem[]
}

export default class RunbookList extends FintechCommand {
  static summary = 'List the runbooks under runbooks/: name, severity, the envs each may run in, title.'

  static description = 'Offline. A runbook file with errors is left out of the list and its problems are printed after it (file:line); fintech validate reports them too. Exit 0 even then: the valid runbooks are still usable.'

  static baseFlags = FintechCommand.offlineBaseFlags

  static examples = ['<%= config.bin %> runbook list', '<%= config.bin %> runbook list --json']

  async run(): Promise<RunbookListOutput> {
    const {flags} = await this.parse(RunbookList)
    const set = projectRunbooks(this.readConfig(flags.config))
    const runbooks = [...set.runbooks.values()]
    return this.deliver({
      text: renderRunbookList(runbooks, set.problems),
      exitCode: ExitCode.ok,
      result: {runbooks: runbooks.map(({name, title, severity, envs, file}) => ({name, title, severity, envs, file})), problems: set.problems},
    })
  }
}
