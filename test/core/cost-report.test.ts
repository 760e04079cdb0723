import {mkdtempSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import type {CostBucket, CostExplorerApi, CostUsagePage, CostUsageQuery, ForecastQuery, ForecastResult} from '../../src/core/cost/api.js'
import {costCacheDir, ResponseCache, type CostAsker} from '../../src/core/cost/cache.js'
import {CostExplorerSession} from '../../src/core/cost/explorer.js'
import {buildForecast} from '../../src/core/cost/forecast.js'
import {parsePeriod} from '../../src/core/cost/period.js'
import {buildCostReport, parseGrouping, summarise, type ReportOptions} from '../../src/core/cost/report.js'
import type {Clock} from '../../src/core/clock.js'
import {InputError} from '../../src/core/errors.js'

const clock: Clock = {now: () => new Date('2026-11-15T09:30:00Z'), sleep: async () => undefined}
const ENVS = [
  {name: 'dev', account: '111111111111'},
  {name: 'test', account: '222222222222'},
  {name: 'prod', account: '333333333333'},
]

/** A Cost Explorer that answers from a list of pages and records every request. */
function fakeExplorer(pages: CostUsagePage[], forecast?: ForecastResult) {
  const requests: Array<{query: CostUsageQuery | ForecastQuery; token?: string}> = []
  let connects = 0
  const api: CostExplorerApi = {
    async getCostAndUsage(query, token) {
      requests.push({query, token})
      const index = token === undefined ? 0 : Number(token.replace('page-', ''))
      return pages[index]!
    },
    async getCostForecast(query) {
      requests.push({query})
      return forecast!
    },
  }
  return {
    requests,
    connects: () => connects,
    connect: async () => {
      connects++
      return api
    },
  }
}

const bucket = (start: string, end: string, groups: Array<[string, number]>, estimated = false): CostBucket => ({
  start,
  end,
  estimated,
  groups: groups.map(([key, amount]) => ({key, amount})),
  unit: 'USD',
})

const PAYER = '444444444444'
const asking = (account: string): CostAsker => ({account, endpoint: 'AWS'})

const session = (explorer: ReturnType<typeof fakeExplorer>, dir: string, refresh = false, today = '2026-11-15', asker = asking(PAYER)) =>
  new CostExplorerSession(explorer.connect, new ResponseCache(dir, today), {refresh, clock, whoAsks: async () => asker})

const scratch = () => mkdtempSync(join(tmpdir(), 'fintech-cost-test-'))

describe('CostExplorerSession', () => {
  const query: CostUsageQuery = {start: '2026-11-13', end: '2026-11-15', granularity: 'DAILY', metric: 'UnblendedCost', groupBy: {type: 'DIMENSION', key: 'SERVICE'}, accounts: ['111111111111']}
  const pages: CostUsagePage[] = [
    {buckets: [bucket('2026-11-13', '2026-11-14', [['Amazon EC2', 10]]), bucket('2026-11-14', '2026-11-15', [['Amazon EC2', 11]])], nextPageToken: 'page-1'},
    // The next page continues the same days with other groups.
    {buckets: [bucket('2026-11-13', '2026-11-14', [['Amazon RDS', 5]], true), bucket('2026-11-14', '2026-11-15', [['Amazon RDS', 6]])]},
  ]

  it('follows every page, merges the buckets continued across pages and counts each request', async () => {
    const explorer = fakeExplorer(pages)
    const run = session(explorer, scratch())
    const buckets = await run.costAndUsage(query)
    expect(explorer.requests.map((request) => request.token)).toEqual([undefined, 'page-1'])
    expect(buckets).toEqual([
      {start: '2026-11-13', end: '2026-11-14', estimated: true, groups: [{key: 'Amazon EC2', amount: 10}, {key: 'Amazon RDS', amount: 5}], unit: 'USD'},
      {start: '2026-11-14', end: '2026-11-15', estimated: false, groups: [{key: 'Amazon EC2', amount: 11}, {key: 'Amazon RDS', amount: 6}], unit: 'USD'},
    ])
    expect(run.usage()).toEqual({requests: 2, costUsd: 0.02, fromCache: 0, cachedAt: []})
  })

  it('answers the same query from the day\'s cache without creating a client; --refresh asks again and rewrites', async () => {
    const dir = scratch()
    const cold = fakeExplorer(pages)
    await session(cold, dir).costAndUsage(query)

    const warm = fakeExplorer(pages)
    const warmRun = session(warm, dir)
    const cached = await warmRun.costAndUsage({...query, accounts: ['111111111111']})
    expect(cached).toHaveLength(2)
    expect(warm.connects()).toBe(0)
    expect(warmRun.usage()).toEqual({requests: 0, costUsd: 0, fromCache: 1, cachedAt: ['2026-11-15T09:30:00.000Z']})

    const changed = [{buckets: [bucket('2026-11-13', '2026-11-14', [['Amazon EC2', 99]])]}]
    const refreshed = fakeExplorer(changed)
    const refreshRun = session(refreshed, dir, true)
    expect((await refreshRun.costAndUsage(query))[0]!.groups).toEqual([{key: 'Amazon EC2', amount: 99}])
    expect(refreshRun.usage().requests).toBe(1)
    // The refreshed answer replaced the old one.
    const after = fakeExplorer(pages)
    expect((await session(after, dir).costAndUsage(query))[0]!.groups).toEqual([{key: 'Amazon EC2', amount: 99}])
    expect(after.requests).toHaveLength(0)
  })

  it('misses on another query, another day or a damaged file, and clears earlier days on write', async () => {
    const dir = scratch()
    await session(fakeExplorer(pages), dir).costAndUsage(query)
    const otherQuery = fakeExplorer(pages)
    await session(otherQuery, dir).costAndUsage({...query, accounts: ['222222222222']})
    expect(otherQuery.requests).toHaveLength(2)

    const nextDay = fakeExplorer(pages)
    await session(nextDay, dir, false, '2026-11-16').costAndUsage(query)
    expect(nextDay.requests).toHaveLength(2)
    expect(readdirSync(dir).every((name) => name.startsWith('2026-11-16-'))).toBe(true)

    for (const name of readdirSync(dir)) writeFileSync(join(dir, name), '{not json')
    const damaged = fakeExplorer(pages)
    await session(damaged, dir, false, '2026-11-16').costAndUsage(query)
    expect(damaged.requests).toHaveLength(2)
  })

  it('writes its files 0600 in a folder it creates 0700, whatever the umask', async () => {
    const dir = join(scratch(), 'fintech', 'cost')
    const umask = process.umask(0)
    try {
      await session(fakeExplorer(pages), dir).costAndUsage(query)
    } finally {
      process.umask(umask)
    }
    const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8)
    expect(readdirSync(dir).map((name) => modeOf(join(dir, name)))).toEqual(['600'])
    expect(modeOf(dir)).toBe('700')
  })

  it('keeps the cache under FINTECH_CACHE_DIR, XDG_CACHE_HOME or ~/.cache', () => {
    expect(costCacheDir({FINTECH_CACHE_DIR: '/tmp/x'}, '/home/a')).toBe('/tmp/x/cost')
    expect(costCacheDir({XDG_CACHE_HOME: '/var/cache/a'}, '/home/a')).toBe('/var/cache/a/fintech/cost')
    expect(costCacheDir({}, '/home/a')).toBe('/home/a/.cache/fintech/cost')
  })
})

