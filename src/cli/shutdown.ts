import {randomUUID} from 'node:crypto'
import type {AuditSink} from '../core/audit/audit-log.js'
import Table from 'cli-table3'
import {resolveEnv, type ResolvedEnv, type TargetFlags} from '../core/config/env.js'
import type {LoadedConfig} from '../core/config/load.js'
import {systemClock} from '../core/clock.js'
import type {CallerIdentity} from '../core/deploy/api.js'
import {ExitCode} from '../core/errors.js'
import type {ShutdownApis} from '../core/shutdown/api.js'
import {inventoryOfManifest, type RegionError} from '../core/shutdown/inventory.js'
import {readLock, type LockHolder} from '../core/shutdown/lock.js'
import type {Manifest} from '../core/shutdown/manifest.js'
import {latestManifest} from '../core/shutdown/manifests.js'
import {describePrior, planStart} from '../core/shutdown/plan.js'
import {nextTransitions, type Transition} from '../core/shutdown/schedule.js'
import {assertNotProtectedAccount, assertShutdownAllowed, scopeOf, stateBucketOf} from '../core/shutdown/scope.js'
import {openGuardedSession} from './aws-session.js'
import type {Outcome} from './command-io.js'
import {regionTargets} from './stack-regions.js'

export interface ShutdownSession {
  caller: CallerIdentity
  audit: AuditSink
  apis: ShutdownApis
  stateBucket: string
  scope: ReturnType<typeof scopeOf>
}

/**
 * Everything a shutdown command needs, after the guards: the env is not protected, the
 * credentials are the env's account and not a protected env's, then the AWS clients.
 */
export async function openShutdownSession(loaded: LoadedConfig, env: ResolvedEnv): Promise<ShutdownSession> {
  const {config} = loaded
  const {target} = env
  assertShutdownAllowed(env, {file: loaded.file, line: loaded.lineOf(['environments', env.name, 'protected'])})
  const session = await openGuardedSession(loaded, env, target)
  assertNotProtectedAccount(config, env, session.caller.account)
  const stateBucket = stateBucketOf(config, env)
  const [{createShutdownApis}, redisMasterName] = await Promise.all([
    import('./shutdown-adapters.js'),
    import('./redis-stack.js').then(({readRedisMasterName}) => readRedisMasterName(config, env, target)),
  ])
  const redisProbeDocument = process.env.FINTECH_REDIS_PROBE_DOCUMENT || undefined
  // The recovery region is searched and acted on as well, with the same credentials; the state bucket stays in the env's region.
  const [recovery] = [...regionTargets(env.config, target).values()].filter((regionTarget) => regionTarget.region !== target.region)
  const apis = await createShutdownApis(target, {stateBucket, ownerAccount: env.account, redisMasterName, ...(redisProbeDocument ? {redisProbeDocument} : {}), ...(recovery ? {recovery} : {})})
  return {...session, apis, stateBucket, scope: scopeOf(config, env)}
}

export const newRunId = (): string => `${systemClock.now().toISOString().replace(/[-:]/g, '').replace(/\..*/, 'Z')}-${randomUUID().slice(0, 8)}`

export interface ShutdownStatusResult {
  env: string
  stateBucket: string
  lock?: LockHolder
  /** The next scheduled runs, in the schedule's time zone; absent without a schedule. */
  next?: Transition[]
  manifest?: {key: string; night: string; status: Manifest['status']; runs: Manifest['runs']}
  /** Each recorded resource: its state before the night, now, and whether start would change it. */
  resources: Array<{kind: string; id: string; region: string; tier: string; before: string; now: string; awaitsStart: boolean; note?: string}>
  /** Regions of the env whose resources could not be read now (shown as unknown). */
  unreadableRegions: RegionError[]
}

/** `fintech shutdown status`: the lock, the next scheduled runs, and what the last night stopped against what runs now. */
export async function shutdownStatusCommand(loaded: LoadedConfig, flags: TargetFlags & {env: string}): Promise<Outcome<ShutdownStatusResult>> {
  const env = resolveEnv(loaded, flags.env, flags)
  const {schedule} = env.config
  const session = await openShutdownSession(loaded, env)
  const [lock, latest] = await Promise.all([readLock(session.apis.store, flags.env), latestManifest(session.apis.store, flags.env)])
  const next = schedule ? nextTransitions(schedule, systemClock.now(), 2) : undefined
  const status: ShutdownStatusResult = {env: flags.env, stateBucket: session.stateBucket, ...(lock ? {lock} : {}), ...(next ? {next} : {}), resources: [], unreadableRegions: []}
  const lines = [`Shutdown status of ${flags.env} (state bucket ${session.stateBucket})`]
  lines.push(next ? `Next: ${next.map((transition) => `${transition.action} ${transition.local}`).join(', ')}` : 'No schedule in the config: stop and start run only by hand')
  lines.push(lock ? `Lock: held by ${lock.command} run ${lock.runId} (${lock.by}) since ${lock.since}, expires ${lock.expires}` : 'Lock: free')

  if (!latest) {
    lines.push('No manifest yet: this env has never been shut down by fintech.')
    return {text: lines.join('\n'), exitCode: ExitCode.ok, result: status}
  }
  const {manifest, key} = latest
  status.manifest = {key, night: manifest.night, status: manifest.status, runs: manifest.runs}
  lines.push(`Manifest: s3://${session.stateBucket}/${key} (night ${manifest.night}, ${manifest.status}${latest.open ? ', open' : ', closed'})`)
  for (const entry of manifest.runs) lines.push(`  ${entry.at}  ${entry.command.padEnd(5)}  run ${entry.runId}  by ${entry.by}`)

  const restore = planStart({key, manifest}, await inventoryOfManifest(session.apis, manifest), session.scope, systemClock.now())
  const table = new Table({head: ['Region', 'Tier', 'Kind', 'Id', 'Before the night', 'Now', 'Start would'], style: {head: [], border: [], compact: true}})
  for (const change of restore.changes) {
    const before = describePrior(change.entry)
    status.resources.push({
      kind: change.entry.kind,
      id: change.entry.id,
      region: change.entry.region,
      tier: change.entry.tier,
      before,
      now: change.current,
      awaitsStart: change.op === 'start',
      ...(change.note ? {note: change.note} : {}),
    })
    table.push([change.entry.region, change.entry.tier, change.entry.kind, change.entry.id.split('/').pop()!, before, change.current, change.op === 'start' ? `restore (${change.target})` : change.note ?? ''])
  }
  lines.push(table.toString())
  status.unreadableRegions = restore.unreadable
  for (const {region, error} of restore.unreadable) lines.push(`Could not read ${region} (${error}): its resources show as unknown`)
  return {text: lines.join('\n'), exitCode: ExitCode.ok, result: status}
}
