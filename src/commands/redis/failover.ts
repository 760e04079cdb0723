import {Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {DEFAULT_FAILOVER, DEFAULT_LIMITS, redisFailoverCommand, type FailoverResult} from '../../cli/redis-failover.js'
import {redisFlags, yesFlag} from '../../cli/flags.js'

export default class RedisFailover extends FintechCommand {
  static summary = 'Planned failover of the Redis primary that loses no acknowledged write.'

  static description = [
    'Pre-checks (Sentinels agree, quorum, no failover in progress, a replica in sync), then: replicas not in sync get replica-priority 0',
    'for the failover (Sentinel picks among the rest), writes are paused on the primary (CLIENT PAUSE WRITE), every candidate reaches the',
    'primary\'s offset, SENTINEL FAILOVER, the Sentinels agree on the new primary, the old primary becomes its replica, writes are released.',
    'Prints how long writes were paused and the whole duration. On prod it asks for approval (--yes in advance).',
    'Ctrl-C before SENTINEL FAILOVER unwinds (writes released, the primary stays); after it, finishes the failover (Sentinel cannot take it back)',
    'and skips the checks that follow; either way it says which, writes the audit line and exits 130.',
  ].join(' ')

  static examples = ['<%= config.bin %> redis failover --env dev --dry-run', '<%= config.bin %> redis failover --env prod --yes --json']

  static flags = {
    ...redisFlags,
    'dry-run': Flags.boolean({description: 'run the pre-checks only and change nothing', default: false}),
    yes: yesFlag('approve a failover in a protected env (prod) without a prompt'),
    'max-lag-bytes': Flags.integer({description: 'a replica further behind is not a candidate', default: DEFAULT_LIMITS.maxLagBytes, min: 0}),
    'sync-timeout': Flags.integer({description: 'seconds to wait for lagging replicas to resync before leaving them out', default: DEFAULT_FAILOVER.syncTimeoutMs / 1000, min: 0}),
    'pause-budget': Flags.integer({description: 'the CLIENT PAUSE timeout in seconds: how long a crashed CLI could leave writes paused; renewed while Sentinel promotes', default: DEFAULT_FAILOVER.pauseBudgetMs / 1000, min: 1}),
    timeout: Flags.integer({description: 'seconds to wait for the promotion and for the old primary to resync', default: DEFAULT_FAILOVER.promoteTimeoutMs / 1000, min: 1}),
  }

  async run(): Promise<FailoverResult> {
    const {flags} = await this.parse(RedisFailover)
    return this.deliver(await redisFailoverCommand(flags, (path) => this.readConfig(path), this.io()))
  }
}