describe('cost report', () => {
  const options = (spec: string, by: string, today = '2026-11-15'): ReportOptions => ({
    period: parsePeriod(spec, today),
    grouping: parseGrouping(by),
    metric: 'UnblendedCost',
    envs: ENVS,
    knownEnvs: ENVS,
  })
  const usage = {requests: 1, costUsd: 0.01, fromCache: 0, cachedAt: []}

  it('splits the one query into the two periods with changes, series filled with zeros, largest first', () => {
    const report = summarise(
      [
        bucket('2026-11-08', '2026-11-09', [['Amazon RDS', 4], ['AWS KMS', 2]]),
        bucket('2026-11-12', '2026-11-13', [['Amazon RDS', 6], ['Amazon EC2', 3]]),
        bucket('2026-11-14', '2026-11-15', [['Amazon EC2', 9], ['AWS KMS', 0]], true),
      ],
      options('4d', 'service'),
      usage,
    )
    expect(report.period).toEqual({spec: '4d', granularity: 'daily', current: {start: '2026-11-11', end: '2026-11-15'}, previous: {start: '2026-11-07', end: '2026-11-11'}})
    expect(report.groups.map((group) => [group.label, group.current, group.previous, group.change, group.changePercent])).toEqual([
      ['Amazon EC2', 12, 0, 12, null],
      ['Amazon RDS', 6, 4, 2, 50],
      ['AWS KMS', 0, 2, -2, -100],
    ])
    expect(report.groups[0]!.series).toEqual([
      {start: '2026-11-11', amount: 0},
      {start: '2026-11-12', amount: 3},
      {start: '2026-11-13', amount: 0},
      {start: '2026-11-14', amount: 9},
    ])
    expect(report.total).toMatchObject({current: 18, previous: 6, change: 12, changePercent: 200})
    expect(report.total.previousSeries.map((point) => point.amount)).toEqual([0, 6, 0, 0])
    expect(report).toMatchObject({by: 'service', envs: ['dev', 'test', 'prod'], unit: 'USD', estimated: true, costExplorer: usage})
  })

  it('names accounts by env and tag values without their key; leaves out days of neither period (mtd)', () => {
    const byEnv = summarise([bucket('2026-11-02', '2026-11-03', [['111111111111', 5], ['999999999999', 1]])], options('mtd', 'env'), usage)
    expect(byEnv.groups.map((group) => [group.key, group.label])).toEqual([
      ['111111111111', 'dev'],
      ['999999999999', '999999999999'],
    ])
    const byTag = summarise(
      [
        bucket('2026-10-20', '2026-10-21', [['CostCenter$CC-1', 100]]), // after the comparable days of October
        bucket('2026-11-02', '2026-11-03', [['CostCenter$CC-1', 7], ['CostCenter$', 2]]),
      ],
      options('mtd', 'tag:CostCenter'),
      usage,
    )
    expect(byTag.by).toBe('tag:CostCenter')
    expect(byTag.groups.map((group) => [group.label, group.current, group.previous])).toEqual([
      ['CC-1', 7, 0],
      ['(untagged)', 2, 0],
    ])
  })

  it('asks one grouped, filtered query covering both periods', async () => {
    const explorer = fakeExplorer([{buckets: []}])
    const report = await buildCostReport(session(explorer, scratch()), {...options('3m', 'tag:Owner'), envs: [ENVS[0]!]})
    expect(explorer.requests).toEqual([
      {
        query: {start: '2026-05-01', end: '2026-11-01', granularity: 'MONTHLY', metric: 'UnblendedCost', groupBy: {type: 'TAG', key: 'Owner'}, accounts: ['111111111111']},
        token: undefined,
      },
    ])
    expect(report.groups).toEqual([])
    expect(report.total.series).toEqual([
      {start: '2026-08-01', amount: 0},
      {start: '2026-09-01', amount: 0},
      {start: '2026-10-01', amount: 0},
    ])
    expect(report.costExplorer.requests).toBe(1)
  })

  it('reads --by service, env and tag:<Key>, and nothing else', () => {
    expect(parseGrouping('service')).toEqual({kind: 'service'})
    expect(parseGrouping('env')).toEqual({kind: 'env'})
    expect(parseGrouping('tag:Cost Center')).toEqual({kind: 'tag', tagKey: 'Cost Center'})
    for (const bad of ['region', 'tag:', 'Service']) {
      expect(() => parseGrouping(bad)).toThrow(InputError)
      expect(() => parseGrouping(bad)).toThrow(`--by "${bad}" is not a grouping: use service, env or tag:<Key> (e.g. tag:CostCenter)`)
    }
  })
})

