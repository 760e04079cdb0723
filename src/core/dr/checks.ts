import type {CopyJob, GlobalCluster, HealthCheckReport, ReplicationRule, TableReplica} from './api.js'
import {parseClusterArn, recoveryBucketName} from './names.js'

/**
 * Each check of `fintech dr status` as a pure function of what was read. A problem is either
 * out of bounds (exit 1: DR would not meet its targets now) or unreadable (exit 3: the status
 * cannot tell).
 */
export type CheckState = 'ok' | 'out-of-bounds' | 'unreadable'

export interface Problem {
  state: Exclude<CheckState, 'ok'>
  message: string
}

export interface CheckResult {
  state: CheckState
  problems: Problem[]
}

export const DR_THRESHOLDS = {
  /** Lag metrics are read as their highest value over this window, so a spike a minute ago still counts. */
  lagWindowMinutes: 5,
  /** A recovery vault without a completed copy this recent holds too old a backup. */
  copyMaxAgeHours: 24,
  /** How far back copy jobs are looked for, so an old last copy is still named. */
  copyLookbackDays: 7,
  /** S3 Replication Time Control's target: 99.99 % of objects within 15 minutes. */
  s3MaxReplicationLatencySeconds: 900,
  /** Route 53 takes an endpoint for healthy when more than 18 % of its checkers do. */
  healthyCheckerShare: 0.18,
} as const

const outOfBounds = (message: string): Problem => ({state: 'out-of-bounds', message})
const unreadable = (message: string): Problem => ({state: 'unreadable', message})

export function stateOf(problems: Problem[]): CheckState {
  if (problems.some((problem) => problem.state === 'out-of-bounds')) return 'out-of-bounds'
  return problems.length > 0 ? 'unreadable' : 'ok'
}

const result = <T extends object>(facts: T, problems: Problem[]): T & CheckResult => ({...facts, state: stateOf(problems), problems})

/** A check whose source could not be read at all: an AWS error, a missing stack or output. */
export const unreadableCheck = <T extends object>(facts: T, message: string): T & CheckResult => result(facts, [unreadable(message)])

export interface GlobalRoles {
  writer?: {region: string; clusterId: string}
  secondary?: {region: string; clusterId: string}
}

/** The writer and the (first) secondary of the global cluster, from the members' ARNs. */
export function globalRoles(cluster: GlobalCluster): GlobalRoles {
  const role = (writer: boolean) => {
    const member = cluster.members.find((candidate) => candidate.writer === writer)
    return member ? parseClusterArn(member.clusterArn) : undefined
  }
  const writer = role(true)
  const secondary = role(false)
  return {...(writer ? {writer} : {}), ...(secondary ? {secondary} : {})}
}

export interface AuroraFacts {
  globalClusterId: string
  status?: string
  writerRegion?: string
  writerClusterId?: string
  secondaryRegion?: string
  secondaryClusterId?: string
  /** AuroraGlobalDBReplicationLag of the secondary, highest over the window, ms. */
  replicationLagMs?: number
  /** AuroraGlobalDBRPOLag of the secondary, highest over the window, ms: what a failover now would lose. */
  rpoLagMs?: number
  rpoSeconds: number
}
export type AuroraCheck = AuroraFacts & CheckResult

