import type {AuroraCluster, DbInstance, Ec2Instance, ScalableTarget, Tags} from './api.js'
import {exclusionOf, instanceTier, type ShutdownScope} from './eligibility.js'
import type {Inventory, Located, RegionError, ServiceState} from './inventory.js'
import {MANIFEST_VERSION, TIERS, type Manifest, type ManifestEntry, type Tier} from './manifest.js'

export type Operation = 'stop' | 'start' | 'none'

/** One resource of the plan: what it is now, what the run makes it, and why. */
export interface PlannedChange {
  entry: ManifestEntry
  op: Operation
  current: string
  target: string
  note?: string
  /** The run cannot act on it now (e.g. a cluster still starting); reported as failed. */
  blocked?: string
  /** Deleted or terminated since the shutdown: nothing to restore, and nothing for later tiers to wait for. */
  gone?: boolean
}

/** A resource of the env the run leaves alone and keeps out of the manifest. */
export interface SkippedResource {
  kind: ManifestEntry['kind']
  id: string
  region: string
  reason: string
}

export interface ShutdownPlan {
  action: 'stop' | 'start'
  manifest: Manifest
  manifestKey: string
  /** stop: whether this run opens a new shutdown period, or adds to the open one. */
  newPeriod: boolean
  /** stop after a start that did not finish: that period, closed by this run, its unrestored resources carried over. */
  supersedes?: OpenManifest
  /** In execution order: stop goes ledger → redis → database, start the other way. */
  changes: PlannedChange[]
  skipped: SkippedResource[]
  /** Regions of the env the plan could not see: nothing there is stopped or started by this run. */
  unreadable: RegionError[]
}

export interface OpenManifest {
  key: string
  manifest: Manifest
}

export interface StopContext {
  scope: ShutdownScope
  now: Date
  /** The local date of tonight in the env's schedule. */
  night: string
  /** Where a new period's manifest goes (manifests.ts nextManifestKey: unique per night). */
  newManifestKey: string
  account: string
  region: string
  open?: OpenManifest
}

/** Whether `start` still owes this resource its prior state: it was awake before the night and has not been restored. */
export const awaitsRestore = (entry: ManifestEntry): boolean => entry.start?.result !== 'done' && wasAwakeBefore(entry)

/** Whether the resource served before the night: only those are stopped, and only those does `start` bring back. */
function wasAwakeBefore(entry: ManifestEntry): boolean {
  switch (entry.kind) {
    case 'ec2-instance':
      return entry.prior.state === 'running'
    case 'auto-scaling-group':
      return entry.prior.min > 0 || entry.prior.max > 0 || entry.prior.desired > 0
    case 'ecs-service':
      return entry.prior.desiredCount > 0
    case 'aurora-cluster':
    case 'rds-instance':
      return dbWasAwake(entry.prior.status)
  }
}

const describeSize = (size: {min: number; max: number; desired: number}) => `min ${size.min}, max ${size.max}, desired ${size.desired}`
const describeScaling = (scaling: ScalableTarget | null) =>
  scaling
    ? `, scaling ${scaling.min}-${scaling.max}${scaling.suspended.dynamicScalingIn && scaling.suspended.dynamicScalingOut && scaling.suspended.scheduled ? ' suspended' : ''}`
    : ''
const describeService = (desiredCount: number, scaling: ScalableTarget | null) => `desired ${desiredCount}${describeScaling(scaling)}`

/** A resource's recorded state before the night, as people read it. */
export function describePrior(entry: ManifestEntry): string {
  switch (entry.kind) {
    case 'ec2-instance':
      return entry.prior.state
    case 'auto-scaling-group':
      return describeSize(entry.prior)
    case 'ecs-service':
      return describeService(entry.prior.desiredCount, entry.prior.scaling)
    case 'aurora-cluster':
    case 'rds-instance':
      return entry.prior.status
  }
}

/** The stopped form of a service's scaling target: no floor, and no policy may scale it out. */
export const sleepingTarget = (target: ScalableTarget): ScalableTarget => ({
  ...target,
  min: 0,
  suspended: {dynamicScalingIn: true, dynamicScalingOut: true, scheduled: true},
})

const sameTarget = (a: ScalableTarget | null, b: ScalableTarget | null): boolean =>
  a === b ||
  (a !== null &&
    b !== null &&
    a.min === b.min &&
    a.max === b.max &&
    a.suspended.dynamicScalingIn === b.suspended.dynamicScalingIn &&
    a.suspended.dynamicScalingOut === b.suspended.dynamicScalingOut &&
    a.suspended.scheduled === b.suspended.scheduled)