describe('cost forecast', () => {
  const forecast: ForecastResult = {
    total: 1500,
    unit: 'USD',
    periods: [
      {start: '2026-11-15', end: '2026-12-01', mean: 500.004, lower: 450, upper: 560},
      {start: '2026-12-01', end: '2027-01-01', mean: 1000, lower: 900, upper: 1150},
    ],
  }

  it('adds the month so far to the forecast of its rest, and forecasts next month, in two requests', async () => {
    const explorer = fakeExplorer([{buckets: [{start: '2026-11-01', end: '2026-11-15', estimated: true, total: 420.5, groups: [], unit: 'USD'}]}], forecast)
    const result = await buildForecast(session(explorer, scratch()), {today: '2026-11-15', metric: 'UnblendedCost', envs: [ENVS[2]!]})
    expect(explorer.requests.map((request) => request.query)).toEqual([
      {start: '2026-11-01', end: '2026-11-15', granularity: 'MONTHLY', metric: 'UnblendedCost', accounts: ['333333333333']},
      {start: '2026-11-15', end: '2027-01-01', granularity: 'MONTHLY', metric: 'UnblendedCost', accounts: ['333333333333'], predictionIntervalLevel: 80},
    ])
    expect(result).toEqual({
      envs: ['prod'],
      metric: 'UnblendedCost',
      unit: 'USD',
      predictionIntervalLevel: 80,
      today: '2026-11-15',
      thisMonth: {month: '2026-11', actualToDate: 420.5, remaining: {mean: 500, lower: 450, upper: 560}, total: {mean: 920.5, lower: 870.5, upper: 980.5}},
      nextMonth: {month: '2026-12', mean: 1000, lower: 900, upper: 1150},
      costExplorer: {requests: 2, costUsd: 0.02, fromCache: 0, cachedAt: []},
    })
  })

  it('on the first of the month forecasts the whole month in one request', async () => {
    const explorer = fakeExplorer([], {...forecast, periods: [{...forecast.periods[0]!, start: '2026-12-01'}, {start: '2027-01-01', end: '2027-02-01', mean: 1, lower: 1, upper: 1}]})
    const result = await buildForecast(session(explorer, scratch()), {today: '2026-12-01', metric: 'UnblendedCost', envs: ENVS})
    expect(explorer.requests).toHaveLength(1)
    expect(result.thisMonth).toMatchObject({month: '2026-12', actualToDate: 0, total: {mean: 500}})
  })

  it('says which month Cost Explorer left out', async () => {
    const explorer = fakeExplorer([{buckets: []}], {...forecast, periods: [forecast.periods[0]!]})
    await expect(buildForecast(session(explorer, scratch()), {today: '2026-11-15', metric: 'UnblendedCost', envs: ENVS})).rejects.toThrow(
      'Cost Explorer returned no forecast for 2026-12 (periods: 2026-11-15)',
    )
  })
})

