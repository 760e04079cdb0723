import {pollUntil, systemClock, type Clock} from '../clock.js'
import {ExitCode, FintechError} from '../errors.js'
import {pairs, parseEndpoint, parseInfo, type RedisConnector, type RedisEndpoint} from './api.js'
import type {NodeShell, RedisNode} from './patch.js'
import {giveBackPriorities, waitUntilSentinelsSeePriorities, type HeldReplica} from './priority.js'
import {readRedisStatus, withConnection, type RedisStatus} from './status.js'

const DATA_DIR = '/var/lib/fintech-redis'
const CONF = '/etc/fintech-redis/redis.conf'

const shellQuote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`
const endpointOf = (address: string) => parseEndpoint(address, 'address')

/** `assumed-role/<role>/<session>` of an STS caller ARN is the break-glass role (exact name). */
export function isBreakGlassCaller(callerArn: string, breakGlassRole: string): boolean {
  const match = /^arn:aws[\w-]*:sts::\d{12}:assumed-role\/([^/]+)\/.+$/.exec(callerArn)
  return match?.[1] === breakGlassRole
}

/** Where the node keeps the files a restore replaced. */
export const asideDir = (stamp: string) => `${DATA_DIR}/before-restore-${stamp}`

/**
 * Runs on the primary's instance as root. The RDB is fetched and checked before Redis stops.
 * The node runs with `appendonly yes`, and Redis loads the AOF instead of the RDB when AOF is
 * on, so the AOF is moved aside with the old RDB and Redis starts once with AOF off; once the
 * RDB is loaded, AOF is switched on again (which writes a fresh AOF from the restored data)
 * and CONFIG REWRITE puts `appendonly yes` back in the config file.
 */
export function restoreScript(bucket: string, key: string, stamp: string): string[] {
  const source = shellQuote(`s3://${bucket}/${key}`)
  const incoming = `${DATA_DIR}/restore-${stamp}.rdb`
  const aside = asideDir(stamp)
  // grep without -q reads all its input: with pipefail, an early exit could fail redis-cli with SIGPIPE.
  const loaded = `redis-cli INFO persistence | grep '^loading:0' >/dev/null`
  return [
    'set -euo pipefail',
    // CONFIG REWRITE (failover, restore) writes the password in quotes.
    `export REDISCLI_AUTH="$(awk '$1 == "requirepass" {gsub(/"/, "", $2); print $2}' ${CONF})"`,
    `aws s3 cp ${source} ${incoming} --only-show-errors`,
    `if [ "$(head -c 5 ${incoming})" != REDIS ]; then rm -f ${incoming}; echo not an RDB file: ${shellQuote(key)} >&2; exit 1; fi`,
    `chown redis:redis ${incoming} && chmod 0640 ${incoming}`,
    `AOF=$(awk '$1 == "appendonly" {print $2}' ${CONF})`,
    'systemctl stop fintech-redis',
    `install -d -o redis -g redis -m 0750 ${aside}`,
    `for file in dump.rdb appendonly.aof appendonlydir; do if [ -e ${DATA_DIR}/$file ]; then mv ${DATA_DIR}/$file ${aside}/; fi; done`,
    `mv ${incoming} ${DATA_DIR}/dump.rdb`,
    `if [ "$AOF" = yes ]; then sed -i 's/^appendonly yes$/appendonly no/' ${CONF}; fi`,
    'systemctl start fintech-redis',
    `for second in $(seq 1 600); do if redis-cli PING 2>/dev/null | grep PONG >/dev/null && ${loaded}; then break; fi; sleep 1; done`,
    `${loaded} || { echo 'redis did not answer with the RDB loaded within 600 s' >&2; exit 1; }`,
    'if [ "$AOF" = yes ]; then',
    '  redis-cli CONFIG SET appendonly yes',
    `  for second in $(seq 1 600); do if redis-cli INFO persistence | grep '^aof_rewrite_in_progress:0' >/dev/null && redis-cli INFO persistence | grep '^aof_rewrite_scheduled:0' >/dev/null; then break; fi; sleep 1; done`,
    `  redis-cli INFO persistence | grep '^aof_last_bgrewrite_status:ok' >/dev/null || { echo 'the AOF rewrite after the restore failed' >&2; exit 1; }`,
    '  redis-cli CONFIG REWRITE',
    'fi',
    `echo "restored $(redis-cli DBSIZE) keys; the files it replaced are in ${aside}"`,
  ]
}

