import type {Instance} from '@aws-sdk/client-ec2'
import {InstanceBatchError, type Ec2Api, type Ec2Instance, type InstanceState} from '../core/shutdown/api.js'
import type {FoundResource, ResourceSource, ServiceTagging, Tags} from '../core/tags/api.js'
import {partitionOf} from '../core/tags/policy.js'
import {createClient, type AwsTarget} from './clients.js'
import {allPages, chunks, eachPage} from './paging.js'
import {requestCounter, tagMap} from './tagging.js'

/** DescribeInstances takes at most 1,000 ids (and filter values) per call. */
const DESCRIBE_BATCH = 1000
/** DescribeInstanceStatus takes at most 100 explicitly named ids per call. */
const STATUS_BATCH = 100
/** Terminated and terminating instances are gone for good: nothing to stop, start or restore. */
const LIVE_STATES: InstanceState[] = ['pending', 'running', 'stopping', 'stopped']
/** Throttling left over after the SDK's adaptive retries: splitting the batch would only add calls. */
const THROTTLING = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException'])

function toInstance(instance: Instance): Ec2Instance {
  const reason = instance.StateReason
  return {
    id: instance.InstanceId ?? '',
    state: (instance.State?.Name ?? 'pending') as InstanceState,
    instanceType: instance.InstanceType ?? '',
    tags: tagMap(instance.Tags),
    ...(reason?.Code ? {stateReason: {code: reason.Code, message: reason.Message ?? ''}} : {}),
  }
}

const codeOf = (error: unknown) => (error as {name?: string}).name ?? 'Error'
const fromService = (error: unknown) => (error as {$metadata?: {httpStatusCode?: number}}).$metadata?.httpStatusCode !== undefined

/**
 * The ids among `ids` that an EC2 error message names, e.g. "The instance IDs 'i-1, i-2' do
 * not exist" or "The instance 'i-1' is not in a state from which it can be stopped".
 */
function namedInstanceIds(message: string, ids: readonly string[]): string[] {
  const words = new Set(message.split(/[^\w-]+/))
  return ids.filter((id) => words.has(id))
}

const isUnknownId = (error: unknown) => ['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed'].includes(codeOf(error))

/**
 * Runs a lookup of `ids`, dropping the ids EC2 says do not exist and asking again, so one
 * instance terminated since the manifest was written does not hide the others.
 */
async function withoutUnknownIds<T>(ids: string[], lookup: (ids: string[]) => Promise<T[]>): Promise<T[]> {
  let remaining = ids
  while (remaining.length > 0) {
    try {
      return await lookup(remaining)
    } catch (error) {
      if (!isUnknownId(error)) throw error
      const unknown = namedInstanceIds((error as Error).message, remaining)
      if (unknown.length === 0) throw error
      remaining = remaining.filter((id) => !unknown.includes(id))
    }
  }
  return []
}

export async function createEc2Api(target: AwsTarget): Promise<Ec2Api> {
  const ec2 = await import('@aws-sdk/client-ec2')
  const client = createClient(ec2.EC2Client, target)

  const instancesOf = (pages: {Reservations?: {Instances?: Instance[]}[]}[]) =>
    pages.flatMap((page) => (page.Reservations ?? []).flatMap((reservation) => (reservation.Instances ?? []).map(toInstance)))

  /** One call for all ids, as the interface promises; EC2's refusal names the ids it objects to. */
  async function changeState(ids: string[], send: () => Promise<unknown>): Promise<void> {
    if (ids.length === 0) return
    try {
      await send()
    } catch (error) {
      if (!fromService(error) || THROTTLING.has(codeOf(error))) throw error
      const message = (error as Error).message
      throw new InstanceBatchError(message, codeOf(error), namedInstanceIds(message, ids))
    }
  }

  return {
    async findInstances(filter) {
      if (filter.values.length === 0) return []
      const pages = await allPages(
        (token) =>
          client.send(
            new ec2.DescribeInstancesCommand({
              Filters: [
                {Name: `tag:${filter.key}`, Values: filter.values},
                {Name: 'instance-state-name', Values: LIVE_STATES},
              ],
              MaxResults: 1000,
              NextToken: token,
            }),
          ),
        (page) => page.NextToken,
      )
      return instancesOf(pages)
    },

    async describeInstances(ids) {
      const batches = await Promise.all(
        chunks(ids, DESCRIBE_BATCH).map((batch) =>
          withoutUnknownIds(batch, async (known) =>
            instancesOf(
              await allPages(
                (token) => client.send(new ec2.DescribeInstancesCommand({InstanceIds: known, NextToken: token})),
                (page) => page.NextToken,
              ),
            ),
          ),
        ),
      )
      return batches.flat()
    },

    stopInstances: (ids) => changeState(ids, () => client.send(new ec2.StopInstancesCommand({InstanceIds: ids}))),
    startInstances: (ids) => changeState(ids, () => client.send(new ec2.StartInstancesCommand({InstanceIds: ids}))),

    async instanceHealth(ids) {
      const batches = await Promise.all(
        chunks(ids, STATUS_BATCH).map((batch) =>
          withoutUnknownIds(batch, async (known) => {
            const pages = await allPages(
              (token) => client.send(new ec2.DescribeInstanceStatusCommand({InstanceIds: known, IncludeAllInstances: true, NextToken: token})),
              (page) => page.NextToken,
            )
            return pages.flatMap((page) =>
              (page.InstanceStatuses ?? []).map((status) => ({
                id: status.InstanceId ?? '',
                state: (status.InstanceState?.Name ?? 'pending') as InstanceState,
                ok: status.SystemStatus?.Status === 'ok' && status.InstanceStatus?.Status === 'ok',
              })),
            )
          }),
        ),
      )
      return batches.flat()
    },
  }
}

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
    for await (const page of eachPage((token) => counter.count(() => read(token)), (page) => page.NextToken)) yield resources(page)
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
