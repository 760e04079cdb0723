import {resolveEnv, type ResolvedEnv, type TargetFlags} from '../core/config/env.js'
import type {LoadedConfig} from '../core/config/load.js'
import type {DrApi} from '../core/dr/api.js'
import {readDrStatus, type DrStatus} from '../core/dr/status.js'
import {drTarget, type DrTarget} from '../core/dr/target.js'
import {ExitCode} from '../core/errors.js'
import {renderDrStatus} from '../ui/dr.js'
import {openGuardedSession} from './aws-session.js'
import type {Outcome} from './command-io.js'

export type {DrStatus} from '../core/dr/status.js'

/**
 * Reads the env's recovery settings from the config (an env without one stops here, before
 * any AWS call), checks the caller's account, and opens clients in both regions.
 */
export async function openDr(loaded: LoadedConfig, env: ResolvedEnv): Promise<{target: DrTarget; api: DrApi}> {
  const target = drTarget(loaded, env)
  const aws = env.target
  await openGuardedSession(loaded, env, aws)
  const {createDrApi} = await import('./dr-adapters.js')
  // Both regions come from the config: a --region flag cannot move where the env and its recovery live.
  return {target, api: await createDrApi(aws, [target.primaryRegion, target.recoveryRegion])}
}

const EXIT_CODES = {ok: ExitCode.ok, 'out-of-bounds': ExitCode.failed, unreadable: ExitCode.partial} as const

/** `fintech dr status`: the env's readiness to fail over, read in both regions. */
export async function drStatusCommand(loaded: LoadedConfig, flags: TargetFlags & {env: string}): Promise<Outcome<DrStatus>> {
  const {target, api} = await openDr(loaded, resolveEnv(loaded, flags.env, flags))
  const status = await readDrStatus(api, target, new Date())
  return {text: renderDrStatus(status), exitCode: EXIT_CODES[status.state], result: status}
}
