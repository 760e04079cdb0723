import type {ResolvedEnv} from '../config/env.js'
import {InputError} from '../errors.js'
import type {Runbook} from './schema.js'

/**
 * The region a runbook's steps call AWS in: the env's target region (its own, or --region), or for a
 * runbook with `region: recovery` the env's recovery region, so a failover still runs when the
 * env's own region does not answer. Checked before any AWS call.
 */
export function runbookRegion(runbook: Pick<Runbook, 'name' | 'region'>, configFile: string, env: ResolvedEnv): string {
  if (runbook.region === 'env') return env.target.region
  const {recovery} = env.config
  if (!recovery) {
    throw new InputError(
      `runbook ${runbook.name} calls AWS in the env's recovery region (region: recovery), but ${configFile}: environments.${env.name}.recovery is not set`,
      `give ${env.name} a recovery region (environments.${env.name}.recovery.region, docs/dr.md)`,
    )
  }
  return recovery.region
}
