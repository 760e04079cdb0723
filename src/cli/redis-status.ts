import type {LoadedConfig} from '../core/config/load.js'
import {DEFAULT_LIMITS, readRedisStatus, type RedisStatus} from '../core/redis/status.js'
import {renderRedisStatus} from '../ui/redis.js'
import type {Outcome} from './command-io.js'
import {type RedisFlags, exitFor, openRedisTarget} from './redis.js'

export {DEFAULT_LIMITS, type RedisStatus} from '../core/redis/status.js'

/** `fintech redis status`: the primary, replicas and Sentinels, healthy or why not. */
export async function redisStatusCommand(
  flags: RedisFlags & {'max-lag-bytes': number; 'max-lag-seconds': number},
  readConfig: (path: string) => LoadedConfig,
): Promise<Outcome<RedisStatus>> {
  const target = await openRedisTarget(flags, readConfig)
  try {
    const status = await readRedisStatus(target.connector, target.sentinels, target.masterName, {
      ...DEFAULT_LIMITS,
      maxLagBytes: flags['max-lag-bytes'],
      maxLagSeconds: flags['max-lag-seconds'],
    })
    return {text: renderRedisStatus(status), exitCode: exitFor(status.healthy), result: status}
  } finally {
    target.close()
  }
}
