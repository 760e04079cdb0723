import pLimit from 'p-limit'
import type {FoundResource, ResourceSource, ServiceTagging, TagFailure, Tags} from '../core/tags/api.js'
import {TAGGING_API} from '../core/tags/inventory.js'
import {createClient, type AwsTarget} from './clients.js'
import {eachPage} from './paging.js'

/*
 * What every service's listing and tag call for `tags audit` and `tags fix` shares (request
 * counting, AWS tag lists as maps, per-resource tag calls for what the Tagging API does not
 * cover), then the Tagging API itself. Each service's own tag calls live in its file.
 */

/** Counts the requests a source sends, for the report. */
export function requestCounter() {
  let sent = 0
  return {
    async count<T>(request: () => Promise<T>): Promise<T> {
      sent += 1
      return request()
    },
    sent: () => sent,
  }
}

export const errorName = (error: unknown) => (error as {name?: string}).name ?? 'Error'

/** A resource gone between listing and reading its tags just leaves the inventory. */
export const isGone = (error: unknown) =>
  /NotFound|NoSuch|ResourceNotFoundException/.test(errorName(error)) || (error as {$metadata?: {httpStatusCode?: number}}).$metadata?.httpStatusCode === 404

/** Per-resource calls in flight at once: quick for a few hundred resources, gentle on each service's rate. */
const PER_RESOURCE_CALLS = 4

/** Runs `work` over `items`, a few at once. */
async function eachLimited<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  const limit = pLimit(PER_RESOURCE_CALLS)
  await Promise.all(items.map((item) => limit(() => work(item))))
}

/** Reads each ARN's tags with a per-resource call, a few at once; gone resources are left out. */
export async function tagsOneByOne(arns: string[], read: (arn: string) => Promise<Tags>): Promise<Map<string, Tags>> {
  const found = new Map<string, Tags>()
  await eachLimited(arns, async (arn) => {
    try {
      found.set(arn, await read(arn))
    } catch (error) {
      if (!isGone(error)) throw error
    }
  })
  return found
}

/** Tags each ARN with a per-resource call; each failure is kept for its resource. */
export async function tagOneByOne(arns: string[], via: string, write: (arn: string) => Promise<unknown>): Promise<Map<string, ServiceTagging>> {
  const results = new Map<string, ServiceTagging>()
  await eachLimited(arns, async (arn) => {
    try {
      await write(arn)
      results.set(arn, {via})
    } catch (error) {
      results.set(arn, {via, failure: {code: errorName(error), message: (error as Error).message}})
    }
  })
  return results
}

/** AWS's tag lists ([{Key, Value}]) as the map the core reads, without intermediate arrays: at 100,000 resources that garbage counts. */
export function tagMap(list: {Key?: string; Value?: string}[] | undefined): Tags {
  const tags: Tags = {}
  for (const tag of list ?? []) tags[tag.Key ?? ''] = tag.Value ?? ''
  return tags
}

/** GetResources' largest page. */
const RESOURCES_PER_PAGE = 100

/** Awaited before each Tagging API request: the pacing that keeps a run under the API's rate. */
export type Pace = () => Promise<void>

export interface TaggingApi {
  /** Every resource the Tagging API knows in the region (those that carry or carried tags), a page at a time. */
  source: ResourceSource
  /** TagResources for at most 20 ARNs; FailedResourcesMap as failures per ARN. */
  tagResources(arns: string[], tags: Tags): Promise<Map<string, TagFailure>>
}

/**
 * The Resource Groups Tagging API of one region. Every request waits for `pace` first; the
 * SDK's adaptive retries absorb the throttling that remains. Pages are yielded as they come.
 */
export async function createTaggingApi(target: AwsTarget, pace: Pace): Promise<TaggingApi> {
  const tagging = await import('@aws-sdk/client-resource-groups-tagging-api')
  const client = createClient(tagging.ResourceGroupsTaggingAPIClient, target)
  const counter = requestCounter()

  return {
    source: {
      name: TAGGING_API,
      region: target.region,
      async *pages(): AsyncIterable<FoundResource[]> {
        const pages = eachPage(
          async (token) => {
            await pace()
            return counter.count(() => client.send(new tagging.GetResourcesCommand({ResourcesPerPage: RESOURCES_PER_PAGE, ...(token ? {PaginationToken: token} : {})})))
          },
          (page) => page.PaginationToken,
        )
        for await (const page of pages) {
          const found: FoundResource[] = []
          for (const mapping of page.ResourceTagMappingList ?? []) if (mapping.ResourceARN) found.push({arn: mapping.ResourceARN, tags: tagMap(mapping.Tags)})
          yield found
        }
      },
      requests: counter.sent,
    },

    async tagResources(arns, tags) {
      await pace()
      const output = await counter.count(() => client.send(new tagging.TagResourcesCommand({ResourceARNList: arns, Tags: tags})))
      return new Map(
        Object.entries(output.FailedResourcesMap ?? {}).map(([arn, info]) => [
          arn,
          {code: info.ErrorCode ?? `HTTP ${info.StatusCode ?? '?'}`, message: info.ErrorMessage ?? 'no message'},
        ]),
      )
    },
  }
}
