import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling'
import {mockClient} from 'aws-sdk-client-mock'
import {beforeEach, expect, it} from 'vitest'
import {createAutoScalingApi} from '../../src/aws/autoscaling.js'

const asg = mockClient(AutoScalingClient)
const TARGET = {region: 'eu-west-1'}

beforeEach(() => asg.reset())

function group(name: string, extra: Partial<AutoScalingGroup> = {}): AutoScalingGroup {
  return {
    AutoScalingGroupName: name,
    MinSize: 1,
    MaxSize: 4,
    DesiredCapacity: 2,
    DefaultCooldown: 300,
    AvailabilityZones: ['eu-west-1a'],
    HealthCheckType: 'EC2',
    CreatedTime: new Date('2026-11-01T00:00:00Z'),
    Tags: [{Key: 'Environment', Value: 'dev', ResourceId: name, ResourceType: 'auto-scaling-group', PropagateAtLaunch: true}],
    Instances: [],
    ...extra,
  }
}

it('finds groups by tag, 100 a page, reading every page', async () => {
  asg.on(DescribeAutoScalingGroupsCommand, {NextToken: undefined}).resolves({
    AutoScalingGroups: [
      group('fintech-dev-redis', {
        Instances: [
          {InstanceId: 'i-0aaa00000000000a1', AvailabilityZone: 'eu-west-1a', LifecycleState: 'InService', HealthStatus: 'Healthy', ProtectedFromScaleIn: false},
          {InstanceId: 'i-0aaa00000000000a2', AvailabilityZone: 'eu-west-1b', LifecycleState: 'InService', HealthStatus: 'Healthy', ProtectedFromScaleIn: false},
        ],
      }),
    ],
    NextToken: 'page-2',
  })
  asg.on(DescribeAutoScalingGroupsCommand, {NextToken: 'page-2'}).resolves({
    AutoScalingGroups: [group('fintech-dev-workers', {MinSize: 0, MaxSize: 10, DesiredCapacity: 3})],
  })
  const api = await createAutoScalingApi(TARGET)

  const groups = await api.findGroups({key: 'Environment', values: ['dev']})

  expect(groups).toEqual([
    {name: 'fintech-dev-redis', min: 1, max: 4, desired: 2, tags: {Environment: 'dev'}, instanceIds: ['i-0aaa00000000000a1', 'i-0aaa00000000000a2']},
    {name: 'fintech-dev-workers', min: 0, max: 10, desired: 3, tags: {Environment: 'dev'}, instanceIds: []},
  ])
  expect(asg.commandCalls(DescribeAutoScalingGroupsCommand).map((call) => call.args[0].input)).toEqual([
    {Filters: [{Name: 'tag:Environment', Values: ['dev']}], MaxRecords: 100, NextToken: undefined},
    {Filters: [{Name: 'tag:Environment', Values: ['dev']}], MaxRecords: 100, NextToken: 'page-2'},
  ])
})

it('asks nothing when no tag value is wanted', async () => {
  const api = await createAutoScalingApi(TARGET)
  expect(await api.findGroups({key: 'Environment', values: []})).toEqual([])
  expect(asg.calls()).toHaveLength(0)
})

it('describes groups by name, at most 100 names a call', async () => {
  const names = Array.from({length: 230}, (_, n) => `group-${n}`)
  asg.on(DescribeAutoScalingGroupsCommand).callsFake((input: {AutoScalingGroupNames: string[]}) => ({
    // Groups that no longer exist are simply not in the answer.
    AutoScalingGroups: input.AutoScalingGroupNames.filter((name) => name !== 'group-7').map((name) => group(name)),
  }))
  const api = await createAutoScalingApi(TARGET)

  const groups = await api.describeGroups(names)

  expect(groups.map((entry) => entry.name)).toEqual(names.filter((name) => name !== 'group-7'))
  const calls = asg.commandCalls(DescribeAutoScalingGroupsCommand).map((call) => call.args[0].input)
  expect(calls.map((input) => input.AutoScalingGroupNames!.length)).toEqual([100, 100, 30])
  expect(calls.every((input) => input.MaxRecords === 100)).toBe(true)
})

it('describes nothing for no names', async () => {
  const api = await createAutoScalingApi(TARGET)
  expect(await api.describeGroups([])).toEqual([])
  expect(asg.calls()).toHaveLength(0)
})

it('sets min, max and desired in one update', async () => {
  asg.on(UpdateAutoScalingGroupCommand).resolves({})
  const api = await createAutoScalingApi(TARGET)

  await api.updateGroup('fintech-dev-redis', {min: 0, max: 0, desired: 0})

  expect(asg.commandCalls(UpdateAutoScalingGroupCommand).map((call) => call.args[0].input)).toEqual([
    {AutoScalingGroupName: 'fintech-dev-redis', MinSize: 0, MaxSize: 0, DesiredCapacity: 0},
  ])
})
