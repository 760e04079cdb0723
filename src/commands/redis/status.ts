import {Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {DEFAULT_LIMITS, redisStatusCommand, type RedisStatus} from '../../cli/redis-status.js'
import {redisFlags} from '../../cli/flags.js'

export default class RedisStatusCommand extends FintechCommand {
  static summary = 'Health of the self-hosted Redis tier: primary, replicas with lag, what each Sentinel believes, quorum, memory, last save.'

  static description = 'Exits 1 when anything is unhealthy (Sentinels disagree or miss quorum, a replica is down or lags, a save failed, keys were evicted) and says why.'

  static examples = [
    '<%= config.bin %> redis status --env dev',
    'REDISCLI_AUTH=… <%= config.bin %> redis status --sentinel 10.0.3.10:26379 --sentinel 10.0.4.10:26379 --sentinel 10.0.5.10:26379 --json',
  ]

  static flags = {
    ...redisFlags,
    'max-lag-bytes': Flags.integer({description: 'a replica further behind than this is unhealthy', default: DEFAULT_LIMITS.maxLagBytes, min: 0}),
    'max-lag-seconds': Flags.integer({description: 'a replica the primary has not heard from for longer is unhealthy', default: DEFAULT_LIMITS.maxLagSeconds, min: 0}),
  }

  async run(): Promise<RedisStatus> {
    const {flags} = await this.parse(RedisStatusCommand)
    return this.deliver(await redisStatusCommand(flags, (path) => this.readConfig(path)))
  }
}
