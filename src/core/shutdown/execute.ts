import type {ShutdownScope} from './eligibility.js'
import {discoverInventory, inventoryOfManifest, type RegionError} from './inventory.js'
import {acquireLock} from './lock.js'
import {nextManifestKey, openManifest} from './manifests.js'
import {planStart, planStop, type SkippedResource} from './plan.js'
import {dryRunResults, runStart, runStop, type ResourceResult, type ShutdownRunOptions} from './run.js'

export interface ShutdownRequest extends ShutdownRunOptions {
  action: 'stop' | 'start'
  scope: ShutdownScope
  account: string
  region: string
  /** Names a new manifest: the local date of tonight in the env's schedule. */
  night: string
  dryRun: boolean
  lockTtlMinutes: number
}

export interface ShutdownOutcome {
  env: string
  action: 'stop' | 'start'
  dryRun: boolean
  /** The manifest written (or, in a dry run, that would be); absent when start found none. */
  manifestKey?: string
  /** stop: this run opened a new shutdown period rather than adding to an open one. */
  newPeriod: boolean
  results: ResourceResult[]
  skipped: SkippedResource[]
  /** Regions of the env this run could not read (its recovery region): nothing there was stopped or started. */
  unreadableRegions: RegionError[]
  /** Set when there was nothing to do and why, e.g. start without an open period. */
  nothingToDo?: string
}

/**
 * One shutdown run: under the env's lock (not taken by a dry run, which changes nothing),
 * read the open manifest, look at the account, plan, act.
 */
export async function executeShutdown(request: ShutdownRequest): Promise<ShutdownOutcome> {
  const {apis, scope, action} = request
  const lock = request.dryRun
    ? undefined
    : await acquireLock(apis.store, scope.env, {runId: request.runId, command: action, by: request.by, now: request.clock.now(), ttlMinutes: request.lockTtlMinutes})
  try {
    const open = await openManifest(apis.store, scope.env)
    const empty = {env: scope.env, action, dryRun: request.dryRun, newPeriod: false, results: [], skipped: [], unreadableRegions: []}
    if (action === 'start' && !open) return {...empty, nothingToDo: `no open shutdown period for ${scope.env}: nothing was stopped, so nothing is started`}
    const plan =
      action === 'stop'
        ? planStop(await discoverInventory(apis, scope), {
            scope,
            now: request.clock.now(),
            night: request.night,
            newManifestKey: await nextManifestKey(apis.store, scope.env, request.night),
            account: request.account,
            region: request.region,
            open,
          })
        : planStart(open!, await inventoryOfManifest(apis, open!.manifest), scope, request.clock.now())
    const outcome = {...empty, manifestKey: plan.manifestKey, newPeriod: plan.newPeriod, skipped: plan.skipped, unreadableRegions: plan.unreadable}
    if (request.dryRun) return {...outcome, results: dryRunResults(plan)}
    const options = lock ? {...request, heartbeat: () => lock.renew(request.clock.now())} : request
    const results = action === 'stop' ? await runStop(plan, options) : await runStart(plan, options)
    return {...outcome, results}
  } finally {
    // A failed release must not hide the run's own outcome or error: the lock expires on its own.
    await lock?.release().catch((error: Error) => request.progress(`could not release the lock (${error.message}); it expires at ${lock.holder.expires}`))
  }
}
