import type {FoundResource, ResourceSource, ServiceTagging, Tags} from '../core/tags/api.js'
import {partitionOf} from '../core/tags/policy.js'
import {createClient, type AwsTarget} from './clients.js'
import {chunks} from './paging.js'
import {requestCounter} from './resource-tags.js'
import {tagMap} from './tags.js'

type Ec2Tags = {Key?: string; Value?: string}[] | undefined

/** Instances that are gone for good are not resources any more. */
const LIVE_INSTANCE_STATES = ['pending', 'running', 'shutting-down', 'stopping', 'stopped']
const LIVE_NAT_STATES = ['pending', 'available', 'failed']
/** CreateTags takes up to 1,000 resource ids a call. */
const CREATE_TAGS_BATCH = 1000

/**
 * Every EC2 resource the platform uses, tagged or not: instances, volumes, VPCs, subnets,
 * security groups, route tables, internet and NAT gateways. Parts of a VPC shared with the
 * account by another one (RAM) belong to their owner and are left out.
 */
export async function createEc2Listing(target: AwsTarget, account: string): Promise<ResourceSource> {
  const ec2 = await import('@aws-sdk/client-ec2')
  const client = createClient(ec2.EC2Client, target)
  const counter = requestCounter()
  const arnOf = (type: string, id: string) => `arn:${partitionOf(target.region)}:ec2:${target.region}:${account}:${type}/${id}`
  const ours = (owner: string | undefined) => owner === undefined || owner === account
  const found = (type: string, id: string | undefined, tags: Ec2Tags): FoundResource[] => (id ? [{arn: arnOf(type, id), tags: tagMap(tags)}] : [])

  async function* paged<Page extends {NextToken?: string}>(read: (token: string | undefined) => Promise<Page>, resources: (page: Page) => FoundResource[]) {
    let token: string | undefined
    do {
      const page = await counter.count(() => read(token))
      token = page.NextToken || undefined
      yield resources(page)
    } while (token)
  }

  return {
    name: 'ec2',
    region: target.region,
    requests: counter.sent,
    async *pages() {
      yield* paged(
        (NextToken) => client.send(new ec2.DescribeInstancesCommand({MaxResults: 1000, NextToken, Filters: [{Name: 'instance-state-name', Values: LIVE_INSTANCE_STATES}]})),
        (page) =>
          (page.Reservations ?? []).flatMap((reservation) =>
            ours(reservation.OwnerId) ? (reservation.Instances ?? []).flatMap((instance) => found('instance', instance.InstanceId, instance.Tags)) : [],
          ),
      )
      yield* paged(
        (NextToken) => client.send(new ec2.DescribeVolumesCommand({MaxResults: 500, NextToken})),
        (page) => (page.Volumes ?? []).flatMap((volume) => found('volume', volume.VolumeId, volume.Tags)),
      )
      yield* paged(
        (NextToken) => client.send(new ec2.DescribeVpcsCommand({MaxResults: 1000, NextToken})),
        (page) => (page.Vpcs ?? []).flatMap((vpc) => (ours(vpc.OwnerId) ? found('vpc', vpc.VpcId, vpc.Tags) : [])),
      )
      yield* paged(
        (NextToken) => client.send(new ec2.DescribeSubnetsCommand({MaxResults: 1000, NextToken})),
        (page) => (page.Subnets ?? []).flatMap((subnet) => (ours(subnet.OwnerId) ? found('subnet', subnet.SubnetId, subnet.Tags) : [])),
      )
      yield* paged(
        (NextToken) => client.send(new ec2.DescribeSecurityGroupsCommand({MaxResults: 1000, NextToken})),
        (page) => (page.SecurityGroups ?? []).flatMap((group) => (ours(group.OwnerId) ? found('security-group', group.GroupId, group.Tags) : [])),
      )
      yield* paged(
        (NextToken) => client.send(new ec2.DescribeRouteTablesCommand({MaxResults: 100, NextToken})),
        (page) => (page.RouteTables ?? []).flatMap((table) => (ours(table.OwnerId) ? found('route-table', table.RouteTableId, table.Tags) : [])),
      )
      yield* paged(
        (NextToken) => client.send(new ec2.DescribeInternetGatewaysCommand({MaxResults: 1000, NextToken})),
        (page) => (page.InternetGateways ?? []).flatMap((gateway) => (ours(gateway.OwnerId) ? found('internet-gateway', gateway.InternetGatewayId, gateway.Tags) : [])),
      )
      yield* paged(
        (NextToken) => client.send(new ec2.DescribeNatGatewaysCommand({MaxResults: 1000, NextToken, Filter: [{Name: 'state', Values: LIVE_NAT_STATES}]})),
        (page) => (page.NatGateways ?? []).flatMap((gateway) => found('natgateway', gateway.NatGatewayId, gateway.Tags)),
      )
    },
  }
}

/**
 * ec2:CreateTags, for EC2 resources TagResources refused. One call per 1,000 ids; when EC2
 * refuses a call as a whole, each id is tried alone so one bad id does not fail the others.
 */
export async function tagEc2Resources(target: AwsTarget, arns: string[], tags: Tags): Promise<Map<string, ServiceTagging>> {
  const ec2 = await import('@aws-sdk/client-ec2')
  const client = createClient(ec2.EC2Client, target)
  const via = 'ec2:CreateTags'
  const idOf = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1)
  const tagList = Object.entries(tags).map(([Key, Value]) => ({Key, Value}))
  const results = new Map<string, ServiceTagging>()
  const create = (ids: string[]) => client.send(new ec2.CreateTagsCommand({Resources: ids, Tags: tagList}))
  for (const batch of chunks(arns, CREATE_TAGS_BATCH)) {
    try {
      await create(batch.map(idOf))
      for (const arn of batch) results.set(arn, {via})
    } catch {
      for (const arn of batch) {
        try {
          await create([idOf(arn)])
          results.set(arn, {via})
        } catch (error) {
          results.set(arn, {via, failure: {code: (error as {name?: string}).name ?? 'Error', message: (error as Error).message}})
        }
      }
    }
  }
  return results
}
