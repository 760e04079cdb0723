export class InterruptedError extends Error {
  /** `detail`: how the work wound down, where that matters to whoever goes on ("interrupted after SENTINEL FAILOVER: finished; …"). */
  constructor(readonly detail?: string) {
    super(detail ?? 'interrupted')
    this.name = 'InterruptedError'
  }
}

/**
 * Runs a read so that Ctrl-C ends the wait for it at once, however slow the endpoint: the
 * promise rejects with InterruptedError when `signal` aborts and the late answer is dropped.
 * Only for reads: a changing call is always waited for, so that its result is known and audited.
 */
export function interruptible<T>(signal: AbortSignal | undefined, read: () => Promise<T>): Promise<T> {
  if (!signal) return read()
  if (signal.aborted) return Promise.reject(new InterruptedError())
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new InterruptedError())
    signal.addEventListener('abort', onAbort, {once: true})
    read()
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort))
  })
}

export interface Clock {
  now(): Date
  /** Resolves after `ms`, or rejects with InterruptedError as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new InterruptedError())
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      const onAbort = () => {
        clearTimeout(timer)
        reject(new InterruptedError())
      }
      signal?.addEventListener('abort', onAbort, {once: true})
    }),
}

export interface Poll {
  clock: Clock
  /** Absent: no deadline of its own (what it waits for always ends; Ctrl-C ends the wait). */
  timeoutMs?: number
  /** The sleep between probes: fixed, or the next delay of a back-off. */
  intervalMs: number | (() => number)
  /** Called with the last probe error (if any was kept); the error it returns is thrown once the deadline has passed. */
  timedOut?: (lastError: unknown) => Error
  /** Ctrl-C: checked before each probe and ends a sleep at once. */
  signal?: AbortSignal
  /** Checked before each probe; throws to end the wait early with the caller's own error. */
  stop?: () => void
  /** Probe errors this returns true for are kept for the timeout message and the probe is tried again; others end the wait. */
  retryOn?: (error: unknown) => boolean
}

/**
 * Calls `probe` until it answers (anything but undefined), then returns the answer. Between probes
 * it sleeps `intervalMs` (or the delay it gives) on the clock; once a probe has not answered after the deadline, it throws
 * `timedOut(lastError)`. The deadline is checked after each probe, so a probe that answers late
 * still counts.
 */
export async function pollUntil<T>(poll: Poll, probe: () => Promise<T | undefined>): Promise<T> {
  const {clock, timeoutMs, intervalMs, signal} = poll
  const deadline = clock.now().getTime() + (timeoutMs ?? Number.POSITIVE_INFINITY)
  let lastError: unknown
  for (;;) {
    poll.stop?.()
    if (signal?.aborted) throw new InterruptedError()
    try {
      const answer = await probe()
      if (answer !== undefined) return answer
    } catch (error) {
      if (!poll.retryOn?.(error)) throw error
      lastError = error
    }
    if (clock.now().getTime() > deadline) throw poll.timedOut?.(lastError) ?? new Error(`no answer within ${timeoutMs} ms`)
    // interruptible as well: a clock whose sleep ignores the signal still ends the wait at Ctrl-C.
    const delay = typeof intervalMs === 'function' ? intervalMs() : intervalMs
    await interruptible(signal, () => clock.sleep(delay, signal))
  }
}

/**
 * Poll delays that start fast (a small stack finishes in seconds) and back off to a ceiling,
 * dropping back to fast when something new happens.
 */
export class Backoff {
  private delay: number
  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
  ) {
    this.delay = initialMs
  }

  next(progressed: boolean): number {
    this.delay = progressed ? this.initialMs : Math.min(this.maxMs, Math.round(this.delay * 1.5))
    return this.delay
  }
}
