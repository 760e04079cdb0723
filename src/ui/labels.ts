import type {RootCause, StackOutcome, StackPhase} from '../core/deploy/events.js'
import type {Palette} from './colour.js'

// Typed as a full Record so a new phase in the engine fails the build until it has words here.
const PHASE_LABELS: Record<StackPhase, string> = {
  queued: 'queued',
  checking: 'checking stack',
  'waiting-in-progress': 'waiting for the operation in progress',
  'deleting-failed-stack': 'deleting failed stack',
  'continuing-rollback': 'continuing rollback',
  'uploading-template': 'uploading template',
  'creating-change-set': 'creating change set',
  'awaiting-approval': 'awaiting approval',
  executing: 'executing change set',
  protecting: 'applying stack protection',
}

export function describePhase(phase: StackPhase, detail?: string): string {
  return detail ? `${PHASE_LABELS[phase]} (${detail})` : PHASE_LABELS[phase]
}

/** The tone a stack's outcome is shown in, as the ink view colours its mark. */
export const OUTCOME_TONES: Record<StackOutcome, keyof Palette | undefined> = {
  created: 'good',
  updated: 'good',
  unchanged: 'good',
  'no-changes': 'good',
  planned: 'good',
  deleted: 'good',
  skipped: 'muted',
  blocked: 'warn',
  interrupted: 'bad',
  failed: 'bad',
}

export function describeOutcome(outcome: StackOutcome, status?: string, detail?: string): string {
  return `${outcome}${status ? ` (${status})` : ''}${detail ? `: ${detail}` : ''}`
}

export function describeRootCause(rootCause: RootCause): string {
  return `Root cause: ${rootCause.logicalId} (${rootCause.resourceType}) ${rootCause.status}: ${rootCause.reason}`
}
