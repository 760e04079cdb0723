import Table from 'cli-table3'
import type {RedisStatus} from '../core/redis/status.js'

const mib = (bytes?: number) => (bytes === undefined || Number.isNaN(bytes) ? '-' : `${(bytes / 1024 / 1024).toFixed(1)} MiB`)
const table = (head: string[]) => new Table({head, style: {head: [], border: [], compact: true}})

/** The plain-text form of `fintech redis status`. */
export function renderRedisStatus(status: RedisStatus): string {
  const lines = [`Redis ${status.masterName}: ${status.healthy ? 'healthy' : 'UNHEALTHY'}`]
  const nodes = table(['Role', 'Address', 'Link', 'Lag bytes', 'Lag s', 'Memory', 'Evicted', 'Last save'])
  const primary = status.primary
  if (primary) {
    nodes.push([
      'primary',
      primary.address,
      primary.reachable ? primary.role ?? '' : 'no answer',
      '',
      '',
      mib(primary.usedMemoryBytes) + (primary.maxMemoryBytes ? ` / ${mib(primary.maxMemoryBytes)}` : ''),
      primary.evictedKeys ?? '-',
      primary.lastSave ? `${primary.lastSave.status} ${primary.lastSave.at}` : '-',
    ])
  }
  for (const replica of status.replicas) {
    nodes.push([
      'replica',
      replica.address,
      replica.reachable ? replica.link : `no answer${replica.sentinelFlags ? ` (${replica.sentinelFlags})` : ''}`,
      replica.lagBytes ?? '-',
      replica.lagSeconds ?? '-',
      mib(replica.usedMemoryBytes),
      replica.evictedKeys ?? '-',
      replica.lastSave ? `${replica.lastSave.status} ${replica.lastSave.at}` : '-',
    ])
  }
  lines.push(nodes.toString())
  const sentinels = table(['Sentinel', 'Names master', 'Flags', 'Quorum', 'Knows'])
  for (const sentinel of status.sentinels) {
    sentinels.push(
      sentinel.reachable
        ? [sentinel.address, sentinel.master ?? '', sentinel.flags ?? '', sentinel.quorum?.detail ?? '', `${sentinel.replicas} replicas, ${sentinel.otherSentinels} other Sentinels`]
        : [sentinel.address, 'no answer', '', '', ''],
    )
  }
  lines.push(sentinels.toString())
  lines.push(status.sentinelsAgree ? 'The Sentinels agree on the master.' : 'The Sentinels DO NOT agree on the master.')
  for (const problem of status.problems) lines.push(`  ! ${problem}`)
  return lines.join('\n')
}
