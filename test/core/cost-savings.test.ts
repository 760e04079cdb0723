import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import type {CostExplorerApi, CostUsageQuery, TaskDefinitionApi} from '../../src/core/cost/api.js'
import {ResponseCache} from '../../src/core/cost/cache.js'
import {CostExplorerSession} from '../../src/core/cost/explorer.js'
import {addDays} from '../../src/core/cost/period.js'
import {PriceBook} from '../../src/core/cost/prices.js'
import {buildSavings, compareBeforeAfter, compareRedis, readManifests, stoppedSpans} from '../../src/core/cost/savings.js'
import {loadConfig} from '../../src/core/config/load.js'
import type {Clock} from '../../src/core/clock.js'
import type {StateStore} from '../../src/core/shutdown/api.js'
import {manifestKey, serializeManifest, type Manifest, type ManifestEntry} from '../../src/core/shutdown/manifest.js'
import {planEnvironment} from '../../src/core/stages/plan.js'
import {resolveEnv} from '../../src/core/config/env.js'

const REPO_CONFIG = fileURLToPath(new URL('../../fintech.config.yaml', import.meta.url))
const NOW = new Date('2026-11-15T09:30:00Z')
const clock: Clock = {now: () => NOW, sleep: async () => undefined}
const DEV = {name: 'dev', account: '111111111111'}
const HOUR = 3_600_000
const hoursBetween = (from: string, to: string) => (new Date(to).getTime() - new Date(from).getTime()) / HOUR
const round = (amount: number, digits = 2) => Math.round(amount * 10 ** digits) / 10 ** digits
const TASK_DEFINITION = 'arn:aws:ecs:eu-west-1:111111111111:task-definition/fintech-dev-ledger:7'

const done = (at: string) => ({result: 'done' as const, at})

function manifest(night: string, createdAt: string, status: Manifest['status'], resources: ManifestEntry[]): Manifest {
  return {version: 1, env: 'dev', account: DEV.account, region: 'eu-west-1', night, status, createdAt, runs: [], resources}
}

const redisNode = (id: string, stop?: string, start?: string): ManifestEntry => ({
  kind: 'ec2-instance',
  id,
  region: 'eu-west-1',
  tier: 'redis',
  instanceType: 't4g.small',
  prior: {state: 'running'},
  ...(stop ? {stop: done(stop)} : {}),
  ...(start ? {start: done(start)} : {}),
})

/** Tuesday night (started in the morning) and Friday night (still asleep), plus the schedule's very first night. */
const MANIFESTS: Manifest[] = [
  manifest('2026-09-01', '2026-09-01T19:00:00Z', 'started', [redisNode('i-redis1', '2026-09-01T19:05:00Z', '2026-09-02T06:05:00Z')]),
  manifest('2026-11-10', '2026-11-10T20:00:00Z', 'started', [
    redisNode('i-redis1', '2026-11-10T20:05:00Z', '2026-11-11T07:05:00Z'),
    {kind: 'aurora-cluster', id: 'fintech-dev-aurora', region: 'eu-west-1', tier: 'database', memberClasses: ['db.t4g.medium'], prior: {status: 'available'}, stop: done('2026-11-10T20:10:00Z'), start: done('2026-11-11T07:00:00Z')},
    {
      kind: 'ecs-service',
      id: 'ledger',
      region: 'eu-west-1',
      tier: 'ledger',
      clusterArn: 'arn:aws:ecs:eu-west-1:111111111111:cluster/fintech-dev',
      name: 'ledger',
      taskDefinition: TASK_DEFINITION,
      prior: {desiredCount: 1, scaling: null},
      stop: done('2026-11-10T20:01:00Z'),
      start: done('2026-11-11T07:10:00Z'),
    },
    {kind: 'rds-instance', id: 'legacy-db', region: 'eu-west-1', tier: 'database', instanceClass: 'db.t4g.micro', prior: {status: 'available'}, stop: done('2026-11-10T20:10:00Z'), start: done('2026-11-11T07:00:00Z')},
    {kind: 'auto-scaling-group', id: 'workers', region: 'eu-west-1', tier: 'ledger', prior: {min: 1, max: 2, desired: 1}, stop: done('2026-11-10T20:02:00Z'), start: done('2026-11-11T07:00:00Z')},
    // A failed stop saved nothing.
    {...redisNode('i-redis2'), stop: {result: 'failed', at: '2026-11-10T20:05:00Z', detail: 'IncorrectInstanceState'}},
  ]),
  manifest('2026-11-13', '2026-11-13T20:00:00Z', 'stopped', [redisNode('i-redis1', '2026-11-13T20:05:00Z')]),
]

