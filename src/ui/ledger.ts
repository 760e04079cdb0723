import {taskDefinitionName, type LedgerStatus} from '../core/ledger/status.js'
import {sparkline} from './charts.js'
import {columnLines} from './columns.js'

/** How a line reads at a glance: the ink view colours it, plain text leaves it as is. */
export type Tone = 'good' | 'bad' | 'muted'

export interface LedgerLine {
  text: string
  tone?: Tone
}

export interface LedgerSection {
  title: LedgerLine
  lines: LedgerLine[]
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits
const formatRate = (share: number | null) => (share === null ? '-' : `${round(share * 100, 2)}%`)
const formatMs = (ms: number | null) => (ms === null ? '-' : `${Math.round(ms)} ms`)
const formatRps = (rps: number | null) => (rps === null ? '-' : rps.toFixed(1))
/** `10:14` from an ISO timestamp: the status reads in UTC, like the plain lines of every command. */
const clock = (iso: string) => iso.slice(11, 16)

/** A minute without data draws as a gap, the same as a minute of zero. */
const spark = (series: Array<number | null>) => sparkline(series.map((value) => value ?? 0), series.length)

function serviceSection(status: LedgerStatus): LedgerSection {
  const {service} = status
  const short = service.running < service.desired || service.desired === 0
  const rollout = service.rollout === 'failed' ? 'rollout FAILED' : service.rollout === 'in-progress' ? 'rollout in progress' : 'steady'
  const deploymentRows = service.deployments.map((deployment) => [
    deployment.status,
    taskDefinitionName(deployment.taskDefinition),
    `${deployment.running}/${deployment.desired} running`,
    deployment.pending > 0 ? `${deployment.pending} pending` : '',
    deployment.failedTasks > 0 ? `${deployment.failedTasks} failed tasks` : '',
    [deployment.rolloutState, deployment.rolloutStateReason].filter(Boolean).join(': '),
  ])
  return {
    title: {
      text: `Service ${service.name} (cluster ${service.cluster}): ${service.status}, ${service.running}/${service.desired} running, ${service.pending} pending, ${rollout}`,
      tone: short || service.rollout === 'failed' || service.status !== 'ACTIVE' ? 'bad' : 'good',
    },
    lines: columnLines(deploymentRows).map((text, index) => ({
      text,
      ...(service.deployments[index]!.rolloutState === 'FAILED' ? {tone: 'bad' as const} : {}),
    })),
  }
}

function targetsSection(status: LedgerStatus): LedgerSection {
  const {targets} = status
  const rows = targets.members.map((target) => [
    target.port === undefined ? target.id : `${target.id}:${target.port}`,
    target.availabilityZone ?? '',
    target.state,
    [target.reason, target.description].filter(Boolean).join(': '),
  ])
  return {
    title: {text: `Targets: ${targets.healthy} of ${targets.total} healthy`, tone: targets.unhealthy > 0 || targets.healthy === 0 ? 'bad' : 'good'},
    lines: columnLines(rows).map((text, index) => {
      const state = targets.members[index]!.state
      return {text, ...(state === 'unhealthy' ? {tone: 'bad' as const} : state === 'healthy' ? {} : {tone: 'muted' as const})}
    }),
  }
}

function trafficSection(status: LedgerStatus): LedgerSection {
  const {traffic, thresholds} = status
  const over = (value: number | null, limit: number): Tone | undefined => (value !== null && value > limit ? 'bad' : undefined)
  const rows: Array<{cells: string[]; tone?: Tone}> = [
    {cells: ['requests/s', formatRps(traffic.requestsPerSecond.current), spark(traffic.requestsPerSecond.series)]},
    {cells: ['5xx rate', formatRate(traffic.errorRate.current), spark(traffic.errorRate.series)], tone: over(traffic.errorRate.current, thresholds.maxErrorRate)},
    {cells: ['p50', formatMs(traffic.p50Ms.current), spark(traffic.p50Ms.series)]},
    {cells: ['p99', formatMs(traffic.p99Ms.current), spark(traffic.p99Ms.series)], tone: over(traffic.p99Ms.current, thresholds.maxP99Ms)},
  ]
  // Figures right-aligned under each other, then the sparklines in one column.
  const labelWidth = Math.max(...rows.map((row) => row.cells[0]!.length))
  const valueWidth = Math.max(...rows.map((row) => row.cells[1]!.length))
  const latest = traffic.latestMinute ? `latest ${clock(traffic.latestMinute)}` : 'no load balancer data'
  return {
    title: {text: `Traffic per minute, ${clock(traffic.window.start)}-${clock(traffic.window.end)} UTC (${latest})`},
    lines: rows.map((row) => ({
      text: `${row.cells[0]!.padEnd(labelWidth)}  ${row.cells[1]!.padStart(valueWidth)}  ${row.cells[2]}`.trimEnd(),
      ...(row.tone ? {tone: row.tone} : {}),
    })),
  }
}

function auroraSection(status: LedgerStatus): LedgerSection {
  const {aurora, thresholds} = status
  const members = [...(aurora.writer ? [{...aurora.writer, lagMs: null, lagSeries: []}] : []), ...aurora.readers]
  const rows = members.map((member) => [
    member.writer ? 'writer' : 'reader',
    member.id,
    member.availabilityZone ?? '',
    member.status ?? '',
    member.writer ? '' : `lag ${formatMs(member.lagMs)}`,
    member.writer ? '' : spark(member.lagSeries),
  ])
  const lines = columnLines(rows).map((text, index) => {
    const member = members[index]!
    const bad = (member.status !== undefined && member.status !== 'available') || (member.lagMs !== null && member.lagMs > thresholds.maxReplicaLagMs)
    return {text, ...(bad ? {tone: 'bad' as const} : {})}
  })
  if (!aurora.writer) lines.unshift({text: 'no writer', tone: 'bad'})
  const readers = aurora.readers.length === 0 ? 'no readers' : `max lag ${formatMs(aurora.maxLagMs)}`
  return {
    title: {text: `Aurora ${aurora.clusterId}: ${aurora.status}, ${readers}`, tone: aurora.status === 'available' && aurora.writer ? 'good' : 'bad'},
    lines,
  }
}

function alarmsSection(status: LedgerStatus): LedgerSection {
  return {
    title: {text: `Alarms in ALARM: ${status.alarms.length === 0 ? 'none' : status.alarms.length}`, tone: status.alarms.length === 0 ? 'good' : 'bad'},
    lines: status.alarms.map((alarm) => ({text: `${alarm.name}${alarm.since ? ` since ${clock(alarm.since)} UTC` : ''}: ${alarm.reason}`, tone: 'bad'})),
  }
}

/** The dashboard's sections, top to bottom, shared by the plain text and the ink view. */
export function ledgerSections(status: LedgerStatus): LedgerSection[] {
  return [serviceSection(status), targetsSection(status), trafficSection(status), auroraSection(status), alarmsSection(status)]
}

export const ledgerHeadline = (status: LedgerStatus) => `Ledger ${status.env}: ${status.healthy ? 'healthy' : 'UNHEALTHY'} at ${status.at.slice(0, 19)}Z`

/** The plain-text form of `fintech ledger status`, for pipes, CI and each refresh of --watch there. */
export function renderLedgerStatus(status: LedgerStatus): string {
  const lines = [ledgerHeadline(status)]
  for (const section of ledgerSections(status)) {
    lines.push(section.title.text, ...section.lines.map((line) => `  ${line.text}`))
  }
  if (status.problems.length > 0) lines.push('Problems:', ...status.problems.map((problem) => `  ! ${problem}`))
  return lines.join('\n')
}