/**
 * How every note of a stop plan ends: what `start` will do with the resource, so whoever
 * reads a plan or a stop knows the morning (the notes of a start plan say it in the present). `start` brings back exactly what was awake before
 * the night (awaitsRestore) and leaves everything else as it finds it.
 */
const MORNING = {
  back: 'start brings it back in the morning',
  restores: (prior: string) => `start restores ${prior}`,
  staysStopped: 'stays stopped in the morning',
  staysAtZero: 'stays at zero in the morning',
  leftRunning: 'stop and start leave it running',
  leftAsItIs: 'stop and start leave it as it is',
}

/** Why a cluster of an Aurora global database keeps running through the night (StopDBCluster is refused for it). */
const GLOBAL_MEMBER = (globalClusterId: string) =>
  `member of Aurora global database ${globalClusterId}: RDS cannot stop a cluster of a global database on its own, so it keeps running (and costing) through the night`

const DB_ASLEEP = new Set(['stopped', 'stopping'])
/** Was the database serving before the night, i.e. must `start` bring it back? */
export const dbWasAwake = (status: string): boolean => !DB_ASLEEP.has(status)

type Candidate = {kind: ManifestEntry['kind']; id: string; region: string; tags: Tags}

/** The same resource: names (a cluster, a group) are only unique within a region. */
const resourceKey = (resource: {kind: string; id: string; region: string}) => `${resource.region}|${resource.kind}|${resource.id}`

function findEntry<K extends ManifestEntry['kind']>(open: OpenManifest | undefined, kind: K, id: string, region: string) {
  return open?.manifest.resources.find((entry): entry is Extract<ManifestEntry, {kind: K}> => entry.kind === kind && entry.id === id && entry.region === region)
}

const tierRank = (tier: Tier) => TIERS.indexOf(tier)

/**
 * What `stop` will do. Inside an open period (a weekend, a holiday, a crash half-way) the
 * prior states already recorded are kept, never overwritten with tonight's stopped state;
 * anything awake again that was awake before (a cluster AWS restarted after 7 days, an
 * instance started by hand) is stopped again.
 */
