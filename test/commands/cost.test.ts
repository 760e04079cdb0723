import {CostExplorerClient, GetCostAndUsageCommand, GetCostForecastCommand, type ResultByTime} from '@aws-sdk/client-cost-explorer'
import {DescribeTaskDefinitionCommand, ECSClient} from '@aws-sdk/client-ecs'
import {GetProductsCommand, PricingClient} from '@aws-sdk/client-pricing'
import {GetObjectCommand, ListObjectsV2Command} from '@aws-sdk/client-s3'
import {GetCallerIdentityCommand} from '@aws-sdk/client-sts'
import {mockClient} from 'aws-sdk-client-mock'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import CostEstimate from '../../src/commands/cost/estimate.js'
import CostForecast from '../../src/commands/cost/forecast.js'
import CostReport from '../../src/commands/cost/report.js'
import CostSavings from '../../src/commands/cost/savings.js'
import Plan from '../../src/commands/plan.js'
import {addDays} from '../../src/core/cost/period.js'
import {manifestKey, serializeManifest, type Manifest} from '../../src/core/shutdown/manifest.js'
import {cfn, s3, sts} from '../helpers/aws-mocks.js'
import {runCli} from '../helpers/run-cli.js'

const CONFIG = fileURLToPath(new URL('../../fintech.config.yaml', import.meta.url))
const NOW = new Date('2026-11-15T09:30:00Z')
const ACCOUNTS = {management: '444444444444', dev: '111111111111', test: '222222222222', prod: '333333333333'}

const ce = mockClient(CostExplorerClient)
const ecs = mockClient(ECSClient)
const pricing = mockClient(PricingClient)

beforeEach(() => {
  vi.useFakeTimers({toFake: ['Date']})
  vi.setSystemTime(NOW)
  // Anything a test does not answer is a call the command should not make.
  const unanswered = new Error('not mocked')
  ce.reset().onAnyCommand().rejects(unanswered)
  ecs.reset().onAnyCommand().rejects(unanswered)
  pricing.reset().onAnyCommand().rejects(unanswered)
  s3.reset().onAnyCommand().rejects(unanswered)
  cfn.reset().onAnyCommand().rejects(unanswered)
  sts.reset().onAnyCommand().rejects(unanswered)
  // The cost commands run from the management (payer) account unless a test says otherwise.
  sts.on(GetCallerIdentityCommand).resolves({Account: ACCOUNTS.management, Arn: `arn:aws:sts::${ACCOUNTS.management}:assumed-role/finance/bob`, UserId: 'AROA'})
  process.env.FINTECH_CACHE_DIR = mkdtempSync(join(tmpdir(), 'fintech-cost-cache-'))
  delete process.env.AWS_ENDPOINT_URL
})
afterEach(() => vi.useRealTimers())
afterAll(() => {
  for (const mock of [ce, ecs, pricing]) mock.restore()
  delete process.env.FINTECH_CACHE_DIR
})

/** One day of Cost Explorer output grouped by key. */
const day = (start: string, groups: Record<string, number>, estimated = false): ResultByTime => ({
  TimePeriod: {Start: start, End: addDays(start, 1)},
  Total: {},
  Groups: Object.entries(groups).map(([key, amount]) => ({Keys: [key], Metrics: {UnblendedCost: {Amount: String(amount), Unit: 'USD'}}})),
  Estimated: estimated,
})

/** `--period 7d` on 2026-11-15: previous 11-01..11-07 (EC2 10/day), current 11-08..11-14 (EC2 12/day); RDS 5/day throughout. */
const SEVEN_DAYS = Array.from({length: 14}, (_, index) => {
  const start = addDays('2026-11-01', index)
  return day(start, {'Amazon Elastic Compute Cloud - Compute': index < 7 ? 10 : 12, 'Amazon Relational Database Service': 5}, index === 13)
})

const report = (...args: string[]) => runCli(CostReport, ['--config', CONFIG, ...args])

