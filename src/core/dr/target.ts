import type {ResolvedEnv} from '../config/env.js'
import type {LoadedConfig} from '../config/load.js'
import {InputError} from '../errors.js'
import {stackNameOf, stacksFor} from '../stages/select.js'

/** Where an env's DR lives: both regions, its targets, and the primary-region stacks whose outputs name the resources. */
export interface DrTarget {
  env: string
  account: string
  primaryRegion: string
  recoveryRegion: string
  rpoSeconds: number
  rtoMinutes: number
  stacks: {foundation: string; data: string; compute: string}
}

const STAGES = ['foundation', 'data', 'compute'] as const

/** Reads the env's recovery settings and its stacks from the config: no AWS call. */
export function drTarget(loaded: LoadedConfig, environment: ResolvedEnv): DrTarget {
  const env = environment.name
  const {recovery} = environment.config
  if (!recovery) {
    throw new InputError(
      `${loaded.file}: environments.${env}.recovery is not set, so ${env} has no recovery region to report on`,
      `give it one: environments.${env}.recovery.region (docs/dr.md)`,
    )
  }
  const stackOf = (stageName: (typeof STAGES)[number]): string => {
    const stage = loaded.config.stages.find((candidate) => candidate.name === stageName)
    // The stage's recovery-region stacks (baseline-recovery, compute-recovery…) sit beside the one whose outputs are read.
    const stacks = stage ? stacksFor(stage, env).filter((stack) => stack.region === 'primary') : []
    if (!stage || stacks.length !== 1) throw new InputError(`${loaded.file}: ${env} needs exactly one primary-region stack in a stage named ${stageName} for DR (it has ${stacks.length})`)
    return stackNameOf(loaded.config, env, stage, stacks[0]!)
  }
  return {
    env,
    account: environment.account,
    primaryRegion: environment.region,
    recoveryRegion: recovery.region,
    rpoSeconds: recovery.rpoSeconds,
    rtoMinutes: recovery.rtoMinutes,
    stacks: {foundation: stackOf('foundation'), data: stackOf('data'), compute: stackOf('compute')},
  }
}
