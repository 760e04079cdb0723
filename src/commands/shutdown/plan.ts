import {Flags} from '@oclif/core'
import {ShutdownCommand, type ShutdownResult} from '../../cli/shutdown-command.js'

export default class ShutdownPlan extends ShutdownCommand {
  static summary = 'Show exactly what a shutdown stop (or start) would change, without changing anything.'

  static examples = ['<%= config.bin %> shutdown plan --env dev', '<%= config.bin %> shutdown plan --env dev --action start --json']

  static flags = {
    ...ShutdownCommand.flags,
    action: Flags.string({options: ['stop', 'start'], default: 'stop', description: 'which run to plan'}),
  }

  async run(): Promise<ShutdownResult> {
    const {flags} = await this.parse(ShutdownPlan)
    return this.execute(flags.action as 'stop' | 'start', {...flags, dryRun: true})
  }
}
