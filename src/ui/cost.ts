import type {CostEstimate} from '../core/cost/estimate.js'
import type {CostExplorerUsage} from '../core/cost/explorer.js'
import type {CostForecastReport} from '../core/cost/forecast.js'
import {addDays, daysIn, lastDay, type DateRange} from '../core/cost/period.js'
import type {CostReport, GroupCost} from '../core/cost/report.js'
import type {SavingsReport} from '../core/cost/savings.js'
import {bar, sparkline} from './charts.js'
import {stdoutPalette} from './colour.js'

const money = (amount: number) => amount.toLocaleString('en-US', {minimumFractionDigits: 2, maximumFractionDigits: 2})
const signed = (amount: number) => `${amount > 0 ? '+' : amount < 0 ? '-' : ''}${money(Math.abs(amount))}`
const percent = (value: number | null) => (value === null ? 'new' : `${value > 0 ? '+' : ''}${value.toFixed(1)}%`)
const span = (range: DateRange) => `${range.start} – ${lastDay(range)}`
const fit = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width))

/** The Cost Explorer line every cost command ends with: requests made, their price, cache use. */
export function costExplorerFooter(usage: CostExplorerUsage): string {
  const requests = `${usage.requests} request${usage.requests === 1 ? '' : 's'} ($${usage.costUsd.toFixed(2)})`
  if (usage.fromCache === 0) return `Cost Explorer: ${requests}`
  const fetched = usage.cachedAt[0]?.slice(11, 16)
  const cached = `${usage.fromCache === 1 ? 'answer' : `${usage.fromCache} answers`} from today's cache${fetched ? ` (fetched ${fetched} UTC)` : ''}`
  return `Cost Explorer: ${requests}, ${cached}; --refresh fetches again`
}

const BAR_WIDTH = 20

/** The report as a table with a bar per group (current period) and a sparkline over time. */
export function renderReport(report: CostReport, options: {top: number}): string {
  const {period} = report
  const scope = report.envs.length > 0 ? report.envs.join(', ') : 'every account'
  const lines = [
    `Cost of ${scope} by ${report.by} (${report.metric}, ${report.unit})`,
    `  current  ${span(period.current)}  (${daysIn(period.current)} days, ${period.granularity})`,
    `  previous ${span(period.previous)}`,
    '',
  ]
  const shown = report.groups.slice(0, options.top)
  const rest = report.groups.slice(options.top)
  const nameWidth = Math.min(40, Math.max(12, ...shown.map((group) => group.label.length), report.by.length))
  const max = Math.max(0, ...shown.map((group) => group.current))
  const numbers = (group: GroupCost) =>
    `${money(group.current).padStart(12)}${money(group.previous).padStart(12)}${signed(group.change).padStart(12)}${percent(group.changePercent).padStart(9)}`
  lines.push(`${fit(report.by === 'service' ? 'Service' : report.by === 'env' ? 'Env' : report.by, nameWidth)}${'current'.padStart(12)}${'previous'.padStart(12)}${'change'.padStart(12)}${'%'.padStart(9)}  ${''.padEnd(BAR_WIDTH)}  trend`)
  for (const group of shown) {
    lines.push(`${fit(group.label, nameWidth)}${numbers(group)}  ${bar(group.current, max, BAR_WIDTH)}  ${sparkline(group.series.map((point) => point.amount))}`.trimEnd())
  }
  if (rest.length > 0) {
    const current = rest.reduce((sum, group) => sum + group.current, 0)
    const previous = rest.reduce((sum, group) => sum + group.previous, 0)
    lines.push(`${fit(`${rest.length} more`, nameWidth)}${money(current).padStart(12)}${money(previous).padStart(12)}${signed(current - previous).padStart(12)}`)
  }
  if (report.groups.length === 0) lines.push('  (no cost in either period)')
  lines.push(`${fit('Total', nameWidth)}${numbers(report.total)}  ${''.padEnd(BAR_WIDTH)}  ${sparkline(report.total.series.map((point) => point.amount))}`.trimEnd())
  lines.push('')
  if (report.estimated) lines.push('Some figures are estimated: Cost Explorer may still revise the last days.')
  lines.push(costExplorerFooter(report.costExplorer))
  return lines.join('\n')
}

