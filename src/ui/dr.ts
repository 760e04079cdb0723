import type {CheckResult, CheckState} from '../core/dr/checks.js'
import type {DrStatus} from '../core/dr/status.js'
import {stdoutPalette} from './colour.js'

const MARK: Record<CheckState, string> = {ok: 'ok ', 'out-of-bounds': 'OUT', unreadable: '?? '}

const TONE: Record<CheckState, (text: string) => string> = {ok: stdoutPalette.good, 'out-of-bounds': stdoutPalette.bad, unreadable: stdoutPalette.warn}

const line = (check: CheckResult, title: string, facts: string) => [
  `${TONE[check.state](MARK[check.state])} ${title}: ${facts}`,
  ...check.problems.map((problem) => `      ${problem.state === 'out-of-bounds' ? 'out of bounds' : 'unreadable'}: ${problem.message}`),
]

const ms = (value: number | undefined) => (value === undefined ? '-' : `${value} ms`)

/** The plain-text report of `fintech dr status`: one line per check, each problem under it, then the verdict. */
export function renderDrStatus(status: DrStatus): string {
  const {aurora, dynamodb, backup, serving} = status
  const verdict: Record<CheckState, string> = {
    ok: 'in bounds',
    'out-of-bounds': 'OUT OF BOUNDS (exit 1)',
    unreadable: 'partly unreadable (exit 3)',
  }
  return [
    `DR of ${status.env}: ${status.primaryRegion} -> ${status.recoveryRegion}, RPO ${status.rpoSeconds} s, RTO ${status.rtoMinutes} min, checked ${status.checkedAt}`,
    ...line(
      aurora,
      `Aurora global ${aurora.globalClusterId}`,
      `${aurora.status ?? '-'}, writer ${aurora.writerClusterId ?? '-'} (${aurora.writerRegion ?? '-'}), secondary ${aurora.secondaryClusterId ?? '-'} (${aurora.secondaryRegion ?? '-'}), replication lag ${ms(aurora.replicationLagMs)}, RPO lag ${ms(aurora.rpoLagMs)}`,
    ),
    ...line(dynamodb, `DynamoDB ${dynamodb.table || '-'}`, dynamodb.replicas.map((replica) => `${replica.region} ${replica.status}`).join(', ') || 'no replicas'),
    ...status.buckets.flatMap((bucket) =>
      line(
        bucket,
        `S3 ${bucket.bucket || bucket.source}`,
        `-> ${bucket.destinationBucket || '-'}${bucket.ruleId ? ` (rule ${bucket.ruleId})` : ''}, pending ${bucket.pendingOperations ?? 0} operations, latency ${bucket.latencySeconds === undefined ? '-' : `${bucket.latencySeconds} s`}`,
      ),
    ),
    ...line(backup, `Backup ${backup.vault} -> ${backup.destinationVault}`, backup.lastCopyCompletedAt ? `last copy ${backup.lastCopyCompletedAt} (${backup.ageHours} h ago)` : 'no copy'),
    ...status.health.flatMap((check) =>
      line(
        check,
        `Health ${check.role} (${check.region})`,
        check.checkers === undefined ? '-' : `${check.endpointHealthy ? 'healthy' : 'unhealthy'}, ${check.healthyCheckers}/${check.checkers} checkers${check.inverted ? ', inverted (drained on purpose)' : ''}`,
      ),
    ),
    ...line(serving, 'Serving', `traffic ${serving.dnsRegion ?? '-'}, Aurora writer ${serving.writerRegion ?? '-'}`),
    `DR ${TONE[status.state](verdict[status.state])}`,
  ].join('\n')
}
