import type {Clock} from '../clock.js'
import {InputError} from '../errors.js'

/**
 * The Resource Groups Tagging API allows about 5 requests a second per account and region,
 * sustained. Pacing stays under it instead of leaning on throttling and retries.
 */
export const DEFAULT_TAGGING_RATE = 5
export const TAGGING_RATE_VARIABLE = 'FINTECH_TAGGING_TPS'

/** The rate from FINTECH_TAGGING_TPS (requests a second, per region), or the default. */
export function taggingRate(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_TAGGING_RATE
  const rate = Number(value)
  if (!Number.isFinite(rate) || rate <= 0) {
    throw new InputError(`${TAGGING_RATE_VARIABLE}=${value}: give the Tagging API requests per second as a positive number, e.g. 5`)
  }
  return rate
}

/**
 * A token bucket: up to `ratePerSecond` requests at once after a quiet second, then one every
 * 1/rate seconds. Callers queue in order, so concurrent takers share the rate fairly.
 */
export class TokenBucket {
  private tokens: number
  private last: number
  private queue: Promise<void> = Promise.resolve()
  private waitedMs = 0

  constructor(
    private readonly clock: Clock,
    private readonly ratePerSecond: number,
    private readonly capacity = Math.max(1, Math.floor(ratePerSecond)),
  ) {
    this.tokens = capacity
    this.last = clock.now().getTime()
  }

  /** Resolves when a request may be sent; rejects with InterruptedError when `signal` aborts while waiting. */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.takeNow(signal))
    this.queue = turn.catch(() => undefined)
    return turn
  }

  /** Time spent waiting for tokens, in ms: what the pacing cost. */
  waited(): number {
    return this.waitedMs
  }

  private refill(): void {
    const now = this.clock.now().getTime()
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond)
    this.last = now
  }

  private async takeNow(signal?: AbortSignal): Promise<void> {
    this.refill()
    if (this.tokens < 1) {
      const waitMs = Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000)
      this.waitedMs += waitMs
      await this.clock.sleep(waitMs, signal)
      this.refill()
    }
    this.tokens = Math.max(0, this.tokens - 1)
  }
}