/** The report as CSV: one row per group and bucket of both periods (long form, for pivot tables). */
export function reportCsv(report: CostReport): string {
  const quote = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value)
  const rows = ['group,key,period,start,amount,unit']
  for (const group of [...report.groups, report.total]) {
    for (const [name, series] of [['previous', group.previousSeries], ['current', group.series]] as const) {
      for (const point of series) rows.push([quote(group.label), quote(group.key), name, point.start, point.amount.toFixed(2), report.unit].join(','))
    }
  }
  return `${rows.join('\n')}\n`
}

export function renderForecast(forecast: CostForecastReport): string {
  const scope = forecast.envs.length > 0 ? forecast.envs.join(', ') : 'every account'
  const range = (interval: {lower: number; upper: number}) => `${money(interval.lower)} – ${money(interval.upper)}`
  const {thisMonth, nextMonth} = forecast
  return [
    `Forecast of ${scope} (${forecast.metric}, ${forecast.unit}; ${forecast.predictionIntervalLevel}% prediction interval)`,
    '',
    `${'month'.padEnd(10)}${'so far'.padStart(12)}${'forecast'.padStart(12)}  interval`,
    `${thisMonth.month.padEnd(10)}${money(thisMonth.actualToDate).padStart(12)}${money(thisMonth.total.mean).padStart(12)}  ${range(thisMonth.total)}`,
    `${nextMonth.month.padEnd(10)}${''.padStart(12)}${money(nextMonth.mean).padStart(12)}  ${range(nextMonth)}`,
    '',
    thisMonth.actualToDate === 0 && forecast.today.endsWith('-01')
      ? `${thisMonth.month}: forecast whole, from today.`
      : `${thisMonth.month}: ${money(thisMonth.actualToDate)} up to ${addDays(forecast.today, -1)}, plus ${money(thisMonth.remaining.mean)} (${range(thisMonth.remaining)}) forecast from ${forecast.today} to the end of the month.`,
    costExplorerFooter(forecast.costExplorer),
  ].join('\n')
}

export function renderSavings(report: SavingsReport): string {
  const lines = [
    `Savings of the shutdown schedule in ${report.env} (account ${report.account}, ${report.region})`,
    `  window ${report.window.start.slice(0, 16)}Z – ${report.window.end.slice(0, 16)}Z (${report.window.hours} hours); prices: ${report.prices}`,
    `  manifests: ${report.manifests.read} read from s3://${report.manifests.bucket}${report.manifests.firstNight ? `; first night ${report.manifests.firstNight}` : ''}`,
    '',
  ]
  if (report.resources.length === 0) {
    lines.push('Nothing was stopped in the window.')
  } else {
    const idWidth = Math.min(48, Math.max(8, ...report.resources.map((row) => row.id.length)))
    lines.push(`${'resource'.padEnd(idWidth)}  ${'tier'.padEnd(8)}  ${'size'.padEnd(28)}${'stopped h'.padStart(10)}${'$/hour'.padStart(9)}${'saved'.padStart(11)}`)
    for (const row of report.resources) {
      lines.push(
        `${fit(row.id, idWidth)}  ${row.tier.padEnd(8)}  ${fit(row.size, 28)}${row.stoppedHours.toFixed(1).padStart(10)}${(row.hourlyUsd === null ? '-' : row.hourlyUsd.toFixed(4)).padStart(9)}${(row.savedUsd === null ? 'not priced' : money(row.savedUsd)).padStart(11)}`,
      )
      if (row.note && row.savedUsd === null) lines.push(`  ${row.note}`)
    }
    lines.push(`${'saved'.padEnd(idWidth + 48)}${money(report.savedUsd).padStart(11)}`, `  ≈ ${money(report.projectedMonthlyUsd)} a month at this rate (730 hours)`)
  }
  lines.push('')
  const comparison = report.costExplorer.comparison
  if (comparison) {
    lines.push(
      `Cost Explorer, ${report.env}'s whole account, daily average:`,
      `  ${'before the schedule'.padEnd(20)}${span(comparison.before)}  ${money(comparison.dailyAverageBefore).padStart(10)}`,
      `  ${'after'.padEnd(20)}${span(comparison.after)}  ${money(comparison.dailyAverageAfter).padStart(10)}`,
      `  ${'change'.padEnd(20)}${signed(comparison.dailyChange)} a day, ${signed(comparison.monthlyChange)} a month`,
    )
  } else {
    lines.push(`Cost Explorer: no before/after comparison (${report.costExplorer.note})`)
  }
  lines.push('')
  const redis = report.redis
  if (redis && !redis.note) {
    lines.push(
      `Redis: ${redis.nodes} self-hosted node${redis.nodes === 1 ? '' : 's'} (${redis.instanceTypes.join(', ')}) against ElastiCache, a month:`,
      `  self-hosted, always on     ${money(redis.selfHosted.monthlyUsd).padStart(10)}  (instances ${money(redis.selfHosted.computeMonthlyUsd)}, gp3 ${money(redis.selfHosted.storageMonthlyUsd)})`,
    )
    if (redis.withSchedule) lines.push(`  self-hosted, with schedule ${money(redis.withSchedule.monthlyUsd).padStart(10)}  (stopped ${(redis.withSchedule.stoppedShare * 100).toFixed(1)}% of node-hours)`)
    if (redis.elastiCache) {
      lines.push(`  ElastiCache ${redis.elastiCache.nodeTypes.join(', ').padEnd(15)}${money(redis.elastiCache.monthlyUsd).padStart(10)}  (cannot be stopped)`)
      const difference = redis.differenceMonthlyUsd
      if (difference !== null) lines.push(`  ElastiCache would cost ${money(Math.abs(difference))} a month ${difference >= 0 ? 'more' : 'less'}`)
    }
  } else {
    lines.push(`Redis: ${redis?.note ?? 'no self-hosted Redis node in the templates of this env'}`)
  }
  lines.push(...report.warnings.map((warning) => stdoutPalette.warn(`warning: ${warning}`)))
  lines.push(costExplorerFooter(report.costExplorer.usage))
  return lines.join('\n')
}

