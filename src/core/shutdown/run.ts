import pLimit from 'p-limit'
import type {AuditSink} from '../audit/audit-log.js'
import {Backoff, pollUntil, type Clock} from '../clock.js'
import {apisIn, type Ec2Instance, type RegionalApis, type ShutdownApis} from './api.js'
import {sendInBatches} from './batch.js'
import {TIERS, type ActionOutcome, type Manifest, type ManifestEntry, type Tier} from './manifest.js'
import {saveManifest} from './manifests.js'
import {sleepingTarget, type Operation, type PlannedChange, type ShutdownPlan} from './plan.js'

/** A wait's deadline passed: the caller records what did not get there, and the run goes on. */
class WaitEnded extends Error {}

export interface ResourceResult {
  kind: ManifestEntry['kind']
  id: string
  region: string
  tier: Tier
  op: Operation
  /** unchanged: nothing to do; planned: a dry run's intent; skipped: a health gate held it back; gone: deleted since the shutdown. */
  result: 'done' | 'failed' | 'unchanged' | 'skipped' | 'planned' | 'gone'
  current: string
  target: string
  detail?: string
}

export interface ShutdownRunOptions {
  apis: ShutdownApis
  clock: Clock
  signal?: AbortSignal
  audit: AuditSink
  runId: string
  /** The caller's ARN, recorded in the manifest's run history. */
  by: string
  polling: {initialMs: number; maxMs: number}
  waitMinutes: {aurora: number; redis: number; ledger: number}
  /** One line per step, for the progress stream (stderr). */
  progress(line: string): void
  /** Keeps the env's lock alive during long waits (at most once a minute). */
  heartbeat?(): Promise<void>
}

const HEARTBEAT_MS = 60_000

/** Mutations in flight at once: enough to be quick for 200 services, few enough not to be throttled. */
const PARALLEL_CALLS = 5

const TIER_LABEL: Record<Tier, string> = {ledger: 'ledger service', redis: 'Redis', database: 'Aurora and RDS'}
const STEP_LABEL: Record<Tier, string> = {ledger: 'the ledger service', redis: 'Redis and the other EC2 instances', database: 'Aurora and RDS'}

/** The plan as results, without acting: what `plan` and `--dry-run` print. */
export function dryRunResults(plan: ShutdownPlan): ResourceResult[] {
  return plan.changes.map((change) => ({
    ...base(change),
    result: change.gone ? 'gone' : change.blocked ? 'failed' : change.op === 'none' ? 'unchanged' : 'planned',
    detail: change.blocked ?? change.note,
  }))
}

const base = (change: PlannedChange) => ({
  kind: change.entry.kind,
  id: change.entry.id,
  region: change.entry.region,
  tier: change.entry.tier,
  op: change.op,
  current: change.current,
  target: change.target,
})

/** The clients of the region a resource lives in. */
const apisOf = (options: ShutdownRunOptions, change: PlannedChange): RegionalApis => apisIn(options.apis, change.entry.region)

/** `changes` by region, in the order their regions first appear. */
function byRegion<T extends PlannedChange>(changes: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const change of changes) groups.set(change.entry.region, [...(groups.get(change.entry.region) ?? []), change])
  return groups
}

class Run {
  readonly results = new Map<PlannedChange, ResourceResult>()
  private readonly limit = pLimit(PARALLEL_CALLS)

  constructor(
    private readonly plan: ShutdownPlan,
    private readonly options: ShutdownRunOptions,
  ) {}

  get manifest(): Manifest {
    return this.plan.manifest
  }

  record(change: PlannedChange, result: 'done' | 'failed' | 'skipped', detail?: string): void {
    const outcome: ActionOutcome = {result, at: this.options.clock.now().toISOString(), ...(detail ? {detail} : {})}
    change.entry[this.plan.action] = outcome
    this.results.set(change, {...base(change), result, detail: detail ?? change.note})
    if (result !== 'skipped') {
      this.options.audit.record({
        env: this.manifest.env,
        action: `shutdown-${this.plan.action}-${change.entry.kind}`,
        result: result === 'done' ? 'ok' : 'failed',
        resource: change.entry.id,
        region: change.entry.region,
        detail: detail ?? `${change.current} -> ${change.target}`,
      })
    }
  }

