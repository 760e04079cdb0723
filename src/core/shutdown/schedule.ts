import {DateTime, IANAZone} from 'luxon'
import {WEEKDAYS, type ScheduleConfig} from '../config/schema.js'

/**
 * The calendar of an env's schedule (fintech.config.yaml `schedule`), in its own time zone.
 *
 * - `stop` runs every day at its time, so weekends and holidays stay asleep and an Aurora
 *   cluster that AWS restarts after 7 days stopped is stopped again the same evening.
 * - `start` runs at its time on `days`. Cron cannot leave out holidays, so the start job
 *   fires on a holiday too and `shutdown start --scheduled` does nothing then (see
 *   shouldRunScheduled). No `start`: a stop-only schedule; someone starts the env by hand.
 * - Clock changes follow EventBridge Scheduler: a local time that does not exist that day
 *   (clocks go forward) is skipped; a local time that happens twice (clocks go back) runs
 *   once, at the first of the two.
 *
 * Instants go in and out as `Date` and ISO strings; luxon stays inside this module.
 */

export type ScheduledAction = 'stop' | 'start'

export interface ScheduleDecision {
  run: boolean
  /** One sentence for the log, e.g. "2026-12-25 is a holiday in the schedule". */
  reason: string
}

export interface Transition {
  action: ScheduledAction
  /** The instant, ISO 8601 in UTC. */
  at: string
  /** The same instant in the schedule's zone, ISO 8601 with its offset. */
  local: string
}

/** A day where a clock change moves a scheduled time: skipped (does not exist) or ambiguous (happens twice, runs once). */
export interface ClockChange {
  action: ScheduledAction
  date: string
  kind: 'skipped' | 'once'
  message: string
}

export interface EventBridgeExpressions {
  stop: string
  /** Absent for a stop-only schedule. */
  start?: string
  timezone: string
}

type Weekday = (typeof WEEKDAYS)[number]

const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']

/** A scheduled time of day as hours and minutes ("07:30" → 7, 30). */
function clock(time: string): {hour: number; minute: number} {
  const [hour, minute] = time.split(':').map(Number) as [number, number]
  return {hour, minute}
}

function zoneOf(schedule: ScheduleConfig): IANAZone {
  const zone = IANAZone.create(schedule.timezone)
  if (!zone.isValid) throw new RangeError(`"${schedule.timezone}" is not an IANA time zone`)
  return zone
}

const localOf = (schedule: ScheduleConfig, instant: Date): DateTime => DateTime.fromJSDate(instant, {zone: zoneOf(schedule)})

/** Monday is 1 in luxon and index 0 in WEEKDAYS. */
const weekdayOf = (local: DateTime): Weekday => WEEKDAYS[local.weekday - 1]!

/**
 * Every instant at which the local wall-clock `date` + `time` happens in the zone: none when
 * clocks skip it, two when they go back over it, else one. Worked out from the zone's offsets
 * rather than from luxon's choice for ambiguous times.
 */
function instantsAt(zone: IANAZone, date: DateTime, time: string): number[] {
  const {hour, minute} = clock(time)
  const wallClockAsUtc = Date.UTC(date.year, date.month - 1, date.day, hour, minute)
  const offsets = new Set([zone.offset(wallClockAsUtc - 86_400_000), zone.offset(wallClockAsUtc), zone.offset(wallClockAsUtc + 86_400_000)])
  return [...offsets]
    .map((offset) => wallClockAsUtc - offset * 60_000)
    .filter((instant) => zone.offset(instant) === (wallClockAsUtc - instant) / 60_000)
    .sort((a, b) => a - b)
}

/** The instant an action runs on a local date, or undefined when it does not run that day. */
function occurrence(schedule: ScheduleConfig, action: ScheduledAction, date: DateTime): number | undefined {
  const time = action === 'stop' ? schedule.stop : schedule.start
  if (time === undefined) return undefined
  if (action === 'start' && !schedule.days.includes(weekdayOf(date))) return undefined
  return instantsAt(zoneOf(schedule), date, time)[0]
}

/** The local calendar date (YYYY-MM-DD) of an instant in the schedule's zone. */
export function localDate(schedule: ScheduleConfig, instant: Date): string {
  return localOf(schedule, instant).toISODate()!
}

export const isHoliday = (schedule: ScheduleConfig, instant: Date): boolean => schedule.holidays.includes(localDate(schedule, instant))

/** True on the schedule's `days` when the local date is not one of its `holidays`. */
export function isWorkingDay(schedule: ScheduleConfig, instant: Date): boolean {
  return schedule.days.includes(weekdayOf(localOf(schedule, instant))) && !isHoliday(schedule, instant)
}

