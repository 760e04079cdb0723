import fc from 'fast-check'
import {DateTime} from 'luxon'
import {describe, expect, it} from 'vitest'
import {WEEKDAYS, scheduleSchema, type ScheduleConfig} from '../../src/core/config/schema.js'
import {
  clockChanges,
  crontabLines,
  eventBridgeExpressions,
  isWorkingDay,
  localDate,
  nextTransitions,
  nightOf,
  scheduledCommand,
  shouldRunScheduled,
} from '../../src/core/shutdown/schedule.js'

const schedule = (overrides: Partial<ScheduleConfig> = {}): ScheduleConfig =>
  scheduleSchema.parse({timezone: 'Europe/London', stop: '20:00', start: '07:00', ...overrides})

/** dev's schedule in fintech.config.yaml. */
const dev = schedule({holidays: ['2026-12-24', '2026-12-25', '2026-12-28', '2027-01-01']})

const at = (iso: string) => new Date(iso)
const runs = (transitions: Array<{action: string; local: string}>) => transitions.map((run) => `${run.action} ${run.local}`)

describe('EventBridge Scheduler expressions', () => {
  it('stops every day and starts on the working days, in the schedule\'s zone', () => {
    expect(eventBridgeExpressions(dev)).toEqual({stop: 'cron(0 20 * * ? *)', start: 'cron(0 7 ? * MON-FRI *)', timezone: 'Europe/London'})
    expect(eventBridgeExpressions(schedule({stop: '21:00', start: '06:30'}))).toEqual({
      stop: 'cron(0 21 * * ? *)',
      start: 'cron(30 6 ? * MON-FRI *)',
      timezone: 'Europe/London',
    })
  })

  it('joins consecutive days into ranges that never wrap around Sunday', () => {
    expect(eventBridgeExpressions(schedule({days: ['sun', 'mon', 'wed', 'thu', 'mon']})).start).toBe('cron(0 7 ? * MON,WED-THU,SUN *)')
    expect(eventBridgeExpressions(schedule({days: ['sat', 'sun']})).start).toBe('cron(0 7 ? * SAT,SUN *)')
    expect(eventBridgeExpressions(schedule({days: [...WEEKDAYS]})).start).toBe('cron(0 7 * * ? *)')
  })

  it('has no start expression for a stop-only schedule', () => {
    expect(eventBridgeExpressions(schedule({start: undefined, stop: '00:15'}))).toEqual({stop: 'cron(15 0 * * ? *)', timezone: 'Europe/London'})
  })
})

describe('crontab lines', () => {
  it('prints CRON_TZ, the daily stop and the working-day start, with the config file', () => {
    expect(crontabLines(dev, 'dev', {configFile: '/srv/fintech/fintech.config.yaml'})).toEqual([
      '# fintech shutdown schedule of dev (Europe/London): stop every day at 20:00, start mon-fri at 07:00 except on 4 holidays (the CLI skips them)',
      'CRON_TZ=Europe/London',
      '0 20 * * * fintech shutdown stop --env dev --scheduled --json --config /srv/fintech/fintech.config.yaml',
      '0 7 * * 1-5 fintech shutdown start --env dev --scheduled --json --config /srv/fintech/fintech.config.yaml',
    ])
  })

  it('numbers Sunday 0, first, and quotes what the shell or cron would read otherwise', () => {
    expect(crontabLines(schedule({days: ['sat', 'sun', 'mon'], start: '09:05'}), 'test', {command: '/opt/fintech/bin/run.js', configFile: "/srv/100% it's/fintech.config.yaml"})).toEqual([
      '# fintech shutdown schedule of test (Europe/London): stop every day at 20:00, start mon,sat,sun at 09:05',
      'CRON_TZ=Europe/London',
      "0 20 * * * /opt/fintech/bin/run.js shutdown stop --env test --scheduled --json --config '/srv/100\\% it'\\''s/fintech.config.yaml'",
      "5 9 * * 0,1,6 /opt/fintech/bin/run.js shutdown start --env test --scheduled --json --config '/srv/100\\% it'\\''s/fintech.config.yaml'",
    ])
  })

  it('has only the stop line for a stop-only schedule', () => {
    expect(crontabLines(schedule({start: undefined, timezone: 'America/New_York'}), 'dev')).toEqual([
      '# fintech shutdown schedule of dev (America/New_York): stop every day at 20:00; stop-only, start by hand',
      'CRON_TZ=America/New_York',
      '0 20 * * * fintech shutdown stop --env dev --scheduled --json',
    ])
  })

  it('passes the same arguments as the container command of the schedules', () => {
    expect(scheduledCommand('start', 'dev')).toEqual(['shutdown', 'start', '--env', 'dev', '--scheduled', '--json'])
  })
})

