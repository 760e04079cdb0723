/** CloudFormation stack states, grouped by what the deploy engine does about them. */

/** A stack in one of these holds nothing worth keeping and can only be deleted and created again. */
export const RECREATE_STATES = new Set(['ROLLBACK_COMPLETE', 'REVIEW_IN_PROGRESS', 'CREATE_FAILED'])

/** States only a person can get out of. */
export const MANUAL_STATES = new Set(['ROLLBACK_FAILED', 'DELETE_FAILED', 'UPDATE_FAILED', 'IMPORT_ROLLBACK_FAILED'])

export const DEPLOYED_STATES = new Set([
  'CREATE_COMPLETE',
  'UPDATE_COMPLETE',
  'UPDATE_ROLLBACK_COMPLETE',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_COMPLETE',
])

/** An operation is running; REVIEW_IN_PROGRESS is excluded because nothing runs in it. */
export const isInProgress = (status: string): boolean => status.endsWith('_IN_PROGRESS') && status !== 'REVIEW_IN_PROGRESS'

/** Change-set failures that only mean "nothing to do". */
export const isNoChangeReason = (reason = ''): boolean =>
  /didn't contain changes|No updates are to be performed|no changes/i.test(reason)