  async act(change: PlannedChange, call: () => Promise<void>): Promise<void> {
    if (change.blocked) return this.record(change, 'failed', change.blocked)
    await this.limit(async () => {
      try {
        await call()
        this.record(change, 'done')
      } catch (error) {
        this.record(change, 'failed', `${(error as {name?: string}).name ?? 'Error'}: ${(error as Error).message}`)
      }
    })
  }

  limitedCall(call: () => Promise<void>): Promise<void> {
    return this.limit(call)
  }

  async save(): Promise<void> {
    await this.keepLock()
    await saveManifest(this.options.apis.store, this.plan.manifestKey, this.manifest)
  }

  private lastHeartbeat = 0

  /** Renews the lock when a minute has passed since the last renewal. */
  async keepLock(): Promise<void> {
    const now = this.options.clock.now().getTime()
    if (!this.options.heartbeat || now - this.lastHeartbeat < HEARTBEAT_MS) return
    this.lastHeartbeat = now
    await this.options.heartbeat()
  }

  /**
   * Polls `check` with backoff until it reports done or `minutes` pass; true when done. A check
   * that throws (throttled past the SDK's retries, a network blip) counts as not yet, and is
   * reported, so one failed poll does not end the run. The lock is kept while it waits.
   */
  async waitUntil(minutes: number, check: () => Promise<boolean>): Promise<boolean> {
    const {clock, signal, polling} = this.options
    const backoff = new Backoff(polling.initialMs, polling.maxMs)
    const poll = {clock, signal, timeoutMs: minutes * 60_000, intervalMs: () => backoff.next(false), timedOut: () => new WaitEnded()}
    try {
      return await pollUntil(poll, async () => {
        try {
          if (await check()) return true
        } catch (error) {
          this.options.progress(`a status check failed and is tried again: ${(error as Error).name}: ${(error as Error).message}`)
        }
        await this.keepLock()
        return undefined
      })
    } catch (error) {
      if (error instanceof WaitEnded) return false
      throw error
    }
  }

  pending(tier: Tier, op: Exclude<Operation, 'none'>): PlannedChange[] {
    return this.plan.changes.filter((change) => change.entry.tier === tier && change.op === op && !this.results.has(change))
  }

  /**
   * What a tier's step acts on. EC2 instances that are not Redis nodes are not the ledger
   * service: they go with Redis (after the service has drained, before it comes back), so
   * all instances share the same batched calls.
   */
  step(tier: Tier, op: Exclude<Operation, 'none'>): PlannedChange[] {
    const own = this.pending(tier, op)
    const isInstance = (change: PlannedChange) => change.entry.kind === 'ec2-instance'
    if (tier === 'ledger') return own.filter((change) => !isInstance(change))
    if (tier === 'redis') return [...own, ...this.pending('ledger', op).filter(isInstance)]
    return own
  }

  /** Records the changes the plan found blocked (a database not yet stoppable, a region not read) as failed; the rest can be acted on. */
  failBlocked(changes: PlannedChange[]): PlannedChange[] {
    for (const change of changes) if (change.blocked) this.record(change, 'failed', change.blocked)
    return changes.filter((change) => !change.blocked)
  }

  finish(): ResourceResult[] {
    return this.plan.changes.map((change) => this.results.get(change) ?? {...base(change), result: change.gone ? 'gone' : 'unchanged', detail: change.note})
  }
}

const ofKind = <K extends ManifestEntry['kind']>(changes: PlannedChange[], kind: K) =>
  changes.filter((change): change is PlannedChange & {entry: Extract<ManifestEntry, {kind: K}>} => change.entry.kind === kind)

type InstanceChange = PlannedChange & {entry: Extract<ManifestEntry, {kind: 'ec2-instance'}>}

/** Stops or starts the instances, in batches per region (each region's EC2 knows only its own); the changes EC2 accepted. */
async function stopOrStartInstances(run: Run, changes: PlannedChange[], send: (ec2: RegionalApis['ec2'], ids: string[]) => Promise<void>, options: ShutdownRunOptions): Promise<InstanceChange[]> {
  const accepted: InstanceChange[] = []
  await Promise.all(
    [...byRegion(ofKind(changes, 'ec2-instance'))].map(async ([region, instances]) => {
      const {ec2} = apisIn(options.apis, region)
      const outcome = await sendInBatches(instances.map((change) => change.entry.id), (ids) => send(ec2, ids))
      for (const change of instances) {
        const failure = outcome.failed.get(change.entry.id)
        if (failure) run.record(change, 'failed', failure)
        else accepted.push(change)
      }
    }),
  )
  return accepted
}