describe('fintech cost report', () => {
  it('asks one query for both periods, and reports changes, bars, trends and the request it paid for', async () => {
    ce.on(GetCostAndUsageCommand).resolves({ResultsByTime: SEVEN_DAYS})
    const run = await report('--env', 'dev', '--by', 'service', '--period', '7d', '--json')

    expect(run.exitCode, run.stderr).toBe(0)
    expect(ce.commandCalls(GetCostAndUsageCommand).map((call) => call.args[0].input)).toEqual([
      {
        TimePeriod: {Start: '2026-11-01', End: '2026-11-15'},
        Granularity: 'DAILY',
        Metrics: ['UnblendedCost'],
        GroupBy: [{Type: 'DIMENSION', Key: 'SERVICE'}],
        Filter: {Dimensions: {Key: 'LINKED_ACCOUNT', Values: [ACCOUNTS.dev]}},
      },
    ])
    const json = run.json
    expect(json.period).toEqual({spec: '7d', granularity: 'daily', current: {start: '2026-11-08', end: '2026-11-15'}, previous: {start: '2026-11-01', end: '2026-11-08'}})
    expect(json.groups.map((group: any) => [group.label, group.current, group.previous, group.change, group.changePercent])).toEqual([
      ['Amazon Elastic Compute Cloud - Compute', 84, 70, 14, 20],
      ['Amazon Relational Database Service', 35, 35, 0, 0],
    ])
    expect(json.total).toMatchObject({key: 'total', label: 'Total', current: 119, previous: 105, change: 14, changePercent: 13.3})
    expect(json.total.series).toHaveLength(7)
    expect(json).toMatchObject({by: 'service', envs: ['dev'], metric: 'UnblendedCost', unit: 'USD', estimated: true, costExplorer: {requests: 1, costUsd: 0.01, fromCache: 0, cachedAt: []}})

    const text = await report('--env', 'dev', '--period', '7d')
    // Same query on the same day: from the cache, no request.
    expect(ce.commandCalls(GetCostAndUsageCommand)).toHaveLength(1)
    expect(text.stdout).toContain('Cost of dev by service (UnblendedCost, USD)')
    expect(text.stdout).toContain('current  2026-11-08 – 2026-11-14  (7 days, daily)')
    expect(text.stdout).toContain('previous 2026-11-01 – 2026-11-07')
    const ec2 = text.stdout.split('\n').find((line) => line.startsWith('Amazon Elastic Compute Cloud'))!
    expect(ec2).toMatch(/84\.00\s+70\.00\s+\+14\.00\s+\+20\.0%\s+█{20}\s+█{7}$/)
    const rds = text.stdout.split('\n').find((line) => line.startsWith('Amazon Relational Database'))!
    expect(rds).toMatch(/35\.00\s+35\.00\s+0\.00\s+0\.0%\s+█{8}▍\s+█{7}$/)
    expect(text.stdout).toMatch(/Total\s+119\.00\s+105\.00\s+\+14\.00\s+\+13\.3%\s+█{7}/)
    expect(text.stdout).toContain('Some figures are estimated: Cost Explorer may still revise the last days.')
    expect(text.stdout.trimEnd().split('\n').at(-1)).toBe("Cost Explorer: 0 requests ($0.00), answer from today's cache (fetched 09:30 UTC); --refresh fetches again")

    const refreshed = await report('--env', 'dev', '--period', '7d', '--refresh')
    expect(ce.commandCalls(GetCostAndUsageCommand)).toHaveLength(2)
    expect(refreshed.stdout.trimEnd().split('\n').at(-1)).toBe('Cost Explorer: 1 request ($0.01)')
  })

  it('keeps each account\'s answers apart when the credentials in the environment change, and serves the same account from the cache', async () => {
    // One profile (none) and one endpoint throughout: only AWS_ACCESS_KEY_ID changes, and STS names the account it belongs to.
    const accountOfKey: Record<string, string> = {AKIAPAYER: ACCOUNTS.management, AKIADEVMEMBER: ACCOUNTS.dev}
    sts.on(GetCallerIdentityCommand).callsFake(async (_input, getClient) => {
      const {accessKeyId} = await (getClient().config.credentials as () => Promise<{accessKeyId: string}>)()
      return {Account: accountOfKey[accessKeyId], Arn: `arn:aws:sts::${accountOfKey[accessKeyId]}:assumed-role/finance/bob`, UserId: 'AROA'}
    })
    /** Two weeks of days, all of the cost on yesterday. */
    const yesterdayOnly = (amount: number) => Array.from({length: 14}, (_, index) => day(addDays('2026-11-01', index), {'Amazon Elastic Compute Cloud - Compute': index === 13 ? amount : 0}))
    // The management account sees every account's costs; the dev member account, asking the same query, only its own.
    ce.on(GetCostAndUsageCommand).resolvesOnce({ResultsByTime: yesterdayOnly(629.53)}).resolvesOnce({ResultsByTime: yesterdayOnly(62.95)})
    const saved = {id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY}
    const as = (accessKeyId: string) => {
      process.env.AWS_ACCESS_KEY_ID = accessKeyId
      process.env.AWS_SECRET_ACCESS_KEY = `secret-of-${accessKeyId}`
      return report('--env', 'dev', '--period', '7d', '--json')
    }
    try {
      const payer = await as('AKIAPAYER')
      expect(payer.exitCode, payer.stderr).toBe(0)
      expect(payer.json.total.current).toBe(629.53)

      const member = await as('AKIADEVMEMBER')
      expect(member.exitCode, member.stderr).toBe(0)
      expect(member.json.total.current).toBe(62.95)
      expect(member.json.costExplorer).toEqual({requests: 1, costUsd: 0.01, fromCache: 0, cachedAt: []})

      const memberAgain = await as('AKIADEVMEMBER')
      expect(memberAgain.json.total.current).toBe(62.95)
      expect(memberAgain.json.costExplorer).toMatchObject({requests: 0, fromCache: 1})
      const payerAgain = await as('AKIAPAYER')
      expect(payerAgain.json.total.current).toBe(629.53)
      expect(payerAgain.json.costExplorer).toMatchObject({requests: 0, fromCache: 1})
    } finally {
      for (const [name, value] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
        if (value === undefined) delete process.env[name]
        else process.env[name] = value
      }
    }
    // Two accounts, two questions: the same query went to Cost Explorer once for each.
    expect(ce.commandCalls(GetCostAndUsageCommand)).toHaveLength(2)
    expect(new Set(ce.commandCalls(GetCostAndUsageCommand).map((call) => JSON.stringify(call.args[0].input))).size).toBe(1)
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(4)
  })

  it('follows every page and counts each one', async () => {
    ce.on(GetCostAndUsageCommand)
      .resolvesOnce({ResultsByTime: SEVEN_DAYS.slice(0, 7), NextPageToken: 'page-2'})
      .resolvesOnce({ResultsByTime: SEVEN_DAYS.slice(7)})
    const run = await report('--env', 'dev', '--period', '7d')
    expect(run.exitCode, run.stderr).toBe(0)
    expect(ce.commandCalls(GetCostAndUsageCommand).map((call) => call.args[0].input.NextPageToken)).toEqual([undefined, 'page-2'])
    expect(run.stdout).toMatch(/Total\s+119\.00\s+105\.00/)
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('Cost Explorer: 2 requests ($0.02)')
  })

  it('groups by env over every account of the config, naming each account by its env', async () => {
    ce.on(GetCostAndUsageCommand).resolves({ResultsByTime: [day('2026-11-10', {[ACCOUNTS.prod]: 90, [ACCOUNTS.dev]: 8, '999999999999': 1})]})
    const run = await report('--by', 'env', '--period', '7d', '--json')
    const input = ce.commandCalls(GetCostAndUsageCommand)[0]!.args[0].input
    expect(input.GroupBy).toEqual([{Type: 'DIMENSION', Key: 'LINKED_ACCOUNT'}])
    expect(input.Filter).toEqual({Dimensions: {Key: 'LINKED_ACCOUNT', Values: [ACCOUNTS.management, ACCOUNTS.dev, ACCOUNTS.test, ACCOUNTS.prod]}})
    expect(run.json.groups.map((group: any) => [group.key, group.label, group.current])).toEqual([
      [ACCOUNTS.prod, 'prod', 90],
      [ACCOUNTS.dev, 'dev', 8],
      ['999999999999', '999999999999', 1],
    ])
    expect(run.json.envs).toEqual(['management', 'dev', 'test', 'prod'])
  })

  it('groups by a tag over whole months, and writes CSV to a file and to stdout', async () => {
    ce.on(GetCostAndUsageCommand).resolves({
      ResultsByTime: ['2026-09-01', '2026-10-01'].map((start, index) => ({
        TimePeriod: {Start: start, End: index === 0 ? '2026-10-01' : '2026-11-01'},
        Total: {},
        Groups: [
          {Keys: ['CostCenter$CC-4100'], Metrics: {UnblendedCost: {Amount: String(100 + index * 50), Unit: 'USD'}}},
          {Keys: ['CostCenter$'], Metrics: {UnblendedCost: {Amount: '3.5', Unit: 'USD'}}},
        ],
      })),
    })
    const file = join(mkdtempSync(join(tmpdir(), 'fintech-csv-')), 'costs.csv')
    const run = await report('--env', 'prod', '--env', 'test', '--by', 'tag:CostCenter', '--period', '1m', '--csv', file, '--format', 'csv')
    expect(run.exitCode, run.stderr).toBe(0)
    const input = ce.commandCalls(GetCostAndUsageCommand)[0]!.args[0].input
    expect(input).toMatchObject({TimePeriod: {Start: '2026-09-01', End: '2026-11-01'}, Granularity: 'MONTHLY', GroupBy: [{Type: 'TAG', Key: 'CostCenter'}]})
    expect(input.Filter).toEqual({Dimensions: {Key: 'LINKED_ACCOUNT', Values: [ACCOUNTS.prod, ACCOUNTS.test]}})
    const expected = [
      'group,key,period,start,amount,unit',
      'CC-4100,CostCenter$CC-4100,previous,2026-09-01,100.00,USD',
      'CC-4100,CostCenter$CC-4100,current,2026-10-01,150.00,USD',
      '(untagged),CostCenter$,previous,2026-09-01,3.50,USD',
      '(untagged),CostCenter$,current,2026-10-01,3.50,USD',
      'Total,total,previous,2026-09-01,103.50,USD',
      'Total,total,current,2026-10-01,153.50,USD',
      '',
    ].join('\n')
    expect(readFileSync(file, 'utf8')).toBe(expected)
    expect(run.stdout).toBe(expected)
    expect(run.stderr).toContain(`CSV written to ${file}`)
  })

  it.each([
    [['--env', 'staging'], 'unknown environment "staging" (--env): use one of management, dev, test, prod'],
    [['--period', '2w'], '--period "2w" is not a period: use Nd (the last N full days, 1-180), Nm (the last N whole calendar months, 1-6) or mtd (month to date)'],
    [['--period', '365d'], '--period 365d: days must be 1 to 180'],
    [['--by', 'region'], '--by "region" is not a grouping: use service, env or tag:<Key> (e.g. tag:CostCenter)'],
    [['--granularity', 'hourly'], 'Expected --granularity=hourly to be one of: daily, monthly'],
    [['--period', '30d', '--granularity', 'monthly'], '--granularity monthly needs a period of whole months (e.g. 3m), not 30d'],
    [['--metric', 'Cost'], 'Expected --metric=Cost to be one of: UnblendedCost, AmortizedCost, NetUnblendedCost, NetAmortizedCost, BlendedCost'],
  ])('refuses %j with exit 2 before asking Cost Explorer', async (args, message) => {
    const run = await report(...args)
    expect(run.exitCode).toBe(2)
    expect(run.stderr.replaceAll('›', ' ').replace(/\s+/g, ' ')).toContain(message)
    expect(ce.calls()).toHaveLength(0)
  })
})

