import {FintechCommand} from '../../cli/base-command.js'
import {runbookListCommand, type RunbookListOutput} from '../../cli/runbooks.js'

export default class RunbookList extends FintechCommand {
  static summary = 'List the runbooks under runbooks/: name, severity, the envs each may run in, title.'

  static description = 'Offline. A runbook file with errors is left out of the list and its problems are printed after it (file:line); fintech validate reports them too. Exit 0 even then: the valid runbooks are still usable.'

  static baseFlags = FintechCommand.offlineBaseFlags

  static examples = ['<%= config.bin %> runbook list', '<%= config.bin %> runbook list --json']

  async run(): Promise<RunbookListOutput> {
    const {flags} = await this.parse(RunbookList)
    return this.deliver(runbookListCommand(this.readConfig(flags.config)))
  }
}
