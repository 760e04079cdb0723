import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
  RDSServiceException,
  StartDBClusterCommand,
  StartDBInstanceCommand,
  StopDBClusterCommand,
  StopDBInstanceCommand,
  type DBCluster,
  type DBInstance,
} from '@aws-sdk/client-rds'
import {mockClient} from 'aws-sdk-client-mock'
import {beforeEach, describe, expect, it} from 'vitest'
import {createRdsApi} from '../../src/aws/rds.js'

const rds = mockClient(RDSClient)
const TARGET = {region: 'eu-west-1'}

beforeEach(() => rds.reset())

const ARN = 'arn:aws:rds:eu-west-1:111111111111'

function cluster(id: string, extra: Partial<DBCluster> = {}): DBCluster {
  return {
    DBClusterIdentifier: id,
    DBClusterArn: `${ARN}:cluster:${id}`,
    Status: 'available',
    Engine: 'aurora-postgresql',
    EngineVersion: '16.4',
    TagList: [{Key: 'Environment', Value: 'dev'}],
    ...extra,
  }
}

function instance(id: string, extra: Partial<DBInstance> = {}): DBInstance {
  return {
    DBInstanceIdentifier: id,
    DBInstanceArn: `${ARN}:db:${id}`,
    DBInstanceStatus: 'available',
    Engine: 'aurora-postgresql',
    DBInstanceClass: 'db.r7g.large',
    TagList: [{Key: 'Environment', Value: 'dev'}],
    ...extra,
  }
}

it('lists Aurora clusters over every page, with their members\' classes from one pass over the instances', async () => {
  rds.on(DescribeDBClustersCommand, {Marker: undefined}).resolves({
    DBClusters: [cluster('fintech-dev-aurora', {GlobalClusterIdentifier: 'fintech-dev-ledger-global'}), cluster('graph', {Engine: 'neptune'})],
    Marker: 'clusters-2',
  })
  rds.on(DescribeDBClustersCommand, {Marker: 'clusters-2'}).resolves({
    DBClusters: [cluster('fintech-dev-reporting', {Engine: 'aurora-mysql', Status: 'stopped', TagList: []}), cluster('docs', {Engine: 'docdb'})],
  })
  rds.on(DescribeDBInstancesCommand, {Marker: undefined}).resolves({
    DBInstances: [
      instance('aurora-1', {DBClusterIdentifier: 'fintech-dev-aurora'}),
      instance('legacy', {Engine: 'postgres', DBInstanceClass: 'db.t4g.micro'}),
    ],
    Marker: 'instances-2',
  })
  rds.on(DescribeDBInstancesCommand, {Marker: 'instances-2'}).resolves({
    DBInstances: [
      instance('aurora-2', {DBClusterIdentifier: 'fintech-dev-aurora', DBInstanceClass: 'db.serverless'}),
      instance('graph-1', {DBClusterIdentifier: 'graph', Engine: 'neptune'}),
    ],
  })
  const api = await createRdsApi(TARGET)

  const clusters = await api.listClusters()

  expect(clusters).toEqual([
    {
      id: 'fintech-dev-aurora',
      arn: `${ARN}:cluster:fintech-dev-aurora`,
      status: 'available',
      engine: 'aurora-postgresql',
      tags: {Environment: 'dev'},
      memberClasses: ['db.r7g.large', 'db.serverless'],
      globalClusterId: 'fintech-dev-ledger-global',
    },
    {
      id: 'fintech-dev-reporting',
      arn: `${ARN}:cluster:fintech-dev-reporting`,
      status: 'stopped',
      engine: 'aurora-mysql',
      tags: {},
      memberClasses: [],
    },
  ])
  expect(rds.commandCalls(DescribeDBClustersCommand).map((call) => call.args[0].input)).toEqual([
    {MaxRecords: 100, Marker: undefined},
    {MaxRecords: 100, Marker: 'clusters-2'},
  ])
  expect(rds.commandCalls(DescribeDBInstancesCommand).map((call) => call.args[0].input.Marker)).toEqual([undefined, 'instances-2'])
})

it('does not read the instances when there is no Aurora cluster', async () => {
  rds.on(DescribeDBClustersCommand).resolves({DBClusters: [cluster('graph', {Engine: 'neptune'})]})
  const api = await createRdsApi(TARGET)
  expect(await api.listClusters()).toEqual([])
  expect(rds.commandCalls(DescribeDBInstancesCommand)).toHaveLength(0)
})

