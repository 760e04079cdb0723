import {describe, expect, it} from 'vitest'
import {judgeBackup, judgeBucket, judgeHealth, judgeServing, servingRegion} from '../../../src/core/dr/checks.js'
import {parseClusterArn} from '../../../src/core/dr/names.js'

const SUCCESS = 'Success: HTTP Status Code 200, OK'
const FAILURE = 'Failure: Connection timed out'

describe('dr checks', () => {
  it('takes an endpoint for healthy when more than 18 % of the checkers do, as Route 53 does', () => {
    expect(judgeHealth('primary', 'eu-west-1', 'hc', {inverted: false, observations: [SUCCESS, SUCCESS, ...Array(8).fill(FAILURE)]})).toMatchObject({endpointHealthy: true, state: 'ok'})
    expect(judgeHealth('primary', 'eu-west-1', 'hc', {inverted: false, observations: [SUCCESS, ...Array(9).fill(FAILURE)]})).toMatchObject({endpointHealthy: false, state: 'out-of-bounds'})
    expect(judgeHealth('primary', 'eu-west-1', 'hc', {inverted: false, observations: []})).toMatchObject({state: 'unreadable', problems: [{message: 'Route 53 health check hc (primary, eu-west-1) has no checker reports yet'}]})
  })

  it('routes to the recovery region when the primary check is inverted (drained on purpose), the endpoint itself healthy', () => {
    const primary = judgeHealth('primary', 'eu-west-1', 'hc-p', {inverted: true, observations: [SUCCESS, SUCCESS]})
    const recovery = judgeHealth('recovery', 'eu-west-2', 'hc-r', {inverted: false, observations: [SUCCESS]})
    expect(primary).toMatchObject({state: 'ok', endpointHealthy: true, routedHealthy: false})
    expect(servingRegion(primary, recovery)).toBe('eu-west-2')
    expect(judgeServing('eu-west-2', 'eu-west-2').state).toBe('ok')
  })

  it('answers the primary when both checks fail, as Route 53 does with every record unhealthy', () => {
    const down = (role: 'primary' | 'recovery', region: string) => judgeHealth(role, region, 'hc', {inverted: false, observations: [FAILURE]})
    expect(servingRegion(down('primary', 'eu-west-1'), down('recovery', 'eu-west-2'))).toBe('eu-west-1')
  })

  it('cannot read a bucket backlog without replication metrics, and bounds the latency at 15 minutes', () => {
    const rule = {id: 'r1', enabled: true, destinationBucketArn: 'arn:aws:s3:::art-recovery', metricsEnabled: false}
    expect(judgeBucket('art', 's.ArtifactBucketName', [rule]).problems).toEqual([{state: 'unreadable', message: 'replication rule r1 of art has replication metrics off, so its backlog cannot be read'}])
    const metered = {...rule, metricsEnabled: true}
    expect(judgeBucket('art', 's.ArtifactBucketName', [metered], {pendingOperations: 40, latencySeconds: 901}).problems).toEqual([{state: 'out-of-bounds', message: 'art replicates 901 s behind, over 900 s'}])
    expect(judgeBucket('art', 's.ArtifactBucketName', [metered], {pendingOperations: undefined, latencySeconds: undefined}).state).toBe('ok')
    expect(judgeBucket('art', 's.ArtifactBucketName', [{...metered, enabled: false}]).problems).toEqual([{state: 'out-of-bounds', message: 'art has no enabled replication rule to art-recovery'}])
  })

  it("takes a bucket's one enabled rule to a replica of another name (the Redis-backup bucket's), and refuses to guess among several", () => {
    const toReplica = {id: 'redis', enabled: true, destinationBucketArn: 'arn:aws:s3:::fintech-prod-redis-backups-333333333333-recovery', metricsEnabled: true}
    const check = judgeBucket('fintech-prod-data-redisbackupbucket-1x2y3z', 's.RedisBackupBucketName', [toReplica], {pendingOperations: 0, latencySeconds: 12})
    expect(check).toMatchObject({state: 'ok', destinationBucket: 'fintech-prod-redis-backups-333333333333-recovery', ruleId: 'redis'})
    const other = {...toReplica, id: 'audit', destinationBucketArn: 'arn:aws:s3:::some-audit-copy'}
    expect(judgeBucket('b', 's.RedisBackupBucketName', [toReplica, other]).problems).toEqual([{state: 'out-of-bounds', message: 'b has no enabled replication rule to b-recovery'}])
  })

  it('wants a copy in the recovery vault within 24 hours', () => {
    const now = new Date('2026-12-04T12:00:00Z')
    expect(judgeBackup('v', 'v-recovery', undefined, now).problems).toEqual([{state: 'out-of-bounds', message: 'no copy into v-recovery completed in the last 7 days'}])
    expect(judgeBackup('v', 'v-recovery', {id: 'c', completedAt: new Date('2026-12-03T12:00:00Z'), sourceVaultArn: ''}, now).state).toBe('ok')
  })

  it('reads a cluster ARN into its region and id', () => {
    expect(parseClusterArn('arn:aws:rds:eu-west-2:333333333333:cluster:fintech-prod-aurora-recovery')).toEqual({region: 'eu-west-2', clusterId: 'fintech-prod-aurora-recovery'})
    expect(parseClusterArn('arn:aws:rds:eu-west-2:333333333333:db:x')).toBeUndefined()
  })
})
