import {FintechError} from '../errors.js'
import type {AuroraMember, FiringAlarm, LedgerApi, MetricQuery, MetricSeries, ServiceDeployment, ServiceDescription, TargetHealth, TimeWindow} from './api.js'
import type {LedgerResources} from './stacks.js'

/** The figures are per minute over the last quarter of an hour. */
export const PERIOD_SECONDS = 60
export const WINDOW_MINUTES = 15

export interface LedgerThresholds {
  /** Share of requests answered with a 5xx (0.01 is 1%): the stack's 5xx-rate alarm fires above 1%. */
  maxErrorRate: number
  /** p99 target response time in ms: the compute template's LatencyP99ThresholdSeconds default is 0.5 s. */
  maxP99Ms: number
  /** How far a reader may be behind the writer, in ms: the stack's replica-lag alarm fires above 1,000. */
  maxReplicaLagMs: number
}

export const DEFAULT_THRESHOLDS: LedgerThresholds = {maxErrorRate: 0.01, maxP99Ms: 500, maxReplicaLagMs: 1000}

export type Rollout = 'steady' | 'in-progress' | 'failed'

/** A per-minute series (one value per minute of the window, null where there is no data) and its latest value. */
export interface Figure {
  current: number | null
  series: Array<number | null>
}

export interface DeploymentStatus extends Omit<ServiceDeployment, 'createdAt' | 'updatedAt'> {
  createdAt?: string
  updatedAt?: string
}

export interface ReaderStatus extends AuroraMember {
  lagMs: number | null
  lagSeries: Array<number | null>
}

export interface LedgerStatus {
  env: string
  /** When it was read (ISO 8601). */
  at: string
  healthy: boolean
  /** Why the ledger is unhealthy, in plain words; empty when healthy. */
  problems: string[]
  stacks: {compute: string; data: string}
  service: Omit<ServiceDescription, 'deployments'> & {cluster: string; rollout: Rollout; deployments: DeploymentStatus[]}
  targets: {targetGroupArn: string; healthy: number; unhealthy: number; total: number; members: TargetHealth[]}
  traffic: {
    window: {start: string; end: string; periodSeconds: number}
    /** The start of each minute the series hold a value for. */
    minutes: string[]
    /** The newest minute CloudWatch has load balancer data for: the `current` values are that minute's. */
    latestMinute?: string
    requestsPerSecond: Figure
    /** 5xx answers (the targets' and the load balancer's own) as a share of requests, 0 to 1. */
    errorRate: Figure
    p50Ms: Figure
    p99Ms: Figure
  }
  aurora: {clusterId: string; status: string; writer?: AuroraMember; readers: ReaderStatus[]; maxLagMs: number | null}
  alarms: Array<{name: string; reason: string; since?: string}>
  thresholds: LedgerThresholds
}

/** The last WINDOW_MINUTES whole minutes: the minute still running would read low. */
export function metricWindow(now: Date): TimeWindow {
  const end = new Date(Math.floor(now.getTime() / (PERIOD_SECONDS * 1000)) * PERIOD_SECONDS * 1000)
  return {start: new Date(end.getTime() - WINDOW_MINUTES * PERIOD_SECONDS * 1000), end}
}

const lagQueryId = (index: number) => `lag${index}`

/**
 * The CloudWatch series of the status: the target group's requests, 5xx answers and response
 * time percentiles, the load balancer's own 5xx answers (a 503 when no target is registered
 * never reaches the target group), and each reader's replica lag.
 */