function memoryStore(manifests: Manifest[]): StateStore & {reads: string[]} {
  const objects = new Map(manifests.map((entry) => [manifestKey(entry.env, entry.night), serializeManifest(entry)]))
  const reads: string[] = []
  return {
    reads,
    async get(key) {
      reads.push(key)
      const body = objects.get(key)
      return body === undefined ? undefined : {body, etag: '"1"'}
    },
    async list(prefix) {
      return [...objects.keys()].filter((key) => key.startsWith(prefix))
    },
    put: async () => undefined,
    putIfAbsent: async () => true,
    putIfMatch: async () => true,
    delete: async () => undefined,
  }
}

const tasks: TaskDefinitionApi = {
  async taskSize(taskDefinition) {
    return taskDefinition === TASK_DEFINITION ? {cpuUnits: 512, memoryMiB: 1024} : undefined
  },
}

function explorerWithDailyTotals(perDay: (date: string) => number) {
  const queries: CostUsageQuery[] = []
  const api: CostExplorerApi = {
    async getCostAndUsage(query) {
      queries.push(query)
      const buckets = []
      for (let day = query.start; day < query.end; day = addDays(day, 1)) buckets.push({start: day, end: addDays(day, 1), estimated: false, total: perDay(day), groups: [], unit: 'USD'})
      return {buckets}
    },
    getCostForecast: async () => {
      throw new Error('not used')
    },
  }
  const session = new CostExplorerSession(async () => api, new ResponseCache(mkdtempSync(join(tmpdir(), 'fintech-cost-')), '2026-11-15'), {refresh: false, clock, whoAsks: async () => ({account: '111111111111', endpoint: 'AWS'})})
  return {queries, session}
}

const WINDOW = {start: new Date('2026-10-16T00:00:00Z'), end: new Date('2026-11-15T00:00:00Z')}

describe('stopped hours from the manifests', () => {
  it('counts from each stop to its start, else to the next manifest or now, inside the window only', () => {
    const spans = stoppedSpans(MANIFESTS, WINDOW, NOW)
    expect(spans.map(({entry, hours}) => [entry.kind, entry.id, round(hours, 4)])).toEqual([
      ['ec2-instance', 'i-redis1', round(hoursBetween('2026-11-10T20:05:00Z', '2026-11-11T07:05:00Z'), 4)],
      ['aurora-cluster', 'fintech-dev-aurora', round(hoursBetween('2026-11-10T20:10:00Z', '2026-11-11T07:00:00Z'), 4)],
      ['ecs-service', 'ledger', round(hoursBetween('2026-11-10T20:01:00Z', '2026-11-11T07:10:00Z'), 4)],
      ['rds-instance', 'legacy-db', round(hoursBetween('2026-11-10T20:10:00Z', '2026-11-11T07:00:00Z'), 4)],
      ['auto-scaling-group', 'workers', round(hoursBetween('2026-11-10T20:02:00Z', '2026-11-11T07:00:00Z'), 4)],
      // Still asleep: counted up to the window's end, not to now.
      ['ec2-instance', 'i-redis1', round(hoursBetween('2026-11-13T20:05:00Z', '2026-11-15T00:00:00Z'), 4)],
    ])
  })

  it('ends an entry without a start at the next manifest', () => {
    const open = manifest('2026-11-10', '2026-11-10T20:00:00Z', 'started', [redisNode('i-redis1', '2026-11-10T20:05:00Z')])
    const next = manifest('2026-11-11', '2026-11-11T20:00:00Z', 'started', [])
    expect(stoppedSpans([next, open], WINDOW, NOW).map((span) => span.hours)).toEqual([hoursBetween('2026-11-10T20:05:00Z', '2026-11-11T20:00:00Z')])
  })

  it('reads only manifests that can overlap the window, and reports the first night of all', async () => {
    const store = memoryStore(MANIFESTS)
    const {manifests, firstNight} = await readManifests(store, 'dev', '2026-10-16')
    expect(firstNight).toBe('2026-09-01')
    expect(manifests.map((entry) => entry.night)).toEqual(['2026-11-10', '2026-11-13'])
    expect(store.reads).toEqual([manifestKey('dev', '2026-11-10'), manifestKey('dev', '2026-11-13')])
  })
})

