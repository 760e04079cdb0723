import {pollUntil, type Clock} from '../clock.js'
import {FintechError} from '../errors.js'
import {addressOf, pairs, parseEndpoint, type RedisConnector, type RedisEndpoint} from './api.js'
import {withConnection} from './status.js'

/** A replica kept out of Sentinel's elections (replica-priority 0), and the priority to give it back. */
export interface HeldReplica {
  replica: string
  priority: string
}

/**
 * Sets each held replica's replica-priority back. Tries every one, and returns one sentence per
 * replica that refused or did not answer: such a replica stays out of every election, automatic
 * failovers included, until someone sets it by hand, so the caller must make it an error.
 */
export async function giveBackPriorities(connector: RedisConnector, held: HeldReplica[]): Promise<string[]> {
  const failures: string[] = []
  for (const {replica, priority} of held) {
    await withConnection(connector, parseEndpoint(replica, 'replica'), (node) => node.call('CONFIG', 'SET', 'replica-priority', priority)).catch((error: unknown) => {
      failures.push(`${replica} keeps replica-priority 0 (Sentinel will never promote it) because setting it back to ${priority} failed: ${(error as Error).message}; run CONFIG SET replica-priority ${priority} on it`)
    })
  }
  return failures
}

/**
 * Waits until every Sentinel reports each replica with its priority back. Sentinel re-reads a
 * replica's INFO only every 10 s; until it has, it still counts the replica out, and a failover
 * asked for in that window fails with NOGOODSLAVE. A replica a Sentinel flags down or
 * disconnected is not waited for: it is out of that Sentinel's elections whatever its priority,
 * and Sentinel reads its INFO again as soon as it is back.
 */
export async function waitUntilSentinelsSeePriorities(
  connector: RedisConnector,
  sentinels: RedisEndpoint[],
  masterName: string,
  held: HeldReplica[],
  clock: Clock,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  if (held.length === 0) return
  let behind = ''
  await pollUntil({
    clock,
    timeoutMs,
    intervalMs: 250,
    ...(signal ? {signal} : {}),
    timedOut: () => new FintechError(`the replicas' priorities are set back, but after ${Math.round(timeoutMs / 1000)} s ${behind}: a failover now could find no replica to promote (NOGOODSLAVE)`),
  }, async () => {
    behind = await firstSentinelBehind(connector, sentinels, masterName, held)
    return behind ? undefined : true
  })
}

/** Why the Sentinels do not all see the priorities yet, or '' once they do. */
async function firstSentinelBehind(connector: RedisConnector, sentinels: RedisEndpoint[], masterName: string, held: HeldReplica[]): Promise<string> {
  for (const sentinel of sentinels) {
    let known: Array<Record<string, string>>
    try {
      known = await withConnection(connector, sentinel, async (connection) => ((await connection.call('SENTINEL', 'REPLICAS', masterName)) as unknown[]).map(pairs))
    } catch (error) {
      return `Sentinel ${addressOf(sentinel)} does not answer (${(error as Error).message})`
    }
    const stale = held.find(({replica, priority}) => {
      const entry = known.find((candidate) => `${candidate.ip}:${candidate.port}` === replica)
      return !entry || (entry['slave-priority'] !== priority && !/s_down|disconnected/.test(entry.flags ?? ''))
    })
    if (stale) return `Sentinel ${addressOf(sentinel)} still reports ${stale.replica} with replica-priority ${known.find((entry) => `${entry.ip}:${entry.port}` === stale.replica)?.['slave-priority'] ?? '(unknown replica)'}`
  }
  return ''
}
