import {FintechError} from '../errors.js'
import type {CostMetric, ForecastPeriod} from './api.js'
import type {CostExplorerSession, CostExplorerUsage} from './explorer.js'
import {addMonths, startOfMonth} from './period.js'
import {accountsOf, type AccountEnv} from './report.js'

export const PREDICTION_INTERVAL_LEVEL = 80

export interface Interval {
  mean: number
  lower: number
  upper: number
}

export interface CostForecastReport {
  envs: string[]
  metric: CostMetric
  unit: string
  /** Percent: the true figure falls between lower and upper with this confidence. */
  predictionIntervalLevel: number
  today: string
  thisMonth: {
    month: string
    /** Cost so far this month (up to yesterday; today has no full day yet). */
    actualToDate: number
    /** The rest of the month, from today, as forecast. */
    remaining: Interval
    /** actualToDate + remaining. */
    total: Interval
  }
  nextMonth: {month: string} & Interval
  costExplorer: CostExplorerUsage
}

const cents = (amount: number) => Math.round(amount * 100) / 100
const interval = (period: ForecastPeriod): Interval => ({mean: cents(period.mean), lower: cents(period.lower), upper: cents(period.upper)})

/**
 * This month and the next: what this month has cost so far (GetCostAndUsage, skipped on
 * the 1st) plus GetCostForecast from today to the end of next month, monthly, with its
 * prediction interval. Two requests on a cold cache, none on a warm one.
 */
export async function buildForecast(
  session: CostExplorerSession,
  options: {today: string; metric: CostMetric; envs: AccountEnv[]},
): Promise<CostForecastReport> {
  const {today, metric} = options
  const accounts = accountsOf(options.envs)
  const monthStart = startOfMonth(today)
  const nextMonthStart = addMonths(monthStart, 1)

  let actualToDate = 0
  let unit: string | undefined
  if (today !== monthStart) {
    const buckets = await session.costAndUsage({start: monthStart, end: today, granularity: 'MONTHLY', metric, accounts})
    actualToDate = buckets.reduce((sum, bucket) => sum + (bucket.total ?? bucket.groups.reduce((groups, group) => groups + group.amount, 0)), 0)
    unit = buckets.find((bucket) => bucket.unit)?.unit
  }

  const forecast = await session.forecast({
    start: today,
    end: addMonths(monthStart, 2),
    granularity: 'MONTHLY',
    metric,
    accounts,
    predictionIntervalLevel: PREDICTION_INTERVAL_LEVEL,
  })
  const periodFrom = (start: string, month: string) => {
    const found = forecast.periods.find((period) => period.start === start)
    if (!found) throw new FintechError(`Cost Explorer returned no forecast for ${month} (periods: ${forecast.periods.map((period) => period.start).join(', ') || 'none'})`)
    return found
  }
  const remaining = interval(periodFrom(today, monthStart.slice(0, 7)))
  const next = interval(periodFrom(nextMonthStart, nextMonthStart.slice(0, 7)))
  const actual = cents(actualToDate)
  return {
    envs: options.envs.map((env) => env.name),
    metric,
    unit: unit ?? forecast.unit,
    predictionIntervalLevel: PREDICTION_INTERVAL_LEVEL,
    today,
    thisMonth: {
      month: monthStart.slice(0, 7),
      actualToDate: actual,
      remaining,
      total: {mean: cents(actual + remaining.mean), lower: cents(actual + remaining.lower), upper: cents(actual + remaining.upper)},
    },
    nextMonth: {month: nextMonthStart.slice(0, 7), ...next},
    costExplorer: session.usage(),
  }
}
