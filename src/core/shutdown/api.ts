/**
 * The AWS services `fintech shutdown` needs, as the core sees them. src/aws implements each
 * interface; tests hand the core fakes. Every list method follows every page itself.
 */

export type Tags = Record<string, string>

/** Narrows discovery to resources carrying one of `values` under tag `key`. */
export interface TagFilter {
  key: string
  values: string[]
}

export type InstanceState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated'

export interface Ec2Instance {
  id: string
  state: InstanceState
  instanceType: string
  tags: Tags
  /** Why the instance is in its state, e.g. Client.InternalError after a KMS grant was missing. */
  stateReason?: {code: string; message: string}
}

/** EC2 status checks of a running instance; `ok` only when both system and instance checks pass. */
export interface InstanceHealth {
  id: string
  state: InstanceState
  ok: boolean
}

/**
 * A Stop/StartInstances call EC2 refused as a whole. `instanceIds` are the ids its error
 * message names (an unknown id, a wrong state, a KMS key it cannot use), when it names any.
 */
export class InstanceBatchError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly instanceIds: string[],
  ) {
    super(message)
    this.name = 'InstanceBatchError'
  }
}

export interface Ec2Api {
  findInstances(filter: TagFilter): Promise<Ec2Instance[]>
  describeInstances(ids: string[]): Promise<Ec2Instance[]>
  /** One StopInstances call for all `ids`; throws InstanceBatchError when EC2 refuses it. */
  stopInstances(ids: string[]): Promise<void>
  /** One StartInstances call for all `ids`; throws InstanceBatchError when EC2 refuses it. */
  startInstances(ids: string[]): Promise<void>
  instanceHealth(ids: string[]): Promise<InstanceHealth[]>
}

export interface AutoScalingGroup {
  name: string
  min: number
  max: number
  desired: number
  tags: Tags
  instanceIds: string[]
}

export interface AutoScalingApi {
  findGroups(filter: TagFilter): Promise<AutoScalingGroup[]>
  describeGroups(names: string[]): Promise<AutoScalingGroup[]>
  updateGroup(name: string, size: {min: number; max: number; desired: number}): Promise<void>
}

export interface EcsService {
  arn: string
  name: string
  clusterArn: string
  status: string
  desiredCount: number
  runningCount: number
  /** Number of deployments; 1 with runningCount == desiredCount means stable. */
  deployments: number
  taskDefinition: string
  tags: Tags
}

export interface EcsApi {
  /** Every service in every cluster of the account and region, with its tags. */
  listServices(): Promise<EcsService[]>
  describeServices(clusterArn: string, serviceArns: string[]): Promise<EcsService[]>
  setDesiredCount(clusterArn: string, serviceArn: string, desiredCount: number): Promise<void>
}

export interface ScalingSuspension {
  dynamicScalingIn: boolean
  dynamicScalingOut: boolean
  scheduled: boolean
}

/** An Application Auto Scaling scalable target of an ECS service (resource id service/<cluster>/<service>). */
export interface ScalableTarget {
  resourceId: string
  min: number
  max: number
  suspended: ScalingSuspension
}

export interface ScalingApi {
  describeEcsTargets(resourceIds: string[]): Promise<ScalableTarget[]>
  /** RegisterScalableTarget: bounds and suspension of an existing target. */
  updateEcsTarget(target: ScalableTarget): Promise<void>
}

export interface AuroraCluster {
  id: string
  arn: string
  status: string
  engine: string
  tags: Tags
  /** Instance classes of the members, for the price of a stopped hour. */
  memberClasses: string[]
  /** The Aurora global database it belongs to (primary or secondary): RDS does not stop such a cluster on its own. */
  globalClusterId?: string
}

export interface DbInstance {
  id: string
  arn: string
  status: string
  engine: string
  instanceClass: string
  tags: Tags
  /** Set for Aurora members, which stop and start with their cluster. */
  clusterId?: string
}

export interface RdsApi {
  listClusters(): Promise<AuroraCluster[]>
  listInstances(): Promise<DbInstance[]>
  stopCluster(id: string): Promise<void>
  startCluster(id: string): Promise<void>
  stopInstance(id: string): Promise<void>
  startInstance(id: string): Promise<void>
}

/** Whether the Redis tier serves again: a Sentinel names a master and that master answers. */
export interface RedisProbe {
  masterReachable(instanceIds: string[]): Promise<{ok: boolean; detail: string}>
}

/** A stored object's content and version tag, for conditional writes. */
export interface StoredObject {
  body: string
  etag: string
}

/**
 * Where manifests and the lock live (S3 in AWS). Conditional writes make the lock safe: a
 * create fails when the key exists, a replace fails when the object changed since it was read.
 */
export interface StateStore {
  get(key: string): Promise<StoredObject | undefined>
  /** Lists keys under a prefix, every page. */
  list(prefix: string): Promise<string[]>
  put(key: string, body: string): Promise<void>
  /** Writes only when no object has the key; false when one does. */
  putIfAbsent(key: string, body: string): Promise<boolean>
  /** Writes only when the object still has `etag`; false when it changed or vanished. */
  putIfMatch(key: string, body: string, etag: string): Promise<boolean>
  delete(key: string): Promise<void>
}

/** The services of one region that a shutdown run discovers resources with and acts on. */
export interface RegionalApis {
  ec2: Ec2Api
  autoScaling: AutoScalingApi
  ecs: EcsApi
  scaling: ScalingApi
  rds: RdsApi
  redis: RedisProbe
}

/**
 * Everything a shutdown run talks to: the env's own region (the fields of RegionalApis, and
 * `region`), its recovery region when it has one, and the state bucket (in the env's region).
 */
export interface ShutdownApis extends RegionalApis {
  /** The region the regional fields talk to: the env's own, the manifest's region. */
  region: string
  /** The env's recovery region, with its own clients (same credentials). */
  recovery?: {region: string; apis: RegionalApis}
  store: StateStore
}

/** The env's regions, its own first. */
export const regionsOf = (apis: ShutdownApis): string[] => [apis.region, ...(apis.recovery ? [apis.recovery.region] : [])]

/** The clients of one of the env's regions; an error naming the env's regions for any other (a region dropped from the config since the stop). */
export function apisIn(apis: ShutdownApis, region: string): RegionalApis {
  if (region === apis.region) return apis
  if (apis.recovery?.region === region) return apis.recovery.apis
  throw new Error(`${region} is not one of the env's regions in the config now (${regionsOf(apis).join(', ')})`)
}
