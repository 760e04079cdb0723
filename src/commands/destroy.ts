import {Flags} from '@oclif/core'
import {FintechCommand} from '../cli/base-command.js'
import {destroyCommand, type DestroyResult} from '../cli/destroy.js'
import {yesFlag} from '../cli/flags.js'

export default class Destroy extends FintechCommand {
  static summary = 'Tear down stages of a non-production env, last stage first.'

  static description = `Refused for protected envs, and for a stage while a later stage is still deployed. Stateful resources survive only through their DeletionPolicy (Retain or Snapshot); destroy stops when one would be deleted, unless --allow-data-loss. Asks for the env name to be typed on a terminal; --yes elsewhere.`

  static examples = ['<%= config.bin %> destroy --stage all --env dev', '<%= config.bin %> destroy --stage compute --env test --yes']

  static flags = {
    stage: Flags.string({description: 'stage to destroy, or "all"', required: true}),
    env: Flags.string({description: 'environment from fintech.config.yaml', required: true}),
    'dry-run': Flags.boolean({default: false, description: 'list what would be deleted and kept; change nothing'}),
    yes: yesFlag('skip the typed confirmation'),
    'allow-data-loss': Flags.boolean({default: false, description: 'delete stateful resources that have no Retain or Snapshot DeletionPolicy'}),
  }

  async run(): Promise<DestroyResult> {
    const {flags} = await this.parse(Destroy)
    return this.deliver(await destroyCommand(this.readConfig(flags.config), flags, this.io()))
  }
}
