export class InterruptedError extends Error {
  constructor() {
    super('interrupted')
    this.name = 'InterruptedError'
  }
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