it('lists every DB instance over every page, naming the cluster of Aurora members', async () => {
  rds.on(DescribeDBInstancesCommand, {Marker: undefined}).resolves({
    DBInstances: [instance('aurora-1', {DBClusterIdentifier: 'fintech-dev-aurora'})],
    Marker: 'next',
  })
  rds.on(DescribeDBInstancesCommand, {Marker: 'next'}).resolves({
    DBInstances: [instance('legacy', {Engine: 'postgres', DBInstanceClass: 'db.t4g.micro', DBInstanceStatus: 'stopped', TagList: undefined})],
  })
  const api = await createRdsApi(TARGET)

  expect(await api.listInstances()).toEqual([
    {
      id: 'aurora-1',
      arn: `${ARN}:db:aurora-1`,
      status: 'available',
      engine: 'aurora-postgresql',
      instanceClass: 'db.r7g.large',
      tags: {Environment: 'dev'},
      clusterId: 'fintech-dev-aurora',
    },
    {id: 'legacy', arn: `${ARN}:db:legacy`, status: 'stopped', engine: 'postgres', instanceClass: 'db.t4g.micro', tags: {}},
  ])
  expect(rds.commandCalls(DescribeDBInstancesCommand).map((call) => call.args[0].input)).toEqual([
    {MaxRecords: 100, Marker: undefined},
    {MaxRecords: 100, Marker: 'next'},
  ])
})

it('stops and starts clusters and instances by identifier', async () => {
  rds.on(StopDBClusterCommand).resolves({})
  rds.on(StartDBClusterCommand).resolves({})
  rds.on(StopDBInstanceCommand).resolves({})
  rds.on(StartDBInstanceCommand).resolves({})
  const api = await createRdsApi(TARGET)

  await api.stopCluster('fintech-dev-aurora')
  await api.startCluster('fintech-dev-aurora')
  await api.stopInstance('legacy')
  await api.startInstance('legacy')

  expect(rds.calls().map((call) => [call.args[0].constructor.name, call.args[0].input])).toEqual([
    ['StopDBClusterCommand', {DBClusterIdentifier: 'fintech-dev-aurora'}],
    ['StartDBClusterCommand', {DBClusterIdentifier: 'fintech-dev-aurora'}],
    ['StopDBInstanceCommand', {DBInstanceIdentifier: 'legacy'}],
    ['StartDBInstanceCommand', {DBInstanceIdentifier: 'legacy'}],
  ])
})

it('passes RDS refusals through to the core', async () => {
  rds.on(StopDBClusterCommand).rejects(
    new RDSServiceException({
      name: 'InvalidDBClusterStateFault',
      message: 'DbCluster fintech-dev-aurora is not in available state.',
      $fault: 'client',
      $metadata: {httpStatusCode: 400},
    }),
  )
  const api = await createRdsApi(TARGET)
  await expect(api.stopCluster('fintech-dev-aurora')).rejects.toMatchObject({
    name: 'InvalidDBClusterStateFault',
    message: 'DbCluster fintech-dev-aurora is not in available state.',
  })
})

describe('re-sends of stop and start whose answer was lost', () => {
  /** RDS's refusal as the SDK hands it over after `attempts` sends of the same request. */
  const wrongState = (name: string, attempts: number) =>
    new RDSServiceException({name, message: 'not in available state.', $fault: 'client', $metadata: {httpStatusCode: 400, attempts}})

  it.each([
    ['stopCluster', 'stopping', StopDBClusterCommand],
    ['stopCluster', 'stopped', StopDBClusterCommand],
    ['startCluster', 'starting', StartDBClusterCommand],
    ['startCluster', 'available', StartDBClusterCommand],
  ] as const)('takes %s refused on a re-send as done when the cluster is now %s', async (method, status, command) => {
    rds.on(command).rejects(wrongState('InvalidDBClusterStateFault', 2))
    rds.on(DescribeDBClustersCommand, {DBClusterIdentifier: 'fintech-dev-aurora'}).resolves({DBClusters: [cluster('fintech-dev-aurora', {Status: status})]})
    const api = await createRdsApi(TARGET)

    await api[method]('fintech-dev-aurora')
  })

  it.each([
    ['stopInstance', 'stopped', StopDBInstanceCommand],
    ['startInstance', 'starting', StartDBInstanceCommand],
  ] as const)('takes %s refused on a re-send as done when the instance is now %s', async (method, status, command) => {
    rds.on(command).rejects(wrongState('InvalidDBInstanceStateFault', 2))
    rds.on(DescribeDBInstancesCommand, {DBInstanceIdentifier: 'legacy'}).resolves({DBInstances: [instance('legacy', {DBInstanceStatus: status})]})
    const api = await createRdsApi(TARGET)

    await api[method]('legacy')
  })

  it('rethrows the refusal when the cluster is not on its way there, or when the first attempt was refused', async () => {
    rds.on(StopDBClusterCommand).rejectsOnce(wrongState('InvalidDBClusterStateFault', 2)).rejectsOnce(wrongState('InvalidDBClusterStateFault', 1))
    rds.on(DescribeDBClustersCommand).resolves({DBClusters: [cluster('fintech-dev-aurora', {Status: 'backing-up'})]})
    const api = await createRdsApi(TARGET)

    await expect(api.stopCluster('fintech-dev-aurora')).rejects.toMatchObject({name: 'InvalidDBClusterStateFault'})
    await expect(api.stopCluster('fintech-dev-aurora')).rejects.toMatchObject({name: 'InvalidDBClusterStateFault'})
    expect(rds.commandCalls(DescribeDBClustersCommand)).toHaveLength(1)
  })
})