describe('cost savings', () => {
  it('prices stopped hours, compares Cost Explorer before and after, and Redis against ElastiCache', async () => {
    const loaded = loadConfig(REPO_CONFIG)
    const {queries, session} = explorerWithDailyTotals((day) => (day < '2026-09-01' ? 10 : 6.5))
    const report = await buildSavings(
      {store: memoryStore(MANIFESTS), tasks, session, book: new PriceBook('eu-west-1'), plan: planEnvironment(loaded, resolveEnv(loaded, 'dev'), loaded.config.stages), now: NOW},
      {env: DEV, region: 'eu-west-1', bucket: 'fintech-artifacts-111111111111-eu-west-1', window: {start: '2026-10-16', end: '2026-11-15'}, compareDays: 14, metric: 'UnblendedCost', today: '2026-11-15'},
    )
    const redisHours = hoursBetween('2026-11-10T20:05:00Z', '2026-11-11T07:05:00Z') + hoursBetween('2026-11-13T20:05:00Z', '2026-11-15T00:00:00Z')
    const auroraHours = hoursBetween('2026-11-10T20:10:00Z', '2026-11-11T07:00:00Z')
    const ledgerHours = hoursBetween('2026-11-10T20:01:00Z', '2026-11-11T07:10:00Z')
    const taskHour = 0.5 * 0.04048 + 1 * 0.004445
    expect(report.resources).toEqual([
      {kind: 'ec2-instance', id: 'i-redis1', tier: 'redis', size: 't4g.small', stoppedHours: round(redisHours, 1), hourlyUsd: 0.0184, savedUsd: round(redisHours * 0.0184)},
      {kind: 'aurora-cluster', id: 'fintech-dev-aurora', tier: 'database', size: '1 × db.t4g.medium', stoppedHours: round(auroraHours, 1), hourlyUsd: 0.08, savedUsd: round(auroraHours * 0.08)},
      {
        kind: 'ecs-service',
        id: 'ledger',
        tier: 'ledger',
        size: '1 task × 0.5 vCPU, 1 GB',
        stoppedHours: round(ledgerHours, 1),
        hourlyUsd: round(taskHour, 4),
        savedUsd: round(ledgerHours * taskHour),
        note: 'Fargate on-demand price (tasks on Fargate Spot saved less)',
      },
      {
        kind: 'rds-instance',
        id: 'legacy-db',
        tier: 'database',
        size: 'db.t4g.micro',
        stoppedHours: round(auroraHours, 1),
        hourlyUsd: null,
        savedUsd: null,
        note: 'a standalone RDS instance: the manifest does not record its engine, and the snapshot prices Aurora PostgreSQL only',
      },
      {
        kind: 'auto-scaling-group',
        id: 'workers',
        tier: 'ledger',
        size: '1 instance',
        stoppedHours: round(hoursBetween('2026-11-10T20:02:00Z', '2026-11-11T07:00:00Z'), 1),
        hourlyUsd: null,
        savedUsd: null,
        note: 'the manifest does not record the group\'s instance type',
      },
    ])
    const saved = round(redisHours * 0.0184) + round(auroraHours * 0.08) + round(ledgerHours * taskHour)
    expect(report.savedUsd).toBe(round(saved))
    expect(report.window).toEqual({start: '2026-10-16T00:00:00.000Z', end: '2026-11-15T00:00:00.000Z', hours: 720})
    expect(report.projectedMonthlyUsd).toBe(round((report.savedUsd * 730) / 720))
    expect(report.manifests).toEqual({bucket: 'fintech-artifacts-111111111111-eu-west-1', read: 2, firstNight: '2026-09-01'})

    // One daily query, the env's account only: 14 days before the first night, 14 full days after it.
    expect(queries).toEqual([{start: '2026-08-18', end: '2026-09-16', granularity: 'DAILY', metric: 'UnblendedCost', accounts: ['111111111111']}])
    expect(report.costExplorer.comparison).toEqual({
      before: {start: '2026-08-18', end: '2026-09-01'},
      after: {start: '2026-09-02', end: '2026-09-16'},
      dailyAverageBefore: 10,
      dailyAverageAfter: 6.5,
      dailyChange: -3.5,
      monthlyChange: -106.4,
    })
    expect(report.costExplorer.usage.requests).toBe(1)

    // Three t4g.small nodes with 20 GiB gp3 each, against three cache.t4g.small.
    const compute = 3 * 0.0184 * 730
    const storage = 3 * 20 * 0.088
    const share = redisHours / (3 * 720)
    expect(report.redis).toEqual({
      nodes: 3,
      instanceTypes: ['t4g.small'],
      selfHosted: {computeMonthlyUsd: round(compute), storageMonthlyUsd: round(storage), monthlyUsd: round(compute + storage)},
      withSchedule: {stoppedShare: round(share, 3), monthlyUsd: round(compute * (1 - share) + storage)},
      elastiCache: {nodeTypes: ['cache.t4g.small'], monthlyUsd: round(3 * 0.036 * 730)},
      differenceMonthlyUsd: round(3 * 0.036 * 730 - round(compute * (1 - share) + storage)),
    })
  })

  it('says when there is no day after the first night yet, or no manifest at all', async () => {
    const {queries, session} = explorerWithDailyTotals(() => 1)
    expect(await compareBeforeAfter(session, {firstNight: '2026-11-14', days: 14, today: '2026-11-15', metric: 'UnblendedCost', env: DEV})).toEqual({
      comparison: null,
      note: 'the first shutdown night was 2026-11-14: there is no full day after it yet',
    })
    expect(queries).toEqual([])
    const report = await buildSavings(
      {store: memoryStore([]), tasks, session, book: new PriceBook('eu-west-1'), now: NOW},
      {env: DEV, region: 'eu-west-1', bucket: 'state', window: {start: '2026-10-16', end: '2026-11-15'}, compareDays: 14, metric: 'UnblendedCost', today: '2026-11-15'},
    )
    expect(report).toMatchObject({resources: [], savedUsd: 0, redis: null, costExplorer: {comparison: null, note: 'no shutdown manifest of dev in state', usage: {requests: 0}}})
  })

  it('prices Redis always on when the schedule stopped nothing, and prod\'s r7g.large nodes against cache.r7g.large', async () => {
    const loaded = loadConfig(REPO_CONFIG)
    const redis = await compareRedis(planEnvironment(loaded, resolveEnv(loaded, 'prod'), loaded.config.stages), new PriceBook('eu-west-1'), {nodeHours: 0, windowHours: 720})
    expect(redis).toEqual({
      nodes: 3,
      instanceTypes: ['r7g.large'],
      selfHosted: {computeMonthlyUsd: round(3 * 0.1198 * 730), storageMonthlyUsd: round(300 * 0.088), monthlyUsd: round(3 * 0.1198 * 730 + 300 * 0.088)},
      withSchedule: null,
      elastiCache: {nodeTypes: ['cache.r7g.large'], monthlyUsd: round(3 * 0.242 * 730)},
      differenceMonthlyUsd: round(3 * 0.242 * 730 - (3 * 0.1198 * 730 + 300 * 0.088)),
    })
  })
})
