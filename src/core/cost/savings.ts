import type {StateStore} from '../shutdown/api.js'
import {parseManifest, type Manifest, type ManifestEntry} from '../shutdown/manifest.js'
import {listManifestKeys} from '../shutdown/manifests.js'
import type {EnvironmentPlan} from '../stages/plan.js'
import type {CostMetric, TaskDefinitionApi} from './api.js'
import {evaluateJob, instanceTypeOf, volumesOf} from './estimate.js'
import type {CostExplorerSession, CostExplorerUsage} from './explorer.js'
import {addDays, addMonths, daysIn, startOfMonth, type DateRange} from './period.js'
import type {PriceBook} from './prices.js'
import type {AccountEnv} from './report.js'

/** What stopping one resource saved over the window. */
export interface ResourceSaving {
  kind: ManifestEntry['kind']
  id: string
  tier: ManifestEntry['tier']
  /** What was priced, e.g. "t4g.small", "1 × db.t4g.medium", "1 task × 0.5 vCPU, 1 GB". */
  size: string
  stoppedHours: number
  /** Price of one hour of the resource running; null when it could not be priced. */
  hourlyUsd: number | null
  savedUsd: number | null
  note?: string
}

export interface CostExplorerComparison {
  before: DateRange
  after: DateRange
  dailyAverageBefore: number
  dailyAverageAfter: number
  dailyChange: number
  /** dailyChange × 30.4, the average month. */
  monthlyChange: number
}

export interface RedisComparison {
  nodes: number
  instanceTypes: string[]
  selfHosted: {computeMonthlyUsd: number; storageMonthlyUsd: number; monthlyUsd: number}
  /** The self-hosted tier with the share of node-hours the schedule stopped it in the window. */
  withSchedule: {stoppedShare: number; monthlyUsd: number} | null
  /** ElastiCache nodes cannot be stopped: they run every hour. */
  elastiCache: {nodeTypes: string[]; monthlyUsd: number} | null
  /** ElastiCache monthly minus self-hosted monthly (with the schedule when it ran). */
  differenceMonthlyUsd: number | null
  note?: string
}

export interface SavingsReport {
  env: string
  account: string
  region: string
  window: {start: string; end: string; hours: number}
  manifests: {bucket: string; read: number; firstNight: string | null}
  resources: ResourceSaving[]
  savedUsd: number
  /** savedUsd scaled to a 730-hour month. */
  projectedMonthlyUsd: number
  costExplorer: {comparison: CostExplorerComparison | null; note?: string; usage: CostExplorerUsage}
  redis: RedisComparison | null
  prices: string
  warnings: string[]
}

const HOUR_MS = 3_600_000
const DAYS_PER_MONTH = 30.4
const cents = (amount: number) => Math.round(amount * 100) / 100
const nightOfKey = (key: string) => /(\d{4}-\d{2}-\d{2})\.json$/.exec(key)?.[1]

/**
 * The env's shutdown manifests from the state store: every key listed (the first night tells
 * when the schedule began), then read only those that can overlap the window. A manifest of
 * a night up to 31 days before the window may still be open in it (a stop-only schedule).
 */
export async function readManifests(store: StateStore, env: string, windowStart: string): Promise<{manifests: Manifest[]; firstNight: string | null}> {
  const keys = (await listManifestKeys(store, env)).filter((key) => nightOfKey(key) !== undefined)
  const nights = keys.map((key) => nightOfKey(key)!).sort()
  const since = addDays(windowStart, -31)
  const manifests: Manifest[] = []
  for (const key of keys.filter((candidate) => nightOfKey(candidate)! >= since)) {
    const object = await store.get(key)
    if (object) manifests.push(parseManifest(object.body, key))
  }
  manifests.sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1))
  return {manifests, firstNight: nights[0] ?? null}
}

interface StoppedSpan {
  entry: ManifestEntry
  hours: number
}

/**
 * Hours each entry was stopped inside the window: from its stop to its start, or, while no
 * start is recorded, to the next manifest (the next night found it in whatever state) or now.
 */
