import {DateTime} from 'luxon'
import {isProductionName} from '../config/schema.js'
import type {Tags} from './api.js'
import type {Tier} from './manifest.js'

export const KEEP_AWAKE_TAG = 'fintech:keep-awake'
export const ENVIRONMENT_TAG = 'Environment'
export const STACK_NAME_TAG = 'aws:cloudformation:stack-name'
export const ASG_NAME_TAG = 'aws:autoscaling:groupName'

/** Who a shutdown run may touch: the env itself, and never a protected env or one tagged prod. */
export interface ShutdownScope {
  env: string
  /** The env's CloudFormation stacks: their resources belong to it even without an Environment tag. */
  stackNames: string[]
  /** Environment tag values that are off limits whatever else a resource says (protected envs, and prod). */
  protectedEnvs: string[]
  /** The env's schedule time zone: a keep-awake date lasts until midnight there. UTC without a schedule. */
  timezone?: string
}

/** Why a resource is left out of a shutdown; undefined when the run may act on it. */
export function exclusionOf(tags: Tags, scope: ShutdownScope, now: Date): string | undefined {
  const environment = tags[ENVIRONMENT_TAG]
  if (environment !== undefined && isProtectedEnv(environment, scope)) return `tagged ${ENVIRONMENT_TAG}=${environment}: never touched`
  if (environment !== undefined && environment !== scope.env) return `tagged ${ENVIRONMENT_TAG}=${environment}, not ${scope.env}`
  return keepAwakeReason(tags[KEEP_AWAKE_TAG], now, scope.timezone)
}

export const isProtectedEnv = (environment: string, scope: ShutdownScope): boolean =>
  isProductionName(environment) || scope.protectedEnvs.includes(environment)

export const belongsToScope = (tags: Tags, scope: ShutdownScope): boolean =>
  tags[ENVIRONMENT_TAG] === scope.env || scope.stackNames.includes(tags[STACK_NAME_TAG] ?? '')

/**
 * `fintech:keep-awake`: any value but "false" keeps a resource running; a date (YYYY-MM-DD)
 * keeps it running through that day in the env's time zone and no longer, so opt-outs cannot
 * be forgotten.
 */
export function keepAwakeReason(value: string | undefined, now: Date, timezone = 'UTC'): string | undefined {
  if (value === undefined || value.trim().toLowerCase() === 'false') return undefined
  const until = /^(\d{4}-\d{2}-\d{2})$/.exec(value.trim())?.[1]
  if (!until) return `${KEEP_AWAKE_TAG}=${value}`
  const day = DateTime.fromISO(until, {zone: timezone})
  if (!day.isValid) return `${KEEP_AWAKE_TAG}=${value} (not a date; kept awake)`
  return now.getTime() < day.plus({days: 1}).toMillis() ? `${KEEP_AWAKE_TAG} until ${until}` : undefined
}

/** Redis nodes carry their bootstrap seed tag (templates/data/data.yaml); everything else on EC2 is the app tier. */
export const instanceTier = (tags: Tags): Tier =>
  tags['fintech:redis-seed'] !== undefined || tags['fintech:tier'] === 'redis' ? 'redis' : 'ledger'