/**
 * Stops the env, ledger service first, then Redis, then the databases. The manifest with
 * every prior state is written before the first change, and again after each tier.
 */
export async function runStop(plan: ShutdownPlan, options: ShutdownRunOptions): Promise<ResourceResult[]> {
  const run = new Run(plan, options)
  run.manifest.status = 'stopping'
  run.manifest.runs.push({runId: options.runId, command: 'stop', at: options.clock.now().toISOString(), by: options.by})
  await run.save()
  if (plan.supersedes) {
    // The unfinished start's period closes; what it still owed lives on in the new manifest.
    await saveManifest(options.apis.store, plan.supersedes.key, {...plan.supersedes.manifest, status: 'started'})
  }

  for (const tier of TIERS) {
    const step = run.step(tier, 'stop')
    if (step.length === 0) continue
    options.progress(`stopping ${STEP_LABEL[tier]}: ${step.length} resource(s)`)
    const changes = run.failBlocked(step)
    const apis = (change: PlannedChange) => apisOf(options, change)
    await Promise.all([
      ...ofKind(changes, 'ecs-service').map((change) =>
        run.act(change, async () => {
          const scaling = change.entry.prior.scaling
          if (scaling) await apis(change).scaling.updateEcsTarget(sleepingTarget(scaling))
          await apis(change).ecs.setDesiredCount(change.entry.clusterArn, change.entry.id, 0)
        }),
      ),
      ...ofKind(changes, 'auto-scaling-group').map((change) => run.act(change, () => apis(change).autoScaling.updateGroup(change.entry.id, {min: 0, max: 0, desired: 0}))),
      ...ofKind(changes, 'aurora-cluster').map((change) => run.act(change, () => apis(change).rds.stopCluster(change.entry.id))),
      ...ofKind(changes, 'rds-instance').map((change) => run.act(change, () => apis(change).rds.stopInstance(change.entry.id))),
      (async () => {
        for (const change of await stopOrStartInstances(run, changes, (ec2, ids) => ec2.stopInstances(ids), options)) run.record(change, 'done')
      })(),
    ])
    if (tier === 'ledger') await drainServices(run, changes, options)
    await run.save()
  }

  run.manifest.status = 'stopped'
  await run.save()
  return run.finish()
}

/** Waits (bounded) for the stopped services' tasks to end, so the ledger is quiet before Redis goes. */
async function drainServices(run: Run, changes: PlannedChange[], options: ShutdownRunOptions): Promise<void> {
  const services = ofKind(changes, 'ecs-service').filter((change) => run.results.get(change)?.result === 'done')
  if (services.length === 0) return
  const drained = await run.waitUntil(options.waitMinutes.ledger, async () => {
    const current = await describeServices(options.apis, services)
    return current.every((service) => service.runningCount === 0)
  })
  if (!drained) options.progress(`some ledger tasks were still running after ${options.waitMinutes.ledger} min; going on with Redis`)
}

/** The services' current state, each cluster's read in its region; by region and ARN. */
const describeServices = async (apis: ShutdownApis, services: Array<PlannedChange & {entry: Extract<ManifestEntry, {kind: 'ecs-service'}>}>) => {
  const found = await Promise.all(
    [...byRegion(services)].flatMap(([region, inRegion]) =>
      [...new Set(inRegion.map((change) => change.entry.clusterArn))].map(async (cluster) => {
        const current = await apisIn(apis, region).ecs.describeServices(cluster, inRegion.filter((change) => change.entry.clusterArn === cluster).map((change) => change.entry.id))
        return current.map((service) => ({...service, region}))
      }),
    ),
  )
  return found.flat()
}

/** EC2 may take a started instance back to stopped (a volume's KMS key without a grant): that is a failure, never a start. */
const LAUNCH_FAILED = (instance: Ec2Instance) => instance.state === 'stopped' && instance.stateReason !== undefined && instance.stateReason.code !== 'Client.UserInitiatedShutdown'