export function planStop(inventory: Inventory, context: StopContext): ShutdownPlan {
  const {scope, now} = context
  // After a start that did not finish, tonight opens a new period: only what that start still
  // owes keeps its recorded prior state; everything else is recorded as it is now.
  const unfinished = context.open?.manifest.status === 'starting' ? context.open : undefined
  const open: OpenManifest | undefined = unfinished
    ? {key: unfinished.key, manifest: {...unfinished.manifest, resources: unfinished.manifest.resources.filter(awaitsRestore).map(({stop: _stop, start: _start, ...entry}) => entry as ManifestEntry)}}
    : context.open
  const changes: PlannedChange[] = []
  const skipped: SkippedResource[] = []
  const eligible = (candidate: Candidate): boolean => {
    const reason = exclusionOf(candidate.tags, scope, now)
    if (reason) skipped.push({kind: candidate.kind, id: candidate.id, region: candidate.region, reason})
    return !reason
  }

  for (const instance of inventory.instances) {
    if (!eligible({kind: 'ec2-instance', id: instance.id, region: instance.region, tags: instance.tags})) continue
    changes.push(stopInstanceChange(instance, findEntry(open, 'ec2-instance', instance.id, instance.region)))
  }
  for (const group of inventory.groups) {
    if (!eligible({kind: 'auto-scaling-group', id: group.name, region: group.region, tags: group.tags})) continue
    const existing = findEntry(open, 'auto-scaling-group', group.name, group.region)
    const prior = existing?.prior ?? {min: group.min, max: group.max, desired: group.desired}
    const awake = group.min > 0 || group.max > 0 || group.desired > 0
    const wasAwake = prior.min > 0 || prior.max > 0 || prior.desired > 0
    changes.push({
      entry: {kind: 'auto-scaling-group', id: group.name, region: group.region, tier: 'ledger', prior, stop: existing?.stop, start: existing?.start},
      op: awake && wasAwake ? 'stop' : 'none',
      current: describeSize(group),
      target: awake && wasAwake ? describeSize({min: 0, max: 0, desired: 0}) : describeSize(group),
      note: awake
        ? wasAwake
          ? undefined
          : `scaled up by hand after the shutdown; it was at zero before the night, so ${MORNING.leftAsItIs}`
        : `already at zero; ${wasAwake ? MORNING.restores(describeSize(prior)) : MORNING.staysAtZero}`,
    })
  }
  for (const service of inventory.services) {
    if (!eligible({kind: 'ecs-service', id: service.arn, region: service.region, tags: service.tags})) continue
    changes.push(stopServiceChange(service, findEntry(open, 'ecs-service', service.arn, service.region)))
  }
  for (const cluster of inventory.clusters) {
    if (!eligible({kind: 'aurora-cluster', id: cluster.id, region: cluster.region, tags: cluster.tags})) continue
    // Held back, not failed: the night goes on, and start owes it nothing.
    if (cluster.globalClusterId) {
      skipped.push({kind: 'aurora-cluster', id: cluster.id, region: cluster.region, reason: GLOBAL_MEMBER(cluster.globalClusterId)})
      continue
    }
    const existing = findEntry(open, 'aurora-cluster', cluster.id, cluster.region)
    changes.push(
      stopDatabaseChange(
        {kind: 'aurora-cluster', id: cluster.id, region: cluster.region, tier: 'database', memberClasses: cluster.memberClasses, prior: existing?.prior ?? {status: cluster.status}, stop: existing?.stop, start: existing?.start},
        cluster,
        existing !== undefined,
      ),
    )
  }
  for (const instance of inventory.dbInstances) {
    if (!eligible({kind: 'rds-instance', id: instance.id, region: instance.region, tags: instance.tags})) continue
    const existing = findEntry(open, 'rds-instance', instance.id, instance.region)
    changes.push(
      stopDatabaseChange(
        {kind: 'rds-instance', id: instance.id, region: instance.region, tier: 'database', instanceClass: instance.instanceClass, prior: existing?.prior ?? {status: instance.status}, stop: existing?.stop, start: existing?.start},
        instance,
        existing !== undefined,
      ),
    )
  }

  // Entries of the open period that discovery no longer finds stay in the manifest: start reports them.
  const seen = new Set(changes.map((change) => resourceKey(change.entry)))
  const kept = (open?.manifest.resources ?? []).filter((entry) => !seen.has(resourceKey(entry)))
  changes.sort((a, b) => tierRank(a.entry.tier) - tierRank(b.entry.tier))
  const merging = open !== undefined && !unfinished
  const manifest: Manifest = merging
    ? {...open.manifest, resources: [...changes.map((change) => change.entry), ...kept]}
    : {
        version: MANIFEST_VERSION,
        env: scope.env,
        account: context.account,
        region: context.region,
        night: context.night,
        status: 'stopping',
        createdAt: now.toISOString(),
        runs: [],
        resources: [...changes.map((change) => change.entry), ...kept],
      }
  return {
    action: 'stop',
    manifest,
    manifestKey: merging ? open.key : context.newManifestKey,
    newPeriod: !merging,
    ...(unfinished ? {supersedes: unfinished} : {}),
    changes,
    skipped,
    unreadable: inventory.unreadable,
  }
}

function stopInstanceChange(instance: Located<Ec2Instance>, existing: Extract<ManifestEntry, {kind: 'ec2-instance'}> | undefined): PlannedChange {
  const awake = instance.state === 'running' || instance.state === 'pending'
  const prior = existing?.prior ?? {state: awake ? 'running' : 'stopped'}
  const entry: ManifestEntry = {kind: 'ec2-instance', id: instance.id, region: instance.region, tier: instanceTier(instance.tags), instanceType: instance.instanceType, prior, stop: existing?.stop, start: existing?.start}
  const wasRunning = prior.state === 'running'
  if (awake && wasRunning) {
    return {entry, op: 'stop', current: instance.state, target: 'stopped', note: existing ? `running again since the shutdown; ${MORNING.back}` : undefined}
  }
  return {
    entry,
    op: 'none',
    current: instance.state,
    target: instance.state,
    note: awake
      ? `started by hand after the shutdown; it was stopped before the night, so ${MORNING.leftRunning}`
      : `already ${instance.state}; ${wasRunning ? MORNING.back : MORNING.staysStopped}`,
  }
}