export function stoppedSpans(manifests: Manifest[], window: {start: Date; end: Date}, now: Date): StoppedSpan[] {
  const sorted = [...manifests].sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1))
  return sorted.flatMap((manifest, index) =>
    manifest.resources.flatMap((entry): StoppedSpan[] => {
      if (entry.stop?.result !== 'done') return []
      const until = entry.start?.result === 'done' ? new Date(entry.start.at) : new Date(sorted[index + 1]?.createdAt ?? now.toISOString())
      const from = Math.max(new Date(entry.stop.at).getTime(), window.start.getTime())
      const to = Math.min(until.getTime(), window.end.getTime(), now.getTime())
      return to > from ? [{entry, hours: (to - from) / HOUR_MS}] : []
    }),
  )
}

interface EntryPrice {
  size: string
  hourlyUsd: number | null
  note?: string
}

async function priceEntry(entry: ManifestEntry, book: PriceBook, tasks: TaskDefinitionApi): Promise<EntryPrice> {
  switch (entry.kind) {
    case 'ec2-instance': {
      const price = await book.instanceHour('ec2', entry.instanceType)
      return {size: entry.instanceType, hourlyUsd: price?.usd ?? null, note: price ? undefined : `no EC2 price for ${entry.instanceType} in ${book.region}`}
    }
    case 'aurora-cluster': {
      const counts = new Map<string, number>()
      for (const instanceClass of entry.memberClasses) counts.set(instanceClass, (counts.get(instanceClass) ?? 0) + 1)
      const size = [...counts].map(([instanceClass, number]) => `${number} × ${instanceClass}`).join(', ') || 'no members'
      let hourly = 0
      for (const instanceClass of entry.memberClasses) {
        const price = await book.instanceHour('aurora-postgresql', instanceClass)
        if (!price) return {size, hourlyUsd: null, note: `no Aurora PostgreSQL price for ${instanceClass} in ${book.region}`}
        hourly += price.usd
      }
      return {size, hourlyUsd: hourly}
    }
    case 'ecs-service': {
      const desired = entry.prior.desiredCount
      const regional = book.regional
      if (!regional) return {size: `${desired} tasks`, hourlyUsd: null, note: `no Fargate price for ${book.region}`}
      let taskSize
      try {
        taskSize = await tasks.taskSize(entry.taskDefinition)
      } catch (error) {
        return {size: `${desired} tasks`, hourlyUsd: null, note: `task definition ${entry.taskDefinition}: ${(error as Error).message}`}
      }
      if (!taskSize) return {size: `${desired} tasks`, hourlyUsd: null, note: `task definition ${entry.taskDefinition} has no task-level CPU and memory`}
      const vcpu = taskSize.cpuUnits / 1024
      const gb = taskSize.memoryMiB / 1024
      return {
        size: `${desired} task${desired === 1 ? '' : 's'} × ${vcpu} vCPU, ${gb} GB`,
        hourlyUsd: desired * (vcpu * regional.fargate.vcpuHour + gb * regional.fargate.gbHour),
        note: 'Fargate on-demand price (tasks on Fargate Spot saved less)',
      }
    }
    case 'rds-instance':
      return {size: entry.instanceClass, hourlyUsd: null, note: 'a standalone RDS instance: the manifest does not record its engine, and the snapshot prices Aurora PostgreSQL only'}
    case 'auto-scaling-group':
      return {size: `${entry.prior.desired} instance${entry.prior.desired === 1 ? '' : 's'}`, hourlyUsd: null, note: 'the manifest does not record the group\'s instance type'}
  }
}

/** Stopped hours × hourly price, per resource (a resource in several manifests is one row). */
export async function savingsOf(spans: StoppedSpan[], book: PriceBook, tasks: TaskDefinitionApi): Promise<ResourceSaving[]> {
  const rows = new Map<string, ResourceSaving>()
  for (const {entry, hours} of spans) {
    const price = await priceEntry(entry, book, tasks)
    const key = `${entry.kind}/${entry.id}`
    const row = rows.get(key) ?? {kind: entry.kind, id: entry.id, tier: entry.tier, size: price.size, stoppedHours: 0, hourlyUsd: price.hourlyUsd, savedUsd: 0}
    row.stoppedHours += hours
    row.size = price.size
    row.hourlyUsd = price.hourlyUsd
    row.savedUsd = row.savedUsd === null || price.hourlyUsd === null ? null : row.savedUsd + hours * price.hourlyUsd
    if (price.note) row.note = price.note
    rows.set(key, row)
  }
  return [...rows.values()].map((row) => ({
    ...row,
    stoppedHours: Math.round(row.stoppedHours * 10) / 10,
    hourlyUsd: row.hourlyUsd === null ? null : Math.round(row.hourlyUsd * 10_000) / 10_000,
    savedUsd: row.savedUsd === null ? null : cents(row.savedUsd),
  }))
}