describe('ResponseCache per asking account', () => {
  it('answers a query only to the account that asked it, at the endpoint it asked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fintech-cost-scope-'))
    const cache = new ResponseCache(dir, '2026-11-15')
    const request = {TimePeriod: {Start: '2026-10-01', End: '2026-11-01'}, Granularity: 'MONTHLY'}
    cache.put(asking(PAYER), request, {total: 629.53}, new Date('2026-11-15T08:00:00Z'))
    expect(cache.get(asking(PAYER), request)).toEqual({value: {total: 629.53}, fetchedAt: '2026-11-15T08:00:00.000Z'})
    expect(cache.get(asking('111111111111'), request)).toBeUndefined()
    expect(cache.get({account: PAYER, endpoint: 'http://127.0.0.1:4566'}, request)).toBeUndefined()
  })
})

describe('CostExplorerSession across credentials', () => {
  const query: CostUsageQuery = {start: '2026-11-01', end: '2026-11-15', granularity: 'MONTHLY', metric: 'UnblendedCost'}
  const total = (amount: number): CostUsagePage[] => [{buckets: [{start: '2026-11-01', end: '2026-11-15', estimated: false, total: amount, groups: [], unit: 'USD'}]}]

  it('gives each account its own figures for the same query on the same day, and the same account the cached one', async () => {
    const dir = scratch()
    // The management account sees every account's costs; the dev member account only its own.
    const payer = fakeExplorer(total(629.53))
    expect((await session(payer, dir, false, '2026-11-15', asking(PAYER)).costAndUsage(query))[0]!.total).toBe(629.53)

    const member = fakeExplorer(total(62.95))
    const memberRun = session(member, dir, false, '2026-11-15', asking('111111111111'))
    expect((await memberRun.costAndUsage(query))[0]!.total).toBe(62.95)
    expect(member.requests).toHaveLength(1)
    expect(memberRun.usage()).toMatchObject({requests: 1, fromCache: 0})

    const memberAgain = fakeExplorer(total(0))
    const memberAgainRun = session(memberAgain, dir, false, '2026-11-15', asking('111111111111'))
    expect((await memberAgainRun.costAndUsage(query))[0]!.total).toBe(62.95)
    expect(memberAgain.connects()).toBe(0)
    expect(memberAgainRun.usage()).toMatchObject({requests: 0, fromCache: 1})

    const payerAgain = fakeExplorer(total(0))
    expect((await session(payerAgain, dir, false, '2026-11-15', asking(PAYER)).costAndUsage(query))[0]!.total).toBe(629.53)
    expect(payerAgain.requests).toHaveLength(0)
  })

  it('asks who it is once per session, before the first answer, cached or not', async () => {
    const dir = scratch()
    const explorer = fakeExplorer(total(10))
    let asked = 0
    const run = new CostExplorerSession(explorer.connect, new ResponseCache(dir, '2026-11-15'), {
      refresh: false,
      clock,
      whoAsks: async () => {
        asked += 1
        return asking(PAYER)
      },
    })
    await run.costAndUsage(query)
    await run.costAndUsage(query)
    expect(asked).toBe(1)
    expect(run.usage()).toMatchObject({requests: 1, fromCache: 1})
  })

  it('fails without an answer when the caller\'s account cannot be found, rather than serve another account\'s figures', async () => {
    const dir = scratch()
    await session(fakeExplorer(total(629.53)), dir).costAndUsage(query)
    const explorer = fakeExplorer(total(62.95))
    const run = new CostExplorerSession(explorer.connect, new ResponseCache(dir, '2026-11-15'), {
      refresh: false,
      clock,
      whoAsks: async () => {
        throw Object.assign(new Error('Could not load credentials from any providers'), {name: 'CredentialsProviderError'})
      },
    })
    await expect(run.costAndUsage(query)).rejects.toThrow('Could not load credentials from any providers')
    expect(explorer.requests).toHaveLength(0)
  })
})