function stopServiceChange(service: Located<ServiceState>, existing: Extract<ManifestEntry, {kind: 'ecs-service'}> | undefined): PlannedChange {
  const prior = existing?.prior ?? {desiredCount: service.desiredCount, scaling: service.scaling}
  const entry: ManifestEntry = {
    kind: 'ecs-service',
    id: service.arn,
    region: service.region,
    tier: 'ledger',
    clusterArn: service.clusterArn,
    name: service.name,
    taskDefinition: service.taskDefinition,
    prior,
    stop: existing?.stop,
    start: existing?.start,
  }
  const asleep = service.desiredCount === 0 && sameTarget(service.scaling, service.scaling && sleepingTarget(service.scaling))
  const wasAwake = prior.desiredCount > 0
  const current = describeService(service.desiredCount, service.scaling)
  if (!asleep && wasAwake) {
    return {entry, op: 'stop', current, target: describeService(0, service.scaling && sleepingTarget(service.scaling))}
  }
  // Never scaled down by stop, so never scaled up by start: a service at zero before the night stays as its owner leaves it.
  const note = wasAwake
    ? `already at zero; ${MORNING.restores(describeService(prior.desiredCount, prior.scaling))}`
    : service.desiredCount === 0
      ? `already at zero; ${MORNING.staysAtZero}`
      : `scaled up by hand after the shutdown; it was at zero before the night, so ${MORNING.leftAsItIs}`
  return {entry, op: 'none', current, target: current, note}
}

function stopDatabaseChange(entry: Extract<ManifestEntry, {kind: 'aurora-cluster' | 'rds-instance'}>, current: AuroraCluster | DbInstance, known: boolean): PlannedChange {
  const wasAwake = dbWasAwake(entry.prior.status)
  if (DB_ASLEEP.has(current.status)) {
    return {entry, op: 'none', current: current.status, target: current.status, note: `already ${current.status}; ${wasAwake ? MORNING.back : MORNING.staysStopped}`}
  }
  // AWS starts a database that has been stopped for 7 days, whoever stopped it: one that was
  // asleep before the night is stopped again too, and stays stopped in the morning.
  const restarted = 'restarted since the shutdown (AWS starts a stopped database after 7 days)'
  const note = known ? (wasAwake ? `${restarted}; ${MORNING.back}` : `${restarted}; it was stopped before the night, so it is stopped again and ${MORNING.staysStopped}`) : undefined
  if (current.status !== 'available') {
    return {entry, op: 'stop', current: current.status, target: 'stopped', note, blocked: `status ${current.status}: it can only be stopped when available; the next stop run tries again`}
  }
  return {entry, op: 'stop', current: current.status, target: 'stopped', note}
}

/** A group or service at zero before the night: stop did not scale it down, so start does not scale it. */
const asleepBeforeNote = (scaledUpSince: boolean | undefined) =>
  scaledUpSince ? 'was at zero before the night and scaled up by hand since; start leaves it as it is' : 'was at zero before the night; stays at zero'

/**
 * What `start` will do: only what the manifest recorded as awake before the night comes back,
 * to exactly its recorded size; the rest stays as it is.
 */
