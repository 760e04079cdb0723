import type {FintechConfig} from '../config/schema.js'
import {InputError} from '../errors.js'
import {isProtectedEnv, selectEnvironment} from '../config/env.js'
import {stackNameById, stackNameOf, stacksFor} from '../stages/select.js'
import type {ShutdownScope} from './eligibility.js'

/** The env's resources for a shutdown: its Environment tag and every stack of every stage it deploys. */
export function scopeOf(config: FintechConfig, env: string): ShutdownScope {
  return {
    env,
    stackNames: config.stages.flatMap((stage) => stacksFor(stage, env).map((stack) => stackNameOf(config, env, stage, stack))),
    protectedEnvs: Object.entries(config.environments)
      .filter(([, candidate]) => candidate.protected)
      .map(([name]) => name),
    ...(config.environments[env]?.schedule ? {timezone: config.environments[env].schedule.timezone} : {}),
  }
}

/**
 * Guards that hold whatever the flags: a protected env is never shut down, and neither is
 * anything reached with credentials of a protected env's account (a mislabelled config).
 */
export function assertShutdownAllowed(config: FintechConfig, env: string, where?: {file: string; line?: number}): void {
  if (isProtectedEnv(config, env)) {
    throw new InputError(`${env} is a protected environment${where?.line ? ` (${where.file} line ${where.line})` : ''}: fintech shutdown never acts on it`)
  }
}

export function assertNotProtectedAccount(config: FintechConfig, env: string, callerAccount: string): void {
  const owner = Object.entries(config.environments).find(([name, candidate]) => candidate.protected && candidate.account === callerAccount && name !== env)
  if (owner) {
    throw new InputError(`refusing to shut down ${env}: the credentials are for account ${callerAccount}, the account of protected environment ${owner[0]}`)
  }
}

/** The stack whose output names the Redis master (the data stage's), as the config wires it. */
export function redisMasterStack(config: FintechConfig, env: string): string | undefined {
  for (const stage of config.stages) {
    for (const stack of stacksFor(stage, env)) {
      for (const value of Object.values(stack.parameters)) {
        if (typeof value !== 'object' || !('stackOutput' in value) || !value.stackOutput.endsWith('.RedisMasterName')) continue
        const source = stackNameById(config, env, value.stackOutput.split('.')[0]!)
        if (source) return source
      }
    }
  }
  return undefined
}

/** The bucket of an env's shutdown manifests and lock: shutdown.stateBucket, else the artifact bucket, in the env's own region. */
export function stateBucketOf(config: FintechConfig, env: string): string {
  const {account, region} = selectEnvironment(config, env)
  return (config.shutdown.stateBucket ?? config.artifactBucket).replaceAll('{account}', account).replaceAll('{region}', region)
}
