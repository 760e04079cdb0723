import type {Deployment, Service} from '@aws-sdk/client-ecs'
import pLimit from 'p-limit'
import type {LedgerApi, ServiceDeployment} from '../core/ledger/api.js'
import type {EcsApi, EcsService} from '../core/shutdown/api.js'
import {createClient, type AwsTarget} from './clients.js'
import {allPages, chunks} from './paging.js'

/** DescribeServices takes at most 10 services per call. */
const DESCRIBE_BATCH = 10
/** Clusters read at once: enough to hide latency, few enough to stay clear of ECS's rate limits. */
const CLUSTER_CONCURRENCY = 5

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
    tags: Object.fromEntries((service.tags ?? []).map((tag) => [tag.key ?? '', tag.value ?? ''])),
  }
}

export async function createEcsApi(target: AwsTarget): Promise<EcsApi> {
  const ecs = await import('@aws-sdk/client-ecs')
  const client = createClient(ecs.ECSClient, target)

  /** Services ECS no longer knows come back as failures, not services, and are left out. */
  async function describe(clusterArn: string, serviceArns: string[]): Promise<EcsService[]> {
    const services: EcsService[] = []
    for (const batch of chunks(serviceArns, DESCRIBE_BATCH)) {
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