describe('the next stops and starts, across clock changes', () => {
  it('keeps 20:00 and 07:00 London time when the clocks go forward (last Sunday of March 2026)', () => {
    const next = nextTransitions(dev, at('2026-03-27T12:00:00Z'), 6)
    expect(next.map((run) => [run.action, run.at, run.local])).toEqual([
      ['stop', '2026-03-27T20:00:00.000Z', '2026-03-27T20:00:00+00:00'],
      ['stop', '2026-03-28T20:00:00.000Z', '2026-03-28T20:00:00+00:00'],
      ['stop', '2026-03-29T19:00:00.000Z', '2026-03-29T20:00:00+01:00'],
      ['start', '2026-03-30T06:00:00.000Z', '2026-03-30T07:00:00+01:00'],
      ['stop', '2026-03-30T19:00:00.000Z', '2026-03-30T20:00:00+01:00'],
      ['start', '2026-03-31T06:00:00.000Z', '2026-03-31T07:00:00+01:00'],
    ])
  })

  it('keeps them when the clocks go back (last Sunday of October 2026)', () => {
    expect(runs(nextTransitions(dev, at('2026-10-23T12:00:00Z'), 5))).toEqual([
      'stop 2026-10-23T20:00:00+01:00',
      'stop 2026-10-24T20:00:00+01:00',
      'stop 2026-10-25T20:00:00+00:00',
      'start 2026-10-26T07:00:00+00:00',
      'stop 2026-10-26T20:00:00+00:00',
    ])
    expect(nextTransitions(dev, at('2026-10-25T12:00:00Z'), 1)[0]!.at).toBe('2026-10-25T20:00:00.000Z')
  })

  it('handles the 2027 changes (28 March, 31 October) the same way', () => {
    expect(nextTransitions(dev, at('2027-03-28T00:00:00Z'), 2).map((run) => run.at)).toEqual(['2027-03-28T19:00:00.000Z', '2027-03-29T06:00:00.000Z'])
    expect(nextTransitions(dev, at('2027-10-31T00:00:00Z'), 2).map((run) => run.at)).toEqual(['2027-10-31T20:00:00.000Z', '2027-11-01T07:00:00.000Z'])
  })

  it('skips a time the clocks jump over and runs a repeated time once, at its first occurrence, as EventBridge does', () => {
    const late = schedule({stop: '01:30', start: '07:00'})
    expect(runs(nextTransitions(late, at('2026-03-28T12:00:00Z'), 2))).toEqual(['stop 2026-03-30T01:30:00+01:00', 'start 2026-03-30T07:00:00+01:00'])
    const autumn = nextTransitions(late, at('2026-10-24T12:00:00Z'), 2)
    expect(autumn.map((run) => [run.action, run.at])).toEqual([
      ['stop', '2026-10-25T00:30:00.000Z'],
      ['stop', '2026-10-26T01:30:00.000Z'],
    ])
    expect(clockChanges(late, at('2026-01-01T00:00:00Z'), 730).map((change) => [change.action, change.date, change.kind])).toEqual([
      ['stop', '2026-03-29', 'skipped'],
      ['stop', '2026-10-25', 'once'],
      ['stop', '2027-03-28', 'skipped'],
      ['stop', '2027-10-31', 'once'],
    ])
    expect(clockChanges(late, at('2026-01-01T00:00:00Z'))[0]!.message).toBe(
      '2026-03-29: 01:30 does not exist in Europe/London (clocks go forward), so the stop does not run that day',
    )
  })

  it('finds no clock change for the configured evening and morning times', () => {
    expect(clockChanges(dev, at('2026-01-01T00:00:00Z'), 730)).toEqual([])
  })

  it('leaves holiday and weekend starts out and keeps stopping every night', () => {
    expect(runs(nextTransitions(dev, at('2026-12-23T12:00:00Z'), 9))).toEqual([
      'stop 2026-12-23T20:00:00+00:00',
      'stop 2026-12-24T20:00:00+00:00',
      'stop 2026-12-25T20:00:00+00:00',
      'stop 2026-12-26T20:00:00+00:00',
      'stop 2026-12-27T20:00:00+00:00',
      'stop 2026-12-28T20:00:00+00:00',
      'start 2026-12-29T07:00:00+00:00',
      'stop 2026-12-29T20:00:00+00:00',
      'start 2026-12-30T07:00:00+00:00',
    ])
  })

  it('lists only stops for a stop-only schedule', () => {
    expect(nextTransitions(schedule({start: undefined}), at('2026-06-01T00:00:00Z'), 3).map((run) => run.action)).toEqual(['stop', 'stop', 'stop'])
  })
})