describe('fintech cost forecast', () => {
  it('adds the month so far to the forecast of its rest, and forecasts next month', async () => {
    ce.on(GetCostAndUsageCommand).resolves({ResultsByTime: [{TimePeriod: {Start: '2026-11-01', End: '2026-11-15'}, Total: {UnblendedCost: {Amount: '1234.5', Unit: 'USD'}}, Groups: [], Estimated: true}]})
    ce.on(GetCostForecastCommand).resolves({
      Total: {Amount: '4100', Unit: 'USD'},
      ForecastResultsByTime: [
        {TimePeriod: {Start: '2026-11-15', End: '2026-12-01'}, MeanValue: '1400', PredictionIntervalLowerBound: '1300', PredictionIntervalUpperBound: '1550'},
        {TimePeriod: {Start: '2026-12-01', End: '2027-01-01'}, MeanValue: '2700', PredictionIntervalLowerBound: '2400', PredictionIntervalUpperBound: '3000'},
      ],
    })
    const run = await runCli(CostForecast, ['--config', CONFIG, '--env', 'prod', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(ce.commandCalls(GetCostForecastCommand)[0]!.args[0].input).toEqual({
      TimePeriod: {Start: '2026-11-15', End: '2027-01-01'},
      Granularity: 'MONTHLY',
      Metric: 'UNBLENDED_COST',
      PredictionIntervalLevel: 80,
      Filter: {Dimensions: {Key: 'LINKED_ACCOUNT', Values: [ACCOUNTS.prod]}},
    })
    expect(run.json).toMatchObject({
      envs: ['prod'],
      thisMonth: {month: '2026-11', actualToDate: 1234.5, remaining: {mean: 1400, lower: 1300, upper: 1550}, total: {mean: 2634.5, lower: 2534.5, upper: 2784.5}},
      nextMonth: {month: '2026-12', mean: 2700, lower: 2400, upper: 3000},
      costExplorer: {requests: 2, costUsd: 0.02},
    })

    const text = await runCli(CostForecast, ['--config', CONFIG, '--env', 'prod'])
    expect(text.stdout).toMatch(/2026-11\s+1,234\.50\s+2,634\.50\s+2,534\.50 – 2,784\.50/)
    expect(text.stdout).toMatch(/2026-12\s+2,700\.00\s+2,400\.00 – 3,000\.00/)
    expect(text.stdout).toContain('2026-11: 1,234.50 up to 2026-11-14, plus 1,400.00 (1,300.00 – 1,550.00) forecast from 2026-11-15 to the end of the month.')
    expect(text.stdout).toContain("Cost Explorer: 0 requests ($0.00), 2 answers from today's cache")
    expect(ce.calls()).toHaveLength(2)
  })
})

describe('fintech cost estimate', () => {
  it('prices the env\'s stages from the snapshot with no AWS call', async () => {
    const run = await runCli(CostEstimate, ['--config', CONFIG, '--env', 'prod', '--stage', 'data', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect([...ce.calls(), ...pricing.calls(), ...s3.calls(), ...sts.calls(), ...cfn.calls()]).toHaveLength(0)
    expect(run.json.stages.map((stage: any) => stage.name)).toEqual(['data'])
    // Each item is rounded to the cent, and the total is the sum of what the table shows.
    const aurora = 2 * 440.92 // 0.604 × 730
    const redis = 3 * (87.45 + 8.8) // 0.1198 × 730, 100 GiB × 0.088
    const secondary = 2 * 402.96 // the recovery region's Aurora instances, at us-east-1's 0.552 × 730
    expect(run.json.monthlyUsd).toBe(Math.round((aurora + redis + 0.4 + secondary) * 100) / 100)
    expect(run.json).toMatchObject({env: 'prod', region: 'eu-west-1', prices: 'snapshot 2026-11', warnings: []})

    const text = await runCli(CostEstimate, ['--config', CONFIG, '--env', 'prod', '--stage', 'data', '--details'])
    expect(text.stdout).toMatch(/AuroraWriter: 1 × db\.r7g\.xlarge Aurora PostgreSQL instance\s+440\.92/)
    expect(text.stdout).toMatch(/SessionsGlobalTable \(AWS::DynamoDB::GlobalTable\)\s+-\s+not priced: usage-based/)
    expect(text.stdout).toMatch(/AuroraInstance1: 1 × db\.r7g\.xlarge Aurora PostgreSQL instance\s+402\.96/)
  })

  it('asks the Price List API with --online', async () => {
    pricing.on(GetProductsCommand).resolves({
      PriceList: [JSON.stringify({terms: {OnDemand: {o: {priceDimensions: {d: {unit: 'Hrs', pricePerUnit: {USD: '0.5000000000'}}}}}}})],
    })
    const run = await runCli(CostEstimate, ['--config', CONFIG, '--env', 'dev', '--stage', 'data', '--online', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(pricing.commandCalls(GetProductsCommand).map((call) => call.args[0].input.Filters![0]!.Value)).toEqual(['db.t4g.medium', 't4g.small'])
    const writer = run.json.stages[0].stacks[0].items.find((item: any) => item.logicalId === 'AuroraWriter')
    expect(writer).toMatchObject({unitPriceUsd: 0.5, source: 'online', monthlyUsd: 365})
  })
})

describe('fintech plan', () => {
  it('ends with each stage\'s monthly estimate, in text and JSON', async () => {
    const json = await runCli(Plan, ['--config', CONFIG, '--env', 'dev', '--offline', '--json'])
    expect(json.exitCode, json.stderr).toBe(0)
    expect(json.json.estimate).toEqual({
      currency: 'USD',
      prices: 'snapshot 2026-11',
      monthlyUsd: 241.69,
      stages: [
        {name: 'foundation', monthlyUsd: 2},
        {name: 'networking', monthlyUsd: 94.9},
        {name: 'data', monthlyUsd: 104.37},
        {name: 'compute', monthlyUsd: 40.42},
      ],
    })
    const text = await runCli(Plan, ['--config', CONFIG, '--env', 'dev', '--stage', 'data', '--offline'])
    expect(text.stdout).toMatch(/Monthly estimate \(USD, on-demand list prices, snapshot 2026-11; usage-based charges not included; `fintech cost estimate` itemises\):\n\s+data\s+104\.37\n\s+total\s+104\.37/)
  })
})

describe('fintech cost savings', () => {
  const BUCKET = 'fintech-artifacts-111111111111-eu-west-1'
  const TASK = 'arn:aws:ecs:eu-west-1:111111111111:task-definition/fintech-dev-ledger:3'
  const manifest: Manifest = {
    version: 1,
    env: 'dev',
    account: ACCOUNTS.dev,
    region: 'eu-west-1',
    night: '2026-11-10',
    status: 'started',
    createdAt: '2026-11-10T20:00:00Z',
    runs: [],
    resources: [
      {kind: 'ec2-instance', id: 'i-0abc', region: 'eu-west-1', tier: 'redis', instanceType: 't4g.small', prior: {state: 'running'}, stop: {result: 'done', at: '2026-11-10T20:00:00Z'}, start: {result: 'done', at: '2026-11-11T07:00:00Z'}},
      {
        kind: 'ecs-service',
        id: 'arn:aws:ecs:eu-west-1:111111111111:service/fintech-dev/ledger',
        region: 'eu-west-1',
        tier: 'ledger',
        clusterArn: 'arn:aws:ecs:eu-west-1:111111111111:cluster/fintech-dev',
        name: 'ledger',
        taskDefinition: TASK,
        prior: {desiredCount: 2, scaling: null},
        stop: {result: 'done', at: '2026-11-10T20:00:00Z'},
        start: {result: 'done', at: '2026-11-11T06:00:00Z'},
      },
    ],
  }

  it('prices the manifests\' stopped hours and sets Cost Explorer and ElastiCache beside them', async () => {
    const key = manifestKey('dev', '2026-11-10')
    s3.on(ListObjectsV2Command).resolves({Contents: [{Key: key}], KeyCount: 1})
    s3.on(GetObjectCommand).resolves({Body: {transformToString: async () => serializeManifest(manifest)} as never, ETag: '"1"'})
    ecs.on(DescribeTaskDefinitionCommand).resolves({taskDefinition: {cpu: '512', memory: '1024'}})
    ce.on(GetCostAndUsageCommand).callsFake((input) => {
      const results = []
      for (let date = input.TimePeriod.Start; date < input.TimePeriod.End; date = addDays(date, 1)) {
        results.push({TimePeriod: {Start: date, End: addDays(date, 1)}, Total: {UnblendedCost: {Amount: date < '2026-11-10' ? '9' : '6', Unit: 'USD'}}, Groups: []})
      }
      return {ResultsByTime: results}
    })

    const run = await runCli(CostSavings, ['--config', CONFIG, '--env', 'dev', '--compare-days', '7', '--json'])
    expect(run.exitCode, run.stderr + run.stdout).toBe(0)
    expect(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input).toMatchObject({Bucket: BUCKET, ExpectedBucketOwner: ACCOUNTS.dev, Prefix: 'fintech/shutdown/dev/manifests/'})
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({Bucket: BUCKET, ExpectedBucketOwner: ACCOUNTS.dev, Key: key})
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand).map((call) => call.args[0].input)).toEqual([{taskDefinition: TASK}])
    expect(ce.commandCalls(GetCostAndUsageCommand).map((call) => call.args[0].input)).toEqual([
      {TimePeriod: {Start: '2026-11-03', End: '2026-11-15'}, Granularity: 'DAILY', Metrics: ['UnblendedCost'], Filter: {Dimensions: {Key: 'LINKED_ACCOUNT', Values: [ACCOUNTS.dev]}}},
    ])
    const taskHour = 2 * (0.5 * 0.04048 + 0.004445)
    expect(run.json.resources.map((row: any) => [row.id, row.size, row.stoppedHours, row.savedUsd])).toEqual([
      ['i-0abc', 't4g.small', 11, Math.round(11 * 0.0184 * 100) / 100],
      ['arn:aws:ecs:eu-west-1:111111111111:service/fintech-dev/ledger', '2 tasks × 0.5 vCPU, 1 GB', 10, Math.round(10 * taskHour * 100) / 100],
    ])
    expect(run.json.costExplorer.comparison).toEqual({
      before: {start: '2026-11-03', end: '2026-11-10'},
      after: {start: '2026-11-11', end: '2026-11-15'},
      dailyAverageBefore: 9,
      dailyAverageAfter: 6,
      dailyChange: -3,
      monthlyChange: -91.2,
    })
    expect(run.json.redis).toMatchObject({nodes: 3, instanceTypes: ['t4g.small'], elastiCache: {nodeTypes: ['cache.t4g.small'], monthlyUsd: 78.84}})
    expect(run.json.manifests).toEqual({bucket: BUCKET, read: 1, firstNight: '2026-11-10'})

    const text = await runCli(CostSavings, ['--config', CONFIG, '--env', 'dev', '--compare-days', '7'])
    expect(text.stdout).toContain(`manifests: 1 read from s3://${BUCKET}; first night 2026-11-10`)
    expect(text.stdout).toMatch(/i-0abc\s+redis\s+t4g\.small\s+11\.0\s+0\.0184\s+0\.20/)
    expect(text.stdout).toMatch(/before the schedule 2026-11-03 – 2026-11-09\s+9\.00/)
    expect(text.stdout).toMatch(/change\s+-3\.00 a day, -91\.20 a month/)
    expect(text.stdout).toMatch(/ElastiCache cache\.t4g\.small\s+78\.84\s+\(cannot be stopped\)/)
    expect(text.stdout).toMatch(/self-hosted, with schedule\s+45\.37\s+\(stopped 0\.5% of node-hours\)/)
    expect(text.stdout).toContain('ElastiCache would cost 33.47 a month more')
    expect(text.stdout.trimEnd().split('\n').at(-1)).toBe("Cost Explorer: 0 requests ($0.00), answer from today's cache (fetched 09:30 UTC); --refresh fetches again")
  })

  it('needs --env and refuses an unknown one with exit 2', async () => {
    const missing = await runCli(CostSavings, ['--config', CONFIG])
    expect(missing.exitCode).toBe(2)
    expect(missing.stderr).toContain('Missing required flag env')
    const unknown = await runCli(CostSavings, ['--config', CONFIG, '--env', 'qa'])
    expect(unknown.exitCode).toBe(2)
    expect(unknown.stderr).toContain('unknown environment "qa" (--env)')
    expect([...s3.calls(), ...ce.calls()]).toHaveLength(0)
  })
})
