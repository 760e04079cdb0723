import type {ResolvedEnv} from '../config/env.js'
import type {FintechConfig} from '../config/schema.js'
import {InputError} from '../errors.js'
import {stackNameOf, stacksFor} from '../stages/select.js'
import type {ShutdownScope} from './eligibility.js'

/** The env's resources for a shutdown: its Environment tag and every stack of every stage it deploys. */
export function scopeOf(config: FintechConfig, env: ResolvedEnv): ShutdownScope {
  const {schedule} = env.config
  return {
    env: env.name,
    stackNames: config.stages.flatMap((stage) => stacksFor(stage, env.name).map((stack) => stackNameOf(config, env.name, stage, stack))),
    protectedEnvs: Object.entries(config.environments)
      .filter(([, candidate]) => candidate.protected)
      .map(([name]) => name),
    ...(schedule ? {timezone: schedule.timezone} : {}),
  }
}

/**
 * Guards that hold whatever the flags: a protected env is never shut down, and neither is
 * anything reached with credentials of a protected env's account (a mislabelled config).
 */
export function assertShutdownAllowed(env: ResolvedEnv, where?: {file: string; line?: number}): void {
  if (env.protected) {
    throw new InputError(`${env.name} is a protected environment${where?.line ? ` (${where.file} line ${where.line})` : ''}: fintech shutdown never acts on it`)
  }
}

export function assertNotProtectedAccount(config: FintechConfig, env: ResolvedEnv, callerAccount: string): void {
  const owner = Object.entries(config.environments).find(([name, candidate]) => candidate.protected && candidate.account === callerAccount && name !== env.name)
  if (owner) {
    throw new InputError(`refusing to shut down ${env.name}: the credentials are for account ${callerAccount}, the account of protected environment ${owner[0]}`)
  }
}

/** The bucket of an env's shutdown manifests and lock: shutdown.stateBucket, else the artifact bucket, in the env's own region. */
export function stateBucketOf(config: FintechConfig, env: ResolvedEnv): string {
  const {account, region} = env
  return (config.shutdown.stateBucket ?? config.artifactBucket).replaceAll('{account}', account).replaceAll('{region}', region)
}
