import {describe, expect, it} from 'vitest'

import type {DeployEvent} from '../../src/core/deploy/events.js'
import {
  type DeployState,
  type StackProgress,
  inFlightResources,
  initialDeployState,
  isAwaitingApproval,
  reduceDeployState,
  resourceCounts,
} from '../../src/ui/deploy-state.js'
import {failedDataStage, resourceEvent, riskyChangeSet} from './fixtures.js'

const T0 = new Date('2026-11-22T02:00:00Z')
const later = (seconds: number) => new Date(T0.getTime() + seconds * 1000)

function reduceAll(events: DeployEvent[], state: DeployState = initialDeployState): DeployState {
  return events.reduce((current, event, index) => reduceDeployState(current, event, later(index)), state)
}

function stackNamed(state: DeployState, stackName: string): StackProgress {
  const stack = state.stacks.find((candidate) => candidate.stackName === stackName)
  if (!stack) throw new Error(`no stack ${stackName} in state`)
  return stack
}

describe('reduceDeployState', () => {
  it('queues the stacks a stage announces, in order, and records how the stage ended', () => {
    const started = reduceAll([{kind: 'stage-start', stage: 'networking', stackNames: ['fintech-dev-networking', 'fintech-dev-endpoints']}])
    expect(started.stages).toEqual([{name: 'networking'}])
    expect(started.stacks.map((stack) => [stack.stackName, stack.stage, stack.activity, stack.startedAt])).toEqual([
      ['fintech-dev-networking', 'networking', 'queued', undefined],
      ['fintech-dev-endpoints', 'networking', 'queued', undefined],
    ])

    const done = reduceAll([{kind: 'stage-done', stage: 'networking', ok: true}], started)
    expect(done.stages).toEqual([{name: 'networking', ok: true}])
  })

  it('starts the clock at the first phase after queued and keeps that start', () => {
    const state = reduceAll([
      {kind: 'stack-phase', stackName: 'fintech-dev-data', phase: 'queued'},
      {kind: 'stack-phase', stackName: 'fintech-dev-data', phase: 'checking'},
      {kind: 'stack-phase', stackName: 'fintech-dev-data', phase: 'waiting-in-progress', detail: 'UPDATE_IN_PROGRESS'},
    ])
    const stack = stackNamed(state, 'fintech-dev-data')
    expect(stack.startedAt).toEqual(later(1))
    expect(stack.activity).toBe('waiting for the operation in progress (UPDATE_IN_PROGRESS)')
  })

  it('shows the stack status as its activity and counts only the resources inside the stack', () => {
    const at = '2026-11-22T02:00:05Z'
    const state = reduceAll([
      resourceEvent('fintech-dev-ledger', at, 'fintech-dev-ledger', 'AWS::CloudFormation::Stack', 'UPDATE_IN_PROGRESS'),
      resourceEvent('fintech-dev-ledger', at, 'LedgerService', 'AWS::ECS::Service', 'UPDATE_IN_PROGRESS'),
      resourceEvent('fintech-dev-ledger', at, 'LedgerTaskDefinition', 'AWS::ECS::TaskDefinition', 'CREATE_IN_PROGRESS'),
      resourceEvent('fintech-dev-ledger', at, 'LedgerTaskDefinition', 'AWS::ECS::TaskDefinition', 'CREATE_COMPLETE'),
      resourceEvent('fintech-dev-ledger', at, 'LedgerAlarm', 'AWS::CloudWatch::Alarm', 'UPDATE_FAILED'),
    ])
    const stack = stackNamed(state, 'fintech-dev-ledger')
    expect(stack.activity).toBe('UPDATE_IN_PROGRESS')
    expect(stack.startedAt).toEqual(later(0))
    expect(inFlightResources(stack)).toEqual(['LedgerService'])
    expect(resourceCounts(stack)).toEqual({done: 2, total: 3})
  })

  it('puts a resource back in flight when the rollback touches it again', () => {
    const at = '2026-11-22T02:00:05Z'
    const state = reduceAll([
      resourceEvent('fintech-dev-data', at, 'LedgerTaskRole', 'AWS::IAM::Role', 'UPDATE_COMPLETE'),
      resourceEvent('fintech-dev-data', at, 'LedgerTaskRole', 'AWS::IAM::Role', 'UPDATE_IN_PROGRESS'),
    ])
    expect(inFlightResources(stackNamed(state, 'fintech-dev-data'))).toEqual(['LedgerTaskRole'])
  })

  it('records the outcome and root cause of a finished stack, and leaves a skipped stack unstarted', () => {
    const state = failedDataStage.reduce((current, {at, event}) => reduceDeployState(current, event, at), initialDeployState)
    const data = stackNamed(state, 'fintech-dev-data')
    expect(data).toMatchObject({
      outcome: 'failed',
      finalStatus: 'UPDATE_ROLLBACK_COMPLETE',
      rootCause: {logicalId: 'LedgerDatabase', status: 'UPDATE_FAILED'},
      activity: 'UPDATE_ROLLBACK_COMPLETE',
      startedAt: new Date('2026-11-22T02:09:30Z'),
      finishedAt: new Date('2026-11-22T02:10:32Z'),
    })
    expect(resourceCounts(data)).toEqual({done: 2, total: 2})
    const cache = stackNamed(state, 'fintech-dev-cache')
    expect(cache).toMatchObject({outcome: 'skipped', detail: 'fintech-dev-data failed'})
    expect(cache.startedAt).toBeUndefined()
    expect(state.stages).toEqual([{name: 'data', ok: false}])
  })

  it('awaits approval from the approval phase until the next phase or the end of the stack', () => {
    const asking = reduceAll([
      {kind: 'stage-start', stage: 'data', stackNames: ['fintech-dev-data', 'fintech-dev-cache']},
      {kind: 'stack-phase', stackName: 'fintech-dev-data', phase: 'awaiting-approval'},
    ])
    expect(isAwaitingApproval(asking)).toBe(true)
    expect(isAwaitingApproval(reduceAll([{kind: 'stack-phase', stackName: 'fintech-dev-data', phase: 'executing'}], asking))).toBe(false)
    expect(isAwaitingApproval(reduceAll([{kind: 'stack-done', stackName: 'fintech-dev-data', outcome: 'blocked'}], asking))).toBe(false)
  })

  it('keeps change sets and notices in arrival order', () => {
    const state = reduceAll([
      {kind: 'notice', level: 'info', message: 'deploying to account 111122223333'},
      {kind: 'change-set', stackName: 'fintech-dev-data', changeSet: riskyChangeSet},
      {kind: 'notice', level: 'warn', message: 'termination protection is off', stackName: 'fintech-dev-data'},
    ])
    expect(state.changeSets).toEqual([{stackName: 'fintech-dev-data', changeSet: riskyChangeSet}])
    expect(state.notices.map((notice) => notice.message)).toEqual(['deploying to account 111122223333', 'termination protection is off'])
  })

  it('adds a stack no stage announced instead of dropping its events', () => {
    const state = reduceAll([{kind: 'stack-done', stackName: 'fintech-dev-old', outcome: 'deleted'}])
    expect(state.stacks.map((stack) => [stack.stackName, stack.outcome])).toEqual([['fintech-dev-old', 'deleted']])
  })

  it('never changes the state it is given', () => {
    const before = reduceAll([
      {kind: 'stage-start', stage: 'data', stackNames: ['fintech-dev-data']},
      resourceEvent('fintech-dev-data', '2026-11-22T02:00:05Z', 'LedgerTable', 'AWS::DynamoDB::Table', 'UPDATE_IN_PROGRESS'),
    ])
    const snapshot = structuredClone(before)
    reduceAll(failedDataStage.map(({event}) => event), before)
    expect(before).toEqual(snapshot)
  })
})
