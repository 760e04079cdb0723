import type {FoundResource, ResourceSource, ServiceTagging, TagFailure, Tags, TagWriter} from '../core/tags/api.js'
import {TAGGING_API} from '../core/tags/inventory.js'
import {createClient, type AwsTarget} from './clients.js'
import {requestCounter} from './resource-tags.js'

/** GetResources' largest page. */
const RESOURCES_PER_PAGE = 100

/** Awaited before each Tagging API request: the pacing that keeps a run under the API's rate. */
export type Pace = () => Promise<void>

/** AWS tag lists as a map, without the intermediate arrays of tagMap: at 100,000 resources that garbage counts. */
function tagsOfList(list: {Key?: string; Value?: string}[] | undefined): Tags {
  const tags: Tags = {}
  for (const tag of list ?? []) tags[tag.Key ?? ''] = tag.Value ?? ''
  return tags
}

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
        let token: string | undefined
        do {
          await pace()
          const page = await counter.count(() => client.send(new tagging.GetResourcesCommand({ResourcesPerPage: RESOURCES_PER_PAGE, ...(token ? {PaginationToken: token} : {})})))
          token = page.PaginationToken || undefined
          const found: FoundResource[] = []
          for (const mapping of page.ResourceTagMappingList ?? []) if (mapping.ResourceARN) found.push({arn: mapping.ResourceARN, tags: tagsOfList(mapping.Tags)})
          yield found
        } while (token)
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

/** The service of an ARN: arn:partition:service:region:account:resource. */
const serviceOf = (arn: string) => arn.split(':')[2] ?? ''

type ServiceTagger = (target: AwsTarget, arns: string[], tags: Tags) => Promise<Map<string, ServiceTagging>>

/** The services whose own tagging call `fix` falls back to, loaded only when needed. */
const SERVICE_TAGGERS: Record<string, () => Promise<ServiceTagger>> = {
  ec2: async () => (await import('./ec2-inventory.js')).tagEc2Resources,
  rds: async () => (await import('./rds-inventory.js')).tagRdsResources,
  ecs: async () => (await import('./ecs-inventory.js')).tagEcsResources,
  dynamodb: async () => (await import('./dynamodb.js')).tagDynamoDbTables,
  s3: async () => (await import('./s3-inventory.js')).tagS3Buckets,
  elasticloadbalancing: async () => (await import('./elbv2.js')).tagElbv2Resources,
  logs: async () => (await import('./logs.js')).tagLogGroups,
}

/**
 * Writes tags in the regions of a run: TagResources through each region's Tagging API (paced),
 * then, for what it refused, the owning service's own call.
 */
export function createTagWriter(targetIn: (region: string) => AwsTarget, taggingApi: (region: string) => Promise<TaggingApi>): TagWriter {
  return {
    async tagResources(region, arns, tags) {
      return (await taggingApi(region)).tagResources(arns, tags)
    },
    async tagThroughService(region, arns, tags) {
      const results = new Map<string, ServiceTagging>()
      const byService = new Map<string, string[]>()
      for (const arn of arns) byService.set(serviceOf(arn), [...(byService.get(serviceOf(arn)) ?? []), arn])
      for (const [service, serviceArns] of byService) {
        const load = SERVICE_TAGGERS[service]
        if (!load) {
          for (const arn of serviceArns) results.set(arn, {via: 'none', failure: {code: 'Unsupported', message: `fintech has no ${service} tagging call to fall back to`}})
          continue
        }
        const tagger = await load()
        for (const [arn, result] of await tagger(targetIn(region), serviceArns, tags)) results.set(arn, result)
      }
      return results
    },
  }
}
