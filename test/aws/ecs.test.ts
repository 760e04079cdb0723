import {
  DescribeServicesCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  UpdateServiceCommand,
  type Service,
} from '@aws-sdk/client-ecs'
import {mockClient} from 'aws-sdk-client-mock'
import {beforeEach, expect, it} from 'vitest'
import {createEcsApi} from '../../src/aws/ecs.js'

const ecs = mockClient(ECSClient)
const TARGET = {region: 'eu-west-1'}

beforeEach(() => ecs.reset())

const clusterArn = (name: string) => `arn:aws:ecs:eu-west-1:111111111111:cluster/${name}`
const serviceArn = (cluster: string, name: string) => `arn:aws:ecs:eu-west-1:111111111111:service/${cluster}/${name}`

function service(cluster: string, name: string, extra: Partial<Service> = {}): Service {
  return {
    serviceArn: serviceArn(cluster, name),
    serviceName: name,
    clusterArn: clusterArn(cluster),
    status: 'ACTIVE',
    desiredCount: 2,
    runningCount: 2,
    pendingCount: 0,
    launchType: 'FARGATE',
    taskDefinition: `arn:aws:ecs:eu-west-1:111111111111:task-definition/${name}:7`,
    deployments: [{id: 'ecs-svc/1', status: 'PRIMARY', desiredCount: 2, runningCount: 2}],
    tags: [{key: 'Environment', value: 'dev'}],
    ...extra,
  }
}

/** An account of `clusters` clusters with `perCluster` services each, answered the way ECS pages them. */
function account(clusters: number, perCluster: number) {
  const names = Array.from({length: clusters}, (_, n) => `cluster-${n}`)
  ecs.on(ListClustersCommand).resolves({clusterArns: names.map(clusterArn)})
  ecs.on(ListServicesCommand).callsFake((input: {cluster: string}) => {
    const cluster = input.cluster.split('/').pop()!
    return {serviceArns: Array.from({length: perCluster}, (_, n) => serviceArn(cluster, `svc-${n}`))}
  })
  ecs.on(DescribeServicesCommand).callsFake((input: {cluster: string; services: string[]}) => ({
    services: input.services.map((arn) => service(input.cluster.split('/').pop()!, arn.split('/').pop()!)),
    failures: [],
  }))
}