export function judgeAurora(input: {
  globalClusterId: string
  cluster: GlobalCluster | undefined
  lag?: {replicationLagMs: number | undefined; rpoLagMs: number | undefined}
  rpoSeconds: number
}): AuroraCheck {
  const {globalClusterId, cluster, rpoSeconds} = input
  if (!cluster) return result({globalClusterId, rpoSeconds}, [outOfBounds(`the Aurora global database ${globalClusterId} does not exist`)])
  const roles = globalRoles(cluster)
  const facts: AuroraFacts = {
    globalClusterId,
    status: cluster.status,
    ...(roles.writer ? {writerRegion: roles.writer.region, writerClusterId: roles.writer.clusterId} : {}),
    ...(roles.secondary ? {secondaryRegion: roles.secondary.region, secondaryClusterId: roles.secondary.clusterId} : {}),
    ...(input.lag?.replicationLagMs === undefined ? {} : {replicationLagMs: input.lag.replicationLagMs}),
    ...(input.lag?.rpoLagMs === undefined ? {} : {rpoLagMs: input.lag.rpoLagMs}),
    rpoSeconds,
  }
  const problems: Problem[] = []
  if (cluster.status !== 'available') problems.push(outOfBounds(`${globalClusterId} is ${cluster.status}, not available`))
  const writers = cluster.members.filter((member) => member.writer).length
  if (writers !== 1) problems.push(outOfBounds(`${globalClusterId} has ${writers} writer clusters, not 1`))
  if (!roles.secondary) {
    problems.push(outOfBounds(`${globalClusterId} has no secondary cluster: nothing to fail over to`))
    return result(facts, problems)
  }
  const limitMs = rpoSeconds * 1000
  const where = `${roles.secondary.clusterId} (${roles.secondary.region})`
  const window = `in the last ${DR_THRESHOLDS.lagWindowMinutes} minutes`
  if (facts.rpoLagMs === undefined) problems.push(unreadable(`no AuroraGlobalDBRPOLag datapoint for ${where} ${window}`))
  else if (facts.rpoLagMs > limitMs) problems.push(outOfBounds(`RPO lag of ${where} reached ${facts.rpoLagMs} ms ${window}, over the RPO of ${rpoSeconds} s`))
  if (facts.replicationLagMs === undefined) problems.push(unreadable(`no AuroraGlobalDBReplicationLag datapoint for ${where} ${window}`))
  else if (facts.replicationLagMs > limitMs) problems.push(outOfBounds(`replication lag of ${where} reached ${facts.replicationLagMs} ms ${window}, over the RPO of ${rpoSeconds} s`))
  return result(facts, problems)
}

export interface DynamoDbFacts {
  table: string
  recoveryRegion: string
  replicas: TableReplica[]
}
export type DynamoDbCheck = DynamoDbFacts & CheckResult

export function judgeDynamoDb(table: string, replicas: TableReplica[] | undefined, recoveryRegion: string): DynamoDbCheck {
  if (!replicas) return result({table, recoveryRegion, replicas: []}, [outOfBounds(`the sessions table ${table} does not exist`)])
  const replica = replicas.find((candidate) => candidate.region === recoveryRegion)
  const problems: Problem[] = []
  if (!replica) problems.push(outOfBounds(`${table} has no replica in ${recoveryRegion}`))
  else if (replica.status !== 'ACTIVE') problems.push(outOfBounds(`the ${recoveryRegion} replica of ${table} is ${replica.status}, not ACTIVE`))
  return result({table, recoveryRegion, replicas}, problems)
}

export interface BucketFacts {
  bucket: string
  /** The stack output that names the bucket, <stack>.<Output>. */
  source: string
  destinationBucket: string
  ruleId?: string
  /** OperationsPendingReplication, highest over the window. */
  pendingOperations?: number
  /** ReplicationLatency, highest over the window, seconds. */
  latencySeconds?: number
}
export type BucketCheck = BucketFacts & CheckResult

/**
 * The enabled rule that replicates `bucket` for recovery: the one to `<bucket>-recovery`, else
 * the bucket's only other enabled rule. The Redis-backup bucket's name is generated, and with
 * `-recovery` could pass S3's 63 characters, so its replica has a name of its own
 * (templates/recovery/baseline.yaml).
 */
export const recoveryRule = (bucket: string, rules: ReplicationRule[]): ReplicationRule | undefined => {
  const enabled = rules.filter((rule) => rule.enabled)
  return enabled.find((rule) => rule.destinationBucketArn === `arn:aws:s3:::${recoveryBucketName(bucket)}`) ?? (enabled.length === 1 ? enabled[0] : undefined)
}

export function judgeBucket(bucket: string, source: string, rules: ReplicationRule[], backlog?: {pendingOperations: number | undefined; latencySeconds: number | undefined}): BucketCheck {
  const rule = recoveryRule(bucket, rules)
  const destinationBucket = rule ? rule.destinationBucketArn.replace(/^arn:aws[\w-]*:s3:::/, '') : recoveryBucketName(bucket)
  if (!rule) return result({bucket, source, destinationBucket}, [outOfBounds(`${bucket} has no enabled replication rule to ${destinationBucket}`)])
  const facts: BucketFacts = {
    bucket,
    source,
    destinationBucket,
    ruleId: rule.id,
    ...(backlog?.pendingOperations === undefined ? {} : {pendingOperations: backlog.pendingOperations}),
    ...(backlog?.latencySeconds === undefined ? {} : {latencySeconds: backlog.latencySeconds}),
  }
  if (!rule.metricsEnabled) return result(facts, [unreadable(`replication rule ${rule.id} of ${bucket} has replication metrics off, so its backlog cannot be read`)])
  // CloudWatch leaves out a period without replication traffic: no datapoint is no backlog.
  const limit = DR_THRESHOLDS.s3MaxReplicationLatencySeconds
  const problems = facts.latencySeconds !== undefined && facts.latencySeconds > limit ? [outOfBounds(`${bucket} replicates ${facts.latencySeconds} s behind, over ${limit} s`)] : []
  return result(facts, problems)
}

