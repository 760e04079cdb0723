import type {AutoScalingGroup as SdkGroup} from '@aws-sdk/client-auto-scaling'
import type {AutoScalingApi, AutoScalingGroup} from '../core/shutdown/api.js'
import {createClient, type AwsTarget} from './clients.js'
import {allPages, chunks} from './paging.js'
import {tagMap} from './tagging.js'

/** DescribeAutoScalingGroups takes at most 100 names and returns at most 100 groups a page. */
const BATCH = 100

function toGroup(group: SdkGroup): AutoScalingGroup {
  return {
    name: group.AutoScalingGroupName ?? '',
    min: group.MinSize ?? 0,
    max: group.MaxSize ?? 0,
    desired: group.DesiredCapacity ?? 0,
    tags: tagMap(group.Tags),
    instanceIds: (group.Instances ?? []).map((instance) => instance.InstanceId ?? ''),
  }
}

export async function createAutoScalingApi(target: AwsTarget): Promise<AutoScalingApi> {
  const asg = await import('@aws-sdk/client-auto-scaling')
  const client = createClient(asg.AutoScalingClient, target)

  const describe = async (input: {AutoScalingGroupNames?: string[]; Filters?: {Name: string; Values: string[]}[]}) => {
    const pages = await allPages(
      (token) => client.send(new asg.DescribeAutoScalingGroupsCommand({...input, MaxRecords: BATCH, NextToken: token})),
      (page) => page.NextToken,
    )
    return pages.flatMap((page) => (page.AutoScalingGroups ?? []).map(toGroup))
  }

  return {
    async findGroups(filter) {
      if (filter.values.length === 0) return []
      return describe({Filters: [{Name: `tag:${filter.key}`, Values: filter.values}]})
    },

    async describeGroups(names) {
      const batches = await Promise.all(chunks(names, BATCH).map((batch) => describe({AutoScalingGroupNames: batch})))
      return batches.flat()
    },

    async updateGroup(name, size) {
      await client.send(
        new asg.UpdateAutoScalingGroupCommand({AutoScalingGroupName: name, MinSize: size.min, MaxSize: size.max, DesiredCapacity: size.desired}),
      )
    },
  }
}
