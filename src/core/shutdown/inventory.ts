import type {AuroraCluster, AutoScalingGroup, DbInstance, Ec2Instance, EcsService, ScalableTarget, ShutdownApis} from './api.js'
import {ASG_NAME_TAG, belongsToScope, ENVIRONMENT_TAG, STACK_NAME_TAG, type ShutdownScope} from './eligibility.js'
import type {Manifest} from './manifest.js'

export interface ServiceState extends EcsService {
  scaling: ScalableTarget | null
}

/** The current state of everything a shutdown run looks at. */
export interface Inventory {
  instances: Ec2Instance[]
  groups: AutoScalingGroup[]
  services: ServiceState[]
  clusters: AuroraCluster[]
  dbInstances: DbInstance[]
}

export const ecsResourceId = (service: {clusterArn: string; name: string}): string =>
  `service/${service.clusterArn.split('/').pop()}/${service.name}`

const uniqueBy = <T>(items: T[], key: (item: T) => string): T[] => [...new Map(items.map((item) => [key(item), item])).values()]

async function withScaling(apis: ShutdownApis, services: EcsService[]): Promise<ServiceState[]> {
  if (services.length === 0) return []
  const targets = new Map((await apis.scaling.describeEcsTargets(services.map(ecsResourceId))).map((target) => [target.resourceId, target]))
  return services.map((service) => ({...service, scaling: targets.get(ecsResourceId(service)) ?? null}))
}

/**
 * What belongs to the env: resources tagged Environment=<env>, or created by one of its stacks.
 * Prod-tagged resources inside those stacks are still returned, so the plan can say why it
 * leaves them alone; EC2 instances an Auto Scaling group owns are the group's business.
 */
export async function discoverInventory(apis: ShutdownApis, scope: ShutdownScope): Promise<Inventory> {
  const byEnv = {key: ENVIRONMENT_TAG, values: [scope.env]}
  const byStack = {key: STACK_NAME_TAG, values: scope.stackNames}
  const lookups = (scope.stackNames.length > 0 ? [byEnv, byStack] : [byEnv])
  const [instances, groups, services, clusters, dbInstances] = await Promise.all([
    Promise.all(lookups.map((filter) => apis.ec2.findInstances(filter))).then((found) => uniqueBy(found.flat(), (instance) => instance.id)),
    Promise.all(lookups.map((filter) => apis.autoScaling.findGroups(filter))).then((found) => uniqueBy(found.flat(), (group) => group.name)),
    apis.ecs.listServices().then((all) => all.filter((service) => belongsToScope(service.tags, scope))),
    apis.rds.listClusters().then((all) => all.filter((cluster) => belongsToScope(cluster.tags, scope))),
    apis.rds.listInstances().then((all) => all.filter((instance) => !instance.clusterId && belongsToScope(instance.tags, scope))),
  ])
  return {
    instances: instances.filter((instance) => instance.tags[ASG_NAME_TAG] === undefined),
    groups,
    services: await withScaling(apis, services),
    clusters,
    dbInstances,
  }
}

/** The current state of exactly the resources a manifest names, for `start` and `status`. */
export async function inventoryOfManifest(apis: ShutdownApis, manifest: Manifest): Promise<Inventory> {
  const idsOf = (kind: Manifest['resources'][number]['kind']) => manifest.resources.filter((entry) => entry.kind === kind).map((entry) => entry.id)
  const serviceEntries = manifest.resources.flatMap((entry) => (entry.kind === 'ecs-service' ? [entry] : []))
  const clusters = [...new Set(serviceEntries.map((entry) => entry.clusterArn))]
  const wantedClusters = new Set(idsOf('aurora-cluster'))
  const wantedDbInstances = new Set(idsOf('rds-instance'))
  const [instances, groups, services, auroraClusters, dbInstances] = await Promise.all([
    idsOf('ec2-instance').length > 0 ? apis.ec2.describeInstances(idsOf('ec2-instance')) : [],
    idsOf('auto-scaling-group').length > 0 ? apis.autoScaling.describeGroups(idsOf('auto-scaling-group')) : [],
    Promise.all(
      clusters.map((clusterArn) =>
        apis.ecs.describeServices(
          clusterArn,
          serviceEntries.filter((entry) => entry.clusterArn === clusterArn).map((entry) => entry.id),
        ),
      ),
    ).then((found) => found.flat()),
    wantedClusters.size > 0 ? apis.rds.listClusters().then((all) => all.filter((cluster) => wantedClusters.has(cluster.id))) : [],
    wantedDbInstances.size > 0 ? apis.rds.listInstances().then((all) => all.filter((instance) => wantedDbInstances.has(instance.id))) : [],
  ])
  return {instances, groups, services: await withScaling(apis, services), clusters: auroraClusters, dbInstances}
}
