/**
 * The shipped DR runbooks run by the engine against a fake Aurora global database, so the
 * order of what happens can be checked poll by poll (the clock is fake: waits cost no time).
 * moto 5.2.1 has no SwitchoverGlobalCluster or FailoverGlobalCluster, and no lag metrics.
 */
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {executeRunbook} from '../../../src/core/runbook/engine.js'
import {loadRunbooks} from '../../../src/core/runbook/load.js'
import {fakes, freshState, type Handler} from '../../helpers/runbook-fakes.js'

const shipped = loadRunbooks(fileURLToPath(new URL('../../..', import.meta.url)), ['dev', 'test', 'prod', 'management']).runbooks
const PRIMARY_ARN = 'arn:aws:rds:eu-west-1:333333333333:cluster:fintech-prod-aurora'
const RECOVERY_ARN = 'arn:aws:rds:eu-west-2:333333333333:cluster:fintech-prod-aurora-recovery'
const GLOBAL = 'fintech-prod-ledger-global'

/**
 * Aurora's switchover as AWS describes it: the writer stops taking commits, the secondary applies
 * what it has not yet (here 3 transactions a poll), and only when it has all of them do the roles
 * swap; the global database is `available` again a poll later. `commit()` is the ledger writing.
 */
function globalDatabase(options: {behind: number}) {
  const db = {writer: PRIMARY_ARN, status: 'available', committed: 10_000, applied: 10_000 - options.behind, writesStopped: false, swappedAt: undefined as number | undefined, polls: 0}
  const tick = () => {
    db.polls++
    if (db.status !== 'switching-over') return
    if (db.writer === PRIMARY_ARN) {
      db.applied = Math.min(db.committed, db.applied + 3)
      if (db.applied === db.committed) {
        db.writer = RECOVERY_ARN
        db.swappedAt = db.polls
      }
    } else if (db.polls > db.swappedAt!) db.status = 'available'
  }
  const members = () => [
    {DBClusterArn: PRIMARY_ARN, IsWriter: db.writer === PRIMARY_ARN},
    {DBClusterArn: RECOVERY_ARN, IsWriter: db.writer === RECOVERY_ARN},
  ]
  const handlers: Record<string, Handler> = {
    'rds:DescribeGlobalClusters': () => {
      tick()
      return {GlobalClusters: [{GlobalClusterIdentifier: GLOBAL, Status: db.status, GlobalClusterMembers: members()}]}
    },
    'rds:SwitchoverGlobalCluster': () => {
      db.status = 'switching-over'
      db.writesStopped = true
      return {GlobalCluster: {Status: 'switching-over'}}
    },
  }
  return {db, handlers, commit: () => (db.writesStopped ? false : (db.committed++, true))}
}

