import type {ScalableTarget as SdkTarget} from '@aws-sdk/client-application-auto-scaling'
import type {ScalableTarget, ScalingApi} from '../core/shutdown/api.js'
import {createClient, type AwsTarget} from './clients.js'
import {allPages, chunks} from './paging.js'

/** DescribeScalableTargets takes at most 50 resource ids and returns at most 50 targets a page. */
const BATCH = 50
const ECS_TARGET = {ServiceNamespace: 'ecs', ScalableDimension: 'ecs:service:DesiredCount'} as const

function toTarget(target: SdkTarget): ScalableTarget {
  const suspended = target.SuspendedState
  return {
    resourceId: target.ResourceId ?? '',
    min: target.MinCapacity ?? 0,
    max: target.MaxCapacity ?? 0,
    suspended: {
      dynamicScalingIn: suspended?.DynamicScalingInSuspended ?? false,
      dynamicScalingOut: suspended?.DynamicScalingOutSuspended ?? false,
      scheduled: suspended?.ScheduledScalingSuspended ?? false,
    },
  }
}

export async function createScalingApi(target: AwsTarget): Promise<ScalingApi> {
  const aas = await import('@aws-sdk/client-application-auto-scaling')
  const client = createClient(aas.ApplicationAutoScalingClient, target)

  return {
    async describeEcsTargets(resourceIds) {
      const batches = await Promise.all(
        chunks(resourceIds, BATCH).map(async (batch) => {
          const pages = await allPages(
            (token) => client.send(new aas.DescribeScalableTargetsCommand({...ECS_TARGET, ResourceIds: batch, MaxResults: BATCH, NextToken: token})),
            (page) => page.NextToken,
          )
          return pages.flatMap((page) => (page.ScalableTargets ?? []).map(toTarget))
        }),
      )
      return batches.flat()
    },

    async updateEcsTarget(scalable) {
      await client.send(
        new aas.RegisterScalableTargetCommand({
          ...ECS_TARGET,
          ResourceId: scalable.resourceId,
          MinCapacity: scalable.min,
          MaxCapacity: scalable.max,
          SuspendedState: {
            DynamicScalingInSuspended: scalable.suspended.dynamicScalingIn,
            DynamicScalingOutSuspended: scalable.suspended.dynamicScalingOut,
            ScheduledScalingSuspended: scalable.suspended.scheduled,
          },
        }),
      )
    },
  }
}