/**
 * Cost Explorer's view: the env's daily average cost over `days` full days before the first
 * night of the schedule and over `days` full days after it (the night's own day left out),
 * in one daily query. Cost Explorer keeps about 12 months; older days are left out.
 */
export async function compareBeforeAfter(
  session: CostExplorerSession,
  options: {firstNight: string; days: number; today: string; metric: CostMetric; env: AccountEnv},
): Promise<{comparison: CostExplorerComparison | null; note?: string}> {
  const {firstNight, days, today} = options
  const earliest = addMonths(startOfMonth(today), -12)
  const before = {start: addDays(firstNight, -days) < earliest ? earliest : addDays(firstNight, -days), end: firstNight}
  const afterEnd = addDays(firstNight, 1 + days) < today ? addDays(firstNight, 1 + days) : today
  const after = {start: addDays(firstNight, 1), end: afterEnd}
  if (after.start >= after.end) return {comparison: null, note: `the first shutdown night was ${firstNight}: there is no full day after it yet`}
  if (before.start >= before.end) return {comparison: null, note: `the first shutdown night (${firstNight}) is older than Cost Explorer's 12 months of history`}
  const buckets = await session.costAndUsage({start: before.start, end: after.end, granularity: 'DAILY', metric: options.metric, accounts: [options.env.account]})
  const sum = (range: DateRange) =>
    buckets
      .filter((bucket) => bucket.start >= range.start && bucket.start < range.end)
      .reduce((total, bucket) => total + (bucket.total ?? bucket.groups.reduce((groups, group) => groups + group.amount, 0)), 0)
  const dailyAverageBefore = sum(before) / daysIn(before)
  const dailyAverageAfter = sum(after) / daysIn(after)
  const dailyChange = dailyAverageAfter - dailyAverageBefore
  return {
    comparison: {
      before,
      after,
      dailyAverageBefore: cents(dailyAverageBefore),
      dailyAverageAfter: cents(dailyAverageAfter),
      dailyChange: cents(dailyChange),
      monthlyChange: cents(dailyChange * DAYS_PER_MONTH),
    },
  }
}

const isRedisNode = (properties: Record<string, unknown>) =>
  Array.isArray(properties.Tags) && properties.Tags.some((tag) => typeof tag === 'object' && tag !== null && (tag as {Key?: unknown}).Key === 'fintech:component' && (tag as {Value?: unknown}).Value === 'redis')

/**
 * The self-hosted Redis tier the env's templates create (EC2 instances tagged
 * fintech:component=redis) against the same number of equivalent ElastiCache nodes, monthly.
 * `stoppedNodeHours` over `windowHours` gives the share of node-hours the schedule stopped.
 */
