import {Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {DEFAULT_LIMITS, DEFAULT_PATCH, DEFAULT_PATCH_COMMAND, redisPatchCommand, type RedisPatchResult} from '../../cli/redis-patch.js'
import {redisFlags, yesFlag} from '../../cli/flags.js'

export default class RedisPatch extends FintechCommand {
  static summary = 'Rolling patch of the Redis nodes through SSM Run Command: replicas one at a time, a planned failover, then the old primary.'

  static description = [
    'Each node runs the patch command (by default a security upgrade of redis6 and a restart of fintech-redis and fintech-sentinel);',
    'the next node waits until that node is a replica in sync again and every Sentinel answers. Between the replicas and the primary,',
    'the planned failover of `fintech redis failover` moves the primary without losing an acknowledged write. Stops at the first failure',
    '(exit 1 when no node was touched, 3 when some were). On prod it asks for approval (--yes in advance).',
    'Ctrl-C starts nothing new: a command already sent runs on (the output names it), a failover under way unwinds or finishes as in',
    '`fintech redis failover`; then it reports what was patched, what runs on and what was not patched, writes the audit lines and exits 130.',
  ].join(' ')

  static examples = ['<%= config.bin %> redis patch --env dev --dry-run', '<%= config.bin %> redis patch --env prod --yes --json']

  static flags = {
    ...redisFlags,
    'dry-run': Flags.boolean({description: 'print the order and the command, change nothing', default: false}),
    yes: yesFlag('approve in a protected env (prod) without a prompt'),
    command: Flags.string({description: 'shell run on each node as root', default: DEFAULT_PATCH_COMMAND}),
    timeout: Flags.integer({description: 'seconds a node may take to be back in sync after its command', default: DEFAULT_PATCH.resyncTimeoutMs / 1000, min: 1}),
    'command-timeout': Flags.integer({description: 'seconds the command may run on a node', default: 900, min: 1}),
    'max-lag-bytes': Flags.integer({description: 'a node further behind is not back in sync', default: DEFAULT_LIMITS.maxLagBytes, min: 0}),
  }

  async run(): Promise<RedisPatchResult> {
    const {flags} = await this.parse(RedisPatch)
    return this.deliver(await redisPatchCommand(flags, (path) => this.readConfig(path), this.io()))
  }
}
