/**
 * The pick step: one item of a list, the one with the lowest or highest value (a per-item
 * read-only call, or a field of the item), or the one given; with fakes for AWS and the clock.
 * Then the shipped failover runbook, which picks the reader to promote so.
 */
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {executeRunbook} from '../../../src/core/runbook/engine.js'
import {loadRunbooks, parseRunbook} from '../../../src/core/runbook/load.js'
import {fakes, freshState, runbookOf, type Handler} from '../../helpers/runbook-fakes.js'

const PARAMETERS = "{cluster: {type: string, description: c}, target: {type: string, default: '', allowEmpty: true, description: t}}"

/** Lists the instances, picks one by its lag, and fails over to it. */
const pickRunbook = (order: 'lowest' | 'highest' = 'lowest') =>
  runbookOf(
    `  - name: instances
    kind: aws
    service: rds
    api: DescribeDBInstances
    outputs:
      Ids: {selector: '$.DBInstances[*].DBInstanceIdentifier', type: StringList}
  - name: target
    kind: pick
    description: the target is one of the cluster's instances
    items: '{{ steps.instances.outputs.Ids }}'
    given: '{{ params.target }}'
    order: ${order}
    by:
      service: cloudwatch
      api: GetMetricStatistics
      parameters:
        Namespace: AWS/RDS
        Dimensions: [{Name: DBInstanceIdentifier, Value: '{{ item }}'}]
        StartTime: '{{ time.minus5m }}'
        Label: 'lag of {{ item }} in {{ params.cluster }}'
      selector: $.Datapoints[0].Maximum
    outputs:
      Instance: $.item
      Lag: {selector: $.value, type: Integer}
  - name: failover
    kind: aws
    service: rds
    api: FailoverDBCluster
    parameters: {DBClusterIdentifier: '{{ params.cluster }}', TargetDBInstanceIdentifier: '{{ steps.target.outputs.Instance }}'}`,
    PARAMETERS,
  )

/** Instances and their lag; `undefined` is an instance CloudWatch has no datapoint for. */
function cluster(lags: Record<string, number | undefined>): Record<string, Handler> {
  return {
    'rds:DescribeDBInstances': () => ({DBInstances: Object.keys(lags).map((DBInstanceIdentifier) => ({DBInstanceIdentifier}))}),
    'cloudwatch:GetMetricStatistics': ({Dimensions}) => {
      const lag = lags[Dimensions[0].Value]
      return {Datapoints: lag === undefined ? [] : [{Maximum: lag}]}
    },
    'rds:FailoverDBCluster': () => ({}),
  }
}

const START = new Date('2026-12-01T03:00:00Z')
const failedOverTo = (fake: ReturnType<typeof fakes>) => fake.calls.find((call) => call.api === 'rds:FailoverDBCluster')?.parameters.TargetDBInstanceIdentifier
const metricCalls = (fake: ReturnType<typeof fakes>) => fake.calls.filter((call) => call.api === 'cloudwatch:GetMetricStatistics').map((call) => call.parameters)