export function metricQueries(resources: LedgerResources, readerIds: string[]): MetricQuery[] {
  const targetGroup = {LoadBalancer: resources.loadBalancerFullName, TargetGroup: resources.targetGroupFullName}
  const alb = (id: string, metricName: string, stat: string, dimensions: Record<string, string> = targetGroup): MetricQuery => ({
    id,
    namespace: 'AWS/ApplicationELB',
    metricName,
    dimensions,
    stat,
    periodSeconds: PERIOD_SECONDS,
  })
  return [
    alb('requests', 'RequestCount', 'Sum'),
    alb('target5xx', 'HTTPCode_Target_5XX_Count', 'Sum'),
    alb('elb5xx', 'HTTPCode_ELB_5XX_Count', 'Sum', {LoadBalancer: resources.loadBalancerFullName}),
    alb('p50', 'TargetResponseTime', 'p50'),
    alb('p99', 'TargetResponseTime', 'p99'),
    ...readerIds.map((id, index): MetricQuery => ({
      id: lagQueryId(index),
      namespace: 'AWS/RDS',
      metricName: 'AuroraReplicaLag',
      dimensions: {DBInstanceIdentifier: id},
      stat: 'Maximum',
      periodSeconds: PERIOD_SECONDS,
    })),
  ]
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits

function aligned(series: MetricSeries | undefined, minutes: Date[]): Array<number | null> {
  const byMinute = new Map((series?.points ?? []).map((point) => [point.at.getTime(), point.value]))
  return minutes.map((minute) => byMinute.get(minute.getTime()) ?? null)
}

function latestIndex(...series: Array<Array<number | null>>): number | undefined {
  for (let index = (series[0]?.length ?? 0) - 1; index >= 0; index--) {
    if (series.some((values) => values[index] !== null)) return index
  }
  return undefined
}

const figure = (series: Array<number | null>, index: number | undefined): Figure => ({current: index === undefined ? null : series[index]!, series})

const lastValue = (series: Array<number | null>): number | null => series.findLast((value) => value !== null) ?? null

const minutesOf = (window: TimeWindow) => Array.from({length: WINDOW_MINUTES}, (_, index) => new Date(window.start.getTime() + index * PERIOD_SECONDS * 1000))

function trafficOf(series: MetricSeries[], window: TimeWindow, minutes: Date[]): LedgerStatus['traffic'] {
  const byId = (id: string) => aligned(series.find((candidate) => candidate.id === id), minutes)
  const requests = byId('requests')
  const target5xx = byId('target5xx')
  const elb5xx = byId('elb5xx')
  const p50 = byId('p50')
  const p99 = byId('p99')
  const latest = latestIndex(requests, target5xx, elb5xx, p50, p99)
  // The load balancer publishes no count for a minute without any: absent is zero.
  const requestsPerSecond = requests.map((count) => round((count ?? 0) / PERIOD_SECONDS, 2))
  const errorRate = requests.map((count, index) => {
    const errors = (target5xx[index] ?? 0) + (elb5xx[index] ?? 0)
    // The load balancer's own 5xx may not be counted as requests of the target group: the rate stops at 100%.
    const answered = Math.max(count ?? 0, errors)
    return answered > 0 ? round(errors / answered, 4) : null
  })
  const milliseconds = (values: Array<number | null>) => values.map((seconds) => (seconds === null ? null : round(seconds * 1000, 1)))
  return {
    window: {start: window.start.toISOString(), end: window.end.toISOString(), periodSeconds: PERIOD_SECONDS},
    minutes: minutes.map((minute) => minute.toISOString()),
    ...(latest === undefined ? {} : {latestMinute: minutes[latest]!.toISOString()}),
    requestsPerSecond: {current: latest === undefined ? 0 : requestsPerSecond[latest]!, series: requestsPerSecond},
    errorRate: figure(errorRate, latest),
    p50Ms: figure(milliseconds(p50), latest),
    p99Ms: figure(milliseconds(p99), latest),
  }
}

function rolloutOf(deployments: ServiceDeployment[]): Rollout {
  if (deployments.some((deployment) => deployment.rolloutState === 'FAILED')) return 'failed'
  const primary = deployments.find((deployment) => deployment.status === 'PRIMARY')
  return deployments.length > 1 || primary?.rolloutState === 'IN_PROGRESS' ? 'in-progress' : 'steady'
}

/** `ledger:42` from a task definition ARN. */
export const taskDefinitionName = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1)

const percent = (share: number) => `${round(share * 100, 2)}%`

function serviceProblems(service: ServiceDescription): string[] {
  const problems: string[] = []
  if (service.status !== 'ACTIVE') problems.push(`the ECS service ${service.name} is ${service.status}`)
  if (service.desired === 0) problems.push(`the ECS service ${service.name} wants no tasks (desired count 0): nothing serves the ledger`)
  else if (service.running < service.desired) {
    problems.push(`${service.running} of ${service.desired} tasks are running${service.pending > 0 ? ` (${service.pending} pending)` : ''}`)
  }
  for (const deployment of service.deployments.filter((candidate) => candidate.rolloutState === 'FAILED')) {
    problems.push(`the rollout of ${taskDefinitionName(deployment.taskDefinition)} failed: ${deployment.rolloutStateReason ?? 'ECS gave no reason'}`)
  }
  return problems
}

function targetProblems(targets: TargetHealth[]): string[] {
  const problems = targets
    .filter((target) => target.state === 'unhealthy')
    .map((target) => {
      const where = [target.port === undefined ? target.id : `${target.id}:${target.port}`, target.availabilityZone].filter(Boolean).join(' in ')
      const why = [target.reason, target.description].filter(Boolean).join(': ')
      return `target ${where} is unhealthy${why ? ` (${why})` : ''}`
    })
  if (!targets.some((target) => target.state === 'healthy')) problems.unshift('no target is healthy: the load balancer has nowhere to send requests')
  return problems
}

function trafficProblems(traffic: LedgerStatus['traffic'], thresholds: LedgerThresholds): string[] {
  const problems: string[] = []
  const minute = traffic.latestMinute ? ` in the minute from ${traffic.latestMinute.slice(11, 16)} UTC` : ''
  const errorRate = traffic.errorRate.current
  if (errorRate !== null && errorRate > thresholds.maxErrorRate) problems.push(`5xx rate ${percent(errorRate)}${minute} is above ${percent(thresholds.maxErrorRate)}`)
  const p99 = traffic.p99Ms.current
  if (p99 !== null && p99 > thresholds.maxP99Ms) problems.push(`p99 latency ${p99} ms${minute} is above ${thresholds.maxP99Ms} ms`)
  return problems
}