async function startInstancesAndVerify(run: Run, changes: PlannedChange[], minutes: number, options: ShutdownRunOptions): Promise<void> {
  const started = await stopOrStartInstances(run, changes, (ec2, ids) => ec2.startInstances(ids), options)
  if (started.length === 0) return
  /** Reads the instances of `pending`, each region's in its own region, and hands each one with its change to `see`. */
  const look = async <T extends {id: string}>(pending: Set<InstanceChange>, read: (ec2: RegionalApis['ec2'], ids: string[]) => Promise<T[]>, see: (change: InstanceChange, found: T) => void) => {
    await Promise.all(
      [...byRegion([...pending])].map(async ([region, inRegion]) => {
        const byId = new Map(inRegion.map((change) => [change.entry.id, change]))
        for (const found of await read(apisIn(options.apis, region).ec2, [...byId.keys()])) see(byId.get(found.id)!, found)
      }),
    )
    return pending.size === 0
  }
  const waiting = new Set(started)
  await run.waitUntil(minutes, () =>
    look(waiting, (ec2, ids) => ec2.describeInstances(ids), (change, instance) => {
      if (instance.state === 'running') {
        waiting.delete(change)
      } else if (LAUNCH_FAILED(instance) || instance.state === 'terminated' || instance.state === 'shutting-down') {
        waiting.delete(change)
        const reason = instance.stateReason ? `${instance.stateReason.code}: ${instance.stateReason.message}` : instance.state
        run.record(change, 'failed', `EC2 did not keep it running (${reason}); an encrypted volume whose KMS key has no grant for EC2 does this`)
      }
    }),
  )
  for (const change of waiting) run.record(change, 'failed', `not running after ${minutes} min`)
  const running = started.filter((change) => !run.results.has(change))
  if (running.length === 0) return
  const unhealthy = new Set(running)
  await run.waitUntil(minutes, () => look(unhealthy, (ec2, ids) => ec2.instanceHealth(ids), (change, health) => health.ok && unhealthy.delete(change)))
  for (const change of running) {
    if (unhealthy.has(change)) run.record(change, 'failed', `running, but its status checks did not pass within ${minutes} min`)
    else run.record(change, 'done')
  }
}

async function startDatabases(run: Run, changes: PlannedChange[], options: ShutdownRunOptions): Promise<void> {
  const clusters = ofKind(changes, 'aurora-cluster')
  const instances = ofKind(changes, 'rds-instance')
  const accepted: PlannedChange[] = []
  const start = (change: PlannedChange, call: () => Promise<void>) =>
    call().then(
      () => void accepted.push(change),
      (error: Error) => run.record(change, 'failed', `${error.name}: ${error.message}`),
    )
  await Promise.all([
    ...clusters.map((change) => start(change, () => apisOf(options, change).rds.startCluster(change.entry.id))),
    ...instances.map((change) => start(change, () => apisOf(options, change).rds.startInstance(change.entry.id))),
  ])
  if (accepted.length === 0) return
  const waiting = new Set(accepted)
  await run.waitUntil(options.waitMinutes.aurora, async () => {
    await Promise.all(
      [...byRegion([...waiting])].map(async ([region, inRegion]) => {
        const {rds} = apisIn(options.apis, region)
        const [liveClusters, liveInstances] = await Promise.all([
          inRegion.some((change) => change.entry.kind === 'aurora-cluster') ? rds.listClusters() : [],
          inRegion.some((change) => change.entry.kind === 'rds-instance') ? rds.listInstances() : [],
        ])
        const available = new Set([...liveClusters.map((cluster) => `aurora-cluster|${cluster.id}|${cluster.status}`), ...liveInstances.map((instance) => `rds-instance|${instance.id}|${instance.status}`)])
        for (const change of inRegion) if (available.has(`${change.entry.kind}|${change.entry.id}|available`)) waiting.delete(change)
      }),
    )
    return waiting.size === 0
  })
  for (const change of accepted) {
    if (waiting.has(change)) run.record(change, 'failed', `not available after ${options.waitMinutes.aurora} min`)
    else run.record(change, 'done')
  }
}

