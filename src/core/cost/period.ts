import {DateTime} from 'luxon'
import {InputError} from '../errors.js'

export const GRANULARITIES = ['daily', 'monthly'] as const
export type Granularity = (typeof GRANULARITIES)[number]

/** UTC calendar dates, `end` exclusive, as Cost Explorer takes them. */
export interface DateRange {
  start: string
  end: string
}

/**
 * What `--period` asks for: the current period, the one before it to compare with, and the
 * single Cost Explorer range that covers both (so a report costs one request, plus pages).
 */
export interface CostPeriod {
  spec: string
  granularity: Granularity
  current: DateRange
  previous: DateRange
  query: DateRange
}

export const MAX_DAYS = 180
export const MAX_MONTHS = 6

const PERIOD_HELP = `use Nd (the last N full days, 1-${MAX_DAYS}), Nm (the last N whole calendar months, 1-${MAX_MONTHS}) or mtd (month to date)`

const day = (iso: string) => DateTime.fromISO(iso, {zone: 'utc'})
const iso = (date: DateTime) => date.toISODate()!

/** Today's UTC date, the day Cost Explorer and the cache count in. */
export const utcDate = (now: Date): string => now.toISOString().slice(0, 10)

/**
 * Reads `--period` against today's UTC date. Periods end with yesterday (today has no full
 * day of data yet) and the previous period has the same length just before, except:
 * - `Nm` is N whole calendar months ending with last month, compared with the N months before;
 * - `mtd` is this month up to yesterday, compared with the same number of days of last month.
 * Monthly granularity only fits `Nm`: a month bucket of another period would straddle the
 * boundary between the two halves.
 */
export function parsePeriod(spec: string, today: string, granularity?: Granularity): CostPeriod {
  const now = day(today)
  const thisMonth = now.startOf('month')
  const text = spec.trim().toLowerCase()
  let current: DateRange
  let previous: DateRange
  let natural: Granularity

  const days = /^(\d+)d$/.exec(text)
  const months = /^(\d+)m$/.exec(text)
  if (days) {
    const count = Number(days[1])
    if (count < 1 || count > MAX_DAYS) throw new InputError(`--period ${spec}: days must be 1 to ${MAX_DAYS} (Cost Explorer keeps about 13 months and the comparison needs twice the period)`)
    current = {start: iso(now.minus({days: count})), end: today}
    previous = {start: iso(now.minus({days: 2 * count})), end: current.start}
    natural = 'daily'
  } else if (months) {
    const count = Number(months[1])
    if (count < 1 || count > MAX_MONTHS) throw new InputError(`--period ${spec}: months must be 1 to ${MAX_MONTHS} (Cost Explorer keeps about 13 months and the comparison needs twice the period)`)
    current = {start: iso(thisMonth.minus({months: count})), end: iso(thisMonth)}
    previous = {start: iso(thisMonth.minus({months: 2 * count})), end: current.start}
    natural = 'monthly'
  } else if (text === 'mtd') {
    if (now.day === 1) throw new InputError('--period mtd is empty on the first day of a month (no full day yet)', 'use --period 1m for last month')
    const elapsed = now.day - 1
    const lastMonth = thisMonth.minus({months: 1})
    current = {start: iso(thisMonth), end: today}
    previous = {start: iso(lastMonth), end: iso(DateTime.min(lastMonth.plus({days: elapsed}), thisMonth))}
    natural = 'daily'
  } else {
    throw new InputError(`--period "${spec}" is not a period: ${PERIOD_HELP}`)
  }

  const chosen = granularity ?? natural
  if (chosen === 'monthly' && !months) {
    throw new InputError(`--granularity monthly needs a period of whole months (e.g. 3m), not ${spec}`, 'use --granularity daily')
  }
  return {spec: text, granularity: chosen, current, previous, query: {start: previous.start, end: current.end}}
}

/** The starts of the buckets Cost Explorer returns for a range: every day, or every month. */
export function bucketStarts(range: DateRange, granularity: Granularity): string[] {
  const starts: string[] = []
  const end = day(range.end)
  for (let cursor = day(range.start); cursor < end; cursor = cursor.plus(granularity === 'daily' ? {days: 1} : {months: 1})) {
    starts.push(iso(cursor))
  }
  return starts
}

export const inRange = (date: string, range: DateRange) => date >= range.start && date < range.end

/** Number of days in a range. */
export const daysIn = (range: DateRange) => Math.round(day(range.end).diff(day(range.start), 'days').days)

/** The last day a range covers, for people (ranges end exclusive). */
export const lastDay = (range: DateRange) => iso(day(range.end).minus({days: 1}))

export const addDays = (date: string, count: number) => iso(day(date).plus({days: count}))
export const addMonths = (date: string, count: number) => iso(day(date).plus({months: count}))
export const startOfMonth = (date: string) => iso(day(date).startOf('month'))
