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
