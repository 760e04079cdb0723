import Table from 'cli-table3'
import {FintechCommand} from '../../cli/base-command.js'
import {openShutdownSession} from '../../cli/shutdown-flow.js'
import {ShutdownCommand} from '../../cli/shutdown-command.js'
import {ExitCode} from '../../core/errors.js'
import {inventoryOfManifest, type RegionError} from '../../core/shutdown/inventory.js'
import {readLock, type LockHolder} from '../../core/shutdown/lock.js'
import type {Manifest} from '../../core/shutdown/manifest.js'
import {latestManifest} from '../../core/shutdown/manifests.js'
import {describePrior, planStart} from '../../core/shutdown/plan.js'
import {nextTransitions, type Transition} from '../../core/shutdown/schedule.js'
import {selectEnvironment} from '../../core/stages/select.js'
import {systemClock} from '../../core/deploy/clock.js'

interface ShutdownStatusResult {
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

export default class ShutdownStatus extends FintechCommand {
  static summary = 'Show an env\'s shutdown state: the lock, the latest manifest, and each recorded resource now.'

  static description = `Reads, changes nothing: who holds the env's shutdown lock, the next scheduled stop and start (from the env's schedule, in its time zone), the latest manifest in the state bucket with its runs, and each resource that manifest recorded: its region and tier, its state before the night, its state now, and whether \`shutdown start\` would restore it. A region that cannot be read shows its resources as unknown.`

  static examples = ['<%= config.bin %> shutdown status --env dev', '<%= config.bin %> shutdown status --env dev --json']

  static flags = {...ShutdownCommand.flags}

  async run(): Promise<ShutdownStatusResult> {
    const {flags} = await this.parse(ShutdownStatus)
    const loaded = this.readConfig(flags.config)
    const {schedule} = selectEnvironment(loaded.config, flags.env)
    const target = this.awsTarget(loaded, flags.env, flags)
    const session = await openShutdownSession(loaded, flags.env, target)
    const [lock, latest] = await Promise.all([readLock(session.apis.store, flags.env), latestManifest(session.apis.store, flags.env)])
    const next = schedule ? nextTransitions(schedule, systemClock.now(), 2) : undefined
    const status: ShutdownStatusResult = {env: flags.env, stateBucket: session.stateBucket, ...(lock ? {lock} : {}), ...(next ? {next} : {}), resources: [], unreadableRegions: []}
    const lines = [`Shutdown status of ${flags.env} (state bucket ${session.stateBucket})`]
    lines.push(next ? `Next: ${next.map((transition) => `${transition.action} ${transition.local}`).join(', ')}` : 'No schedule in the config: stop and start run only by hand')
    lines.push(lock ? `Lock: held by ${lock.command} run ${lock.runId} (${lock.by}) since ${lock.since}, expires ${lock.expires}` : 'Lock: free')

    if (!latest) {
      lines.push('No manifest yet: this env has never been shut down by fintech.')
      return this.deliver({text: lines.join('\n'), exitCode: ExitCode.ok, result: status})
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
    return this.deliver({text: lines.join('\n'), exitCode: ExitCode.ok, result: status})
  }
}
