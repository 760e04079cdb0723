/**
 * `fintech cost report` against moto_server, whose Cost Explorer answers GetCostAndUsage from
 * results preset through POST /moto-api/static/ce/cost-and-usage-results: each distinct
 * request body takes the next preset result and keeps it. moto has no GetCostForecast and no
 * Price List API; those are covered with mocks (test/commands/cost.test.ts).
 */
import {existsSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {AssumeRoleCommand, STSClient} from '@aws-sdk/client-sts'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {addDays, parsePeriod, utcDate} from '../../src/core/cost/period.js'
import {ACCOUNT, errorText, explain, REGION, runCli, useMoto} from './moto.js'

const TEST_ACCOUNT = '210987654321'

const CONFIG = `project: fintech
environments:
  dev:
    account: "${ACCOUNT}"
    region: us-east-1
    tags: {Environment: dev, CostCenter: CC-1, Owner: platform, Service: fintech, DataClassification: internal}
  test:
    account: "${TEST_ACCOUNT}"
    region: us-east-1
    tags: {Environment: test, CostCenter: CC-1, Owner: platform, Service: fintech, DataClassification: internal}
stages:
  - name: network
    stacks:
      - id: network
        template: templates/network.yaml
`

const ctx = useMoto()
let savedCacheHome: string | undefined

beforeAll(() => {
  savedCacheHome = process.env.XDG_CACHE_HOME
})
afterAll(() => {
  if (savedCacheHome === undefined) delete process.env.XDG_CACHE_HOME
  else process.env.XDG_CACHE_HOME = savedCacheHome
})

let config: string
beforeEach(() => {
  config = join(ctx.dir, 'fintech.config.yaml')
  writeFileSync(config, CONFIG)
  // The CLI child inherits it (the harness passes on everything but AWS_* and FINTECH_*).
  process.env.XDG_CACHE_HOME = join(ctx.dir, 'cache')
})

/** Queues Cost Explorer results for `account` (moto keeps them per account: what that account's callers get). */
async function preset(results: unknown[], account = ACCOUNT): Promise<void> {
  const response = await fetch(`${ctx.moto.endpoint}/moto-api/static/ce/cost-and-usage-results`, {
    method: 'POST',
    headers: {'content-type': 'application/json'},
    body: JSON.stringify({results, account_id: account}),
  })
  expect(response.status).toBe(201)
}

/** One result per day of `range` (end exclusive): each group's amount for that day. */
function daily(range: {start: string; end: string}, amounts: (date: string) => Record<string, number>, nextPageToken?: string) {
  const results = []
  for (let date = range.start; date < range.end; date = addDays(date, 1)) {
    results.push({
      TimePeriod: {Start: date, End: addDays(date, 1)},
      Total: {},
      Groups: Object.entries(amounts(date)).map(([key, amount]) => ({Keys: [key], Metrics: {UnblendedCost: {Amount: amount.toFixed(4), Unit: 'USD'}}})),
      Estimated: false,
    })
  }
  return {ResultsByTime: results, DimensionValueAttributes: [], ...(nextPageToken ? {NextPageToken: nextPageToken} : {})}
}

const report = (...args: string[]) => ctx.run(['cost', 'report', '--config', config, ...args])

describe('cost report against moto', {timeout: 90_000}, () => {
  it('reports two preset weeks of costs, then answers from the day\'s cache, and --refresh asks again', async () => {
    const period = parsePeriod('7d', utcDate(new Date()))
    const previousDays = new Set<string>()
    for (let date = period.previous.start; date < period.previous.end; date = addDays(date, 1)) previousDays.add(date)
    await preset([daily(period.query, (date) => ({'Amazon Elastic Compute Cloud - Compute': previousDays.has(date) ? 10 : 12.5, 'AWS Key Management Service': 1}))])

    const cold = await report('--env', 'dev', '--by', 'service', '--period', '7d', '--json')
    expect(cold.exitCode, explain(cold)).toBe(0)
    expect(cold.json.period).toMatchObject({current: period.current, previous: period.previous, granularity: 'daily'})
    expect(cold.json.groups.map((group: any) => [group.label, group.current, group.previous, group.change, group.changePercent])).toEqual([
      ['Amazon Elastic Compute Cloud - Compute', 87.5, 70, 17.5, 25],
      ['AWS Key Management Service', 7, 7, 0, 0],
    ])
    expect(cold.json.total).toMatchObject({current: 94.5, previous: 77, change: 17.5, changePercent: 22.7})
    expect(cold.json.total.series.map((point: any) => point.amount)).toEqual(Array(7).fill(13.5))
    expect(cold.json.costExplorer).toEqual({requests: 1, costUsd: 0.01, fromCache: 0, cachedAt: []})
    const cacheDir = join(ctx.dir, 'cache', 'fintech', 'cost')
    expect(existsSync(cacheDir) && readdirSync(cacheDir).filter((name) => name.endsWith('.json'))).toHaveLength(1)
    // Read-only: no audit line.
    expect(cold.audit).toEqual([])

    const warm = await report('--env', 'dev', '--by', 'service', '--period', '7d')
    expect(warm.exitCode, explain(warm)).toBe(0)
    expect(warm.stdout).toMatch(/Amazon Elastic Compute Cloud - Compute\s+87\.50\s+70\.00\s+\+17\.50\s+\+25\.0%\s+█{20}/)
    expect(warm.stdout).toMatch(/Total\s+94\.50\s+77\.00\s+\+17\.50\s+\+22\.7%\s+█{7}/)
    expect(warm.stdout).toContain("Cost Explorer: 0 requests ($0.00), answer from today's cache")

    // moto keeps the result it gave this request body, so asking again returns the same figures.
    const refreshed = await report('--env', 'dev', '--by', 'service', '--period', '7d', '--refresh', '--json')
    expect(refreshed.exitCode, explain(refreshed)).toBe(0)
    expect(refreshed.json.costExplorer.requests).toBe(1)
    expect(refreshed.json.total.current).toBe(94.5)
  })

  it('gives each account its own figures when the credentials change through environment variables, and the same account its cached answer', async () => {
    const period = parsePeriod('7d', utcDate(new Date()))
    const yesterday = addDays(period.query.end, -1)
    const yesterdayOnly = (amount: number) => daily(period.query, (date) => ({'Amazon Elastic Compute Cloud - Compute': date === yesterday ? amount : 0}))
    // Here moto's default account plays the payer, which sees every account's costs, and the test env's account a member.
    await preset([yesterdayOnly(629.53)], ACCOUNT)
    await preset([yesterdayOnly(62.95)], TEST_ACCOUNT)
    const sts = new STSClient({endpoint: ctx.moto.endpoint, region: REGION, credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}})
    const {Credentials: member} = await sts.send(new AssumeRoleCommand({RoleArn: `arn:aws:iam::${TEST_ACCOUNT}:role/cost-reader`, RoleSessionName: 'member'}))
    sts.destroy()
    const asMember = {AWS_ACCESS_KEY_ID: member!.AccessKeyId!, AWS_SECRET_ACCESS_KEY: member!.SecretAccessKey!, AWS_SESSION_TOKEN: member!.SessionToken!}
    // The same command, the same (no) profile, the same endpoint: only the credentials in the environment differ.
    const args = ['cost', 'report', '--config', config, '--env', 'test', '--period', '7d', '--json']

    const payer = await ctx.run(args)
    expect(payer.exitCode, explain(payer)).toBe(0)
    expect(payer.json.total.current).toBe(629.53)

    const memberRun = await runCli(ctx.moto, args, ctx.auditLog, asMember)
    expect(memberRun.exitCode, explain(memberRun)).toBe(0)
    expect(memberRun.json.total.current).toBe(62.95)
    expect(memberRun.json.costExplorer).toEqual({requests: 1, costUsd: 0.01, fromCache: 0, cachedAt: []})

    const memberAgain = await runCli(ctx.moto, args, ctx.auditLog, asMember)
    expect(memberAgain.json.total.current).toBe(62.95)
    expect(memberAgain.json.costExplorer).toMatchObject({requests: 0, costUsd: 0, fromCache: 1})
    const payerAgain = await ctx.run(args)
    expect(payerAgain.json.total.current).toBe(629.53)
    expect(payerAgain.json.costExplorer).toMatchObject({requests: 0, fromCache: 1})
  })

  it('follows NextPageToken and names each account by its env', async () => {
    const period = parsePeriod('3d', utcDate(new Date()))
    const days = [...Array(6).keys()].map((index) => addDays(period.query.start, index))
    await preset([
      daily({start: days[0]!, end: days[3]!}, () => ({[ACCOUNT]: 4, [TEST_ACCOUNT]: 2}), 'page-2'),
      daily({start: days[3]!, end: period.query.end}, () => ({[ACCOUNT]: 5, [TEST_ACCOUNT]: 1})),
    ])
    const run = await report('--by', 'env', '--period', '3d', '--json')
    expect(run.exitCode, explain(run)).toBe(0)
    expect(run.json.groups.map((group: any) => [group.key, group.label, group.current, group.previous])).toEqual([
      [ACCOUNT, 'dev', 15, 12],
      [TEST_ACCOUNT, 'test', 3, 6],
    ])
    expect(run.json.costExplorer).toMatchObject({requests: 2, costUsd: 0.02})
  })

  it('refuses bad input with exit 2 before any request', async () => {
    const period = parsePeriod('7d', utcDate(new Date()))
    await preset([daily(period.query, () => ({'Amazon Simple Storage Service': 2}))])
    for (const [args, message] of [
      [['--env', 'prod'], 'unknown environment "prod" (--env): use one of dev, test'],
      [['--period', 'fortnight'], '--period "fortnight" is not a period'],
      [['--by', 'account'], '--by "account" is not a grouping'],
      [['--granularity', 'weekly'], 'Expected --granularity=weekly to be one of: daily, monthly'],
    ] as const) {
      const run = await report(...args)
      expect(run.exitCode, explain(run)).toBe(2)
      expect(errorText(run.stderr)).toContain(message)
    }
    // The preset result is still queued: none of the runs above sent a request.
    const good = await report('--env', 'dev', '--period', '7d', '--json')
    expect(good.exitCode, explain(good)).toBe(0)
    expect(good.json.total.current).toBe(14)
  })
})
