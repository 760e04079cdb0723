import type {Instance} from '@aws-sdk/client-ec2'
import {InstanceBatchError, type Ec2Api, type Ec2Instance, type InstanceState} from '../core/shutdown/api.js'
import {createClient, type AwsTarget} from './clients.js'
import {allPages, chunks} from './paging.js'
import {tagMap} from './tags.js'

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
