import type {AwsTarget} from '../aws/clients.js'
import type {TaggingApi} from '../aws/tagging.js'
import type {ServiceTagging, Tags, TagWriter} from '../core/tags/api.js'

/** The service of an ARN: arn:partition:service:region:account:resource. */
const serviceOf = (arn: string) => arn.split(':')[2] ?? ''

type ServiceTagger = (target: AwsTarget, arns: string[], tags: Tags) => Promise<Map<string, ServiceTagging>>

/** The services whose own tagging call `fix` falls back to, loaded only when needed. */
const SERVICE_TAGGERS: Record<string, () => Promise<ServiceTagger>> = {
  ec2: async () => (await import('../aws/ec2.js')).tagEc2Resources,
  rds: async () => (await import('../aws/rds.js')).tagRdsResources,
  ecs: async () => (await import('../aws/ecs.js')).tagEcsResources,
  dynamodb: async () => (await import('../aws/dynamodb.js')).tagDynamoDbTables,
  s3: async () => (await import('../aws/s3.js')).tagS3Buckets,
  elasticloadbalancing: async () => (await import('../aws/elbv2.js')).tagElbv2Resources,
  logs: async () => (await import('../aws/logs.js')).tagLogGroups,
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
