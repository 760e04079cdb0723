import type {LedgerApi, TargetHealth} from '../core/ledger/api.js'
import type {ResourceSource, ServiceTagging, Tags} from '../core/tags/api.js'
import {createClient, type AwsTarget} from './clients.js'
import {chunks, eachPage} from './paging.js'
import {isGone, requestCounter, tagMap, tagsOneByOne} from './tagging.js'

/** DescribeTags and AddTags take up to 20 ARNs a call. */
const ARNS_PER_CALL = 20

/** Application/network load balancers and target groups, tagged or not. Their tags are read 20 at a time, only where needed. */
export async function createElbv2Listing(target: AwsTarget): Promise<ResourceSource> {
  const elbv2 = await import('@aws-sdk/client-elastic-load-balancing-v2')
  const client = createClient(elbv2.ElasticLoadBalancingV2Client, target)
  const counter = requestCounter()
  return {
    name: 'elbv2',
    region: target.region,
    requests: counter.sent,
    async *pages() {
      const balancerPages = eachPage(
        (marker) => counter.count(() => client.send(new elbv2.DescribeLoadBalancersCommand({PageSize: 400, Marker: marker}))),
        (page) => page.NextMarker,
      )
      for await (const page of balancerPages) {
        yield (page.LoadBalancers ?? []).flatMap((balancer) => (balancer.LoadBalancerArn ? [{arn: balancer.LoadBalancerArn}] : []))
      }
      const groupPages = eachPage(
        (marker) => counter.count(() => client.send(new elbv2.DescribeTargetGroupsCommand({PageSize: 400, Marker: marker}))),
        (page) => page.NextMarker,
      )
      for await (const page of groupPages) {
        yield (page.TargetGroups ?? []).flatMap((group) => (group.TargetGroupArn ? [{arn: group.TargetGroupArn}] : []))
      }
    },
    async tagsOf(arns) {
      const describe = async (batch: string[]) => (await counter.count(() => client.send(new elbv2.DescribeTagsCommand({ResourceArns: batch})))).TagDescriptions ?? []
      const found = new Map<string, Tags>()
      for (const batch of chunks(arns, ARNS_PER_CALL)) {
        try {
          for (const description of await describe(batch)) if (description.ResourceArn) found.set(description.ResourceArn, tagMap(description.Tags))
        } catch (error) {
          // One load balancer deleted since the listing fails the whole call: ask for each alone.
          if (!isGone(error)) throw error
          for (const [arn, tags] of await tagsOneByOne(batch, async (arn) => tagMap((await describe([arn]))[0]?.Tags))) found.set(arn, tags)
        }
      }
      return found
    },
  }
}

/** elasticloadbalancing:AddTags, 20 ARNs a call (one by one when a call is refused), for what TagResources refused. */
export async function tagElbv2Resources(target: AwsTarget, arns: string[], tags: Tags): Promise<Map<string, ServiceTagging>> {
  const elbv2 = await import('@aws-sdk/client-elastic-load-balancing-v2')
  const client = createClient(elbv2.ElasticLoadBalancingV2Client, target)
  const via = 'elasticloadbalancing:AddTags'
  const tagList = Object.entries(tags).map(([Key, Value]) => ({Key, Value}))
  const results = new Map<string, ServiceTagging>()
  const add = (batch: string[]) => client.send(new elbv2.AddTagsCommand({ResourceArns: batch, Tags: tagList}))
  for (const batch of chunks(arns, ARNS_PER_CALL)) {
    try {
      await add(batch)
      for (const arn of batch) results.set(arn, {via})
    } catch {
      for (const arn of batch) {
        try {
          await add([arn])
          results.set(arn, {via})
        } catch (error) {
          results.set(arn, {via, failure: {code: (error as {name?: string}).name ?? 'Error', message: (error as Error).message}})
        }
      }
    }
  }
  return results
}

/** Every target registered in a target group with its health check state and, when not healthy, why. */
export async function createTargetHealthReader(target: AwsTarget): Promise<Pick<LedgerApi, 'targetHealth'>> {
  const elbv2 = await import('@aws-sdk/client-elastic-load-balancing-v2')
  const client = createClient(elbv2.ElasticLoadBalancingV2Client, target)
  return {
    async targetHealth(targetGroupArn) {
      const {TargetHealthDescriptions} = await client.send(new elbv2.DescribeTargetHealthCommand({TargetGroupArn: targetGroupArn}))
      return (TargetHealthDescriptions ?? []).map(
        (description): TargetHealth => ({
          id: description.Target?.Id ?? '',
          ...(description.Target?.Port === undefined ? {} : {port: description.Target.Port}),
          ...(description.Target?.AvailabilityZone ? {availabilityZone: description.Target.AvailabilityZone} : {}),
          state: description.TargetHealth?.State ?? 'unknown',
          ...(description.TargetHealth?.Reason ? {reason: description.TargetHealth.Reason} : {}),
          ...(description.TargetHealth?.Description ? {description: description.TargetHealth.Description} : {}),
        }),
      )
    },
  }
}
