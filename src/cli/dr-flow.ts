import type {AwsTarget} from '../aws/clients.js'
import type {LoadedConfig} from '../core/config/load.js'
import type {DrApi} from '../core/dr/api.js'
import {drTarget, type DrTarget} from '../core/dr/target.js'
import {openGuardedSession} from './aws-session.js'

/**
 * Reads the env's recovery settings from the config (an env without one stops here, before
 * any AWS call), checks the caller's account, and opens clients in both regions.
 */
export async function openDr(loaded: LoadedConfig, envName: string, aws: AwsTarget): Promise<{target: DrTarget; api: DrApi}> {
  const target = drTarget(loaded, envName)
  await openGuardedSession(loaded, envName, aws)
  const {createDrApi} = await import('../aws/dr.js')
  // Both regions come from the config: a --region flag cannot move where the env and its recovery live.
  return {target, api: await createDrApi(aws, [target.primaryRegion, target.recoveryRegion])}
}
