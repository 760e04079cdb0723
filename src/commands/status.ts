import {Flags} from '@oclif/core'
import {FintechCommand} from '../cli/base-command.js'
import {statusCommand, type StatusResult} from '../cli/status.js'

export default class Status extends FintechCommand {
  static summary = 'Show every stage of an env (or of all envs): stack status, last update, drift; and its security services with active critical and high findings.'

  static examples = ['<%= config.bin %> status --env test', '<%= config.bin %> status', '<%= config.bin %> status --env prod --drift', '<%= config.bin %> status --org']

  static flags = {
    env: Flags.string({description: 'environment to show; all environments when left out'}),
    drift: Flags.boolean({default: false, description: 'run drift detection now and list drifted resources'}),
    org: Flags.boolean({default: false, description: 'the organization.stackSets instead: stack instances per account and region, with the last drift check\'s verdict'}),
  }

  async run(): Promise<StatusResult> {
    const {flags} = await this.parse(Status)
    return this.deliver(await statusCommand(this.readConfig(flags.config), flags))
  }
}