it('lists every service of every cluster, following every page, with tags', async () => {
  ecs.on(ListClustersCommand, {nextToken: undefined}).resolves({clusterArns: [clusterArn('ledger')], nextToken: 'clusters-2'})
  ecs.on(ListClustersCommand, {nextToken: 'clusters-2'}).resolves({clusterArns: [clusterArn('batch')]})
  ecs.on(ListServicesCommand, {cluster: clusterArn('ledger'), nextToken: undefined}).resolves({
    serviceArns: [serviceArn('ledger', 'api')],
    nextToken: 'services-2',
  })
  ecs.on(ListServicesCommand, {cluster: clusterArn('ledger'), nextToken: 'services-2'}).resolves({serviceArns: [serviceArn('ledger', 'worker')]})
  ecs.on(ListServicesCommand, {cluster: clusterArn('batch')}).resolves({serviceArns: []})
  ecs.on(DescribeServicesCommand).resolves({
    services: [
      service('ledger', 'api'),
      service('ledger', 'worker', {
        desiredCount: 3,
        runningCount: 1,
        deployments: [
          {id: 'ecs-svc/2', status: 'PRIMARY'},
          {id: 'ecs-svc/1', status: 'ACTIVE'},
        ],
        tags: [
          {key: 'Environment', value: 'dev'},
          {key: 'fintech:tier', value: 'ledger'},
        ],
      }),
    ],
  })
  const api = await createEcsApi(TARGET)

  const services = await api.listServices()

  expect(services).toEqual([
    {
      arn: serviceArn('ledger', 'api'),
      name: 'api',
      clusterArn: clusterArn('ledger'),
      status: 'ACTIVE',
      desiredCount: 2,
      runningCount: 2,
      deployments: 1,
      taskDefinition: 'arn:aws:ecs:eu-west-1:111111111111:task-definition/api:7',
      tags: {Environment: 'dev'},
    },
    {
      arn: serviceArn('ledger', 'worker'),
      name: 'worker',
      clusterArn: clusterArn('ledger'),
      status: 'ACTIVE',
      desiredCount: 3,
      runningCount: 1,
      deployments: 2,
      taskDefinition: 'arn:aws:ecs:eu-west-1:111111111111:task-definition/worker:7',
      tags: {Environment: 'dev', 'fintech:tier': 'ledger'},
    },
  ])
  expect(ecs.commandCalls(ListClustersCommand).map((call) => call.args[0].input.nextToken)).toEqual([undefined, 'clusters-2'])
  expect(ecs.commandCalls(ListServicesCommand).map((call) => call.args[0].input)).toEqual(
    expect.arrayContaining([
      {cluster: clusterArn('ledger'), maxResults: 100, nextToken: undefined},
      {cluster: clusterArn('ledger'), maxResults: 100, nextToken: 'services-2'},
      {cluster: clusterArn('batch'), maxResults: 100, nextToken: undefined},
    ]),
  )
  // A cluster without services costs no DescribeServices call.
  expect(ecs.commandCalls(DescribeServicesCommand).map((call) => call.args[0].input)).toEqual([
    {cluster: clusterArn('ledger'), services: [serviceArn('ledger', 'api'), serviceArn('ledger', 'worker')], include: ['TAGS']},
  ])
})

it('reads 200 services in 20 clusters with 41 calls', async () => {
  account(20, 10)
  const api = await createEcsApi(TARGET)

  const services = await api.listServices()

  expect(services).toHaveLength(200)
  expect(new Set(services.map((entry) => entry.arn)).size).toBe(200)
  expect(ecs.commandCalls(ListClustersCommand)).toHaveLength(1)
  expect(ecs.commandCalls(ListServicesCommand)).toHaveLength(20)
  expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(20)
})

it('describes at most 10 services a call', async () => {
  account(1, 25)
  const arns = Array.from({length: 25}, (_, n) => serviceArn('cluster-0', `svc-${n}`))
  const api = await createEcsApi(TARGET)

  const services = await api.describeServices(clusterArn('cluster-0'), arns)

  expect(services.map((entry) => entry.arn)).toEqual(arns)
  const calls = ecs.commandCalls(DescribeServicesCommand).map((call) => call.args[0].input)
  expect(calls.map((input) => input.services)).toEqual([arns.slice(0, 10), arns.slice(10, 20), arns.slice(20)])
  expect(calls.every((input) => input.cluster === clusterArn('cluster-0') && input.include?.join() === 'TAGS')).toBe(true)
})

it('leaves out services ECS reports as missing', async () => {
  ecs.on(DescribeServicesCommand).resolves({
    services: [service('ledger', 'api')],
    failures: [{arn: serviceArn('ledger', 'gone'), reason: 'MISSING'}],
  })
  const api = await createEcsApi(TARGET)
  const services = await api.describeServices(clusterArn('ledger'), [serviceArn('ledger', 'api'), serviceArn('ledger', 'gone')])
  expect(services.map((entry) => entry.name)).toEqual(['api'])
})

it('sets the desired count of one service', async () => {
  ecs.on(UpdateServiceCommand).resolves({})
  const api = await createEcsApi(TARGET)

  await api.setDesiredCount(clusterArn('ledger'), serviceArn('ledger', 'api'), 0)

  expect(ecs.commandCalls(UpdateServiceCommand).map((call) => call.args[0].input)).toEqual([
    {cluster: clusterArn('ledger'), service: serviceArn('ledger', 'api'), desiredCount: 0},
  ])
})
