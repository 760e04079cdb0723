import {describe, expect, it} from 'vitest'

import {PlainReporter} from '../../src/ui/plain-reporter.js'
import {type TimedEvent, failedDataStage, manualClock, resourceEvent} from './fixtures.js'

function recordLines(): {lines: string[]; reporter: PlainReporter; replay: (events: TimedEvent[]) => void} {
  const lines: string[] = []
  const clock = manualClock('2026-11-22T02:09:30Z')
  const reporter = new PlainReporter({write: (line) => lines.push(line), now: clock.now})
  const replay = (events: TimedEvent[]) => {
    for (const {at, event} of events) {
      clock.set(at)
      reporter.emit(event)
    }
  }
  return {lines, reporter, replay}
}

describe('PlainReporter', () => {
  it('logs a failed stage as aligned, timestamped lines with the change set and the root cause', async () => {
    const {lines, reporter, replay} = recordLines()
    replay(failedDataStage)
    await reporter.close()
    expect(lines.join('\n')).toMatchInlineSnapshot(`
      "2026-11-22T02:09:30Z stage data: starting fintech-dev-data, fintech-dev-cache
      2026-11-22T02:09:30Z fintech-dev-data   checking stack
      2026-11-22T02:09:31Z fintech-dev-data   uploading template (61440 bytes)
      2026-11-22T02:09:32Z fintech-dev-data   creating change set
      2026-11-22T02:09:38Z Change set for fintech-dev-data:
      ┌────────┬──────────────────┬────────────────────────┬─────────────┬────────┬──────────────────────┐
      │ Action │ Logical ID       │ Type                   │ Replacement │ Causes │ Risk                 │
      │ Add    │ LedgerTableAlarm │ AWS::CloudWatch::Alarm │ -           │ -      │ -                    │
      │ Add    │ RedisReplica2    │ AWS::EC2::Instance     │ -           │ -      │ -                    │
      │ Modify │ LedgerDatabase   │ AWS::RDS::DBCluster    │ True        │ Engine │ stateful-replacement │
      │ Modify │ LedgerTaskRole   │ AWS::IAM::Role         │ -           │ -      │ broadening           │
      │ Remove │ LegacyQueueAlarm │ AWS::CloudWatch::Alarm │ -           │ -      │ -                    │
      └────────┴──────────────────┴────────────────────────┴─────────────┴────────┴──────────────────────┘
      2 to add, 2 to modify, 1 to remove
      Destructive changes:
        stateful resource LedgerDatabase (AWS::RDS::DBCluster) would be replaced because of: Engine
      Permission-broadening changes:
        LedgerTaskRole (AWS::IAM::Role)
          inline policy allows {"Action":"dynamodb:*","Effect":"Allow","Resource":"*"}
          attaches managed policy "arn:aws:iam::aws:policy/AmazonS3FullAccess"
      2026-11-22T02:09:38Z fintech-dev-data   warning: replacing LedgerDatabase because --allow-replacement was given
      2026-11-22T02:09:38Z fintech-dev-data   awaiting approval
      2026-11-22T02:09:41Z fintech-dev-data   executing change set
      2026-11-22T02:09:42Z fintech-dev-data   UPDATE_IN_PROGRESS           AWS::CloudFormation::Stack  fintech-dev-data  (User Initiated)
      2026-11-22T02:09:45Z fintech-dev-data   UPDATE_IN_PROGRESS           AWS::IAM::Role              LedgerTaskRole
      2026-11-22T02:09:46Z fintech-dev-data   UPDATE_IN_PROGRESS           AWS::RDS::DBCluster         LedgerDatabase    (Requested update requires the creation of a new physical resource; hence creating one.)
      2026-11-22T02:10:01Z fintech-dev-data   UPDATE_COMPLETE              AWS::IAM::Role              LedgerTaskRole
      2026-11-22T02:10:03Z fintech-dev-data   UPDATE_FAILED                AWS::RDS::DBCluster         LedgerDatabase    (Resource handler returned message: "The engine mode provisioned you requested is currently unavailable." (HandlerErrorCode: InvalidRequest))
      2026-11-22T02:10:03Z fintech-dev-data   UPDATE_ROLLBACK_IN_PROGRESS  AWS::CloudFormation::Stack  fintech-dev-data  (The following resource(s) failed to update: [LedgerDatabase].)
      2026-11-22T02:10:05Z fintech-dev-data   UPDATE_IN_PROGRESS           AWS::IAM::Role              LedgerTaskRole
      2026-11-22T02:10:20Z fintech-dev-data   UPDATE_COMPLETE              AWS::IAM::Role              LedgerTaskRole
      2026-11-22T02:10:31Z fintech-dev-data   UPDATE_ROLLBACK_COMPLETE     AWS::CloudFormation::Stack  fintech-dev-data
      2026-11-22T02:10:32Z fintech-dev-data   failed (UPDATE_ROLLBACK_COMPLETE)
      2026-11-22T02:10:32Z fintech-dev-data   Root cause: LedgerDatabase (AWS::RDS::DBCluster) UPDATE_FAILED: Resource handler returned message: "The engine mode provisioned you requested is currently unavailable." (HandlerErrorCode: InvalidRequest)
      2026-11-22T02:10:32Z fintech-dev-cache  skipped: fintech-dev-data failed
      2026-11-22T02:10:32Z stage data: failed"
    `)
  })

  it('writes no ANSI escape codes', () => {
    const {lines, replay} = recordLines()
    replay(failedDataStage)
    expect(lines.join('\n')).not.toMatch(/\u001B\[/)
  })

  it('stamps resource events with their CloudFormation time, not their arrival time', () => {
    const {lines, reporter} = recordLines()
    reporter.emit(resourceEvent('fintech-dev-edge', '2026-11-22T02:00:07.900Z', 'Vpc', 'AWS::EC2::VPC', 'CREATE_COMPLETE'))
    expect(lines[0]).toMatch(/^2026-11-22T02:00:07Z /)
  })

  it('widens a column for a long value and keeps the wider column afterwards', () => {
    const {lines, reporter} = recordLines()
    const at = '2026-11-22T02:09:42Z'
    reporter.emit(resourceEvent('fintech-dev-edge', at, 'Listener', 'AWS::ElasticLoadBalancingV2::Listener', 'CREATE_IN_PROGRESS'))
    reporter.emit(resourceEvent('fintech-dev-edge', at, 'Vpc', 'AWS::EC2::VPC', 'CREATE_COMPLETE', 'done'))
    const typeColumn = 'AWS::ElasticLoadBalancingV2::Listener'.length
    expect(lines[1]).toBe(`${at} fintech-dev-edge  CREATE_COMPLETE              ${'AWS::EC2::VPC'.padEnd(typeColumn)}  Vpc  (done)`)
  })

  it('leaves no trailing blanks on a resource line without a reason', () => {
    const {lines, reporter} = recordLines()
    reporter.emit(resourceEvent('fintech-dev-edge', '2026-11-22T02:09:42Z', 'Vpc', 'AWS::EC2::VPC', 'CREATE_COMPLETE'))
    expect(lines[0]).toMatch(/ Vpc$/)
  })

  it('prints a notice that names no stack right after the time', () => {
    const {lines, reporter} = recordLines()
    reporter.emit({kind: 'notice', level: 'info', message: 'deploying to account 111122223333'})
    expect(lines).toEqual(['2026-11-22T02:09:30Z deploying to account 111122223333'])
  })
})
