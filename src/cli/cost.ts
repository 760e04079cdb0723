import {writeFileSync} from 'node:fs'
import type {AwsTarget} from '../aws/clients.js'
import {resolveEnv, type ResolvedEnv, type TargetFlags} from '../core/config/env.js'
import type {LoadedConfig} from '../core/config/load.js'
import {type CostMetric, type PriceListApi, type TaskDefinitionApi} from '../core/cost/api.js'
import {costCacheDir, ResponseCache, type CostAsker} from '../core/cost/cache.js'
import {estimateEnvironment, type CostEstimate} from '../core/cost/estimate.js'
import {CostExplorerSession} from '../core/cost/explorer.js'
import {buildForecast, type CostForecastReport} from '../core/cost/forecast.js'
import {parsePeriod, utcDate, type Granularity} from '../core/cost/period.js'
import {PriceBook} from '../core/cost/prices.js'
import {buildCostReport, parseGrouping, type AccountEnv, type CostReport} from '../core/cost/report.js'
import {buildSavings, type SavingsReport} from '../core/cost/savings.js'
import {systemClock, type Clock} from '../core/clock.js'
import {ExitCode, FintechError, InputError} from '../core/errors.js'
import {stateBucketOf} from '../core/shutdown/scope.js'
import {planEnvironment, type EnvironmentPlan} from '../core/stages/plan.js'
import {selectStages} from '../core/stages/select.js'
import {renderEstimate, renderForecast, renderReport, renderSavings, reportCsv} from '../ui/cost.js'
import type {CommandIO, Outcome} from './command-io.js'

export {PRICED_TYPES, type CostEstimate} from '../core/cost/estimate.js'
export {PREDICTION_INTERVAL_LEVEL, type CostForecastReport} from '../core/cost/forecast.js'
export {GRANULARITIES} from '../core/cost/period.js'
export type {CostReport} from '../core/cost/report.js'
export type {SavingsReport} from '../core/cost/savings.js'

/**
 * Glue shared by the `fintech cost` commands. They only read: no account guard (they may run
 * from the management account, which sees every linked account) and no audit line.
 */


/** The named envs (each is an account), or every env of the config when none is named. */
export function accountEnvs(loaded: LoadedConfig, names: string[] | undefined): AccountEnv[] {
  const chosen = names && names.length > 0 ? [...new Set(names)] : Object.keys(loaded.config.environments)
  return chosen.map((name) => ({name, account: resolveEnv(loaded, name).account}))
}

export const allAccountEnvs = (loaded: LoadedConfig): AccountEnv[] =>
  Object.entries(loaded.config.environments).map(([name, env]) => ({name, account: env.account}))

const onlyEnv = (loaded: LoadedConfig, names: string[] | undefined): ResolvedEnv | undefined =>
  names && names.length === 1 ? resolveEnv(loaded, names[0]!) : undefined

/** Cost Explorer and the Price List API are global: us-east-1, as the one env's profile or --profile. */
export function globalTarget(loaded: LoadedConfig, only: ResolvedEnv | undefined, flags: {profile?: string}): AwsTarget {
  const profile = flags.profile ?? only?.profile
  return {region: 'us-east-1', ...(profile ? {profile} : {}), timeouts: loaded.config.aws}
}

/** Cost Explorer with the day's cache, keyed by the account the credentials belong to (STS, asked before the first query). */
export function openCostExplorer(target: AwsTarget, options: {refresh: boolean; clock: Clock}): CostExplorerSession {
  const cache = new ResponseCache(costCacheDir(), utcDate(options.clock.now()))
  const whoAsks = async (): Promise<CostAsker> => {
    const {createIdentityApi} = await import('../aws/sts.js')
    const {account} = await (await createIdentityApi(target)).whoAmI()
    return {account, endpoint: process.env.AWS_ENDPOINT_URL || 'AWS'}
  }
  return new CostExplorerSession(async () => (await import('../aws/cost-explorer.js')).createCostExplorerApi(target), cache, {...options, whoAsks})
}

/** The snapshot's prices for `region`; with `online`, the Price List API's first (created on first use). */
export function priceBook(region: string, online: {target: AwsTarget} | undefined): PriceBook {
  if (!online) return new PriceBook(region)
  let api: Promise<PriceListApi> | undefined
  const lazy: PriceListApi = {
    async onDemandHourly(...args) {
      api ??= import('../aws/pricing.js').then((module) => module.createPriceListApi(online.target))
      return (await api).onDemandHourly(...args)
    },
  }
  return new PriceBook(region, undefined, lazy)
}

export const metricOf = (flag: string) => flag as CostMetric