function auroraProblems(aurora: LedgerStatus['aurora'], thresholds: LedgerThresholds): string[] {
  const problems: string[] = []
  // A cluster that is not available (stopped, failing over) says it all; its instances would repeat it.
  if (aurora.status !== 'available') problems.push(`the Aurora cluster ${aurora.clusterId} is ${aurora.status}`)
  else {
    for (const member of [...(aurora.writer ? [aurora.writer] : []), ...aurora.readers]) {
      if (member.status && member.status !== 'available') problems.push(`Aurora ${member.writer ? 'writer' : 'reader'} ${member.id} is ${member.status}`)
    }
  }
  if (!aurora.writer) problems.push(`the Aurora cluster ${aurora.clusterId} has no writer`)
  for (const reader of aurora.readers) {
    if (reader.lagMs !== null && reader.lagMs > thresholds.maxReplicaLagMs) {
      problems.push(`Aurora reader ${reader.id} is ${reader.lagMs} ms behind the writer (more than ${thresholds.maxReplicaLagMs} ms)`)
    }
  }
  return problems
}

const alarmProblem = (alarm: FiringAlarm) => `alarm ${alarm.name} is in ALARM${alarm.reason ? `: ${alarm.reason}` : ''}`

/**
 * Reads the ledger's service, targets, traffic, database and alarms, and judges them: any
 * problem makes the ledger unhealthy. The ECS, ELB, RDS and alarm reads run at once; the
 * metrics follow the cluster, whose readers they include.
 */
export async function readLedgerStatus(
  api: LedgerApi,
  resources: LedgerResources,
  options: {now: Date; thresholds?: LedgerThresholds},
): Promise<LedgerStatus> {
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS
  const window = metricWindow(options.now)
  const topologyAndMetrics = api.describeCluster(resources.auroraClusterId).then(async (topology) => {
    if (!topology) throw new FintechError(`the Aurora cluster ${resources.auroraClusterId} (output AuroraClusterId of ${resources.stacks.data}) does not exist`)
    const readers = topology.members.filter((member) => !member.writer)
    const series = await api.metrics(metricQueries(resources, readers.map((reader) => reader.id)), window)
    return {topology, readers, series}
  })
  const [service, targets, alarms, {topology, readers, series}] = await Promise.all([
    api.describeService(resources.cluster, resources.service),
    api.targetHealth(resources.targetGroupArn),
    api.alarmsInAlarm(resources.alarmNames),
    topologyAndMetrics,
  ])
  if (!service) throw new FintechError(`ECS has no service ${resources.service} in cluster ${resources.cluster} (outputs of ${resources.stacks.compute})`)

  const minutes = minutesOf(window)
  const traffic = trafficOf(series, window, minutes)
  const readerStatuses = readers.map((reader, index): ReaderStatus => {
    const lagSeries = aligned(series.find((candidate) => candidate.id === lagQueryId(index)), minutes)
    return {...reader, lagMs: lastValue(lagSeries), lagSeries}
  })
  const lags = readerStatuses.flatMap((reader) => (reader.lagMs === null ? [] : [reader.lagMs]))
  const writer = topology.members.find((member) => member.writer)
  const aurora: LedgerStatus['aurora'] = {
    clusterId: topology.id,
    status: topology.status,
    ...(writer ? {writer} : {}),
    readers: readerStatuses,
    maxLagMs: lags.length > 0 ? Math.max(...lags) : null,
  }
  const deployments = service.deployments.map(({createdAt, updatedAt, ...deployment}): DeploymentStatus => ({
    ...deployment,
    ...(createdAt ? {createdAt: createdAt.toISOString()} : {}),
    ...(updatedAt ? {updatedAt: updatedAt.toISOString()} : {}),
  }))
  const healthyTargets = targets.filter((target) => target.state === 'healthy').length
  const unhealthyTargets = targets.filter((target) => target.state === 'unhealthy').length
  const problems = [
    ...serviceProblems(service),
    ...targetProblems(targets),
    ...trafficProblems(traffic, thresholds),
    ...auroraProblems(aurora, thresholds),
    ...alarms.map(alarmProblem),
  ]
  return {
    env: resources.env,
    at: options.now.toISOString(),
    healthy: problems.length === 0,
    problems,
    stacks: resources.stacks,
    service: {
      cluster: resources.cluster,
      name: service.name,
      status: service.status,
      desired: service.desired,
      running: service.running,
      pending: service.pending,
      taskDefinition: service.taskDefinition,
      rollout: rolloutOf(service.deployments),
      deployments,
    },
    targets: {targetGroupArn: resources.targetGroupArn, healthy: healthyTargets, unhealthy: unhealthyTargets, total: targets.length, members: targets},
    traffic,
    aurora,
    alarms: alarms.map((alarm) => ({name: alarm.name, reason: alarm.reason, ...(alarm.since ? {since: alarm.since.toISOString()} : {})})),
    thresholds,
  }
}
