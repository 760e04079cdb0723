import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
  type ScalableTarget,
} from '@aws-sdk/client-application-auto-scaling'
import {mockClient} from 'aws-sdk-client-mock'
import {beforeEach, expect, it} from 'vitest'
import {createScalingApi} from '../../src/aws/application-autoscaling.js'

const aas = mockClient(ApplicationAutoScalingClient)
const TARGET = {region: 'eu-west-1'}

beforeEach(() => aas.reset())

function target(resourceId: string, extra: Partial<ScalableTarget> = {}): ScalableTarget {
  return {
    ServiceNamespace: 'ecs',
    ResourceId: resourceId,
    ScalableDimension: 'ecs:service:DesiredCount',
    MinCapacity: 2,
    MaxCapacity: 10,
    RoleARN: 'arn:aws:iam::111111111111:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService',
    CreationTime: new Date('2026-11-01T00:00:00Z'),
    ...extra,
  }
}

it('describes the ECS targets of the services asked about, following every page, with their suspension', async () => {
  aas.on(DescribeScalableTargetsCommand, {NextToken: undefined}).resolves({
    ScalableTargets: [target('service/ledger/api')],
    NextToken: 'page-2',
  })
  aas.on(DescribeScalableTargetsCommand, {NextToken: 'page-2'}).resolves({
    ScalableTargets: [
      target('service/ledger/worker', {
        MinCapacity: 0,
        MaxCapacity: 0,
        SuspendedState: {DynamicScalingInSuspended: true, DynamicScalingOutSuspended: true, ScheduledScalingSuspended: false},
      }),
      target('service/ledger/partial', {SuspendedState: {ScheduledScalingSuspended: true}}),
    ],
  })
  const api = await createScalingApi(TARGET)
  const ids = ['service/ledger/api', 'service/ledger/worker', 'service/ledger/partial']

  const targets = await api.describeEcsTargets(ids)

  expect(targets).toEqual([
    {resourceId: 'service/ledger/api', min: 2, max: 10, suspended: {dynamicScalingIn: false, dynamicScalingOut: false, scheduled: false}},
    {resourceId: 'service/ledger/worker', min: 0, max: 0, suspended: {dynamicScalingIn: true, dynamicScalingOut: true, scheduled: false}},
    {resourceId: 'service/ledger/partial', min: 2, max: 10, suspended: {dynamicScalingIn: false, dynamicScalingOut: false, scheduled: true}},
  ])
  expect(aas.commandCalls(DescribeScalableTargetsCommand).map((call) => call.args[0].input)).toEqual([
    {ServiceNamespace: 'ecs', ScalableDimension: 'ecs:service:DesiredCount', ResourceIds: ids, MaxResults: 50, NextToken: undefined},
    {ServiceNamespace: 'ecs', ScalableDimension: 'ecs:service:DesiredCount', ResourceIds: ids, MaxResults: 50, NextToken: 'page-2'},
  ])
})

it('asks about at most 50 resource ids a call', async () => {
  const ids = Array.from({length: 120}, (_, n) => `service/ledger/svc-${n}`)
  aas.on(DescribeScalableTargetsCommand).callsFake((input: {ResourceIds: string[]}) => ({
    // Services without scaling have no target.
    ScalableTargets: input.ResourceIds.filter((_, n) => n % 2 === 0).map((resourceId) => target(resourceId)),
  }))
  const api = await createScalingApi(TARGET)

  const targets = await api.describeEcsTargets(ids)

  expect(targets).toHaveLength(60)
  expect(aas.commandCalls(DescribeScalableTargetsCommand).map((call) => call.args[0].input.ResourceIds)).toEqual([
    ids.slice(0, 50),
    ids.slice(50, 100),
    ids.slice(100),
  ])
})

it('asks nothing for no resource ids', async () => {
  const api = await createScalingApi(TARGET)
  expect(await api.describeEcsTargets([])).toEqual([])
  expect(aas.calls()).toHaveLength(0)
})

it('registers the target with its bounds and every suspension flag', async () => {
  aas.on(RegisterScalableTargetCommand).resolves({})
  const api = await createScalingApi(TARGET)

  await api.updateEcsTarget({
    resourceId: 'service/ledger/api',
    min: 0,
    max: 0,
    suspended: {dynamicScalingIn: true, dynamicScalingOut: false, scheduled: true},
  })

  expect(aas.commandCalls(RegisterScalableTargetCommand).map((call) => call.args[0].input)).toEqual([
    {
      ServiceNamespace: 'ecs',
      ScalableDimension: 'ecs:service:DesiredCount',
      ResourceId: 'service/ledger/api',
      MinCapacity: 0,
      MaxCapacity: 0,
      SuspendedState: {DynamicScalingInSuspended: true, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: true},
    },
  ])
})
