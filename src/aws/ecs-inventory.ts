import type {FoundResource, ResourceSource, ServiceTagging, Tags} from '../core/tags/api.js'
import {createClient, type AwsTarget} from './clients.js'
import {chunks} from './paging.js'
import {requestCounter, tagOneByOne} from './resource-tags.js'

/** DescribeClusters takes up to 100 clusters, DescribeServices up to 10 services. */
const CLUSTERS_PER_DESCRIBE = 100
const SERVICES_PER_DESCRIBE = 10

const ecsTags = (tags: {key?: string; value?: string}[] | undefined): Tags => Object.fromEntries((tags ?? []).map((tag) => [tag.key ?? '', tag.value ?? '']))

/** ECS clusters and their services, tagged or not, with their tags. */
export async function createEcsListing(target: AwsTarget): Promise<ResourceSource> {
  const ecs = await import('@aws-sdk/client-ecs')
  const client = createClient(ecs.ECSClient, target)
  const counter = requestCounter()

  async function listAll(list: (token: string | undefined) => Promise<{arns?: string[]; nextToken?: string}>): Promise<string[]> {
    const arns: string[] = []
    let token: string | undefined
    do {
      const page = await counter.count(() => list(token))
      arns.push(...(page.arns ?? []))
      token = page.nextToken || undefined
    } while (token)
    return arns
  }

  return {
    name: 'ecs',
    region: target.region,
    requests: counter.sent,
    async *pages() {
      const clusterArns = await listAll(async (nextToken) => {
        const page = await client.send(new ecs.ListClustersCommand({maxResults: 100, nextToken}))
        return {arns: page.clusterArns, nextToken: page.nextToken}
      })
      for (const batch of chunks(clusterArns, CLUSTERS_PER_DESCRIBE)) {
        const {clusters} = await counter.count(() => client.send(new ecs.DescribeClustersCommand({clusters: batch, include: ['TAGS']})))
        yield (clusters ?? []).flatMap((cluster): FoundResource[] => (cluster.clusterArn ? [{arn: cluster.clusterArn, tags: ecsTags(cluster.tags)}] : []))
      }
      for (const cluster of clusterArns) {
        const serviceArns = await listAll(async (nextToken) => {
          const page = await client.send(new ecs.ListServicesCommand({cluster, maxResults: 100, nextToken}))
          return {arns: page.serviceArns, nextToken: page.nextToken}
        })
        for (const batch of chunks(serviceArns, SERVICES_PER_DESCRIBE)) {
          const {services} = await counter.count(() => client.send(new ecs.DescribeServicesCommand({cluster, services: batch, include: ['TAGS']})))
          yield (services ?? []).flatMap((service): FoundResource[] => (service.serviceArn ? [{arn: service.serviceArn, tags: ecsTags(service.tags)}] : []))
        }
      }
    },
  }
}

/** ecs:TagResource, one resource a call, for ECS resources TagResources refused. */
export async function tagEcsResources(target: AwsTarget, arns: string[], tags: Tags): Promise<Map<string, ServiceTagging>> {
  const ecs = await import('@aws-sdk/client-ecs')
  const client = createClient(ecs.ECSClient, target)
  const tagList = Object.entries(tags).map(([key, value]) => ({key, value}))
  return tagOneByOne(arns, 'ecs:TagResource', (arn) => client.send(new ecs.TagResourceCommand({resourceArn: arn, tags: tagList})))
}