describe('scheduled runs decide by the local calendar', () => {
  it('starts on a working day and says why', () => {
    expect(shouldRunScheduled(dev, 'start', at('2026-12-29T07:00:00Z'))).toEqual({run: true, reason: 'Tuesday 2026-12-29 is a working day of the schedule'})
  })

  it('does not start on a holiday or at the weekend, and says which', () => {
    expect(shouldRunScheduled(dev, 'start', at('2026-12-25T07:00:00Z'))).toEqual({run: false, reason: 'Friday 2026-12-25 is a holiday in the schedule'})
    expect(shouldRunScheduled(dev, 'start', at('2026-12-26T07:00:00Z'))).toEqual({
      run: false,
      reason: 'Saturday 2026-12-26 is not a working day of the schedule (mon, tue, wed, thu, fri)',
    })
  })

  it('always stops, holidays and weekends included', () => {
    expect(shouldRunScheduled(dev, 'stop', at('2026-12-25T20:00:00Z'))).toEqual({run: true, reason: 'the stop runs every day at 20:00 Europe/London'})
  })

  it('never starts a stop-only schedule', () => {
    expect(shouldRunScheduled(schedule({start: undefined}), 'start', at('2026-06-02T07:00:00Z'))).toEqual({
      run: false,
      reason: 'the schedule is stop-only (no start time): the env is started by hand',
    })
  })

  it('takes the date in the schedule\'s zone, not in UTC', () => {
    const auckland = schedule({timezone: 'Pacific/Auckland', holidays: ['2026-12-25']})
    // 19:00 UTC on the 24th is 08:00 on Christmas Day in Auckland.
    const instant = at('2026-12-24T19:00:00Z')
    expect(localDate(auckland, instant)).toBe('2026-12-25')
    expect(isWorkingDay(auckland, instant)).toBe(false)
    expect(shouldRunScheduled(auckland, 'start', instant).reason).toBe('Friday 2026-12-25 is a holiday in the schedule')
    expect(isWorkingDay(auckland, at('2026-12-23T19:00:00Z'))).toBe(true)
  })
})

