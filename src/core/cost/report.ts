import {InputError} from '../errors.js'
import type {CostBucket, CostGroupBy, CostMetric} from './api.js'
import type {CostExplorerSession, CostExplorerUsage} from './explorer.js'
import {bucketStarts, inRange, type CostPeriod, type DateRange, type Granularity} from './period.js'

/** How a report groups costs: by AWS service, by env (its account), or by a cost-allocation tag. */
export type Grouping = {kind: 'service'} | {kind: 'env'} | {kind: 'tag'; tagKey: string}

export function parseGrouping(text: string): Grouping {
  if (text === 'service' || text === 'env') return {kind: text}
  const tag = /^tag:(.+)$/.exec(text)
  if (tag && tag[1]!.trim() !== '' && tag[1]!.length <= 128) return {kind: 'tag', tagKey: tag[1]!}
  throw new InputError(`--by "${text}" is not a grouping: use service, env or tag:<Key> (e.g. tag:CostCenter)`)
}

export const groupingName = (grouping: Grouping) => (grouping.kind === 'tag' ? `tag:${grouping.tagKey}` : grouping.kind)

export function costGroupBy(grouping: Grouping): CostGroupBy {
  if (grouping.kind === 'service') return {type: 'DIMENSION', key: 'SERVICE'}
  if (grouping.kind === 'env') return {type: 'DIMENSION', key: 'LINKED_ACCOUNT'}
  return {type: 'TAG', key: grouping.tagKey}
}

/** An env a report covers, by its account (each env has its own). */
export interface AccountEnv {
  name: string
  account: string
}

export interface SeriesPoint {
  start: string
  amount: number
}

export interface GroupCost {
  /** Cost Explorer's key: the service name, the account id, or the tag value ("" untagged). */
  key: string
  label: string
  current: number
  previous: number
  change: number
  /** null when the previous period cost nothing. */
  changePercent: number | null
  /** One point per bucket of the current period, zero where Cost Explorer had nothing. */
  series: SeriesPoint[]
  previousSeries: SeriesPoint[]
}

export interface CostReport {
  by: string
  envs: string[]
  metric: CostMetric
  unit: string
  period: {spec: string; granularity: Granularity; current: DateRange; previous: DateRange}
  /** Cost Explorer marked some of the figures as estimated (recent days). */
  estimated: boolean
  total: GroupCost
  /** Largest current cost first. */
  groups: GroupCost[]
  costExplorer: CostExplorerUsage
}

export interface ReportOptions {
  period: CostPeriod
  grouping: Grouping
  metric: CostMetric
  /** Envs whose accounts the report is limited to. */
  envs: AccountEnv[]
  /** Every env of the config, to name accounts when grouping by env. */
  knownEnvs: AccountEnv[]
}

const cents = (amount: number) => Math.round(amount * 100) / 100

/** The accounts of some envs, each once (two envs may share one). */
export const accountsOf = (envs: AccountEnv[]): string[] => [...new Set(envs.map((env) => env.account))]

function labelOf(key: string, options: ReportOptions): string {
  if (options.grouping.kind === 'env') return options.knownEnvs.find((env) => env.account === key)?.name ?? key
  if (options.grouping.kind === 'tag') {
    // Cost Explorer returns tag groups as "Key$value"; an empty value is the untagged cost.
    const value = key.includes('$') ? key.slice(key.indexOf('$') + 1) : key
    return value === '' ? '(untagged)' : value
  }
  return key
}

function groupCost(key: string, label: string, amounts: Map<string, number>, options: ReportOptions): GroupCost {
  const {period} = options
  const points = (range: DateRange) => bucketStarts(range, period.granularity).map((start) => ({start, amount: cents(amounts.get(start) ?? 0)}))
  const sum = (range: DateRange) => [...amounts].filter(([start]) => inRange(start, range)).reduce((total, [, amount]) => total + amount, 0)
  const current = sum(period.current)
  const previous = sum(period.previous)
  return {
    key,
    label,
    current: cents(current),
    previous: cents(previous),
    change: cents(current - previous),
    changePercent: previous === 0 ? null : Math.round(((current - previous) / Math.abs(previous)) * 1000) / 10,
    series: points(period.current),
    previousSeries: points(period.previous),
  }
}

/** Splits the buckets of the one query into the two periods and adds them up per group. */
export function summarise(buckets: CostBucket[], options: ReportOptions, usage: CostExplorerUsage): CostReport {
  const {period} = options
  const counted = buckets.filter((bucket) => inRange(bucket.start, period.current) || inRange(bucket.start, period.previous))
  const perGroup = new Map<string, Map<string, number>>()
  const totals = new Map<string, number>()
  for (const bucket of counted) {
    for (const group of bucket.groups) {
      const amounts = perGroup.get(group.key) ?? new Map<string, number>()
      amounts.set(bucket.start, (amounts.get(bucket.start) ?? 0) + group.amount)
      perGroup.set(group.key, amounts)
      totals.set(bucket.start, (totals.get(bucket.start) ?? 0) + group.amount)
    }
  }
  const groups = [...perGroup]
    .map(([key, amounts]) => groupCost(key, labelOf(key, options), amounts, options))
    .filter((group) => group.current !== 0 || group.previous !== 0)
    .sort((a, b) => b.current - a.current || b.previous - a.previous || a.label.localeCompare(b.label))
  return {
    by: groupingName(options.grouping),
    envs: options.envs.map((env) => env.name),
    metric: options.metric,
    unit: counted.find((bucket) => bucket.unit)?.unit ?? 'USD',
    period: {spec: period.spec, granularity: period.granularity, current: period.current, previous: period.previous},
    estimated: counted.some((bucket) => bucket.estimated),
    total: groupCost('total', 'Total', totals, options),
    groups,
    costExplorer: usage,
  }
}

/** Both periods in one GetCostAndUsage query (plus its pages), then split and summed. */
export async function buildCostReport(session: CostExplorerSession, options: ReportOptions): Promise<CostReport> {
  const buckets = await session.costAndUsage({
    start: options.period.query.start,
    end: options.period.query.end,
    granularity: options.period.granularity === 'daily' ? 'DAILY' : 'MONTHLY',
    metric: options.metric,
    groupBy: costGroupBy(options.grouping),
    accounts: accountsOf(options.envs),
  })
  return summarise(buckets, options, session.usage())
}
