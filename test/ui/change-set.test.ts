import {describe, expect, it} from 'vitest'

import {renderChangeSet} from '../../src/ui/change-set.js'
import {emptyChangeSet, riskyChangeSet} from './fixtures.js'

describe('renderChangeSet', () => {
  it('shows every change, the counts, the destructive changes and the new grants', () => {
    expect(renderChangeSet('fintech-dev-data', riskyChangeSet)).toMatchInlineSnapshot(`
      "Change set for fintech-dev-data:
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
          attaches managed policy "arn:aws:iam::aws:policy/AmazonS3FullAccess""
    `)
  })

  it('says a conditional replacement may happen, and names a stateful removal', () => {
    const cluster = riskyChangeSet.destructive[0]
    const rendered = renderChangeSet('fintech-dev-data', {
      ...riskyChangeSet,
      destructive: [
        {...cluster, replacement: 'Conditional'},
        {...cluster, logicalId: 'AuditBucket', resourceType: 'AWS::S3::Bucket', action: 'Remove', risks: ['stateful-removal'], replacementCauses: []},
      ],
    })
    expect(rendered).toContain('stateful resource LedgerDatabase (AWS::RDS::DBCluster) may be replaced because of: Engine')
    expect(rendered).toContain('stateful resource AuditBucket (AWS::S3::Bucket) would be removed')
  })

  it('leaves out the risk blocks when nothing is risky', () => {
    const rendered = renderChangeSet('fintech-dev-data', {...riskyChangeSet, destructive: [], broadening: []})
    expect(rendered).not.toContain('Destructive changes')
    expect(rendered).not.toContain('Permission-broadening changes')
  })

  it('says so when there are no changes', () => {
    expect(renderChangeSet('fintech-dev-data', emptyChangeSet)).toBe('Change set for fintech-dev-data: no changes')
  })
})