describe('runbook engine: a pick step', () => {
  it('makes the by call once per item with {{ item }} filled, in order, and picks the lowest value', async () => {
    const fake = fakes(cluster({'db-1': 40, 'db-2': 8.6, 'db-3': 12}), {start: START})
    const runbook = pickRunbook()
    const state = await executeRunbook(runbook, freshState(runbook, {cluster: 'ledger', target: ''}), fake.deps)
    expect(state.status).toBe('succeeded')
    expect(metricCalls(fake)).toEqual(
      ['db-1', 'db-2', 'db-3'].map((id) => ({Namespace: 'AWS/RDS', Dimensions: [{Name: 'DBInstanceIdentifier', Value: id}], StartTime: new Date('2026-12-01T02:55:00Z'), Label: `lag of ${id} in ledger`})),
    )
    expect(state.steps.target!.outputs).toEqual({Instance: 'db-2', Lag: 8})
    expect(failedOverTo(fake)).toBe('db-2')
  })

  it('picks the highest value with order highest, and the first of equal values', async () => {
    const highest = fakes(cluster({'db-1': 40, 'db-2': 8, 'db-3': 12}))
    const runbook = pickRunbook('highest')
    await executeRunbook(runbook, freshState(runbook, {cluster: 'ledger', target: ''}), highest.deps)
    expect(failedOverTo(highest)).toBe('db-1')
    const tied = fakes(cluster({'db-1': 9, 'db-2': 5, 'db-3': 5}))
    const lowest = pickRunbook()
    await executeRunbook(lowest, freshState(lowest, {cluster: 'ledger', target: ''}), tied.deps)
    expect(failedOverTo(tied)).toBe('db-2')
  })

  it('never picks an item without a value, and fails naming them all when none has one', async () => {
    const some = fakes(cluster({'db-1': undefined, 'db-2': 30}))
    const runbook = pickRunbook()
    await executeRunbook(runbook, freshState(runbook, {cluster: 'ledger', target: ''}), some.deps)
    expect(failedOverTo(some)).toBe('db-2')

    const none = fakes(cluster({'db-1': undefined, 'db-2': undefined}))
    const state = await executeRunbook(runbook, freshState(runbook, {cluster: 'ledger', target: ''}), none.deps)
    expect(state).toMatchObject({status: 'failed', next: 'target'})
    expect(state.steps.target!.detail).toBe("none of db-1, db-2 has a value for $.Datapoints[0].Maximum: the target is one of the cluster's instances")
    expect(failedOverTo(none)).toBeUndefined()
  })

  it('takes the item given instead, when it is one of the items, and asks for its value only', async () => {
    const fake = fakes(cluster({'db-1': 40, 'db-2': 8}))
    const runbook = pickRunbook()
    const state = await executeRunbook(runbook, freshState(runbook, {cluster: 'ledger', target: 'db-1'}), fake.deps)
    expect(state.status).toBe('succeeded')
    expect(metricCalls(fake).map((call) => call.Dimensions[0].Value)).toEqual(['db-1'])
    expect(state.steps.target!.outputs).toEqual({Instance: 'db-1', Lag: 40})
    expect(failedOverTo(fake)).toBe('db-1')
  })

  it('fails, with no by call and no change, when the item given is not one of the items or has no value', async () => {
    const runbook = pickRunbook()
    const stranger = fakes(cluster({'db-1': 40, 'db-2': 8}))
    const refused = await executeRunbook(runbook, freshState(runbook, {cluster: 'ledger', target: 'db-9'}), stranger.deps)
    expect(refused).toMatchObject({status: 'failed', next: 'target'})
    expect(refused.steps.target!.detail).toBe("db-9 is not one of the items (db-1, db-2): the target is one of the cluster's instances")
    expect(metricCalls(stranger)).toEqual([])
    expect(failedOverTo(stranger)).toBeUndefined()

    const unknown = fakes(cluster({'db-1': undefined, 'db-2': 8}))
    const state = await executeRunbook(runbook, freshState(runbook, {cluster: 'ledger', target: 'db-1'}), unknown.deps)
    expect(state.steps.target!.detail).toBe("db-1 has no value for $.Datapoints[0].Maximum: the target is one of the cluster's instances")
    expect(failedOverTo(unknown)).toBeUndefined()
  })

  it('fails when there is nothing to pick from', async () => {
    const fake = fakes(cluster({}))
    const runbook = pickRunbook()
    const state = await executeRunbook(runbook, freshState(runbook, {cluster: 'ledger', target: ''}), fake.deps)
    expect(state.steps.target).toMatchObject({status: 'failed', detail: "no items to pick from: the target is one of the cluster's instances"})
    expect(metricCalls(fake)).toEqual([])
  })

  it('ranks by a field of each item when by is a selector, with no call', async () => {
    const runbook = runbookOf(`  - name: services
    kind: aws
    service: ecs
    api: DescribeServices
    outputs:
      All: {selector: $.services, type: MapList}
  - name: busiest
    kind: pick
    items: '{{ steps.services.outputs.All }}'
    order: highest
    by: $.runningCount
    outputs:
      Name: $.item.serviceName
      Running: {selector: $.value, type: Integer}`)
    const fake = fakes({'ecs:DescribeServices': () => ({services: [{serviceName: 'a', runningCount: 2}, {serviceName: 'b', runningCount: 7}, {serviceName: 'c'}]})})
    const state = await executeRunbook(runbook, freshState(runbook), fake.deps)
    expect(state.steps.busiest!.outputs).toEqual({Name: 'b', Running: 7})
    expect(fake.calls.map((call) => call.api)).toEqual(['ecs:DescribeServices'])
  })

  it('runs in a dry run, as the read it is, and the change after it is shown with the item picked', async () => {
    const fake = fakes(cluster({'db-1': 40, 'db-2': 8}))
    const runbook = pickRunbook()
    const state = await executeRunbook(runbook, freshState(runbook, {cluster: 'ledger', target: ''}, true), fake.deps)
    expect(state.status).toBe('succeeded')
    expect(fake.calls.map((call) => call.api)).toEqual(['rds:DescribeDBInstances', 'cloudwatch:GetMetricStatistics', 'cloudwatch:GetMetricStatistics'])
    expect(state.steps.target).toMatchObject({status: 'succeeded', outputs: {Instance: 'db-2', Lag: 8}})
    expect(state.steps.failover).toMatchObject({status: 'planned', detail: 'would run: rds:FailoverDBCluster {"DBClusterIdentifier":"ledger","TargetDBInstanceIdentifier":"db-2"}'})
  })

  it('audits what it picked from and by what', async () => {
    const fake = fakes(cluster({'db-1': 40, 'db-2': 8}))
    const runbook = pickRunbook()
    await executeRunbook(runbook, freshState(runbook, {cluster: 'ledger', target: ''}), fake.deps)
    expect(fake.audit.find((entry) => entry.step === 'target')).toMatchObject({kind: 'pick', request: 'the lowest by cloudwatch:GetMetricStatistics $.Datapoints[0].Maximum of db-1, db-2', result: 'ok', changes: false})
  })
})