async function startLedger(run: Run, changes: PlannedChange[], options: ShutdownRunOptions): Promise<void> {
  const services = ofKind(changes, 'ecs-service')
  await Promise.all([
    ...ofKind(changes, 'auto-scaling-group').map((change) => run.act(change, () => apisOf(options, change).autoScaling.updateGroup(change.entry.id, change.entry.prior))),
    ...services.map((change) =>
      run.limitedCall(async () => {
        const apis = apisOf(options, change)
        if (change.entry.prior.scaling) await apis.scaling.updateEcsTarget(change.entry.prior.scaling)
        await apis.ecs.setDesiredCount(change.entry.clusterArn, change.entry.id, change.entry.prior.desiredCount)
      }).catch((error: Error) => run.record(change, 'failed', `${error.name}: ${error.message}`)),
    ),
  ])
  const restored = services.filter((change) => !run.results.has(change))
  if (restored.length === 0) return
  const unstable = new Set(restored.map((change) => `${change.entry.region}|${change.entry.id}`))
  await run.waitUntil(options.waitMinutes.ledger, async () => {
    for (const service of await describeServices(options.apis, restored)) {
      if (service.runningCount === service.desiredCount && service.deployments <= 1) unstable.delete(`${service.region}|${service.arn}`)
    }
    return unstable.size === 0
  })
  for (const change of restored) {
    if (unstable.has(`${change.entry.region}|${change.entry.id}`)) run.record(change, 'failed', `restored to desired ${change.entry.prior.desiredCount}, but not stable within ${options.waitMinutes.ledger} min`)
    else run.record(change, 'done')
  }
}

/**
 * Starts what the manifest recorded as awake, databases first, then Redis, then the ledger
 * service, each tier only once the one before is healthy (Aurora available, Redis master
 * answering, services stable). A tier that does not get healthy holds back the rest of its
 * region: the recovery region's ledger waits for the recovery region's tiers, never the other way.
 */
export async function runStart(plan: ShutdownPlan, options: ShutdownRunOptions): Promise<ResourceResult[]> {
  const run = new Run(plan, options)
  run.manifest.status = 'starting'
  run.manifest.runs.push({runId: options.runId, command: 'start', at: options.clock.now().toISOString(), by: options.by})
  await run.save()

  // A region start could not read has nothing to gate: every change it owes there is blocked.
  const regions = [...byRegion(plan.changes).keys()].filter((region) => !plan.unreadable.some((unread) => unread.region === region))
  const unhealthyTier = new Map<string, Tier>()
  for (const tier of [...TIERS].reverse()) {
    const step = run.step(tier, 'start')
    for (const change of step) {
      const heldBy = unhealthyTier.get(change.entry.region)
      if (heldBy) run.record(change, 'skipped', `not started: the ${TIER_LABEL[heldBy]} tier is not healthy`)
    }
    const due = step.filter((change) => !unhealthyTier.has(change.entry.region))
    if (due.length > 0) {
      options.progress(`starting ${STEP_LABEL[tier]}: ${due.length} resource(s)`)
      const changes = run.failBlocked(due)
      if (tier === 'database') await startDatabases(run, changes, options)
      if (tier === 'redis') await startInstancesAndVerify(run, changes, options.waitMinutes.redis, options)
      if (tier === 'ledger') await startLedger(run, changes, options)
    }
    for (const region of regions.filter((candidate) => !unhealthyTier.has(candidate))) {
      // Only the tier's own resources gate the next one: a bastion that fails to start does not hold back the ledger.
      const healthy =
        due.filter((change) => change.entry.region === region && change.entry.tier === tier).every((change) => run.results.get(change)?.result === 'done') &&
        (tier !== 'redis' || (await redisAnswers(run, plan, region, options)))
      if (!healthy) unhealthyTier.set(region, tier)
    }
    await run.save()
  }

  const results = run.finish()
  if (results.every((result) => result.result !== 'failed' && result.result !== 'skipped')) run.manifest.status = 'started'
  await run.save()
  return results
}

/** The Redis gate of a region: the tier counts as healthy once a Sentinel there names a master that answers. */
async function redisAnswers(run: Run, plan: ShutdownPlan, region: string, options: ShutdownRunOptions): Promise<boolean> {
  const nodes = plan.changes.filter(
    (change) =>
      change.entry.region === region &&
      change.entry.kind === 'ec2-instance' &&
      change.entry.tier === 'redis' &&
      change.entry.prior.state === 'running' &&
      !change.gone &&
      run.results.get(change)?.result !== 'failed',
  )
  if (nodes.length === 0) return true
  let detail = ''
  const answered = await run.waitUntil(options.waitMinutes.redis, async () => {
    const probe = await apisIn(options.apis, region).redis.masterReachable(nodes.map((change) => change.entry.id))
    detail = probe.detail
    return probe.ok
  })
  const where = region === options.apis.region ? '' : ` in ${region}`
  options.progress(answered ? `Redis master reachable${where}: ${detail}` : `Redis master not reachable${where} after ${options.waitMinutes.redis} min: ${detail}`)
  return answered
}
