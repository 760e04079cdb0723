import {Flags} from '@oclif/core'
import {ShutdownCommand, type ShutdownResult} from '../../cli/shutdown-base.js'
import {scheduledFlag, shutdownEnvFlag} from '../../cli/flags.js'

export default class ShutdownStop extends ShutdownCommand {
  static summary = 'Stop a non-production env for the night: ledger service, then Redis, then Aurora.'

  static description = `Finds the env's resources by their Environment tag and by the env's stacks: EC2 instances (Redis nodes among them), Auto Scaling groups, ECS services with their scaling targets, Aurora clusters and standalone RDS instances. Before changing anything it writes a manifest of every prior state to the state bucket; \`shutdown start\` restores exactly that. Never acts in a protected env or on anything tagged Environment=prod; resources tagged fintech:keep-awake (optionally with an expiry date, YYYY-MM-DD) are left running. One run at a time per env (a lock in the state bucket). Run inside an open period (a weekend), it stops again what woke up: a cluster AWS restarted after 7 days, an instance someone started. Exit 3 when some resources failed; they are listed.`

  static examples = ['<%= config.bin %> shutdown stop --env dev', '<%= config.bin %> shutdown stop --env test --dry-run', '<%= config.bin %> shutdown stop --env dev --json']

  static flags = {
    env: shutdownEnvFlag,
    scheduled: scheduledFlag,
    'dry-run': Flags.boolean({default: false, description: 'show what would be stopped; change nothing, take no lock'}),
  }

  async run(): Promise<ShutdownResult> {
    const {flags} = await this.parse(ShutdownStop)
    return this.execute('stop', {...flags, dryRun: flags['dry-run']})
  }
}