describe('runbook format: a pick step', () => {
  const parse = (step: string) => parseRunbook(`name: sample\ntitle: T\ndescription: d\nwhenToUse: w\nseverity: sev2\nenvs: [dev]\nsteps:\n${step}\nprose: p\n`, 'runbooks/sample.yaml')
  const problems = (step: string) => parse(step).problems.map((problem) => `${problem.line}: ${problem.message}`)

  it('refuses a by call that changes something, or returns a secret, at its line', () => {
    expect(problems(`  - name: p
    kind: pick
    items: [a, b]
    order: lowest
    by: {service: ec2, api: TerminateInstances, parameters: {InstanceIds: ['{{ item }}']}, selector: $.x}`)).toEqual(['12: a pick step only reads: ec2:TerminateInstances is not a read-only call (Describe…, Get…, List…)'])
    expect(problems(`  - name: p
    kind: pick
    items: [a, b]
    order: lowest
    by: {service: secretsmanager, api: GetSecretValue, parameters: {SecretId: '{{ item }}'}, selector: $.SecretString}`)).toEqual(['12: a pick step ranks by what its call returns: secretsmanager:GetSecretValue returns a secret'])
  })

  it('knows {{ item }} only in a pick step\'s by', () => {
    expect(problems(`  - name: p
    kind: pick
    items: ['{{ item }}']
    order: lowest
    by: $.x
  - name: q
    kind: aws
    service: rds
    api: DescribeDBInstances
    parameters: {DBInstanceIdentifier: '{{ item }}'}`)).toEqual([
      "10: {{ item }}: there is an item only in a pick step's by (the item its call is made for)",
      "17: {{ item }}: there is an item only in a pick step's by (the item its call is made for)",
    ])
  })

  it('needs an order and a by', () => {
    expect(problems(`  - name: p
    kind: pick
    items: [a]
    by: $.x`)).toEqual(['8: steps[0].order: Invalid option: expected one of "lowest"|"highest"'])
    expect(problems(`  - name: p
    kind: pick
    items: [a]
    order: middle
    by: $.x`)).toEqual(['11: steps[0].order: Invalid option: expected one of "lowest"|"highest"'])
  })
})

