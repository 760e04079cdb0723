import {setTimeout as sleep} from 'node:timers/promises'
import type {AwsTarget} from '../aws/clients.js'
import type {LoadedConfig} from '../core/config/load.js'
import type {LedgerApi} from '../core/ledger/api.js'
import {ledgerResources, locateLedgerStacks, type LedgerResources} from '../core/ledger/stacks.js'
import type {LedgerStatus} from '../core/ledger/status.js'
import {openGuardedSession, withInterrupt} from './aws-session.js'

export interface LedgerTarget {
  resources: LedgerResources
  api: LedgerApi
}

/**
 * Finds the env's compute and data stacks in the config (a config problem stops here, before
 * any AWS call), checks the caller's account, and reads where the ledger's resources are
 * from the stacks' outputs.
 */
export async function openLedger(loaded: LoadedConfig, envName: string, aws: AwsTarget): Promise<LedgerTarget> {
  const stacks = locateLedgerStacks(loaded, envName)
  await openGuardedSession(loaded, envName, aws)
  const {createStackApi} = await import('../aws/cloudformation.js')
  const stackApi = await createStackApi(aws)
  const [compute, data] = await Promise.all([stackApi.describeStack(stacks.compute.stackName), stackApi.describeStack(stacks.data.stackName)])
  const resources = ledgerResources(envName, stacks, compute, data)
  const {createLedgerApi} = await import('../aws/ledger.js')
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
