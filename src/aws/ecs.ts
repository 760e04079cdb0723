import type {Deployment, Service} from '@aws-sdk/client-ecs'
import pLimit from 'p-limit'
import type {TaskDefinitionApi, TaskSize} from '../core/cost/api.js'
import type {LedgerApi, ServiceDeployment} from '../core/ledger/api.js'
import type {EcsApi, EcsService} from '../core/shutdown/api.js'
import type {FoundResource, ResourceSource, ServiceTagging, Tags} from '../core/tags/api.js'
import {createClient, type AwsTarget} from './clients.js'
import {allPages, chunks} from './paging.js'
import {requestCounter, tagOneByOne} from './tagging.js'

/** DescribeServices takes at most 10 services per call, DescribeClusters up to 100 clusters. */
const SERVICES_PER_DESCRIBE = 10
const CLUSTERS_PER_DESCRIBE = 100
/** Clusters read at once: enough to hide latency, few enough to stay clear of ECS's rate limits. */
const CLUSTER_CONCURRENCY = 5

/** ECS's tag lists ([{key, value}], lower case unlike most services) as a map. */
const ecsTags = (tags: {key?: string; value?: string}[] | undefined): Tags => Object.fromEntries((tags ?? []).map((tag) => [tag.key ?? '', tag.value ?? '']))

function toService(service: Service): EcsService {
  return {
    arn: service.serviceArn ?? '',
    name: service.serviceName ?? '',
    clusterArn: service.clusterArn ?? '',
    status: service.status ?? '',
    desiredCount: service.desiredCount ?? 0,
    runningCount: service.runningCount ?? 0,
    deployments: service.deployments?.length ?? 0,
    taskDefinition: service.taskDefinition ?? '',
    tags: ecsTags(service.tags),
  }
}

export async function createEcsApi(target: AwsTarget): Promise<EcsApi> {
  const ecs = await import('@aws-sdk/client-ecs')
  const client = createClient(ecs.ECSClient, target)

  /** Services ECS no longer knows come back as failures, not services, and are left out. */
  async function describe(clusterArn: string, serviceArns: string[]): Promise<EcsService[]> {
    const services: EcsService[] = []
    for (const batch of chunks(serviceArns, SERVICES_PER_DESCRIBE)) {
      const page = await client.send(new ecs.DescribeServicesCommand({cluster: clusterArn, services: batch, include: ['TAGS']}))
      services.push(...(page.services ?? []).map(toService))
    }
    return services
  }

  async function servicesOf(clusterArn: string): Promise<EcsService[]> {
    const pages = await allPages(
      (token) => client.send(new ecs.ListServicesCommand({cluster: clusterArn, maxResults: 100, nextToken: token})),
      (page) => page.nextToken,
    )
    return describe(clusterArn, pages.flatMap((page) => page.serviceArns ?? []))
  }

  return {
    async listServices() {
      const pages = await allPages(
        (token) => client.send(new ecs.ListClustersCommand({maxResults: 100, nextToken: token})),
        (page) => page.nextToken,
      )
      const limit = pLimit(CLUSTER_CONCURRENCY)
      const clusters = pages.flatMap((page) => page.clusterArns ?? [])
      return (await Promise.all(clusters.map((clusterArn) => limit(() => servicesOf(clusterArn))))).flat()
    },

    describeServices: describe,

    async setDesiredCount(clusterArn, serviceArn, desiredCount) {
      await client.send(new ecs.UpdateServiceCommand({cluster: clusterArn, service: serviceArn, desiredCount}))
    },
  }
}