describe('the shipped failover runbook picks its target', () => {
  const shipped = loadRunbooks(fileURLToPath(new URL('../../..', import.meta.url)), ['dev', 'test', 'prod', 'management']).runbooks.get('failover')!
  const params = {environment: 'dev', clusterId: 'ledger', targetInstance: '', maxReplicaLagMs: 100, ecsCluster: 'fintech-dev', service: 'ledger', targetGroupArn: 'arn:tg', loadBalancer: 'app/fintech-dev/1', max5xx: 5}

  /** aurora-1 writes in AZ a; the readers are in b, c, a: their status and lag as given. */
  function aurora(readers: Record<string, {status: string; lag?: number}>): Record<string, Handler> {
    const zone = (id: string) => ({'fintech-dev-aurora-1': 'eu-west-1a', 'fintech-dev-aurora-2': 'eu-west-1b', 'fintech-dev-aurora-3': 'eu-west-1c'})[id] ?? 'eu-west-1a'
    const instance = (id: string) => ({DBInstanceIdentifier: id, DBInstanceStatus: readers[id]?.status ?? 'available', AvailabilityZone: zone(id)})
    return {
      'rds:DescribeDBClusters': () => ({DBClusters: [{Status: 'available', DBClusterMembers: ['fintech-dev-aurora-1', ...Object.keys(readers)].map((id, index) => ({DBInstanceIdentifier: id, IsClusterWriter: index === 0}))}]}),
      'rds:DescribeDBInstances': ({DBInstanceIdentifier, Filters}) => ({DBInstances: (DBInstanceIdentifier ? [DBInstanceIdentifier] : (Filters[0].Values as string[])).map(instance)}),
      'cloudwatch:GetMetricStatistics': ({Dimensions}) => {
        const lag = readers[Dimensions[0].Value]?.lag
        return {Datapoints: lag === undefined ? [] : [{Maximum: lag}]}
      },
      'cloudwatch:DescribeAlarms': () => ({MetricAlarms: []}),
    }
  }

  it('asks only the available readers for their lag and shows the failover to the least lagged', async () => {
    const fake = fakes(aurora({'fintech-dev-aurora-2': {status: 'available', lag: 40}, 'fintech-dev-aurora-3': {status: 'available', lag: 6}, 'fintech-dev-aurora-4': {status: 'rebooting', lag: 1}}))
    const state = await executeRunbook(shipped, freshState(shipped, params, true), fake.deps)
    expect(fake.calls.find((call) => call.parameters.Filters)!.parameters).toEqual({Filters: [{Name: 'db-instance-id', Values: ['fintech-dev-aurora-2', 'fintech-dev-aurora-3', 'fintech-dev-aurora-4']}]})
    expect(metricCalls(fake).map((call) => call.Dimensions[0].Value)).toEqual(['fintech-dev-aurora-2', 'fintech-dev-aurora-3'])
    expect(state.steps.target!.outputs).toEqual({Instance: 'fintech-dev-aurora-3', ReplicaLag: 6})
    expect(state.steps['target-in-other-az']!.status).toBe('succeeded')
    expect(state.steps.failover).toMatchObject({status: 'planned', detail: 'would run: rds:FailoverDBCluster {"DBClusterIdentifier":"ledger","TargetDBInstanceIdentifier":"fintech-dev-aurora-3"}'})
  })

  it('refuses a given reader that is not available, naming the available ones', async () => {
    const fake = fakes(aurora({'fintech-dev-aurora-2': {status: 'available', lag: 40}, 'fintech-dev-aurora-3': {status: 'rebooting', lag: 6}}))
    const state = await executeRunbook(shipped, freshState(shipped, {...params, targetInstance: 'fintech-dev-aurora-3'}), fake.deps)
    expect(state).toMatchObject({status: 'failed', next: 'target'})
    expect(state.steps.target!.detail).toBe('fintech-dev-aurora-3 is not one of the items (fintech-dev-aurora-2): the target is an available reader of the cluster')
  })

  it('stops at has-reader in a cluster with no reader, saying so, before any other call', async () => {
    const fake = fakes(aurora({}))
    const state = await executeRunbook(shipped, freshState(shipped, params, true), fake.deps)
    expect(state).toMatchObject({status: 'failed', next: 'has-reader'})
    expect(state.steps['has-reader']!.detail).toBe("0 is not greaterThan 0: no reader to fail over to (the data stage's AuroraReaderCount is 0 in this env)")
    expect(fake.calls.map((call) => call.api)).toEqual(['rds:DescribeDBClusters'])
  })
})
