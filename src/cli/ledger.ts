import {setTimeout as sleep} from 'node:timers/promises'
import {resolveEnv, type ResolvedEnv, type TargetFlags} from '../core/config/env.js'
import type {LoadedConfig} from '../core/config/load.js'
import {ExitCode} from '../core/errors.js'
import type {LedgerApi} from '../core/ledger/api.js'
import {ledgerResources, locateLedgerStacks, type LedgerResources} from '../core/ledger/stacks.js'
import {readLedgerStatus, type LedgerStatus} from '../core/ledger/status.js'
import {createLedgerDisplay} from '../ui/ledger-display.js'
import {showsLiveView} from '../ui/terminal.js'
import {renderLedgerStatus} from '../ui/ledger.js'
import {openGuardedSession, withInterrupt} from './aws-session.js'
import type {CommandIO, Outcome} from './command-io.js'

export {DEFAULT_THRESHOLDS, type LedgerStatus} from '../core/ledger/status.js'


export interface LedgerTarget {
  resources: LedgerResources
  api: LedgerApi
}

/**
 * Finds the env's compute and data stacks in the config (a config problem stops here, before
 * any AWS call), checks the caller's account, and reads where the ledger's resources are
 * from the stacks' outputs.
 */
export async function openLedger(loaded: LoadedConfig, env: ResolvedEnv): Promise<LedgerTarget> {
  const envName = env.name
  const aws = env.target
  const stacks = locateLedgerStacks(loaded, envName)
  await openGuardedSession(loaded, env, aws)
  const {createStackApi} = await import('../aws/cloudformation.js')
  const stackApi = await createStackApi(aws)
  const [compute, data] = await Promise.all([stackApi.describeStack(stacks.compute.stackName), stackApi.describeStack(stacks.data.stackName)])
  const resources = ledgerResources(envName, stacks, compute, data)
  const {createLedgerApi} = await import('./ledger-adapters.js')
  return {resources, api: await createLedgerApi(aws)}
}

const isAbort = (error: unknown) => (error as {name?: string}).name === 'AbortError'

/**
 * Reads and shows the status every `intervalSeconds` until Ctrl-C, and returns the last one.
 * A Ctrl-C during a read lets it finish and be shown; a failed read ends the watch with its error.
 */
export async function watchLedger(read: () => Promise<LedgerStatus>, show: (status: LedgerStatus) => void, intervalSeconds: number): Promise<LedgerStatus> {
  return withInterrupt(async ({signal}) => {
    let status = await read()
    show(status)
    while (!signal.aborted) {
      await sleep(intervalSeconds * 1000, undefined, {signal}).catch((error: unknown) => {
        if (!isAbort(error)) throw error
      })
      if (signal.aborted) break
      status = await read()
      show(status)
    }
    return status
  })
}

/**
 * `fintech ledger status`: one read, shown as a dashboard on a terminal; with --watch a read
 * every --interval seconds until Ctrl-C, each shown as it comes (so nothing is left to deliver).
 */
export async function ledgerStatusCommand(
  loaded: LoadedConfig,
  flags: TargetFlags & {env: string; watch: boolean; interval: number; 'max-5xx-percent': number; 'max-p99-ms': number; 'max-replica-lag-ms': number},
  io: CommandIO,
): Promise<Outcome<LedgerStatus | undefined>> {
  const ledger = await openLedger(loaded, resolveEnv(loaded, flags.env, flags))
  const thresholds = {maxErrorRate: flags['max-5xx-percent'] / 100, maxP99Ms: flags['max-p99-ms'], maxReplicaLagMs: flags['max-replica-lag-ms']}
  const read = () => readLedgerStatus(ledger.api, ledger.resources, {now: new Date(), thresholds})

  const exitCode = (status: LedgerStatus) => (status.healthy ? ExitCode.ok : ExitCode.failed)

  if (!flags.watch) {
    const status = await read()
    if (!showsLiveView(process.stdout, io)) return {text: renderLedgerStatus(status), exitCode: exitCode(status), result: status}
    const dashboard = await createLedgerDisplay({stdout: process.stdout, json: false})
    dashboard.show(status)
    await dashboard.close()
    return {exitCode: exitCode(status), result: status}
  }

  const display = await createLedgerDisplay({stdout: process.stdout, json: io.json, intervalSeconds: flags.interval})
  let last: LedgerStatus
  try {
    last = await watchLedger(read, (status) => display.show(status), flags.interval)
  } finally {
    await display.close()
  }
  // Each refresh was printed as it came: oclif must not print the last one again under --json.
  return {exitCode: exitCode(last), result: undefined}
}