/**
 * Whether a scheduled run (`shutdown stop|start --scheduled`) should act at `instant`.
 * Stop always does. Start does only on a working day, and never for a stop-only schedule.
 */
export function shouldRunScheduled(schedule: ScheduleConfig, action: ScheduledAction, instant: Date): ScheduleDecision {
  const local = localOf(schedule, instant)
  const day = `${WEEKDAY_NAMES[local.weekday - 1]} ${local.toISODate()}`
  if (action === 'stop') return {run: true, reason: `the stop runs every day at ${schedule.stop} ${schedule.timezone}`}
  if (schedule.start === undefined) return {run: false, reason: 'the schedule is stop-only (no start time): the env is started by hand'}
  if (isHoliday(schedule, instant)) return {run: false, reason: `${day} is a holiday in the schedule`}
  if (!schedule.days.includes(weekdayOf(local))) {
    return {run: false, reason: `${day} is not a working day of the schedule (${schedule.days.join(', ')})`}
  }
  return {run: true, reason: `${day} is a working day of the schedule`}
}

/**
 * The night an instant belongs to, as the local date (YYYY-MM-DD) of the scheduled stop nearest
 * to it: the date the stop fires on. With stop at 20:00, everything from about 08:00 one day to
 * 08:00 the next belongs to the first day's night, so a stop that slips past midnight, the
 * morning start and a manual stop in the afternoon all name the same night the stop job does.
 * The manifest of a shutdown period is keyed by it (manifestKey).
 */
export function nightOf(schedule: ScheduleConfig, instant: Date): string {
  const today = localOf(schedule, instant).startOf('day')
  const target = instant.getTime()
  let nearest: {date: DateTime; distance: number} | undefined
  for (const date of [today.minus({days: 1}), today, today.plus({days: 1})]) {
    // A stop time the clocks skip that day still marks that day's night, an hour later.
    const {hour, minute} = clock(schedule.stop)
    const at = occurrence(schedule, 'stop', date) ?? date.set({hour, minute}).toMillis()
    const distance = Math.abs(at - target)
    if (!nearest || distance < nearest.distance) nearest = {date, distance}
  }
  return nearest!.date.toISODate()!
}

/**
 * The next `count` stops and starts strictly after `from`, in time order, as they will really
 * happen: starts on holidays are left out (the CLI skips them), DST-skipped times are left out.
 */
export function nextTransitions(schedule: ScheduleConfig, from: Date, count: number): Transition[] {
  const zone = zoneOf(schedule)
  const found: Transition[] = []
  let date = localOf(schedule, from).startOf('day').minus({days: 1})
  // A stop every day bounds the search; two years covers any count a person asks for.
  for (let day = 0; found.length < count && day < 731; day++, date = date.plus({days: 1})) {
    const runs = (['stop', 'start'] as const)
      .map((action) => ({action, instant: occurrence(schedule, action, date)}))
      .filter((run): run is {action: ScheduledAction; instant: number} => run.instant !== undefined && run.instant > from.getTime())
      .filter((run) => run.action === 'stop' || !schedule.holidays.includes(date.toISODate()!))
      .sort((a, b) => a.instant - b.instant)
    for (const run of runs) {
      found.push({
        action: run.action,
        at: new Date(run.instant).toISOString(),
        local: DateTime.fromMillis(run.instant, {zone}).toISO({suppressMilliseconds: true})!,
      })
    }
  }
  return found.slice(0, count)
}

/**
 * The days in `[from, from + days)` on which a clock change moves a stop or start: the time
 * does not exist (the run is skipped that day) or happens twice (it runs once). Worth a
 * warning when a schedule is deployed; 20:00 and 07:00 are never affected in Europe.
 */
export function clockChanges(schedule: ScheduleConfig, from: Date, days = 366): ClockChange[] {
  const zone = zoneOf(schedule)
  const changes: ClockChange[] = []
  let date = localOf(schedule, from).startOf('day')
  for (let day = 0; day < days; day++, date = date.plus({days: 1})) {
    for (const action of ['stop', 'start'] as const) {
      const time = action === 'stop' ? schedule.stop : schedule.start
      if (time === undefined || (action === 'start' && !schedule.days.includes(weekdayOf(date)))) continue
      const instants = instantsAt(zone, date, time)
      const isoDate = date.toISODate()!
      if (instants.length === 0) {
        changes.push({action, date: isoDate, kind: 'skipped', message: `${isoDate}: ${time} does not exist in ${schedule.timezone} (clocks go forward), so the ${action} does not run that day`})
      } else if (instants.length > 1) {
        changes.push({action, date: isoDate, kind: 'once', message: `${isoDate}: ${time} happens twice in ${schedule.timezone} (clocks go back); the ${action} runs once`})
      }
    }
  }
  return changes
}

