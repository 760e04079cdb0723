import type {LoadedConfig} from '../config/load.js'
import {InputError} from '../errors.js'
import {selectEnvironment} from '../config/env.js'
import type {Runbook} from './schema.js'

/**
 * The region a runbook's steps call AWS in: `envRegion` (the env's, or --region), or for a
 * runbook with `region: recovery` the env's recovery region, so a failover still runs when the
 * env's own region does not answer. Checked before any AWS call.
 */
export function runbookRegion(runbook: Pick<Runbook, 'name' | 'region'>, loaded: LoadedConfig, env: string, envRegion: string): string {
  if (runbook.region === 'env') return envRegion
  const recovery = selectEnvironment(loaded.config, env).recovery
  if (!recovery) {
    throw new InputError(
      `runbook ${runbook.name} calls AWS in the env's recovery region (region: recovery), but ${loaded.file}: environments.${env}.recovery is not set`,
      `give ${env} a recovery region (environments.${env}.recovery.region, docs/dr.md)`,
    )
  }
  return recovery.region
}