const stacks: Handler = ({StackName}) => {
  const outputs: Record<string, Record<string, string>> = {
    'fintech-prod-data-recovery': {AuroraClusterId: 'fintech-prod-aurora-recovery'},
    'fintech-prod-compute-recovery': {ClusterName: 'fintech-prod-recovery', ServiceName: 'fintech-prod-ledger', TargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-2:333333333333:targetgroup/ledger/1'},
  }
  return {Stacks: [{StackName, Outputs: Object.entries(outputs[StackName]!).map(([OutputKey, OutputValue]) => ({OutputKey, OutputValue}))}]}
}

const DR_PARAMS = {environment: 'prod', primaryHealthCheckId: 'hc-primary', desiredCount: 3, maxRpoLagMs: 60_000}

describe('dr-failover: the planned switchover', () => {
  it('moves no traffic until the recovery cluster is the writer with every committed transaction, then scales up and drains the primary', async () => {
    const global = globalDatabase({behind: 12})
    const snapshots: Array<{api: string; writer: string; committed: number; applied: number}> = []
    const snapshot = (api: string) => snapshots.push({api, writer: global.db.writer, committed: global.db.committed, applied: global.db.applied})
    let running = 0
    const fake = fakes(
      {
        ...global.handlers,
        'cloudformation:DescribeStacks': stacks,
        'rds:DescribeDBClusters': () => ({DBClusters: [{DBClusterArn: RECOVERY_ARN}]}),
        'cloudwatch:GetMetricStatistics': () => ({Datapoints: [{Maximum: 850}]}),
        'ecs:UpdateService': (parameters) => {
          snapshot('ecs:UpdateService')
          return {service: {desiredCount: parameters.desiredCount}}
        },
        'ecs:DescribeServices': () => ({services: [{runningCount: (running = Math.min(3, running + 1))}]}),
        'elbv2:DescribeTargetHealth': () => ({TargetHealthDescriptions: Array.from({length: 3}, () => ({TargetHealth: {State: 'healthy'}}))}),
        'route53:UpdateHealthCheck': () => {
          snapshot('route53:UpdateHealthCheck')
          return {HealthCheck: {HealthCheckConfig: {Inverted: true}}}
        },
        'route53:GetHealthCheck': () => ({HealthCheck: {HealthCheckConfig: {Inverted: true}}}),
      },
      {protectedEnv: true},
    )
    // The ledger keeps committing until the switchover stops writes on the old writer.
    const writesBefore = Array.from({length: 5}, () => global.commit()).filter(Boolean).length
    const state = await executeRunbook(shipped.get('dr-failover')!, freshState(shipped.get('dr-failover')!, DR_PARAMS), fake.deps)
    expect(state.status).toBe('succeeded')
    expect(writesBefore).toBe(5)
    expect(global.commit()).toBe(false)

    expect(fake.calls.map((call) => call.api)).toEqual([
      'rds:DescribeGlobalClusters',
      'cloudformation:DescribeStacks',
      'rds:DescribeDBClusters',
      'cloudformation:DescribeStacks',
      'cloudwatch:GetMetricStatistics',
      'rds:SwitchoverGlobalCluster',
      // 17 transactions behind at 3 a poll: the roles swap at the 6th poll of recovery-is-writer,
      ...Array(6).fill('rds:DescribeGlobalClusters'),
      // and global-available sees `available` at its first.
      'rds:DescribeGlobalClusters',
      'ecs:UpdateService',
      'ecs:DescribeServices',
      'ecs:DescribeServices',
      'ecs:DescribeServices',
      'elbv2:DescribeTargetHealth',
      'route53:UpdateHealthCheck',
      'route53:GetHealthCheck',
    ])
    expect(fake.calls.find((call) => call.api === 'rds:SwitchoverGlobalCluster')!.parameters).toEqual({GlobalClusterIdentifier: GLOBAL, TargetDbClusterIdentifier: RECOVERY_ARN})
    expect(fake.calls.find((call) => call.api === 'ecs:UpdateService')!.parameters).toEqual({cluster: 'fintech-prod-recovery', service: 'fintech-prod-ledger', desiredCount: 3})
    expect(fake.calls.find((call) => call.api === 'route53:UpdateHealthCheck')!.parameters).toEqual({HealthCheckId: 'hc-primary', Inverted: true})
    expect(fake.calls[4]!.parameters).toEqual({
      Namespace: 'AWS/RDS',
      MetricName: 'AuroraGlobalDBRPOLag',
      Dimensions: [{Name: 'DBClusterIdentifier', Value: 'fintech-prod-aurora-recovery'}],
      StartTime: new Date('2026-12-01T02:55:00Z'),
      EndTime: new Date('2026-12-01T03:00:00Z'),
      Period: 600,
      Statistics: ['Maximum'],
    })
    // What moved traffic saw the recovery cluster as writer holding every transaction the old writer committed: none lost.
    expect(snapshots).toEqual([
      {api: 'ecs:UpdateService', writer: RECOVERY_ARN, committed: 10_005, applied: 10_005},
      {api: 'route53:UpdateHealthCheck', writer: RECOVERY_ARN, committed: 10_005, applied: 10_005},
    ])
    expect(fake.approvals).toEqual([
      `Switch ${GLOBAL} over from ${PRIMARY_ARN} to ${RECOVERY_ARN} (RPO lag 850 ms; the switchover waits until it is 0, writes pause meanwhile), then scale fintech-prod-ledger to 3 tasks and invert the primary health check hc-primary so Route 53 serves the recovery region.`,
    ])
  })

  it('changes nothing when the recovery cluster lags more than the RPO', async () => {
    const global = globalDatabase({behind: 0})
    const fake = fakes({...global.handlers, 'cloudformation:DescribeStacks': stacks, 'rds:DescribeDBClusters': () => ({DBClusters: [{DBClusterArn: RECOVERY_ARN}]}), 'cloudwatch:GetMetricStatistics': () => ({Datapoints: [{Maximum: 75_000}]})})
    const state = await executeRunbook(shipped.get('dr-failover')!, freshState(shipped.get('dr-failover')!, DR_PARAMS), fake.deps)
    expect(state.status).toBe('failed')
    expect(state.next).toBe('lag-under-rpo')
    expect(state.steps['lag-under-rpo']!.detail).toBe('75000 is not lessThanOrEqual 60000: the recovery cluster is further behind than the RPO allows; wait for it to catch up')
    expect(fake.calls.map((call) => call.api)).not.toContain('rds:SwitchoverGlobalCluster')
    expect(fake.approvals).toEqual([])
  })

  it('stops when the recovery cluster already is the writer', async () => {
    const global = globalDatabase({behind: 0})
    global.db.writer = RECOVERY_ARN
    const fake = fakes({...global.handlers, 'cloudformation:DescribeStacks': stacks, 'rds:DescribeDBClusters': () => ({DBClusters: [{DBClusterArn: RECOVERY_ARN}]})})
    const state = await executeRunbook(shipped.get('dr-failover')!, freshState(shipped.get('dr-failover')!, DR_PARAMS), fake.deps)
    expect(state.next).toBe('secondary-is-recovery')
    expect(state.steps['secondary-is-recovery']!.detail).toBe(`${PRIMARY_ARN} is not equals ${RECOVERY_ARN}: the secondary is not the recovery region's cluster (already switched over? see fintech dr status)`)
  })
})

describe('dr-failover-unplanned: failover with data loss', () => {
  const unplanned = shipped.get('dr-failover-unplanned')!
  const handlers = (rpo: Handler): Record<string, Handler> => {
    let writer = PRIMARY_ARN
    return {
      'cloudformation:DescribeStacks': stacks,
      'rds:DescribeDBClusters': () => ({DBClusters: [{DBClusterArn: RECOVERY_ARN, Status: 'available'}]}),
      'rds:DescribeGlobalClusters': () => ({GlobalClusters: [{GlobalClusterIdentifier: GLOBAL, Status: 'available', GlobalClusterMembers: [PRIMARY_ARN, RECOVERY_ARN].map((arn) => ({DBClusterArn: arn, IsWriter: arn === writer}))}]}),
      'rds:FailoverGlobalCluster': () => {
        writer = RECOVERY_ARN
        return {GlobalCluster: {Status: 'failing-over'}}
      },
      'cloudwatch:GetMetricStatistics': rpo,
      'ecs:UpdateService': () => ({service: {desiredCount: 3}}),
      'ecs:DescribeServices': () => ({services: [{runningCount: 3}]}),
      'elbv2:DescribeTargetHealth': () => ({TargetHealthDescriptions: Array.from({length: 3}, () => ({TargetHealth: {State: 'healthy'}}))}),
      'route53:UpdateHealthCheck': () => ({}),
      'route53:GetHealthCheck': () => ({HealthCheck: {HealthCheckConfig: {Inverted: true}}}),
    }
  }

  it('refuses without -p acceptDataLoss=true, before any AWS call', async () => {
    const fake = fakes(handlers(() => ({Datapoints: [{Maximum: 4200}]})))
    const state = await executeRunbook(unplanned, freshState(unplanned, {...DR_PARAMS, acceptDataLoss: false}), fake.deps)
    expect(state.status).toBe('failed')
    expect(state.steps['data-loss-accepted']!.detail).toBe('false is not equals true: an unplanned failover loses what was not replicated; run again with -p acceptDataLoss=true to accept it')
    expect(fake.calls).toEqual([])
  })

  it('records the measured RPO in the approval and its audit line, then fails over with AllowDataLoss', async () => {
    const fake = fakes(handlers(() => ({Datapoints: [{Maximum: 4200}]})), {protectedEnv: true})
    const state = await executeRunbook(unplanned, freshState(unplanned, {...DR_PARAMS, acceptDataLoss: true}), fake.deps)
    expect(state.status).toBe('succeeded')
    expect(state.steps['rpo-lag']!.outputs).toEqual({RpoLagMs: 4200})
    expect(fake.calls.find((call) => call.api === 'cloudwatch:GetMetricStatistics')!.parameters).toMatchObject({MetricName: 'AuroraGlobalDBRPOLag', StartTime: new Date('2026-12-01T02:45:00Z'), Period: 1200})
    expect(fake.approvals[0]).toMatch(/^DATA LOSS: measured RPO 4200 ms \(AuroraGlobalDBRPOLag of fintech-prod-aurora-recovery, highest in the last 15 minutes; -1 = no datapoint, loss unknown\)\. Transactions committed on arn:aws:rds:eu-west-1:333333333333:cluster:fintech-prod-aurora in that window are lost\./)
    expect(fake.audit.find((entry) => entry.step === 'approve-data-loss')).toMatchObject({result: 'ok', request: expect.stringMatching(/^DATA LOSS: measured RPO 4200 ms/)})
    const apis = fake.calls.map((call) => call.api)
    expect(fake.calls.find((call) => call.api === 'rds:FailoverGlobalCluster')!.parameters).toEqual({GlobalClusterIdentifier: GLOBAL, TargetDbClusterIdentifier: RECOVERY_ARN, AllowDataLoss: true})
    expect(apis.indexOf('rds:FailoverGlobalCluster')).toBeLessThan(apis.indexOf('ecs:UpdateService'))
    expect(apis.indexOf('ecs:UpdateService')).toBeLessThan(apis.indexOf('route53:UpdateHealthCheck'))
  })

  it('says -1 (unknown) when the lag metric stopped with the primary region', async () => {
    const fake = fakes(handlers(() => ({Datapoints: []})), {approve: false})
    const state = await executeRunbook(unplanned, freshState(unplanned, {...DR_PARAMS, acceptDataLoss: true}), fake.deps)
    expect(state.status).toBe('refused')
    expect(fake.approvals[0]).toMatch(/^DATA LOSS: measured RPO -1 ms/)
    expect(fake.calls.map((call) => call.api)).not.toContain('rds:FailoverGlobalCluster')
  })
})

describe('dr-failback', () => {
  it('switches back to the env region cluster, waits for it to be writer, then restores the primary health check', async () => {
    let writer = RECOVERY_ARN
    let status = 'available'
    const fake = fakes({
      'rds:DescribeDBClusters': () => ({DBClusters: [{DBClusterArn: PRIMARY_ARN}]}),
      'rds:DescribeGlobalClusters': (_, call) => {
        // The switchover completes at the third read after it was asked.
        if (status === 'switching-over' && call >= 4) [writer, status] = [PRIMARY_ARN, 'available']
        return {GlobalClusters: [{Status: status, GlobalClusterMembers: [PRIMARY_ARN, RECOVERY_ARN].map((arn) => ({DBClusterArn: arn, IsWriter: arn === writer}))}]}
      },
      'cloudwatch:GetMetricStatistics': () => ({Datapoints: [{Maximum: 40}]}),
      'elbv2:DescribeTargetHealth': () => ({TargetHealthDescriptions: [{TargetHealth: {State: 'healthy'}}]}),
      'rds:SwitchoverGlobalCluster': () => {
        status = 'switching-over'
        return {}
      },
      'route53:UpdateHealthCheck': () => ({}),
      'route53:GetHealthCheck': () => ({HealthCheck: {HealthCheckConfig: {Inverted: false}}}),
    })
    const failback = shipped.get('dr-failback')!
    const state = await executeRunbook(failback, freshState(failback, {environment: 'prod', clusterId: 'fintech-prod-aurora', targetGroupArn: 'arn:tg', primaryHealthCheckId: 'hc-primary', maxRpoLagMs: 60_000}), fake.deps)
    expect(state.status).toBe('succeeded')
    expect(fake.calls.map((call) => call.api)).toEqual([
      'rds:DescribeDBClusters',
      'rds:DescribeGlobalClusters',
      'cloudwatch:GetMetricStatistics',
      'elbv2:DescribeTargetHealth',
      'rds:SwitchoverGlobalCluster',
      'rds:DescribeGlobalClusters',
      'rds:DescribeGlobalClusters',
      'rds:DescribeGlobalClusters',
      'rds:DescribeGlobalClusters',
      'route53:UpdateHealthCheck',
      'route53:GetHealthCheck',
    ])
    expect(fake.calls.find((call) => call.api === 'rds:SwitchoverGlobalCluster')!.parameters).toEqual({GlobalClusterIdentifier: GLOBAL, TargetDbClusterIdentifier: PRIMARY_ARN})
    expect(fake.calls.find((call) => call.api === 'route53:UpdateHealthCheck')!.parameters).toEqual({HealthCheckId: 'hc-primary', Inverted: false})
  })
})

describe('the DR runbooks\' RTO budgets', () => {
  it.each(['dr-failover', 'dr-failover-unplanned', 'dr-failback'])('%s budgets every step, in all within the default 30-minute RTO', (name) => {
    const runbook = shipped.get(name)!
    expect(runbook.steps.filter((step) => step.budgetSeconds === undefined).map((step) => step.name)).toEqual([])
    expect(runbook.steps.reduce((sum, step) => sum + step.budgetSeconds!, 0)).toBeLessThanOrEqual(30 * 60)
  })
})
