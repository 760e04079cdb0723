/**
 * An in-memory AWS account implementing the shutdown core's interfaces, with the behaviours
 * that matter: EC2 refusing a whole call for one bad instance, an encrypted volume whose KMS
 * key has no grant (the instance falls back to stopped), services that follow their desired
 * count, S3-style conditional writes. Every mutating call is recorded with the ids it touched.
 */
import {
  InstanceBatchError,
  type AuroraCluster,
  type AutoScalingGroup,
  type DbInstance,
  type Ec2Instance,
  type EcsService,
  type ScalableTarget,
  type ShutdownApis,
  type TagFilter,
} from '../../src/core/shutdown/api.js'
import type {Clock} from '../../src/core/clock.js'

export interface Call {
  op: string
  ids: string[]
}

export interface FakeAccount {
  instances: Map<string, Ec2Instance & {refuse?: string; kmsBroken?: boolean}>
  groups: Map<string, AutoScalingGroup>
  services: Map<string, EcsService>
  targets: Map<string, ScalableTarget>
  clusters: Map<string, AuroraCluster>
  dbInstances: Map<string, DbInstance>
  objects: Map<string, {body: string; etag: string}>
  calls: Call[]
  redisOk: boolean
  apis: ShutdownApis
}

const matches = (tags: Record<string, string>, filter: TagFilter) => filter.values.includes(tags[filter.key] ?? '\u0000')
const copy = <T>(value: T): T => structuredClone(value)

export function fakeAccount(): FakeAccount {
  let etagCounter = 0
  const account: FakeAccount = {
    instances: new Map(),
    groups: new Map(),
    services: new Map(),
    targets: new Map(),
    clusters: new Map(),
    dbInstances: new Map(),
    objects: new Map(),
    calls: [],
    redisOk: true,
    apis: undefined as unknown as ShutdownApis,
  }
  const call = (op: string, ids: string[]) => account.calls.push({op, ids})
  const instanceCall = (op: 'StopInstances' | 'StartInstances', ids: string[]) => {
    call(op, ids)
    const unknown = ids.filter((id) => !account.instances.has(id))
    if (unknown.length > 0) throw new InstanceBatchError(`The instance IDs '${unknown.join(', ')}' do not exist`, 'InvalidInstanceID.NotFound', unknown)
    const refused = ids.find((id) => account.instances.get(id)!.refuse)
    if (refused) throw new InstanceBatchError(account.instances.get(refused)!.refuse!, 'UnsupportedOperation', [])
    for (const id of ids) {
      const instance = account.instances.get(id)!
      if (op === 'StopInstances') {
        instance.state = 'stopped'
        instance.stateReason = {code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown'}
      } else if (instance.kmsBroken) {
        instance.state = 'stopped'
        instance.stateReason = {code: 'Client.InternalError', message: 'Client.InternalError: Client error on launch'}
      } else {
        instance.state = 'running'
        delete instance.stateReason
      }
    }
  }
  const put = (key: string, body: string) => {
    etagCounter += 1
    account.objects.set(key, {body, etag: `"${etagCounter}"`})
  }

  account.apis = {
    region: 'eu-west-1',
    ec2: {
      findInstances: async (filter) => [...account.instances.values()].filter((instance) => matches(instance.tags, filter) && instance.state !== 'terminated').map(copy),
      describeInstances: async (ids) => ids.flatMap((id) => (account.instances.has(id) ? [copy(account.instances.get(id)!)] : [])),
      stopInstances: async (ids) => instanceCall('StopInstances', ids),
      startInstances: async (ids) => instanceCall('StartInstances', ids),
      instanceHealth: async (ids) =>
        ids.flatMap((id) => {
          const instance = account.instances.get(id)
          return instance ? [{id, state: instance.state, ok: instance.state === 'running'}] : []
        }),
    },
    autoScaling: {
      findGroups: async (filter) => [...account.groups.values()].filter((group) => matches(group.tags, filter)).map(copy),
      describeGroups: async (names) => names.flatMap((name) => (account.groups.has(name) ? [copy(account.groups.get(name)!)] : [])),
      updateGroup: async (name, size) => {
        call('UpdateAutoScalingGroup', [name])
        Object.assign(account.groups.get(name)!, size)
      },
    },
    ecs: {
      listServices: async () => [...account.services.values()].map(copy),
      describeServices: async (cluster, arns) => arns.flatMap((arn) => (account.services.get(arn)?.clusterArn === cluster ? [copy(account.services.get(arn)!)] : [])),
      setDesiredCount: async (_cluster, arn, desiredCount) => {
        call('UpdateService', [arn])
        const service = account.services.get(arn)!
        service.desiredCount = desiredCount
        service.runningCount = desiredCount
      },
    },
    scaling: {
      describeEcsTargets: async (ids) => ids.flatMap((id) => (account.targets.has(id) ? [copy(account.targets.get(id)!)] : [])),
      updateEcsTarget: async (target) => {
        call('RegisterScalableTarget', [target.resourceId])
        account.targets.set(target.resourceId, copy(target))
      },
    },
    rds: {
      listClusters: async () => [...account.clusters.values()].map(copy),
      listInstances: async () => [...account.dbInstances.values()].map(copy),
      stopCluster: async (id) => {
        call('StopDBCluster', [id])
        const cluster = account.clusters.get(id)!
        if (cluster.status !== 'available') throw Object.assign(new Error(`DbCluster ${id} is in ${cluster.status} state`), {name: 'InvalidDBClusterStateFault'})
        cluster.status = 'stopped'
      },
      startCluster: async (id) => {
        call('StartDBCluster', [id])
        account.clusters.get(id)!.status = 'available'
      },
      stopInstance: async (id) => {
        call('StopDBInstance', [id])
        account.dbInstances.get(id)!.status = 'stopped'
      },
      startInstance: async (id) => {
        call('StartDBInstance', [id])
        account.dbInstances.get(id)!.status = 'available'
      },
    },
    redis: {
      masterReachable: async () => ({ok: account.redisOk, detail: account.redisOk ? '10.0.1.10:6379 answered PONG' : 'no master known'}),
    },
    store: {
      get: async (key) => (account.objects.has(key) ? {...account.objects.get(key)!} : undefined),
      list: async (prefix) => [...account.objects.keys()].filter((key) => key.startsWith(prefix)),
      put: async (key, body) => put(key, body),
      putIfAbsent: async (key, body) => {
        if (account.objects.has(key)) return false
        put(key, body)
        return true
      },
      putIfMatch: async (key, body, etag) => {
        if (account.objects.get(key)?.etag !== etag) return false
        put(key, body)
        return true
      },
      delete: async (key) => void account.objects.delete(key),
    },
  }
  return account
}

/** A clock whose sleeps return at once and move time forward. */
export function fakeClock(start = new Date('2026-11-20T20:00:00Z')): Clock & {advance(ms: number): void} {
  let now = start.getTime()
  return {
    now: () => new Date(now),
    sleep: async (ms) => {
      now += ms
    },
    advance: (ms) => {
      now += ms
    },
  }
}

export const ENV_TAGS = {Environment: 'dev'}
export const PROD_TAGS = {Environment: 'prod'}

export const instance = (id: string, state: Ec2Instance['state'], tags: Record<string, string> = ENV_TAGS, extra: Partial<Ec2Instance> = {}): Ec2Instance => ({
  id,
  state,
  instanceType: 't4g.small',
  tags,
  ...extra,
})
