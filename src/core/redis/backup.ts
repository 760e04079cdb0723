import {pollUntil, systemClock, type Clock} from '../clock.js'
import {FintechError} from '../errors.js'
import {parseInfo, type RedisConnector} from './api.js'
import type {RedisStatus} from './status.js'
import {withConnection} from './status.js'

/** Where the data stage's nodes keep their RDB (templates/data/data.yaml: dir, dbfilename). */
export const NODE_RDB_PATH = '/var/lib/fintech-redis/dump.rdb'

const shellQuote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`

/** The replica to back up: one in sync that answers (a backup never loads the primary). */
export function pickBackupReplica(status: RedisStatus): string {
  const replica = status.replicas.find((candidate) => candidate.reachable && candidate.role === 'slave' && candidate.link === 'up')
  if (!replica) throw new FintechError('no replica with its link up to back up from: a backup never loads the primary (see fintech redis status)')
  return replica.address
}

/** BGSAVE on the node and wait until that save (not an older one) has finished well. */
export async function bgsave(connector: RedisConnector, address: string, timeoutMs: number, clock: Clock = systemClock): Promise<{savedAt: string}> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))]
  return withConnection(connector, {host, port}, async (node) => {
    const before = Number(await node.call('LASTSAVE'))
    await node.call('BGSAVE').catch((error: unknown) => {
      // Already saving (the hourly timer): wait for that save instead.
      if (!/already in progress/i.test((error as Error).message)) throw error
    })
    return pollUntil({clock, timeoutMs, intervalMs: 200, timedOut: () => new FintechError(`BGSAVE on ${address} did not finish within ${timeoutMs / 1000} s; nothing was uploaded`)}, async () => {
      const info = parseInfo(String(await node.call('INFO', 'persistence')))
      const thisSaveDone = info.rdb_bgsave_in_progress === '0' && Number(info.rdb_last_save_time) > before
      if (!thisSaveDone) return undefined
      if (info.rdb_last_bgsave_status !== 'ok') throw new FintechError(`BGSAVE on ${address} failed (rdb_last_bgsave_status ${info.rdb_last_bgsave_status}); nothing was uploaded`)
      return {savedAt: new Date(Number(info.rdb_last_save_time) * 1000).toISOString()}
    })
  })
}

/** The object key of a manual backup, beside the hourly timer's `<env>/YYYY/MM/DD/HHMM-<node>.rdb`. */
export function backupKey(env: string, instanceId: string, at: Date): string {
  const iso = at.toISOString()
  return `${env}/${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(11, 13)}${iso.slice(14, 16)}-${instanceId}-manual.rdb`
}

/** Runs on the replica: copies the RDB it just saved to the bucket with the instance role. */
export function uploadScript(bucket: string, key: string): string[] {
  return ['set -euo pipefail', `test -s ${NODE_RDB_PATH}`, `aws s3 cp ${NODE_RDB_PATH} ${shellQuote(`s3://${bucket}/${key}`)} --only-show-errors`, `echo uploaded ${shellQuote(key)}`]
}
