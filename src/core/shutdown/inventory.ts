import {apisIn, regionsOf, type AuroraCluster, type AutoScalingGroup, type DbInstance, type Ec2Instance, type EcsService, type RegionalApis, type ScalableTarget, type ShutdownApis} from './api.js'
import {ASG_NAME_TAG, belongsToScope, ENVIRONMENT_TAG, STACK_NAME_TAG, type ShutdownScope} from './eligibility.js'
import type {Manifest, ManifestEntry} from './manifest.js'

/** A resource as found, with the region it was found in. */
export type Located<T> = T & {region: string}

export interface ServiceState extends EcsService {
  scaling: ScalableTarget | null
}

/** One of the env's regions a run could not read: its resources are neither stopped, started nor listed. */
export interface RegionError {
  region: string
  error: string
}

/** The current state of everything a shutdown run looks at, in every region of the env. */
export interface Inventory {
  instances: Array<Located<Ec2Instance>>
  groups: Array<Located<AutoScalingGroup>>
  services: Array<Located<ServiceState>>
  clusters: Array<Located<AuroraCluster>>
  dbInstances: Array<Located<DbInstance>>
  /** Regions other than the env's own that could not be read (a region of its own that fails ends the run). */
  unreadable: RegionError[]
}

type RegionalInventory = Omit<Inventory, 'unreadable'>

export const ecsResourceId = (service: {clusterArn: string; name: string}): string =>
  `service/${service.clusterArn.split('/').pop()}/${service.name}`

const uniqueBy = <T>(items: T[], key: (item: T) => string): T[] => [...new Map(items.map((item) => [key(item), item])).values()]

const locate = <T>(items: T[], region: string): Array<Located<T>> => items.map((item) => ({...item, region}))

async function withScaling(apis: RegionalApis, services: EcsService[]): Promise<ServiceState[]> {
  if (services.length === 0) return []
  const targets = new Map((await apis.scaling.describeEcsTargets(services.map(ecsResourceId))).map((target) => [target.resourceId, target]))
  return services.map((service) => ({...service, scaling: targets.get(ecsResourceId(service)) ?? null}))
}

/**
 * Reads every region of the env with `read`. The env's own region must answer, or the run ends
 * before changing anything; the recovery region is a standby, so a failure there is reported
 * with its region and the run goes on without it.
 */
async function acrossRegions(apis: ShutdownApis, read: (regional: RegionalApis, region: string) => Promise<RegionalInventory>): Promise<Inventory> {
  const [own, ...others] = regionsOf(apis)
  const [home, ...rest] = await Promise.all([
    read(apis, own!),
    ...others.map((region) =>
      Promise.resolve()
        .then(() => read(apisIn(apis, region), region))
        .then(
          (inventory) => ({inventory}),
          (error: Error) => ({region, error: `${error.name}: ${error.message}`}),
        ),
    ),
  ])
  const inventories = [home, ...rest.flatMap((outcome) => ('inventory' in outcome ? [outcome.inventory] : []))]
  return {
    instances: inventories.flatMap((inventory) => inventory.instances),
    groups: inventories.flatMap((inventory) => inventory.groups),
    services: inventories.flatMap((inventory) => inventory.services),
    clusters: inventories.flatMap((inventory) => inventory.clusters),
    dbInstances: inventories.flatMap((inventory) => inventory.dbInstances),
    unreadable: rest.flatMap((outcome) => ('error' in outcome ? [outcome] : [])),
  }
}

/**
 * What belongs to the env, in each of its regions: resources tagged Environment=<env>, or created
 * by one of its stacks (the recovery stacks among them). Prod-tagged resources inside those
 * stacks are still returned, so the plan can say why it leaves them alone; EC2 instances an
 * Auto Scaling group owns are the group's business.
 */
export function discoverInventory(apis: ShutdownApis, scope: ShutdownScope): Promise<Inventory> {
  const byEnv = {key: ENVIRONMENT_TAG, values: [scope.env]}
  const byStack = {key: STACK_NAME_TAG, values: scope.stackNames}
  const lookups = scope.stackNames.length > 0 ? [byEnv, byStack] : [byEnv]
  return acrossRegions(apis, async (regional, region) => {
    const [instances, groups, services, clusters, dbInstances] = await Promise.all([
      Promise.all(lookups.map((filter) => regional.ec2.findInstances(filter))).then((found) => uniqueBy(found.flat(), (instance) => instance.id)),
      Promise.all(lookups.map((filter) => regional.autoScaling.findGroups(filter))).then((found) => uniqueBy(found.flat(), (group) => group.name)),
      regional.ecs.listServices().then((all) => all.filter((service) => belongsToScope(service.tags, scope))),
      regional.rds.listClusters().then((all) => all.filter((cluster) => belongsToScope(cluster.tags, scope))),
      regional.rds.listInstances().then((all) => all.filter((instance) => !instance.clusterId && belongsToScope(instance.tags, scope))),
    ])
    return {
      instances: locate(
        instances.filter((instance) => instance.tags[ASG_NAME_TAG] === undefined),
        region,
      ),
      groups: locate(groups, region),
      services: locate(await withScaling(regional, services), region),
      clusters: locate(clusters, region),
      dbInstances: locate(dbInstances, region),
    }
  })
}

/**
 * The current state of exactly the resources a manifest names, each read in its region, for
 * `start` and `status`. A region the env no longer has (recovery dropped from the config since
 * the stop) is unreadable like one that does not answer.
 */
export function inventoryOfManifest(apis: ShutdownApis, manifest: Manifest): Promise<Inventory> {
  const known = regionsOf(apis)
  const missing = [...new Set(manifest.resources.map((entry) => entry.region))].filter((region) => !known.includes(region))
  return acrossRegions(apis, (regional, region) => readEntries(regional, region, manifest.resources.filter((entry) => entry.region === region))).then((inventory) => ({
    ...inventory,
    unreadable: [...inventory.unreadable, ...missing.map((region) => ({region, error: `${region} is not one of the env's regions in the config now (${known.join(', ')})`}))],
  }))
}

async function readEntries(apis: RegionalApis, region: string, entries: ManifestEntry[]): Promise<RegionalInventory> {
  const idsOf = (kind: ManifestEntry['kind']) => entries.filter((entry) => entry.kind === kind).map((entry) => entry.id)
  const serviceEntries = entries.flatMap((entry) => (entry.kind === 'ecs-service' ? [entry] : []))
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
  return {
    instances: locate(instances, region),
    groups: locate(groups, region),
    services: locate(await withScaling(apis, services), region),
    clusters: locate(auroraClusters, region),
    dbInstances: locate(dbInstances, region),
  }
}
