import {DEFAULT_MASTER_NAME} from '../core/redis/api.js'
import {existsSync} from 'node:fs'
import {userInfo} from 'node:os'
import type {AwsTarget} from '../aws/clients.js'
import {auditLogPath, jsonlAuditSink, type AuditSink} from '../core/audit/audit-log.js'
import type {LoadedConfig} from '../core/config/load.js'
import {ExitCode, FintechError, InputError} from '../core/errors.js'
import {addressOf, parseEndpoint, type RedisConnector, type RedisEndpoint} from '../core/redis/api.js'
import type {FailoverEvent} from '../core/redis/failover.js'
import type {NodeShell, RedisNode} from '../core/redis/patch.js'
import {resolveEnv} from '../core/config/env.js'
import {openGuardedSession} from './aws-session.js'
import {createRedisConnector} from './redis-connector.js'
import {describeRedisStack} from './redis-stack.js'
import {startSsmForwards} from './ssm-forward.js'

export interface RedisFlags {
  config: string
  profile?: string
  region?: string
  env?: string
  sentinel?: string[]
  'master-name'?: string
  'via-ssm': boolean
}

/** The data stack's outputs this command reads (templates/data/data.yaml, Outputs). */
export interface RedisStackOutputs {
  stackName: string
  instanceIds: string[]
  nodes: RedisEndpoint[]
  backupBucket?: string
  authSecretArn?: string
}

export interface RedisTarget {
  env?: string
  /** The env is protected (prod): mutations need approval. */
  protected: boolean
  masterName: string
  sentinels: RedisEndpoint[]
  stack?: RedisStackOutputs
  aws?: AwsTarget
  connector: RedisConnector
  audit: AuditSink
  /** Who acts: the STS caller, or the OS user for a --sentinel setup without AWS. */
  caller: string
  close(): void
}

const list = (value: string | undefined) => (value ?? '').split(',').map((item) => item.trim()).filter(Boolean)

/**
 * Resolves where the Redis tier is, its password, and how to reach it: the data stack's
 * outputs for --env (after the STS account guard), or --sentinel for other setups.
 */
export async function openRedisTarget(flags: RedisFlags, loadConfig: (path: string) => LoadedConfig): Promise<RedisTarget> {
  if (!flags.env && !flags.sentinel?.length) throw new InputError('say where the Redis tier is: --env <name> (the data stack\'s outputs) or --sentinel host:port (repeat)')
  const sentinelFlags = (flags.sentinel ?? []).map((text) => parseEndpoint(text, '--sentinel'))
  const loaded = flags.env || existsSync(flags.config) ? loadConfig(flags.config) : undefined

  if (!flags.env) {
    if (flags['via-ssm']) throw new InputError('--via-ssm needs --env: the instances to forward through come from the data stack')
    const user = userInfo().username
    return {
      protected: false,
      masterName: flags['master-name'] ?? DEFAULT_MASTER_NAME,
      sentinels: sentinelFlags,
      connector: createRedisConnector({password: process.env.REDISCLI_AUTH || undefined}),
      audit: jsonlAuditSink(auditLogPath(loaded?.config.audit.path), () => `os-user:${user}`),
      caller: `os-user:${user}`,
      close: () => undefined,
    }
  }

  const envName = flags.env
  const environment = resolveEnv(loaded!, envName, flags)
  const aws = environment.target
  const {caller, audit} = await openGuardedSession(loaded!, environment, aws)
  const found = await describeRedisStack(loaded!.config, envName, aws)
  if (!found) throw new InputError(`${loaded!.file}: no stack of ${envName} is wired to a RedisMasterName output; use --sentinel host:port instead`)
  const {stackName, stack} = found
  if (!stack) throw new FintechError(`the data stack ${stackName} of ${envName} does not exist: deploy it first (fintech deploy --stage data --env ${envName})`)
  const outputs = stack.outputs
  const stackOutputs: RedisStackOutputs = {
    stackName,
    instanceIds: list(outputs.RedisInstanceIds),
    nodes: list(outputs.RedisNodeAddresses).map((text) => parseEndpoint(text, `${stackName} output RedisNodeAddresses`)),
    ...(outputs.RedisBackupBucketName ? {backupBucket: outputs.RedisBackupBucketName} : {}),
    ...(outputs.RedisAuthSecretArn ? {authSecretArn: outputs.RedisAuthSecretArn} : {}),
  }
  const sentinels = sentinelFlags.length > 0 ? sentinelFlags : list(outputs.RedisSentinelAddresses).map((text) => parseEndpoint(text, `${stackName} output RedisSentinelAddresses`))
  if (sentinels.length === 0) throw new FintechError(`the data stack ${stackName} has no RedisSentinelAddresses output; pass --sentinel host:port`)

  let password = process.env.REDISCLI_AUTH || undefined
  if (!password && stackOutputs.authSecretArn) {
    const {readSecretString} = await import('../aws/secrets.js')
    password = await readSecretString(aws, stackOutputs.authSecretArn)
  }

  let forwards: Awaited<ReturnType<typeof startSsmForwards>> | undefined
  if (flags['via-ssm']) {
    const targets = stackOutputs.nodes.flatMap((node, index) => {
      const instanceId = stackOutputs.instanceIds[index]
      if (!instanceId) return []
      const sentinel = sentinels.find((candidate) => candidate.host === node.host)
      return [{instanceId, endpoint: node}, ...(sentinel ? [{instanceId, endpoint: sentinel}] : [])]
    })
    forwards = await startSsmForwards(targets, aws)
  }
  return {
    env: envName,
    protected: environment.protected,
    masterName: flags['master-name'] ?? outputs.RedisMasterName ?? DEFAULT_MASTER_NAME,
    sentinels,
    stack: stackOutputs,
    aws,
    connector: createRedisConnector({password, ...(forwards ? {forwards: forwards.map} : {})}),
    audit,
    caller: caller.arn,
    close: () => forwards?.close(),
  }
}

