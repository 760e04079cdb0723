import {cleanup, render} from 'ink-testing-library'
import {afterEach, describe, expect, it, vi} from 'vitest'

import {type DeployState, initialDeployState, reduceDeployState} from '../../src/ui/deploy-state.js'
import {DeployView} from '../../src/ui/ink/deploy-view.js'
import {type TimedEvent, failedDataStage, manualClock, resourceEvent} from './fixtures.js'

afterEach(() => cleanup())

function timed(time: string, event: TimedEvent['event']): TimedEvent {
  return {at: new Date(`2026-11-22T${time}Z`), event}
}

const cloudFormationTime = '2026-11-22T02:10:45Z'

/** The data stage has failed; the compute stage runs two stacks at once. */
const computeStageInFlight: TimedEvent[] = [
  ...failedDataStage,
  timed('02:10:40', {kind: 'stage-start', stage: 'compute', stackNames: ['fintech-dev-ledger', 'fintech-dev-edge']}),
  timed('02:10:40', {kind: 'stack-phase', stackName: 'fintech-dev-ledger', phase: 'executing'}),
  timed('02:10:40', {kind: 'stack-phase', stackName: 'fintech-dev-edge', phase: 'creating-change-set'}),
  ...[
    ['Cluster', 'AWS::ECS::Cluster', 'CREATE_IN_PROGRESS'],
    ['LogGroup', 'AWS::Logs::LogGroup', 'CREATE_IN_PROGRESS'],
    ['LogGroup', 'AWS::Logs::LogGroup', 'CREATE_COMPLETE'],
    ['TargetGroup', 'AWS::ElasticLoadBalancingV2::TargetGroup', 'CREATE_IN_PROGRESS'],
    ['TaskDefinition', 'AWS::ECS::TaskDefinition', 'CREATE_IN_PROGRESS'],
    ['Service', 'AWS::ECS::Service', 'CREATE_IN_PROGRESS'],
  ].map(([logicalId, type, status]) => timed('02:10:46', resourceEvent('fintech-dev-ledger', cloudFormationTime, logicalId, type, status))),
]

function stateAfter(events: TimedEvent[]): DeployState {
  return events.reduce((state, {at, event}) => reduceDeployState(state, event, at), initialDeployState)
}

function lineWith(frame: string, text: string): string {
  const line = frame.split('\n').find((candidate) => candidate.includes(text))
  if (line === undefined) throw new Error(`no line with ${text} in:\n${frame}`)
  return line
}

describe('DeployView', () => {
  it('shows running stacks with their resources in flight and the failed stack with its root cause', () => {
    const clock = manualClock('2026-11-22T02:11:00Z')
    const {lastFrame} = render(<DeployView state={stateAfter(computeStageInFlight)} now={clock.now} />)
    const frame = lastFrame() ?? ''

    const lines = frame.split('\n')
    const ledgerLine = lines.indexOf(lineWith(frame, 'fintech-dev-ledger'))
    expect(lines[ledgerLine]).toContain('executing change set  1/5 resources  20s')
    expect(lines[ledgerLine + 1]).toContain('in flight: Cluster, TargetGroup, TaskDefinition +1 more')
    expect(lineWith(frame, 'fintech-dev-edge')).toContain('creating change set  20s')
    expect(lineWith(frame, 'fintech-dev-data ')).toContain('failed (UPDATE_ROLLBACK_COMPLETE)  2/2 resources  62s')
    expect(frame.match(/in flight/g)).toHaveLength(1)
    // The root cause wraps instead of being cut off, so it is read with the line breaks undone.
    expect(frame.replace(/\n\s*/g, ' ')).toContain(
      'Root cause: LedgerDatabase (AWS::RDS::DBCluster) UPDATE_FAILED: Resource handler returned message: "The engine mode provisioned you requested is currently unavailable."',
    )
    expect(lineWith(frame, 'fintech-dev-cache')).toContain('skipped: fintech-dev-data failed')
    expect(frame).toContain('stage data: failed')
    expect(frame).toContain('stage compute: running')
    expect(frame).toContain('warning: fintech-dev-data: replacing LedgerDatabase because --allow-replacement was given')
  })

  it('prints each change set once above the live lines', () => {
    const {lastFrame} = render(<DeployView state={stateAfter(computeStageInFlight)} now={manualClock('2026-11-22T02:11:00Z').now} />)
    const frame = lastFrame() ?? ''
    expect(frame.split('Change set for fintech-dev-data:')).toHaveLength(2)
    expect(frame.indexOf('stateful resource LedgerDatabase (AWS::RDS::DBCluster) would be replaced')).toBeLessThan(frame.indexOf('stage data'))
  })

  it('advances elapsed time between events', async () => {
    const clock = manualClock('2026-11-22T02:11:00Z')
    const {lastFrame} = render(<DeployView state={stateAfter(computeStageInFlight)} now={clock.now} />)
    expect(lineWith(lastFrame() ?? '', 'fintech-dev-edge')).toContain('20s')
    clock.set(new Date('2026-11-22T02:11:07Z'))
    await vi.waitFor(() => expect(lineWith(lastFrame() ?? '', 'fintech-dev-edge')).toContain('27s'))
  })

  it('shows a queued stack without a clock', () => {
    const state = stateAfter([timed('02:10:40', {kind: 'stage-start', stage: 'compute', stackNames: ['fintech-dev-ledger']})])
    const {lastFrame} = render(<DeployView state={state} now={manualClock('2026-11-22T02:11:00Z').now} />)
    expect(lineWith(lastFrame() ?? '', 'fintech-dev-ledger')).toMatch(/fintech-dev-ledger {2}queued$/)
  })
})
