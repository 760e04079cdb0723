import {InputError} from '../errors.js'
import type {LoadedConfig} from './load.js'
import type {EnvironmentConfig} from './schema.js'

/**
 * How long one attempt of a call may wait on AWS before it counts as failed and the SDK
 * tries again (a timeout is retried like throttling).
 */
export interface AwsTimeouts {
  /** Establishing the TCP connection to the endpoint. */
  connectTimeoutMs?: number
  /** From sending the request to the response's headers, and the longest silence while its body arrives. */
  requestTimeoutMs?: number
}

/** Where and as whom the CLI talks to AWS. */
export interface AwsTarget {
  region: string
  profile?: string
  /** The config file's `aws` timeouts; the FINTECH_AWS_*_TIMEOUT_MS variables win over them. */
  timeouts?: AwsTimeouts
}

/** The flags that point a command elsewhere than the env's own account settings. */
export interface TargetFlags {
  profile?: string
  region?: string
}

/**
 * One environment as a command acts on it, resolved once from the config and the flags:
 * `region` and `profile` are the env's own (where its stacks live), `target` is where this
 * run talks to AWS (the flags win).
 */
export interface ResolvedEnv {
  name: string
  account: string
  region: string
  profile?: string
  /** As the config resolved it: explicitly, or by a production name (config/schema.ts). */
  protected: boolean
  tags: Record<string, string>
  target: AwsTarget
  /** The whole config entry, for what the fields above leave out (schedule, recovery, values). */
  config: EnvironmentConfig
}

/** Refuses an env the config does not declare, naming the ones it does. */
export function resolveEnv(loaded: LoadedConfig, name: string, flags: TargetFlags = {}): ResolvedEnv {
  const env = loaded.config.environments[name]
  if (!env) throw new InputError(`unknown environment "${name}" (--env): use one of ${Object.keys(loaded.config.environments).join(', ')}`)
  return {
    name,
    account: env.account,
    region: env.region,
    profile: env.profile,
    protected: env.protected,
    tags: env.tags,
    target: {region: flags.region ?? env.region, profile: flags.profile ?? env.profile, timeouts: loaded.config.aws},
    config: env,
  }
}