export function renderEstimate(estimate: CostEstimate, options: {details: boolean}): string {
  const lines = [`Monthly estimate for ${estimate.env} (${estimate.region}), ${estimate.currency}, ${estimate.hoursPerMonth} hours a month, on-demand list prices (${estimate.prices})`]
  for (const stage of estimate.stages) {
    lines.push('', `${stage.name.padEnd(40)}${money(stage.monthlyUsd).padStart(12)}`)
    for (const stack of stage.stacks) {
      if (stage.stacks.length > 1) lines.push(`  ${stack.stackName.padEnd(38)}${money(stack.monthlyUsd).padStart(12)}`)
      for (const item of stack.items) {
        lines.push(`    ${fit(`${item.logicalId}: ${item.description}`, 68)}${money(item.monthlyUsd).padStart(12)}${item.note ? `  ${item.note}` : ''}`)
      }
      if (options.details) {
        for (const resource of stack.notPriced) lines.push(`    ${fit(`${resource.logicalId} (${resource.type})`, 68)}${'-'.padStart(12)}  not priced: ${resource.reason}`)
      } else {
        const usage = stack.notPriced.filter((resource) => !resource.reason.startsWith('no charge'))
        if (usage.length > 0) lines.push(`    not priced (usage-based): ${usage.map((resource) => resource.logicalId).join(', ')}`)
      }
    }
  }
  lines.push('', `${'total'.padEnd(40)}${money(estimate.monthlyUsd).padStart(12)}`, 'Requests, storage, data transfer and other usage are not included.')
  lines.push(...estimate.warnings.map((warning) => stdoutPalette.warn(`warning: ${warning}`)))
  return lines.join('\n')
}

/** The short form `fintech plan` appends: a line per stage. */
export function renderStageEstimates(estimate: CostEstimate): string {
  return [
    `Monthly estimate (${estimate.currency}, on-demand list prices, ${estimate.prices}; usage-based charges not included; \`fintech cost estimate\` itemises):`,
    ...estimate.stages.map((stage) => `  ${stage.name.padEnd(16)}${money(stage.monthlyUsd).padStart(12)}`),
    `  ${'total'.padEnd(16)}${money(estimate.monthlyUsd).padStart(12)}`,
  ].join('\n')
}
