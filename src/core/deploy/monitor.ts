import type {StackApi, StackDescription} from './api.js'
import {Backoff, type Clock} from './clock.js'
import type {DeployReporter, RootCause, StackEvent} from './events.js'
import {isInProgress} from './stack-status.js'

export interface WaitOptions {
  api: StackApi
  clock: Clock
  reporter: DeployReporter
  polling: {initialMs: number; maxMs: number}
  signal?: AbortSignal
}

export interface WaitResult {
  /** The stack once no operation runs on it; undefined when it is gone. */
  stack?: StackDescription
  events: StackEvent[]
}

const isCancellation = (event: StackEvent) => /cancel/i.test(event.reason ?? '')

/**
 * The failure that started a rollback: the earliest failed resource whose reason is not a
 * cancellation caused by another failure, so the user sees one cause and not the cascade.
 */
export function rootCauseOf(events: StackEvent[]): RootCause | undefined {
  const failed = events.filter((event) => event.status.endsWith('_FAILED') && event.logicalId !== event.stackName)
  const cause = failed.find((event) => !isCancellation(event)) ?? failed[0]
  const stackLevel = events.find((event) => event.logicalId === event.stackName && event.status.endsWith('_FAILED'))
  const chosen = cause ?? stackLevel
  if (!chosen) return undefined
  return {logicalId: chosen.logicalId, resourceType: chosen.resourceType, status: chosen.status, reason: chosen.reason ?? 'no reason given'}
}

/**
 * Follows a stack until no operation runs on it, reporting each new event. Only events at or
 * after `since` are read, so a stack with years of history costs one page per poll.
 */
export async function waitForStack(stackName: string, since: Date, options: WaitOptions): Promise<WaitResult> {
  const {api, clock, reporter, polling, signal} = options
  const seen = new Set<string>()
  const events: StackEvent[] = []
  const backoff = new Backoff(polling.initialMs, polling.maxMs)
  for (;;) {
    const fresh = await api.eventsSince(stackName, since, seen)
    for (const event of fresh) {
      seen.add(event.eventId)
      events.push(event)
      reporter.emit({kind: 'resource-event', event})
    }
    const stack = await api.describeStack(stackName)
    if (!stack || !isInProgress(stack.status)) return {stack, events}
    await clock.sleep(backoff.next(fresh.length > 0), signal)
  }
}