export interface RestorePlan {
  bucket: string
  key: string
  primary: string
  instanceId: string
  /** Replicas kept out of Sentinel's elections while the primary is down, then resynced. */
  replicas: string[]
  stamp: string
  steps: string[]
}

/** What restore will do, in order; the dry run prints exactly this. */
export function planRestore(status: RedisStatus, nodes: RedisNode[], bucket: string, key: string, stamp: string): RestorePlan {
  const primary = status.primary
  if (!primary?.reachable || primary.role !== 'master' || !status.sentinelsAgree) {
    throw new FintechError(`no primary the Sentinels agree on answers as master (${status.problems.join('; ') || 'none named'}); nothing was changed`, ExitCode.failed, 'see fintech redis status')
  }
  // A Sentinel we cannot ask could still elect a replica while the primary is down.
  const silent = status.sentinels.filter((sentinel) => !sentinel.reachable)
  if (silent.length > 0) throw new FintechError(`Sentinel ${silent.map((sentinel) => sentinel.address).join(', ')} does not answer, so the command cannot make sure no replica is promoted during the restore; nothing was changed`)
  const instanceId = nodes.find((node) => node.address === primary.address)?.instanceId
  if (!instanceId) throw new FintechError(`the primary ${primary.address} is not among the data stack's RedisNodeAddresses (${nodes.map((node) => node.address).join(', ')}), so its instance is unknown; nothing was changed`, ExitCode.usage)
  const replicas = status.replicas.map((replica) => replica.address)
  const steps = [
    `set replica-priority 0 on ${replicas.join(', ') || 'no replica'} and wait until every Sentinel sees it, so none is promoted while the primary is down`,
    `on ${instanceId} (primary ${primary.address}), through SSM Run Command: copy s3://${bucket}/${key} to ${DATA_DIR}/restore-${stamp}.rdb and check it is an RDB`,
    `stop fintech-redis (writes fail from here), move dump.rdb and the AOF to ${asideDir(stamp)}, put the backup in place as dump.rdb`,
    'start fintech-redis with appendonly off until the RDB is loaded, then CONFIG SET appendonly yes (a fresh AOF) and CONFIG REWRITE',
    `wait until ${primary.address} answers as master, then until every replica has resynced from it (same replication id, link up, caught up)`,
    'give each replica its replica-priority back and wait until every Sentinel reports it (so a failover right after can promote them), then until every Sentinel names the primary, with no failover in progress',
  ]
  return {bucket, key, primary: primary.address, instanceId, replicas, stamp, steps}
}

export interface RestoreResult {
  plan: RestorePlan
  commandId: string
  output: string
  keysBefore?: number
  keysAfter: number
  /** From stopping Redis to it answering with the backup loaded, as the SSM command took it (an upper bound). */
  commandMs: number
  totalMs: number
}

export type RestoreEvent =
  | {kind: 'held'; replicas: string[]}
  | {kind: 'restoring'; instanceId: string}
  | {kind: 'primary-back'; keys: number}
  | {kind: 'replicas-resynced'; replicas: string[]}
  | {kind: 'priorities-back'; replicas: string[]}

export interface RestoreOptions {
  /** How long to wait for the Sentinels, the primary and each replica at each step. */
  timeoutMs: number
}

/**
 * Restores the primary from an RDB in the backup bucket. While the primary is down nothing may
 * be promoted (a replica holds the data being replaced, and the restored node would then resync
 * from it and lose the restore), so every replica gets replica-priority 0 first. After the
 * restore the replicas full-resync from the primary on their own (its replication history is
 * new); the command waits for that before it gives the replicas their priority back, and then
 * until every Sentinel reports it, so the tier it hands back can fail over at once. A replica
 * whose priority cannot be given back is an error naming it, on every path.
 */
