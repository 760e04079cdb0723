import {describe, expect, it} from 'vitest'
import {bucketStarts, daysIn, lastDay, parsePeriod} from '../../src/core/cost/period.js'
import {InputError} from '../../src/core/errors.js'

const TODAY = '2026-11-15'

function inputError(run: () => unknown): InputError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).exitCode).toBe(2)
    return error as InputError
  }
  throw new Error('expected an InputError')
}

describe('parsePeriod', () => {
  it('Nd: the last N full days up to yesterday, against the N days before, daily', () => {
    expect(parsePeriod('30d', TODAY)).toEqual({
      spec: '30d',
      granularity: 'daily',
      current: {start: '2026-10-16', end: '2026-11-15'},
      previous: {start: '2026-09-16', end: '2026-10-16'},
      query: {start: '2026-09-16', end: '2026-11-15'},
    })
    const week = parsePeriod('7D', TODAY)
    expect(week.current).toEqual({start: '2026-11-08', end: '2026-11-15'})
    expect(daysIn(week.current)).toBe(7)
    expect(lastDay(week.current)).toBe('2026-11-14')
  })

  it('Nm: whole calendar months ending with last month, monthly by default, daily on request', () => {
    const months = parsePeriod('3m', TODAY)
    expect(months).toEqual({
      spec: '3m',
      granularity: 'monthly',
      current: {start: '2026-08-01', end: '2026-11-01'},
      previous: {start: '2026-05-01', end: '2026-08-01'},
      query: {start: '2026-05-01', end: '2026-11-01'},
    })
    expect(parsePeriod('1m', '2026-01-01').current).toEqual({start: '2025-12-01', end: '2026-01-01'})
    expect(parsePeriod('3m', TODAY, 'daily').granularity).toBe('daily')
  })

  it('mtd: this month up to yesterday against as many days of last month, cut at its end', () => {
    expect(parsePeriod('mtd', TODAY)).toMatchObject({current: {start: '2026-11-01', end: '2026-11-15'}, previous: {start: '2026-10-01', end: '2026-10-15'}, granularity: 'daily'})
    // 30 days of March against February's 28.
    expect(parsePeriod('mtd', '2026-03-31')).toMatchObject({current: {start: '2026-03-01', end: '2026-03-31'}, previous: {start: '2026-02-01', end: '2026-03-01'}})
  })

  it('refuses what it cannot answer exactly, with exit 2 and the grammar', () => {
    expect(inputError(() => parsePeriod('week', TODAY)).message).toBe(
      '--period "week" is not a period: use Nd (the last N full days, 1-180), Nm (the last N whole calendar months, 1-6) or mtd (month to date)',
    )
    expect(inputError(() => parsePeriod('0d', TODAY)).message).toMatch(/^--period 0d: days must be 1 to 180/)
    expect(inputError(() => parsePeriod('181d', TODAY)).message).toMatch(/^--period 181d: days must be 1 to 180/)
    expect(inputError(() => parsePeriod('7m', TODAY)).message).toMatch(/^--period 7m: months must be 1 to 6/)
    expect(inputError(() => parsePeriod('30d', TODAY, 'monthly')).message).toBe('--granularity monthly needs a period of whole months (e.g. 3m), not 30d')
    expect(inputError(() => parsePeriod('mtd', TODAY, 'monthly')).message).toBe('--granularity monthly needs a period of whole months (e.g. 3m), not mtd')
    const first = inputError(() => parsePeriod('mtd', '2026-11-01'))
    expect(first.message).toBe('--period mtd is empty on the first day of a month (no full day yet)')
    expect(first.hint).toBe('use --period 1m for last month')
  })
})

describe('bucketStarts', () => {
  it('lists each day or each month of a range, end exclusive', () => {
    expect(bucketStarts({start: '2026-10-30', end: '2026-11-02'}, 'daily')).toEqual(['2026-10-30', '2026-10-31', '2026-11-01'])
    expect(bucketStarts({start: '2026-08-01', end: '2026-11-01'}, 'monthly')).toEqual(['2026-08-01', '2026-09-01', '2026-10-01'])
  })
})