/** Commands that act on instances (backup, restore, patch) need the data stack's instance ids. */
export function requireStack(target: RedisTarget, flag: string): RedisStackOutputs & {aws: AwsTarget} {
  if (!target.stack || !target.aws) throw new InputError(`${flag} acts on the Redis instances through SSM: pass --env <name> so their ids come from the data stack`)
  return {...target.stack, aws: target.aws}
}

/** The data stack's nodes with their instances (RedisNodeAddresses and RedisInstanceIds are in the same order). */
export function stackNodes(stack: RedisStackOutputs): RedisNode[] {
  return stack.nodes.flatMap((node, index) => (stack.instanceIds[index] ? [{address: addressOf(node), instanceId: stack.instanceIds[index]!}] : []))
}

/** Scripts on the Redis instances through SSM Run Command (AWS-RunShellScript), with each node's own role. */
export function ssmNodeShell(aws: AwsTarget, timeoutSeconds: number): NodeShell {
  return {
    async run(instanceId, commands, comment, options = {}) {
      const {runShellScript} = await import('../aws/ssm.js')
      return runShellScript(aws, instanceId, commands, {comment, timeoutSeconds, ...options})
    },
  }
}

export const exitFor = (healthy: boolean) => (healthy ? ExitCode.ok : ExitCode.failed)

export interface FailoverInterruptHooks {
  /** The CLIENT PAUSE timeout: how long writes would stay paused if the CLI quit now. */
  pauseBudgetMs: number
  note(text: string): void
  /** Another Ctrl-C once writes are not paused: leave at once (the caller writes its audit line first). */
  exitNow(): void
}

/**
 * Runs a failover with Ctrl-C handled inside it. Exiting at once would leave writes paused for
 * the whole CLIENT PAUSE timeout and, after SENTINEL FAILOVER, the old primary answering as
 * master beside the promoted one. So the first Ctrl-C aborts `signal`, and runFailover unwinds
 * or finishes, then the command reports and audits. Another Ctrl-C while writes are paused only
 * says why the CLI is still there (Ctrl-\ still quits); once they are not, it exits at once.
 */
export async function withFailoverInterrupt<T>(
  work: (control: {signal: AbortSignal; observe: (event: FailoverEvent) => void}) => Promise<T>,
  hooks: FailoverInterruptHooks,
): Promise<T> {
  const controller = new AbortController()
  let pausedOn: string | undefined
  const observe = (event: FailoverEvent) => {
    if (event.kind === 'paused') pausedOn = event.primary
    if (event.kind === 'unpaused' || event.kind === 'released') pausedOn = undefined
  }
  const onInterrupt = () => {
    if (!controller.signal.aborted) controller.abort()
    else if (pausedOn) hooks.note(`writes on ${pausedOn} are still paused; the CLI releases them as soon as the failover allows (Ctrl-\\ quits now and leaves them paused for up to ${Math.round(hooks.pauseBudgetMs / 1000)} s)`)
    else hooks.exitNow()
  }
  process.on('SIGINT', onInterrupt)
  try {
    return await work({signal: controller.signal, observe})
  } finally {
    process.removeListener('SIGINT', onInterrupt)
  }
}