describe('the night an instant belongs to', () => {
  it('is the date of the nearest scheduled stop', () => {
    expect(nightOf(dev, at('2026-06-01T19:00:00Z'))).toBe('2026-06-01') // the stop itself, 20:00 BST
    expect(nightOf(dev, at('2026-06-01T19:20:00Z'))).toBe('2026-06-01')
    expect(nightOf(dev, at('2026-06-02T02:00:00Z'))).toBe('2026-06-01') // 03:00 the next morning
    expect(nightOf(dev, at('2026-06-02T06:00:00Z'))).toBe('2026-06-01') // the 07:00 start
    expect(nightOf(dev, at('2026-06-01T14:00:00Z'))).toBe('2026-06-01') // a manual stop at 15:00
  })

  it('keeps a stop that slips past midnight on the evening it was meant for', () => {
    expect(nightOf(schedule({stop: '23:45'}), at('2026-01-15T00:10:00Z'))).toBe('2026-01-14')
  })

  it('spans a clock change: the Saturday night before the clocks go forward ends on Sunday morning', () => {
    expect(nightOf(dev, at('2026-03-29T06:00:00Z'))).toBe('2026-03-28')
  })
})

describe('properties over any schedule and instant', () => {
  const zones = ['Europe/London', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'Pacific/Auckland', 'UTC']
  const time = fc.tuple(fc.integer({min: 0, max: 23}), fc.integer({min: 0, max: 59})).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`)
  const anySchedule = fc
    .record({
      timezone: fc.constantFrom(...zones),
      stop: time,
      start: fc.option(time, {nil: undefined}),
      days: fc.subarray([...WEEKDAYS], {minLength: 1}),
      holidays: fc.array(fc.date({min: new Date('2026-01-01'), max: new Date('2027-12-31'), noInvalidDate: true}).map((d) => d.toISOString().slice(0, 10)), {maxLength: 20}),
    })
    .filter((s) => s.start !== s.stop)
    .map((s) => scheduleSchema.parse(s))
  const instant = fc.date({min: new Date('2026-01-01T00:00:00Z'), max: new Date('2027-12-31T00:00:00Z'), noInvalidDate: true})

  it('every transition is at its configured local time, in order, after `from`; starts only on working days', () => {
    fc.assert(
      fc.property(anySchedule, instant, (s, from) => {
        const next = nextTransitions(s, from, 12)
        expect(next).toHaveLength(12)
        let previous = from.getTime()
        for (const run of next) {
          const local = DateTime.fromISO(run.local, {setZone: true})
          expect(new Date(run.at).getTime()).toBe(local.toMillis())
          expect(new Date(run.at).getTime()).toBeGreaterThan(previous)
          previous = new Date(run.at).getTime()
          expect(local.toFormat('HH:mm')).toBe(run.action === 'stop' ? s.stop : s.start)
          if (run.action === 'start') expect(shouldRunScheduled(s, 'start', new Date(run.at)).run).toBe(true)
          else expect(nightOf(s, new Date(run.at))).toBe(localDate(s, new Date(run.at)))
        }
      }),
      {numRuns: 200},
    )
  })
})

describe('scheduleSchema time zones', () => {
  const zoneAccepted = (timezone: string) => scheduleSchema.safeParse({timezone, stop: '20:00'}).success

  it.each(['Europe/London', 'America/New_York', 'Asia/Kolkata'])('accepts the canonical zone %s', (zone) => {
    expect(zoneAccepted(zone)).toBe(true)
  })

  // Not in the runtime's list of canonical zones, which the quick check reads.
  it.each(['UTC', 'Etc/UTC', 'US/Eastern', 'Europe/Kiev', 'europe/london'])('accepts %s, which luxon knows', (zone) => {
    expect(zoneAccepted(zone)).toBe(true)
  })

  it.each(['Europe/Londn', 'Mars/Olympus_Mons', '', 'GMT+25'])('refuses %j', (zone) => {
    expect(zoneAccepted(zone)).toBe(false)
  })
})

describe('scheduleSchema holidays', () => {
  const holidayAccepted = (holiday: string) => scheduleSchema.safeParse({timezone: 'Europe/London', stop: '20:00', holidays: [holiday]}).success

  it.each(['2026-12-25', '2028-02-29'])('accepts the date %s', (holiday) => {
    expect(holidayAccepted(holiday)).toBe(true)
  })

  it.each(['2026-02-30', '2027-02-29', '2026-13-01', '2026-12-25T00:00', '25/12/2026'])('refuses %s', (holiday) => {
    expect(holidayAccepted(holiday)).toBe(false)
  })
})
