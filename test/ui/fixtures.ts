import type {ClassifiedChange, ClassifiedChangeSet} from '../../src/core/changeset/classify.js'
import type {DeployEvent, StackEvent} from '../../src/core/deploy/events.js'

function change(overrides: Partial<ClassifiedChange> & Pick<ClassifiedChange, 'action' | 'logicalId' | 'resourceType'>): ClassifiedChange {
  return {scope: [], details: [], stateful: false, risks: [], replacementCauses: [], broadening: [], ...overrides}
}

const ledgerDatabase = change({
  action: 'Modify',
  logicalId: 'LedgerDatabase',
  resourceType: 'AWS::RDS::DBCluster',
  replacement: 'True',
  scope: ['Properties'],
  details: [{attribute: 'Properties', name: 'Engine', requiresRecreation: 'Always'}],
  stateful: true,
  risks: ['stateful-replacement'],
  replacementCauses: ['Engine'],
})

const ledgerTaskRole = change({
  action: 'Modify',
  logicalId: 'LedgerTaskRole',
  resourceType: 'AWS::IAM::Role',
  replacement: 'False',
  scope: ['Properties'],
  details: [{attribute: 'Properties', name: 'Policies', requiresRecreation: 'Never'}],
  risks: ['broadening'],
  broadening: [
    'inline policy allows {"Action":"dynamodb:*","Effect":"Allow","Resource":"*"}',
    'attaches managed policy "arn:aws:iam::aws:policy/AmazonS3FullAccess"',
  ],
})

/** A data-stage update with one stateful replacement and one widening IAM change. */
export const riskyChangeSet: ClassifiedChangeSet = {
  changes: [
    change({action: 'Add', logicalId: 'LedgerTableAlarm', resourceType: 'AWS::CloudWatch::Alarm'}),
    change({action: 'Add', logicalId: 'RedisReplica2', resourceType: 'AWS::EC2::Instance', stateful: true}),
    ledgerDatabase,
    ledgerTaskRole,
    change({action: 'Remove', logicalId: 'LegacyQueueAlarm', resourceType: 'AWS::CloudWatch::Alarm', physicalId: 'legacy-queue'}),
  ],
  counts: {add: 2, modify: 2, remove: 1},
  destructive: [ledgerDatabase],
  broadening: [ledgerTaskRole],
}

export const emptyChangeSet: ClassifiedChangeSet = {changes: [], counts: {add: 0, modify: 0, remove: 0}, destructive: [], broadening: []}

let eventNumber = 0
export function stackEvent(
  stackName: string,
  at: string,
  logicalId: string,
  resourceType: string,
  status: string,
  reason?: string,
): StackEvent {
  eventNumber += 1
  return {eventId: `event-${eventNumber}`, stackName, timestamp: new Date(at), logicalId, resourceType, status, reason}
}

export function resourceEvent(...args: Parameters<typeof stackEvent>): DeployEvent {
  return {kind: 'resource-event', event: stackEvent(...args)}
}

/** A deploy event with the local time it reached the reporter. */
export interface TimedEvent {
  at: Date
  event: DeployEvent
}

/** A clock tests move by hand, to replay events at the times they arrived. */
export function manualClock(start: string): {now: () => Date; set: (at: Date) => void} {
  let current = new Date(start)
  return {now: () => current, set: (at) => (current = at)}
}

const DATABASE_FAILURE =
  'Resource handler returned message: "The engine mode provisioned you requested is currently unavailable." (HandlerErrorCode: InvalidRequest)'

function at(time: string, event: DeployEvent): TimedEvent {
  return {at: new Date(`2026-11-22T${time}Z`), event}
}

function cloudFormationEvent(time: string, logicalId: string, resourceType: string, status: string, reason?: string): TimedEvent {
  // CloudFormation's event reaches the reporter about a second after it happened, on the next poll.
  const happened = new Date(`2026-11-22T${time}Z`)
  return {
    at: new Date(happened.getTime() + 1000),
    event: resourceEvent('fintech-dev-data', happened.toISOString(), logicalId, resourceType, status, reason),
  }
}

/** The data stage: fintech-dev-data fails on its database replacement, so fintech-dev-cache is skipped. */
export const failedDataStage: TimedEvent[] = [
  at('02:09:30', {kind: 'stage-start', stage: 'data', stackNames: ['fintech-dev-data', 'fintech-dev-cache']}),
  at('02:09:30', {kind: 'stack-phase', stackName: 'fintech-dev-data', phase: 'checking'}),
  at('02:09:31', {kind: 'stack-phase', stackName: 'fintech-dev-data', phase: 'uploading-template', detail: '61440 bytes'}),
  at('02:09:32', {kind: 'stack-phase', stackName: 'fintech-dev-data', phase: 'creating-change-set'}),
  at('02:09:38', {kind: 'change-set', stackName: 'fintech-dev-data', changeSet: riskyChangeSet}),
  at('02:09:38', {
    kind: 'notice',
    level: 'warn',
    stackName: 'fintech-dev-data',
    message: 'replacing LedgerDatabase because --allow-replacement was given',
  }),
  at('02:09:38', {kind: 'stack-phase', stackName: 'fintech-dev-data', phase: 'awaiting-approval'}),
  at('02:09:41', {kind: 'stack-phase', stackName: 'fintech-dev-data', phase: 'executing'}),
  cloudFormationEvent('02:09:42.120', 'fintech-dev-data', 'AWS::CloudFormation::Stack', 'UPDATE_IN_PROGRESS', 'User Initiated'),
  cloudFormationEvent('02:09:45.870', 'LedgerTaskRole', 'AWS::IAM::Role', 'UPDATE_IN_PROGRESS'),
  cloudFormationEvent(
    '02:09:46.010',
    'LedgerDatabase',
    'AWS::RDS::DBCluster',
    'UPDATE_IN_PROGRESS',
    'Requested update requires the creation of a new physical resource; hence creating one.',
  ),
  cloudFormationEvent('02:10:01.500', 'LedgerTaskRole', 'AWS::IAM::Role', 'UPDATE_COMPLETE'),
  cloudFormationEvent('02:10:03.000', 'LedgerDatabase', 'AWS::RDS::DBCluster', 'UPDATE_FAILED', DATABASE_FAILURE),
  cloudFormationEvent(
    '02:10:03.400',
    'fintech-dev-data',
    'AWS::CloudFormation::Stack',
    'UPDATE_ROLLBACK_IN_PROGRESS',
    'The following resource(s) failed to update: [LedgerDatabase].',
  ),
  cloudFormationEvent('02:10:05.200', 'LedgerTaskRole', 'AWS::IAM::Role', 'UPDATE_IN_PROGRESS'),
  cloudFormationEvent('02:10:20.000', 'LedgerTaskRole', 'AWS::IAM::Role', 'UPDATE_COMPLETE'),
  cloudFormationEvent('02:10:31.000', 'fintech-dev-data', 'AWS::CloudFormation::Stack', 'UPDATE_ROLLBACK_COMPLETE'),
  at('02:10:32', {
    kind: 'stack-done',
    stackName: 'fintech-dev-data',
    outcome: 'failed',
    status: 'UPDATE_ROLLBACK_COMPLETE',
    rootCause: {logicalId: 'LedgerDatabase', resourceType: 'AWS::RDS::DBCluster', status: 'UPDATE_FAILED', reason: DATABASE_FAILURE},
  }),
  at('02:10:32', {kind: 'stack-done', stackName: 'fintech-dev-cache', outcome: 'skipped', detail: 'fintech-dev-data failed'}),
  at('02:10:32', {kind: 'stage-done', stage: 'data', ok: false}),
]
