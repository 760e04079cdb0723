import type {StackApi, StackDescription} from './api.js'
import {Backoff, InterruptedError, interruptible, type Clock} from '../clock.js'
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

/** Where the events of an operation begin: after everything the stack has logged so far. */
export interface EventBoundary {
  since: Date
  seen: ReadonlySet<string>
}

/**
 * Reads the stack's newest event before an operation starts, so the operation's events are
 * told apart on CloudFormation's own clock, whatever the local clock says.
 */
export async function eventBoundary(api: StackApi, stackIdentifier: string, clock: Clock, signal?: AbortSignal): Promise<EventBoundary> {
  const latest = await interruptible(signal, () => api.latestEvent(stackIdentifier))
  return latest ? {since: latest.timestamp, seen: new Set([latest.eventId])} : {since: clock.now(), seen: new Set()}
}

/**
 * Follows a stack until no operation runs on it, reporting each new event. Only events after
 * the boundary are read, so a stack with years of history costs one page per poll; one last
 * read after the end catches the events written between the last read and the final status.
 * Ctrl-C (`signal`) ends the wait at once, also in the middle of a slow read.
 */
export async function waitForStack(stackIdentifier: string, boundary: EventBoundary, options: WaitOptions): Promise<WaitResult> {
  const {api, clock, reporter, polling, signal} = options
  const seen = new Set(boundary.seen)
  const events: StackEvent[] = []
  const backoff = new Backoff(polling.initialMs, polling.maxMs)
  const readEvents = async () => {
    const fresh = await interruptible(signal, () => api.eventsSince(stackIdentifier, boundary.since, seen))
    for (const event of fresh) {
      seen.add(event.eventId)
      events.push(event)
      reporter.emit({kind: 'resource-event', event})
    }
    return fresh.length > 0
  }
  for (;;) {
    const progressed = await readEvents()
    const stack = await interruptible(signal, () => api.describeStack(stackIdentifier))
    if (!stack || !isInProgress(stack.status)) {
      // The end is known: Ctrl-C during this last read only costs the last events.
      await readEvents().catch((error: unknown) => {
        if (!(error instanceof InterruptedError)) throw error
      })
      return {stack, events}
    }
    await clock.sleep(backoff.next(progressed), signal)
  }
}
