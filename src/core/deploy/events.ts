import type {ClassifiedChangeSet} from '../changeset/classify.js'
import type {StackEvent} from './api.js'

export type {StackEvent}

export type StackPhase =
  | 'queued'
  | 'checking'
  | 'waiting-in-progress'
  | 'deleting-failed-stack'
  | 'continuing-rollback'
  | 'uploading-template'
  | 'creating-change-set'
  | 'awaiting-approval'
  | 'executing'
  | 'protecting'

/** What happened to a stack in one run; the `--json` output uses these names. */
export type StackOutcome =
  | 'created'
  | 'updated'
  | 'unchanged'
  | 'no-changes'
  | 'planned'
  | 'failed'
  | 'blocked'
  | 'skipped'
  | 'interrupted'
  | 'deleted'

export interface RootCause {
  logicalId: string
  resourceType: string
  status: string
  reason: string
}

/**
 * Everything the deploy engine tells the outside world goes through these events, so the
 * terminal view, the plain CI lines and the JSON summary differ in one place only.
 */
export type DeployEvent =
  | {kind: 'stage-start'; stage: string; stackNames: string[]}
  | {kind: 'stage-done'; stage: string; ok: boolean}
  | {kind: 'stack-phase'; stackName: string; phase: StackPhase; detail?: string}
  | {kind: 'change-set'; stackName: string; changeSet: ClassifiedChangeSet}
  | {kind: 'resource-event'; event: StackEvent}
  | {kind: 'stack-done'; stackName: string; outcome: StackOutcome; status?: string; rootCause?: RootCause; detail?: string}
  | {kind: 'notice'; level: 'info' | 'warn'; message: string; stackName?: string}

export interface DeployReporter {
  emit(event: DeployEvent): void
  /** Flushes and releases the terminal; called once at the end of a run. */
  close(): Promise<void>
}