function toDeployment(deployment: Deployment): ServiceDeployment {
  return {
    id: deployment.id ?? '',
    status: deployment.status ?? '',
    taskDefinition: deployment.taskDefinition ?? '',
    desired: deployment.desiredCount ?? 0,
    running: deployment.runningCount ?? 0,
    pending: deployment.pendingCount ?? 0,
    failedTasks: deployment.failedTasks ?? 0,
    ...(deployment.rolloutState ? {rolloutState: deployment.rolloutState} : {}),
    ...(deployment.rolloutStateReason ? {rolloutStateReason: deployment.rolloutStateReason} : {}),
    ...(deployment.createdAt ? {createdAt: deployment.createdAt} : {}),
    ...(deployment.updatedAt ? {updatedAt: deployment.updatedAt} : {}),
  }
}

/** One service with its task counts and every deployment's rollout state; `undefined` when ECS does not know it. */
export async function createServiceReader(target: AwsTarget): Promise<Pick<LedgerApi, 'describeService'>> {
  const ecs = await import('@aws-sdk/client-ecs')
  const client = createClient(ecs.ECSClient, target)
  return {
    async describeService(cluster, service) {
      const {services} = await client.send(new ecs.DescribeServicesCommand({cluster, services: [service]}))
      const found = services?.[0]
      if (!found) return undefined
      return {
        name: found.serviceName ?? service,
        status: found.status ?? '',
        desired: found.desiredCount ?? 0,
        running: found.runningCount ?? 0,
        pending: found.pendingCount ?? 0,
        taskDefinition: found.taskDefinition ?? '',
        deployments: (found.deployments ?? []).map(toDeployment),
      }
    },
  }
}

/** ECS clusters and their services, tagged or not, with their tags. */
export async function createEcsListing(target: AwsTarget): Promise<ResourceSource> {
  const ecs = await import('@aws-sdk/client-ecs')
  const client = createClient(ecs.ECSClient, target)
  const counter = requestCounter()

  return {
    name: 'ecs',
    region: target.region,
    requests: counter.sent,
    async *pages() {
      const clusterPages = await allPages(
        (nextToken) => counter.count(() => client.send(new ecs.ListClustersCommand({maxResults: 100, nextToken}))),
        (page) => page.nextToken,
      )
      const clusterArns = clusterPages.flatMap((page) => page.clusterArns ?? [])
      for (const batch of chunks(clusterArns, CLUSTERS_PER_DESCRIBE)) {
        const {clusters} = await counter.count(() => client.send(new ecs.DescribeClustersCommand({clusters: batch, include: ['TAGS']})))
        yield (clusters ?? []).flatMap((cluster): FoundResource[] => (cluster.clusterArn ? [{arn: cluster.clusterArn, tags: ecsTags(cluster.tags)}] : []))
      }
      for (const cluster of clusterArns) {
        const servicePages = await allPages(
          (nextToken) => counter.count(() => client.send(new ecs.ListServicesCommand({cluster, maxResults: 100, nextToken}))),
          (page) => page.nextToken,
        )
        const serviceArns = servicePages.flatMap((page) => page.serviceArns ?? [])
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

/**
 * Task-level CPU and memory of task definitions (what Fargate bills), one
 * DescribeTaskDefinition per distinct definition in a run.
 */
export async function createTaskDefinitionApi(target: AwsTarget): Promise<TaskDefinitionApi> {
  const ecs = await import('@aws-sdk/client-ecs')
  const client = createClient(ecs.ECSClient, target)
  const known = new Map<string, Promise<TaskSize | undefined>>()
  const describe = async (taskDefinition: string): Promise<TaskSize | undefined> => {
    const {taskDefinition: found} = await client.send(new ecs.DescribeTaskDefinitionCommand({taskDefinition}))
    const cpuUnits = Number(found?.cpu)
    const memoryMiB = Number(found?.memory)
    return found?.cpu && found.memory && Number.isFinite(cpuUnits) && Number.isFinite(memoryMiB) ? {cpuUnits, memoryMiB} : undefined
  }
  return {
    taskSize(taskDefinition) {
      if (!known.has(taskDefinition)) known.set(taskDefinition, describe(taskDefinition))
      return known.get(taskDefinition)!
    },
  }
}
