import {Flags} from '@oclif/core'
import {ShutdownCommand, type ShutdownResult} from '../../cli/shutdown-base.js'
import {scheduledFlag, shutdownEnvFlag} from '../../cli/flags.js'

export default class ShutdownStart extends ShutdownCommand {
  static summary = 'Start a stopped env again from its manifest: Aurora, then Redis, then the ledger service.'

  static description = `Acts only on the open manifest the last stop wrote: what was stopped or at zero before the night is left as it is (stopped, or as whoever started or scaled it up since left it), and sizes, counts and scaling bounds come back to their exact recorded values. Each tier starts once the one before is healthy (Aurora available, a Redis master answering through Sentinel, ECS services stable); an instance EC2 stops again after starting (e.g. an encrypted volume whose KMS key has no grant) is reported as failed, never as started. Exit 3 when some resources failed or were held back.`

  static examples = ['<%= config.bin %> shutdown start --env dev', '<%= config.bin %> shutdown start --env dev --dry-run --json']

  static flags = {
    env: shutdownEnvFlag,
    scheduled: scheduledFlag,
    'dry-run': Flags.boolean({default: false, description: 'show what would be started; change nothing, take no lock'}),
  }

  async run(): Promise<ShutdownResult> {
    const {flags} = await this.parse(ShutdownStart)
    return this.execute('start', {...flags, dryRun: flags['dry-run']})
  }
}
