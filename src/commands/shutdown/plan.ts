import {Flags} from '@oclif/core'
import {ShutdownCommand, type ShutdownResult} from '../../cli/shutdown-base.js'
import {shutdownEnvFlag} from '../../cli/flags.js'

export default class ShutdownPlan extends ShutdownCommand {
  static summary = 'Show exactly what a shutdown stop (or start) would change, without changing anything.'

  static description = `The dry run of \`shutdown stop\` (the default) or \`shutdown start\` (--action start): the same discovery, guards and order, each resource listed with its region, tier, state now and what the run would do to it (or why it is left alone: keep-awake, held back, already stopped). For start, it reads the open manifest the last stop wrote and shows the exact values start would restore. Changes nothing, takes no lock, writes no manifest.`

  static examples = ['<%= config.bin %> shutdown plan --env dev', '<%= config.bin %> shutdown plan --env dev --action start --json']

  static flags = {
    env: shutdownEnvFlag,
    action: Flags.string({options: ['stop', 'start'], default: 'stop', description: 'which run to plan'}),
  }

  async run(): Promise<ShutdownResult> {
    const {flags} = await this.parse(ShutdownPlan)
    return this.execute(flags.action as 'stop' | 'start', {...flags, dryRun: true})
  }
}