export function planStart(open: OpenManifest, inventory: Inventory, scope: ShutdownScope, now: Date): ShutdownPlan {
  const changes: PlannedChange[] = []
  const skipped: SkippedResource[] = []
  const byRegion = <T extends {region: string}>(items: T[], id: (item: T) => string) => {
    const found = new Map(items.map((item) => [`${item.region}|${id(item)}`, item]))
    return {get: (entry: ManifestEntry) => found.get(`${entry.region}|${entry.id}`)}
  }
  const instances = byRegion(inventory.instances, (instance) => instance.id)
  const groups = byRegion(inventory.groups, (group) => group.name)
  const services = byRegion(inventory.services, (service) => service.arn)
  const clusters = byRegion(inventory.clusters, (cluster) => cluster.id)
  const dbInstances = byRegion(inventory.dbInstances, (instance) => instance.id)
  const unreadable = new Map(inventory.unreadable.map(({region, error}) => [region, error]))
  const gone = (entry: ManifestEntry, current = 'not found'): PlannedChange => ({
    entry,
    op: 'none',
    current,
    target: current,
    gone: true,
    note: 'deleted since the shutdown: nothing to restore',
  })
  const excluded = (entry: ManifestEntry, tags: Tags): boolean => {
    const reason = exclusionOf({...tags, 'fintech:keep-awake': 'false'}, scope, now)
    if (reason) skipped.push({kind: entry.kind, id: entry.id, region: entry.region, reason})
    return reason !== undefined
  }

  for (const entry of open.manifest.resources) {
    const unread = unreadable.get(entry.region)
    if (unread !== undefined) {
      changes.push(unreadChange(entry, unread))
      continue
    }
    switch (entry.kind) {
      case 'ec2-instance': {
        const instance = instances.get(entry)
        if (!wasAwakeBefore(entry)) {
          const startedSince = instance?.state === 'running' || instance?.state === 'pending'
          const note = startedSince ? 'was stopped before the night and started by hand since; start leaves it running' : 'was stopped before the night; stays stopped'
          changes.push({entry, op: 'none', current: instance?.state ?? 'not found', target: instance?.state ?? 'not found', note})
        } else if (!instance || instance.state === 'terminated' || instance.state === 'shutting-down') changes.push(gone(entry, instance?.state))
        else if (!excluded(entry, instance.tags)) {
          const stopped = instance.state === 'stopped' || instance.state === 'stopping'
          changes.push({entry, op: stopped ? 'start' : 'none', current: instance.state, target: 'running', note: stopped ? undefined : 'already running'})
        }
        break
      }
      case 'auto-scaling-group': {
        const group = groups.get(entry)
        if (!wasAwakeBefore(entry)) {
          const current = group ? describeSize(group) : 'not found'
          changes.push({entry, op: 'none', current, target: current, note: asleepBeforeNote(group && (group.min > 0 || group.max > 0 || group.desired > 0))})
        } else if (!group) changes.push(gone(entry))
        else if (!excluded(entry, group.tags)) {
          const same = group.min === entry.prior.min && group.max === entry.prior.max && group.desired === entry.prior.desired
          changes.push({entry, op: same ? 'none' : 'start', current: describeSize(group), target: describeSize(entry.prior), note: same ? 'already at its recorded size' : undefined})
        }
        break
      }
      case 'ecs-service': {
        const service = services.get(entry)
        if (!wasAwakeBefore(entry)) {
          const current = service ? describeService(service.desiredCount, service.scaling) : 'not found'
          changes.push({entry, op: 'none', current, target: current, note: asleepBeforeNote(service && service.desiredCount > 0)})
        } else if (!service) changes.push(gone(entry))
        else if (!excluded(entry, service.tags)) {
          const same = service.desiredCount === entry.prior.desiredCount && sameTarget(service.scaling, entry.prior.scaling)
          changes.push({
            entry,
            op: same ? 'none' : 'start',
            current: describeService(service.desiredCount, service.scaling),
            target: describeService(entry.prior.desiredCount, entry.prior.scaling),
            note: same ? 'already at its recorded size' : undefined,
          })
        }
        break
      }
      case 'aurora-cluster':
      case 'rds-instance': {
        const database = entry.kind === 'aurora-cluster' ? clusters.get(entry) : dbInstances.get(entry)
        if (!wasAwakeBefore(entry)) {
          const startedSince = database !== undefined && !DB_ASLEEP.has(database.status)
          const note = startedSince ? `was stopped before the night and has been started since; start leaves it ${database.status}` : 'was stopped before the night; stays stopped'
          changes.push({entry, op: 'none', current: database?.status ?? 'not found', target: database?.status ?? 'not found', note})
        } else if (!database) changes.push(gone(entry))
        else if (!excluded(entry, database.tags)) {
          const op: Operation = database.status === 'available' ? 'none' : 'start'
          const blocked = database.status === 'stopping' ? 'still stopping; start it once it is stopped' : undefined
          changes.push({entry, op, current: database.status, target: 'available', note: op === 'none' ? 'already available' : undefined, blocked})
        }
        break
      }
    }
  }
  changes.sort((a, b) => tierRank(b.entry.tier) - tierRank(a.entry.tier))
  return {action: 'start', manifest: open.manifest, manifestKey: open.key, newPeriod: false, changes, skipped, unreadable: inventory.unreadable}
}

/**
 * An entry in a region start could not read: what start still owes it fails (so the period
 * stays open and the next start tries again), never counts as gone or restored.
 */
function unreadChange(entry: ManifestEntry, error: string): PlannedChange {
  const unknown = `unknown (${entry.region} not read)`
  if (!awaitsRestore(entry)) {
    const note = wasAwakeBefore(entry) ? `already restored; ${entry.region} could not be read` : `was asleep before the night; ${entry.region} could not be read`
    return {entry, op: 'none', current: unknown, target: unknown, note}
  }
  return {entry, op: 'start', current: unknown, target: describePrior(entry), blocked: `${entry.region} could not be read (${error}); the next start tries again`}
}