export async function runRestore(
  connector: RedisConnector,
  sentinels: RedisEndpoint[],
  masterName: string,
  shell: NodeShell,
  plan: RestorePlan,
  options: RestoreOptions,
  progress: (event: RestoreEvent) => void = () => undefined,
  clock: Clock = systemClock,
): Promise<RestoreResult> {
  const started = clock.now().getTime()
  const primary = endpointOf(plan.primary)
  const keysBefore = await withConnection(connector, primary, async (node) => Number(await node.call('DBSIZE'))).catch(() => undefined)
  const held: HeldReplica[] = []
  try {
    for (const replica of plan.replicas) {
      const priority = await withConnection(connector, endpointOf(replica), async (node) => {
        const before = pairs(await node.call('CONFIG', 'GET', 'replica-priority'))['replica-priority'] ?? '100'
        await node.call('CONFIG', 'SET', 'replica-priority', '0')
        return before
      })
      held.push({replica, priority})
    }
    await waitUntil(clock, options.timeoutMs, 'every Sentinel to see replica-priority 0 on every replica', async () => {
      for (const sentinel of sentinels) {
        const known = await withConnection(connector, sentinel, async (connection) => ((await connection.call('SENTINEL', 'REPLICAS', masterName)) as unknown[]).map(pairs))
        const promotable = known.filter((entry) => entry['slave-priority'] !== '0' && !/s_down|disconnected/.test(entry.flags ?? ''))
        if (promotable.length > 0) return undefined
      }
      return true
    })
    progress({kind: 'held', replicas: plan.replicas})

    progress({kind: 'restoring', instanceId: plan.instanceId})
    const commandStart = clock.now().getTime()
    const run = await shell.run(plan.instanceId, restoreScript(plan.bucket, plan.key, plan.stamp), `fintech redis restore ${plan.key}`)
    const commandMs = clock.now().getTime() - commandStart
    if (run.status !== 'Success') {
      throw new FintechError(
        `the restore on ${plan.instanceId} ended ${run.status} (command ${run.commandId}): ${run.output || 'no output'}`,
        ExitCode.failed,
        `if Redis was stopped, the files it replaced are in ${asideDir(plan.stamp)} on ${plan.instanceId}; the replicas' priorities are given back, so Sentinel may now promote one (with the data from before the restore)`,
      )
    }

    const keysAfter = await waitUntil(clock, options.timeoutMs, `${plan.primary} to answer as master with the backup loaded`, async () =>
      withConnection(connector, primary, async (node) => {
        const info = parseInfo(String(await node.call('INFO', 'all')))
        return info.role === 'master' && info.loading === '0' ? Number(await node.call('DBSIZE')) : undefined
      }),
    )
    progress({kind: 'primary-back', keys: keysAfter})

    await waitUntil(clock, options.timeoutMs, `every replica to resync from ${plan.primary}`, async () => {
      const mine = await withConnection(connector, primary, async (node) => parseInfo(String(await node.call('INFO', 'replication'))))
      for (const replica of plan.replicas) {
        const info = await withConnection(connector, endpointOf(replica), async (node) => parseInfo(String(await node.call('INFO', 'replication'))))
        const synced = info.role === 'slave' && `${info.master_host}:${info.master_port}` === plan.primary && info.master_link_status === 'up' &&
          info.master_sync_in_progress === '0' && info.master_replid === mine.master_replid && Number(info.slave_repl_offset) >= Number(mine.master_repl_offset)
        if (!synced) return undefined
      }
      return true
    })
    progress({kind: 'replicas-resynced', replicas: plan.replicas})
    const released = held.splice(0)
    const refused = await giveBackPriorities(connector, released)
    if (refused.length > 0) throw new FintechError(`${plan.primary} is restored and the replicas resynced, but ${refused.join('; ')}`, ExitCode.partial)
    await waitUntilSentinelsSeePriorities(connector, sentinels, masterName, released, clock, options.timeoutMs)
    progress({kind: 'priorities-back', replicas: plan.replicas})

    await waitUntil(clock, options.timeoutMs, `every Sentinel to name ${plan.primary} with no failover in progress`, async () => {
      const status = await readRedisStatus(connector, sentinels, masterName)
      return status.sentinels.every((sentinel) => sentinel.reachable && sentinel.master === plan.primary && sentinel.flags === 'master') ? true : undefined
    })
    return {plan, commandId: run.commandId, output: run.output, ...(keysBefore === undefined ? {} : {keysBefore}), keysAfter, commandMs, totalMs: clock.now().getTime() - started}
  } catch (error) {
    const refused = await giveBackPriorities(connector, held)
    if (refused.length === 0) throw error
    const failure = error instanceof FintechError ? error : undefined
    throw new FintechError(`${(error as Error).message}; and ${refused.join('; ')}`, failure?.exitCode ?? ExitCode.failed, failure?.hint)
  }
}

/** Every probe error is kept for the message and tried again: a node restarting refuses connections for a while. */
function waitUntil<T>(clock: Clock, timeoutMs: number, what: string, probe: () => Promise<T | undefined>): Promise<T> {
  return pollUntil({
    clock,
    timeoutMs,
    intervalMs: 250,
    retryOn: () => true,
    timedOut: (lastError) => new FintechError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`),
  }, probe)
}