export async function compareRedis(plan: EnvironmentPlan, book: PriceBook, stopped: {nodeHours: number; windowHours: number}): Promise<RedisComparison | null> {
  const nodes = plan.stages.flatMap(({jobs}) =>
    jobs.flatMap((job) => {
      const resources = evaluateJob(plan, job)
      return Object.values(resources)
        .filter((resource) => resource.Type === 'AWS::EC2::Instance' && isRedisNode(resource.Properties))
        .map((resource) => ({instanceType: instanceTypeOf(resource.Properties, resources), volumes: volumesOf(resource.Properties, resources)}))
    }),
  )
  if (nodes.length === 0) return null
  const hours = book.hoursPerMonth
  let compute = 0
  let storage = 0
  let cache: number | null = 0
  const notes: string[] = []
  const cacheTypes: string[] = []
  for (const node of nodes) {
    const price = node.instanceType ? await book.instanceHour('ec2', node.instanceType) : undefined
    if (!node.instanceType || !price) return {nodes: nodes.length, instanceTypes: [], selfHosted: {computeMonthlyUsd: 0, storageMonthlyUsd: 0, monthlyUsd: 0}, withSchedule: null, elastiCache: null, differenceMonthlyUsd: null, note: `no EC2 price for the Redis nodes' type ${node.instanceType ?? '(not known offline)'}`}
    compute += price.usd * hours
    storage += node.volumes.reduce((sum, volume) => sum + volume.sizeGiB * (book.regional?.ebsGbMonth[volume.volumeType] ?? 0), 0)
    const equivalent = book.elastiCacheEquivalent(node.instanceType)
    const cachePrice = equivalent ? await book.instanceHour('elasticache-redis', equivalent) : undefined
    if (equivalent) cacheTypes.push(equivalent)
    if (cache !== null && cachePrice) cache += cachePrice.usd * hours
    else if (cache !== null) {
      cache = null
      notes.push(equivalent ? `no ElastiCache price for ${equivalent} in ${book.region}` : `no ElastiCache equivalent listed for ${node.instanceType}`)
    }
  }
  const stoppedShare = stopped.windowHours > 0 ? Math.min(1, stopped.nodeHours / (nodes.length * stopped.windowHours)) : 0
  const withSchedule = stopped.nodeHours > 0 ? {stoppedShare: Math.round(stoppedShare * 1000) / 1000, monthlyUsd: cents(compute * (1 - stoppedShare) + storage)} : null
  const selfHostedMonthly = withSchedule?.monthlyUsd ?? cents(compute + storage)
  return {
    nodes: nodes.length,
    instanceTypes: [...new Set(nodes.map((node) => node.instanceType!))],
    selfHosted: {computeMonthlyUsd: cents(compute), storageMonthlyUsd: cents(storage), monthlyUsd: cents(compute + storage)},
    withSchedule,
    elastiCache: cache === null ? null : {nodeTypes: [...new Set(cacheTypes)], monthlyUsd: cents(cache)},
    differenceMonthlyUsd: cache === null ? null : cents(cache - selfHostedMonthly),
    ...(notes.length ? {note: notes.join('; ')} : {}),
  }
}

export interface SavingsDependencies {
  store: StateStore
  tasks: TaskDefinitionApi
  session: CostExplorerSession
  book: PriceBook
  /** The env's stages, for its Redis tier; undefined when no stage deploys to it. */
  plan?: EnvironmentPlan
  now: Date
}

/**
 * What the shutdown schedule saved an env over the window (the current half of `--period`):
 * stopped hours from the manifests × hourly prices, Cost Explorer's daily averages before and
 * after the schedule began, and the self-hosted Redis tier against ElastiCache.
 */
export async function buildSavings(
  deps: SavingsDependencies,
  options: {env: AccountEnv; region: string; bucket: string; window: DateRange; compareDays: number; metric: CostMetric; today: string},
): Promise<SavingsReport> {
  const start = new Date(`${options.window.start}T00:00:00Z`)
  const end = new Date(Math.min(new Date(`${options.window.end}T00:00:00Z`).getTime(), deps.now.getTime()))
  const windowHours = Math.max(0, (end.getTime() - start.getTime()) / HOUR_MS)
  const {manifests, firstNight} = await readManifests(deps.store, options.env.name, options.window.start)
  const spans = stoppedSpans(manifests, {start, end}, deps.now)
  const resources = await savingsOf(spans, deps.book, deps.tasks)
  const saved = resources.reduce((sum, row) => sum + (row.savedUsd ?? 0), 0)

  const explorer = firstNight
    ? await compareBeforeAfter(deps.session, {firstNight, days: options.compareDays, today: options.today, metric: options.metric, env: options.env})
    : {comparison: null, note: `no shutdown manifest of ${options.env.name} in ${options.bucket}`}
  const redisNodeHours = spans.filter(({entry}) => entry.kind === 'ec2-instance' && entry.tier === 'redis').reduce((sum, span) => sum + span.hours, 0)
  const redis = deps.plan ? await compareRedis(deps.plan, deps.book, {nodeHours: redisNodeHours, windowHours}) : null

  return {
    env: options.env.name,
    account: options.env.account,
    region: options.region,
    window: {start: start.toISOString(), end: end.toISOString(), hours: Math.round(windowHours * 10) / 10},
    manifests: {bucket: options.bucket, read: manifests.length, firstNight},
    resources,
    savedUsd: cents(saved),
    projectedMonthlyUsd: windowHours > 0 ? cents((saved * deps.book.hoursPerMonth) / windowHours) : 0,
    costExplorer: {...explorer, usage: deps.session.usage()},
    redis,
    prices: deps.book.source,
    warnings: [...deps.book.warnings],
  }
}