/**
 * Day-of-week lists with consecutive days joined into ranges, Sunday kept apart so that no
 * range wraps around the week (cron numbers Sunday 0, EventBridge 1): [mon..fri] → MON-FRI,
 * [mon, wed, thu, sun] → MON,WED-THU,SUN. Duplicates dropped.
 */
function dayList(days: readonly Weekday[], name: (day: Weekday) => string): string[] {
  const indexes = [...new Set(days.map((day) => WEEKDAYS.indexOf(day)))].sort((a, b) => a - b)
  const parts: string[] = []
  for (let i = 0; i < indexes.length; ) {
    let j = i
    while (j + 1 < indexes.length && indexes[j + 1] === indexes[j]! + 1 && WEEKDAYS[indexes[j + 1]!] !== 'sun') j++
    const first = name(WEEKDAYS[indexes[i]!]!)
    parts.push(j === i ? first : `${first}-${name(WEEKDAYS[indexes[j]!]!)}`)
    i = j + 1
  }
  return parts
}

const everyDay = (days: readonly Weekday[]) => new Set(days).size === WEEKDAYS.length

/** EventBridge Scheduler expressions, evaluated in `timezone` (ScheduleExpressionTimezone). */
export function eventBridgeExpressions(schedule: ScheduleConfig): EventBridgeExpressions {
  const stop = clock(schedule.stop)
  const expressions: EventBridgeExpressions = {stop: `cron(${stop.minute} ${stop.hour} * * ? *)`, timezone: schedule.timezone}
  if (schedule.start !== undefined) {
    const start = clock(schedule.start)
    expressions.start = everyDay(schedule.days)
      ? `cron(${start.minute} ${start.hour} * * ? *)`
      : `cron(${start.minute} ${start.hour} ? * ${dayList(schedule.days, (day) => day.toUpperCase()).join(',')} *)`
  }
  return expressions
}

/** The arguments a scheduled run passes to the CLI, in the container and in a crontab alike. */
export const scheduledCommand = (action: ScheduledAction, env: string): string[] => ['shutdown', action, '--env', env, '--scheduled', '--json']

/** Quotes a word for /bin/sh when it needs it; crontab also reads an unescaped % as a newline. */
function shellWord(word: string): string {
  const quoted = /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`
  return quoted.replaceAll('%', '\\%')
}

/** Cron's day numbers: Sunday 0 (first, as cron counts), Monday 1 … Saturday 6. */
function cronDays(days: readonly Weekday[]): string {
  if (everyDay(days)) return '*'
  const parts = dayList(days, (day) => String(WEEKDAYS.indexOf(day) + 1))
  return (parts.at(-1) === '7' ? ['0', ...parts.slice(0, -1)] : parts).join(',')
}

export interface CrontabOptions {
  /** How cron finds the CLI; `fintech` on cron's PATH by default. */
  command?: string
  /** The config file, absolute: cron starts jobs in the home directory. */
  configFile?: string
}

/**
 * Crontab lines for running the schedule outside AWS: a CRON_TZ line (cronie; it applies to
 * every line after it), the stop every day, the start on `days`. Holidays are the CLI's job.
 */
export function crontabLines(schedule: ScheduleConfig, env: string, options: CrontabOptions = {}): string[] {
  const command = (options.command ?? 'fintech').replaceAll('%', '\\%')
  const invoke = (action: ScheduledAction) =>
    [command, ...[...scheduledCommand(action, env), ...(options.configFile ? ['--config', options.configFile] : [])].map(shellWord)].join(' ')
  const holidays = schedule.holidays.length
  const summary =
    schedule.start === undefined
      ? `stop every day at ${schedule.stop}; stop-only, start by hand`
      : `stop every day at ${schedule.stop}, start ${dayList(schedule.days, (day) => day).join(',')} at ${schedule.start}` +
        (holidays ? ` except on ${holidays} holiday${holidays === 1 ? '' : 's'} (the CLI skips them)` : '')
  const stop = clock(schedule.stop)
  const lines = [`# fintech shutdown schedule of ${env} (${schedule.timezone}): ${summary}`, `CRON_TZ=${schedule.timezone}`, `${stop.minute} ${stop.hour} * * * ${invoke('stop')}`]
  if (schedule.start !== undefined) {
    const start = clock(schedule.start)
    lines.push(`${start.minute} ${start.hour} * * ${cronDays(schedule.days)} ${invoke('start')}`)
  }
  return lines
}
