import {Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {redisRestoreCommand, type RestoreOutput} from '../../cli/redis-restore.js'
import {redisFlags, yesFlag} from '../../cli/flags.js'

export default class RedisRestore extends FintechCommand {
  static summary = 'Restore the Redis primary from a backup in the backup bucket, through SSM Run Command on its instance; the replicas resync from it.'

  static description = [
    'Replicas get replica-priority 0 (no promotion while the primary is down); on the primary\'s instance the RDB is copied from S3,',
    'fintech-redis is stopped, dump.rdb and the AOF are moved aside, the backup is put in place and Redis started; the replicas full-resync,',
    'then get their priority back, waited for until every Sentinel reports it. The primary is down for the restart and the load (see docs/redis.md). In a protected env (prod) it needs',
    '--break-glass, the caller to be the config\'s guardrails.breakGlassRole, and the env name typed on a terminal (or --yes).',
  ].join(' ')

  static examples = [
    '<%= config.bin %> redis restore --env dev --backup dev/2026/11/02/0100-i-0abc-manual.rdb --dry-run',
    '<%= config.bin %> redis restore --env prod --backup prod/2026/11/02/0100-ip-10-0-3-10.rdb --break-glass',
  ]

  static flags = {
    ...redisFlags,
    backup: Flags.string({required: true, description: 'the backup\'s object key in the backup bucket (fintech redis backup list)'}),
    'dry-run': Flags.boolean({description: 'check the backup and the tier, print the steps, change nothing', default: false}),
    yes: yesFlag('skip the typed confirmation in a protected env'),
    'break-glass': Flags.boolean({description: 'required in a protected env (prod), together with the break-glass role', default: false}),
    timeout: Flags.integer({description: 'seconds to wait at each step (the SSM command, the primary loading, the replicas resyncing)', default: 900, min: 1}),
  }

  async run(): Promise<RestoreOutput> {
    const {flags} = await this.parse(RedisRestore)
    return this.deliver(await redisRestoreCommand(flags, (path) => this.readConfig(path), this.io()))
  }
}
