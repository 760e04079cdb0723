import {randomUUID} from 'node:crypto'
import type {AwsTarget} from '../aws/clients.js'
import type {AuditSink} from '../core/audit/audit-log.js'
import type {LoadedConfig} from '../core/config/load.js'
import {systemClock} from '../core/deploy/clock.js'
import type {CallerIdentity} from '../core/deploy/api.js'
import type {ShutdownApis} from '../core/shutdown/api.js'
import {assertNotProtectedAccount, assertShutdownAllowed, redisMasterStack, scopeOf, stateBucketOf} from '../core/shutdown/scope.js'
import {openGuardedSession} from './aws-session.js'
import {regionTargets} from './stack-regions.js'

/** The template's default master name, for an env whose data stack does not say. */
const DEFAULT_REDIS_MASTER = 'fintech-ledger'

export interface ShutdownSession {
  caller: CallerIdentity
  audit: AuditSink
  apis: ShutdownApis
  stateBucket: string
  scope: ReturnType<typeof scopeOf>
}

/**
 * Everything a shutdown command needs, after the guards: the env is not protected, the
 * credentials are the env's account and not a protected env's, then the AWS clients.
 */
export async function openShutdownSession(loaded: LoadedConfig, envName: string, target: AwsTarget): Promise<ShutdownSession> {
  const {config} = loaded
  assertShutdownAllowed(config, envName, {file: loaded.file, line: loaded.lineOf(['environments', envName, 'protected'])})
  const session = await openGuardedSession(loaded, envName, target)
  assertNotProtectedAccount(config, envName, session.caller.account)
  const env = config.environments[envName]!
  const stateBucket = stateBucketOf(config, envName)
  const [{createShutdownApis}, redisMasterName] = await Promise.all([import('../aws/shutdown.js'), readRedisMasterName(loaded, envName, target)])
  const redisProbeDocument = process.env.FINTECH_REDIS_PROBE_DOCUMENT || undefined
  // The recovery region is searched and acted on as well, with the same credentials; the state bucket stays in the env's region.
  const [recovery] = [...regionTargets(env, target).values()].filter((regionTarget) => regionTarget.region !== target.region)
  const apis = await createShutdownApis(target, {stateBucket, ownerAccount: env.account, redisMasterName, ...(redisProbeDocument ? {redisProbeDocument} : {}), ...(recovery ? {recovery} : {})})
  return {...session, apis, stateBucket, scope: scopeOf(config, envName)}
}

async function readRedisMasterName(loaded: LoadedConfig, envName: string, target: AwsTarget): Promise<string> {
  const stackName = redisMasterStack(loaded.config, envName)
  if (!stackName) return DEFAULT_REDIS_MASTER
  const {createStackApi} = await import('../aws/cloudformation.js')
  const stack = await (await createStackApi(target)).describeStack(stackName)
  return stack?.outputs.RedisMasterName ?? DEFAULT_REDIS_MASTER
}

export const newRunId = (): string => `${systemClock.now().toISOString().replace(/[-:]/g, '').replace(/\..*/, 'Z')}-${randomUUID().slice(0, 8)}`