export interface BackupFacts {
  vault: string
  destinationVault: string
  lastCopyCompletedAt?: string
  lastCopyJobId?: string
  ageHours?: number
}
export type BackupCheck = BackupFacts & CheckResult

export function judgeBackup(vault: string, destinationVault: string, job: CopyJob | undefined, now: Date): BackupCheck {
  const {copyMaxAgeHours, copyLookbackDays} = DR_THRESHOLDS
  if (!job) return result({vault, destinationVault}, [outOfBounds(`no copy into ${destinationVault} completed in the last ${copyLookbackDays} days`)])
  const ageHours = Math.round(((now.getTime() - job.completedAt.getTime()) / 3_600_000) * 10) / 10
  const facts = {vault, destinationVault, lastCopyCompletedAt: job.completedAt.toISOString(), lastCopyJobId: job.id, ageHours}
  return result(facts, ageHours > copyMaxAgeHours ? [outOfBounds(`the last copy into ${destinationVault} completed ${ageHours} h ago, over ${copyMaxAgeHours} h`)] : [])
}

export interface HealthFacts {
  role: 'primary' | 'recovery'
  region: string
  healthCheckId?: string
  /** What the checkers see of the endpoint. */
  endpointHealthy?: boolean
  inverted?: boolean
  /** What Route 53 routes by: the endpoint's health, flipped when the check is inverted. */
  routedHealthy?: boolean
  healthyCheckers?: number
  checkers?: number
}
export type HealthCheck = HealthFacts & CheckResult

const isSuccess = (observation: string) => observation.startsWith('Success')

export function judgeHealth(role: HealthFacts['role'], region: string, healthCheckId: string, report: HealthCheckReport): HealthCheck {
  const healthyCheckers = report.observations.filter(isSuccess).length
  const checkers = report.observations.length
  const endpointHealthy = checkers > 0 && healthyCheckers / checkers > DR_THRESHOLDS.healthyCheckerShare
  const facts: HealthFacts = {role, region, healthCheckId, endpointHealthy, inverted: report.inverted, routedHealthy: report.inverted ? !endpointHealthy : endpointHealthy, healthyCheckers, checkers}
  if (checkers === 0) return result(facts, [unreadable(`Route 53 health check ${healthCheckId} (${role}, ${region}) has no checker reports yet`)])
  return result(facts, endpointHealthy ? [] : [outOfBounds(`the ${role} endpoint in ${region} is unhealthy: ${healthyCheckers} of ${checkers} Route 53 checkers succeed (health check ${healthCheckId})`)])
}

export interface ServingFacts {
  /** The region the failover record sends traffic to. */
  dnsRegion?: string
  /** The region of the Aurora global database's writer. */
  writerRegion?: string
}
export type ServingCheck = ServingFacts & CheckResult

/**
 * Route 53 answers the PRIMARY failover record while its health check is healthy, else the
 * SECONDARY while that one is; with both unhealthy it answers the PRIMARY.
 */
export function servingRegion(primary: HealthCheck, recovery: HealthCheck): string | undefined {
  if (primary.routedHealthy === undefined) return undefined
  if (primary.routedHealthy) return primary.region
  if (recovery.routedHealthy === undefined) return undefined
  return recovery.routedHealthy ? recovery.region : primary.region
}

export function judgeServing(dnsRegion: string | undefined, writerRegion: string | undefined): ServingCheck {
  const facts = {...(dnsRegion ? {dnsRegion} : {}), ...(writerRegion ? {writerRegion} : {})}
  if (!dnsRegion) return result(facts, [unreadable('which region Route 53 serves is unknown: a health check could not be read')])
  if (!writerRegion) return result(facts, [unreadable('the Aurora writer region is unknown: the global database could not be read')])
  return result(facts, dnsRegion === writerRegion ? [] : [outOfBounds(`Route 53 sends traffic to ${dnsRegion} but the Aurora writer is in ${writerRegion}: writes fail there`)])
}