interface CostFlags {
  metric: string
  refresh: boolean
  profile?: string
}

/** `fintech cost estimate`: the monthly cost of what the env's templates create, at list prices. */
export async function costEstimateCommand(loaded: LoadedConfig, flags: TargetFlags & {env: string; stage: string; online: boolean; details: boolean}): Promise<Outcome<CostEstimate>> {
  const env = resolveEnv(loaded, flags.env, flags)
  const plan = planEnvironment(loaded, env, selectStages(loaded.config, flags.stage))
  const book = priceBook(env.target.region, flags.online ? {target: globalTarget(loaded, env, flags)} : undefined)
  const estimate = await estimateEnvironment(plan, book)
  return {text: renderEstimate(estimate, {details: flags.details}), exitCode: ExitCode.ok, result: estimate}
}

/** `fintech cost forecast`: this month and the next, from Cost Explorer. */
export async function costForecastCommand(loaded: LoadedConfig, flags: CostFlags & {env?: string[]}): Promise<Outcome<CostForecastReport>> {
  const envs = accountEnvs(loaded, flags.env)
  const session = openCostExplorer(globalTarget(loaded, onlyEnv(loaded, flags.env), flags), {refresh: flags.refresh, clock: systemClock})
  const forecast = await buildForecast(session, {today: utcDate(systemClock.now()), metric: metricOf(flags.metric), envs})
  return {text: renderForecast(forecast), exitCode: ExitCode.ok, result: forecast}
}

/** `fintech cost report`: cost by service, env or tag over a period, against the period before. */
export async function costReportCommand(
  loaded: LoadedConfig,
  flags: CostFlags & {env?: string[]; by: string; period: string; granularity?: string; top: number; format: string; csv?: string},
  io: CommandIO,
): Promise<Outcome<CostReport>> {
  const grouping = parseGrouping(flags.by)
  const period = parsePeriod(flags.period, utcDate(systemClock.now()), flags.granularity as Granularity | undefined)
  const envs = accountEnvs(loaded, flags.env)

  const session = openCostExplorer(globalTarget(loaded, onlyEnv(loaded, flags.env), flags), {refresh: flags.refresh, clock: systemClock})
  const report = await buildCostReport(session, {period, grouping, metric: metricOf(flags.metric), envs, knownEnvs: allAccountEnvs(loaded)})

  if (flags.csv) {
    try {
      writeFileSync(flags.csv, reportCsv(report))
    } catch (error) {
      throw new InputError(`cannot write --csv ${flags.csv}: ${(error as Error).message}`)
    }
    io.note(`CSV written to ${flags.csv}`)
  }
  const text = flags.format === 'csv' ? reportCsv(report).trimEnd() : renderReport(report, {top: flags.top})
  return {text, exitCode: ExitCode.ok, result: report}
}

/** `fintech cost savings`: what the shutdown schedule saved, and the Redis tier against ElastiCache. */
export async function costSavingsCommand(
  loaded: LoadedConfig,
  flags: CostFlags & TargetFlags & {env: string; period: string; 'compare-days': number; online: boolean},
): Promise<Outcome<SavingsReport>> {
  const env = resolveEnv(loaded, flags.env, flags)
  const now = systemClock.now()
  const today = utcDate(now)
  const window = parsePeriod(flags.period, today).current
  const {target} = env
  const bucket = stateBucketOf(loaded.config, env)
  const global = globalTarget(loaded, env, flags)

  const warnings: string[] = []
  let plan: EnvironmentPlan | undefined
  try {
    plan = planEnvironment(loaded, env, loaded.config.stages)
  } catch (error) {
    if (!(error instanceof FintechError)) throw error
    warnings.push(`Redis comparison skipped: ${error.message}`)
  }

  let taskApi: Promise<TaskDefinitionApi> | undefined
  const tasks: TaskDefinitionApi = {
    async taskSize(taskDefinition) {
      taskApi ??= import('../aws/ecs.js').then((module) => module.createTaskDefinitionApi(target))
      return (await taskApi).taskSize(taskDefinition)
    },
  }
  const {createStateStore} = await import('../aws/s3.js')
  const report = await buildSavings(
    {
      store: await createStateStore(target, bucket, env.account),
      tasks,
      session: openCostExplorer(global, {refresh: flags.refresh, clock: systemClock}),
      book: priceBook(target.region, flags.online ? {target: global} : undefined),
      plan,
      now,
    },
    {env: {name: flags.env, account: env.account}, region: target.region, bucket, window, compareDays: flags['compare-days'], metric: metricOf(flags.metric), today},
  )
  report.warnings.push(...warnings)
  return {text: renderSavings(report), exitCode: ExitCode.ok, result: report}
}
