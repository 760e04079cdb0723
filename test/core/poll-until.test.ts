import {describe, expect, it} from 'vitest'
import {Backoff, InterruptedError, pollUntil, type Clock} from '../../src/core/clock.js'

/** A clock whose sleeps return at once, move time forward and are recorded. */
function recordingClock(): Clock & {sleeps: number[]; elapsedMs: () => number} {
  const start = new Date('2026-12-05T09:00:00Z').getTime()
  let now = start
  const sleeps: number[] = []
  return {
    sleeps,
    elapsedMs: () => now - start,
    now: () => new Date(now),
    sleep: async (ms) => {
      sleeps.push(ms)
      now += ms
    },
  }
}

/** A probe that answers `answer` on call number `n` (1-based) and not before; `calls` counts them. */
function answersOnCall<T>(n: number, answer: T): {probe: () => Promise<T | undefined>; calls: () => number} {
  let calls = 0
  return {probe: async () => (++calls >= n ? answer : undefined), calls: () => calls}
}

const timedOut = (lastError: unknown) => new Error(`timed out${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`)

describe('pollUntil', () => {
  it('returns the answer of the probe that gives one, sleeping the interval on the clock between probes', async () => {
    const clock = recordingClock()
    const {probe, calls} = answersOnCall(3, 'ready')
    await expect(pollUntil({clock, timeoutMs: 10_000, intervalMs: 250, timedOut}, probe)).resolves.toBe('ready')
    expect(calls()).toBe(3)
    expect(clock.sleeps).toEqual([250, 250])
  })

  it('sleeps the delays a back-off gives, one call per sleep, and times out on the clock they add up to (the shutdown waits)', async () => {
    const clock = recordingClock()
    const backoff = new Backoff(1000, 3000)
    const {probe, calls} = answersOnCall(100, 'never')
    await expect(pollUntil({clock, timeoutMs: 8000, intervalMs: () => backoff.next(false), timedOut}, probe)).rejects.toThrow('timed out')
    expect(clock.sleeps).toEqual([1500, 2250, 3000, 3000])
    expect(calls()).toBe(5)
  })

  it('has no deadline of its own when given no timeout: it polls until the answer comes (a change set, a drift detection)', async () => {
    const clock = recordingClock()
    const {probe, calls} = answersOnCall(500, 'settled')
    await expect(pollUntil({clock, intervalMs: 60_000}, probe)).resolves.toBe('settled')
    expect(calls()).toBe(500)
    expect(clock.elapsedMs()).toBe(499 * 60_000)
  })

  it('takes false, 0 and the empty string as answers: only undefined means not yet', async () => {
    for (const answer of [false, 0, '']) {
      const clock = recordingClock()
      await expect(pollUntil({clock, timeoutMs: 1000, intervalMs: 250, timedOut}, async () => answer)).resolves.toBe(answer)
      expect(clock.sleeps).toEqual([])
    }
  })

  it('throws the caller\'s timeout error once a probe after the deadline has not answered', async () => {
    const clock = recordingClock()
    const {probe, calls} = answersOnCall(Number.POSITIVE_INFINITY, 'never')
    await expect(pollUntil({clock, timeoutMs: 1000, intervalMs: 250, timedOut}, probe)).rejects.toThrow(/^timed out$/)
    // Probes at 0, 250, 500, 750 and 1000 ms are within the deadline; the one at 1250 ms is past it.
    expect(calls()).toBe(6)
    expect(clock.sleeps).toEqual([250, 250, 250, 250, 250])
    expect(clock.elapsedMs()).toBe(1250)
  })

  it('still returns an answer that comes from the last probe, past the deadline', async () => {
    const clock = recordingClock()
    const {probe} = answersOnCall(6, 'late')
    await expect(pollUntil({clock, timeoutMs: 1000, intervalMs: 250, timedOut}, probe)).resolves.toBe('late')
  })

  it('keeps probe errors it is told to retry, and names the last one in the timeout error', async () => {
    const clock = recordingClock()
    let calls = 0
    const probe = async () => {
      calls++
      throw new Error(`connection refused #${calls}`)
    }
    await expect(pollUntil({clock, timeoutMs: 500, intervalMs: 200, retryOn: () => true, timedOut}, probe)).rejects.toThrow('timed out (last error: connection refused #4)')
    expect(calls).toBe(4)
  })

  it('ends at once on a probe error it is not told to retry, without sleeping', async () => {
    const clock = recordingClock()
    const fatal = new Error('NOAUTH Authentication required')
    const retryOn = (error: unknown) => error !== fatal
    await expect(pollUntil({clock, timeoutMs: 10_000, intervalMs: 250, retryOn, timedOut}, async () => {
      throw fatal
    })).rejects.toBe(fatal)
    await expect(pollUntil({clock, timeoutMs: 10_000, intervalMs: 250, timedOut}, async () => {
      throw new Error('no retryOn: every error ends the wait')
    })).rejects.toThrow('no retryOn: every error ends the wait')
    expect(clock.sleeps).toEqual([])
  })

  it('does not probe at all when the signal is already aborted', async () => {
    const clock = recordingClock()
    const controller = new AbortController()
    controller.abort()
    const {probe, calls} = answersOnCall(1, 'ready')
    await expect(pollUntil({clock, timeoutMs: 10_000, intervalMs: 250, signal: controller.signal, timedOut}, probe)).rejects.toBeInstanceOf(InterruptedError)
    expect(calls()).toBe(0)
  })

  it('ends a sleep at once when the signal aborts, even on a clock whose sleep ignores the signal', async () => {
    const controller = new AbortController()
    let calls = 0
    const clock: Clock = {
      now: () => new Date('2026-12-05T09:00:00Z'),
      sleep: () => {
        controller.abort()
        return new Promise(() => undefined)
      },
    }
    await expect(pollUntil({clock, timeoutMs: 10_000, intervalMs: 250, signal: controller.signal, timedOut}, async () => {
      calls++
      return undefined
    })).rejects.toBeInstanceOf(InterruptedError)
    expect(calls).toBe(1)
  })

  it('calls stop before every probe, and a stop that throws ends the wait with its error', async () => {
    const clock = recordingClock()
    const order: string[] = []
    let stops = 0
    const stop = () => {
      order.push('stop')
      if (++stops === 3) throw new Error('interrupted after SENTINEL FAILOVER: finished')
    }
    await expect(pollUntil({clock, timeoutMs: 10_000, intervalMs: 20, stop, timedOut}, async () => {
      order.push('probe')
      return undefined
    })).rejects.toThrow('interrupted after SENTINEL FAILOVER: finished')
    expect(order).toEqual(['stop', 'probe', 'stop', 'probe', 'stop'])
  })
})
