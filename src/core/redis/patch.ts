import {InterruptedError, interruptible, pollUntil, systemClock, type Clock} from '../clock.js'
import {ExitCode, FintechError} from '../errors.js'
import {type RedisConnector, type RedisEndpoint} from './api.js'
import {DEFAULT_FAILOVER, runFailover, type FailoverEvent, type FailoverOptions, type FailoverResult} from './failover.js'
import {readRedisStatus, type HealthLimits, type RedisStatus} from './status.js'

/** Runs a shell script on one instance (SSM Run Command in the CLI) and reports how it ended. */
export interface NodeShell {
  /**
   * `sent` hears the command id as soon as the instance has the command. `signal` (Ctrl-C) ends
   * the wait for its end with InterruptedError; the command itself runs on.
   */
  run(instanceId: string, commands: string[], comment: string, options?: {signal?: AbortSignal; sent?: (commandId: string) => void}): Promise<{status: string; output: string; commandId: string}>
}

/** What the data stage's nodes run (templates/data/data.yaml: the redis6 package, units fintech-redis and fintech-sentinel). */
export const DEFAULT_PATCH_COMMAND = 'dnf upgrade -y --security redis6 && systemctl restart fintech-redis fintech-sentinel'

/** One Redis node and the instance it runs on (the data stack's RedisNodeAddresses and RedisInstanceIds, same order). */
export interface RedisNode {
  address: string
  instanceId: string
}

export interface PatchStep {
  address: string
  instanceId: string
  /** The node's role when it is patched: the old primary is patched last, as a replica. */
  as: 'replica' | 'old primary'
}

export interface PatchPlan {
  primary: string
  steps: PatchStep[]
  command: string
}

export interface PatchedNode extends PatchStep {
  commandId: string
  output: string
  /** Back as an in-sync replica after its command; false when the command ran but the wait for it failed. */
  inSync: boolean
  /** How long the node took to come back in sync after the command ended. */
  resyncMs?: number
}

/** Where Ctrl-C stopped a patch. */
export interface PatchInterruption {
  /** The node whose command the instance had when Ctrl-C came: it runs on, and nobody waits for its end. */
  running?: PatchStep & {commandId: string}
  /** The nodes no command was sent to. */
  notPatched: PatchStep[]
}

export interface PatchResult {
  plan: PatchPlan
  /** Nodes whose command succeeded; `inSync: false` when Ctrl-C ended the wait for their resync. */
  patched: PatchedNode[]
  failover?: FailoverResult
  /** Ctrl-C stopped it; `failover.interrupted` says whether a failover under way unwound or finished. */
  interrupted?: PatchInterruption
  totalMs: number
}

/** What the patch was doing, as Ctrl-C finds it. */
export type PatchActivity =
  | {doing: 'waiting-for-tier'; step: PatchStep}
  | {doing: 'sending'; step: PatchStep}
  | {doing: 'running'; step: PatchStep; commandId: string}
  | {doing: 'resyncing'; step: PatchStep}
  | {doing: 'failover'}

export type PatchEvent =
  | {kind: 'patching'; step: PatchStep}
  | {kind: 'sent'; step: PatchStep; commandId: string}
  | {kind: 'waiting'; step: PatchStep}
  | {kind: 'patched'; node: PatchedNode}
  | {kind: 'failover'; event: FailoverEvent}
  /** Ctrl-C outside a failover (a failover says itself how it ends); `during` is absent between two nodes. */
  | {kind: 'interrupted'; during?: PatchActivity}

/** Stopped part-way: `patched` lists the nodes whose command ran (exit 3 when any, else 1). */
export class PatchError extends FintechError {
  constructor(message: string, readonly patched: PatchedNode[], hint?: string) {
    super(message, patched.length > 0 ? ExitCode.partial : ExitCode.failed, hint)
  }
}

export interface PatchOptions {
  limits: HealthLimits
  /** How long a node may take to answer, resync and catch up after its patch command. */
  resyncTimeoutMs: number
  failover: Omit<FailoverOptions, 'dryRun' | 'limits' | 'signal'>
  /**
   * Ctrl-C. Nothing new starts: no further node gets its command, no failover begins. What is
   * under way ends safely: a command already sent runs on (the wait for it ends), a failover
   * unwinds or finishes (FailoverOptions.signal), a wait for the tier or a node ends.
   */
  signal?: AbortSignal
}

export const DEFAULT_PATCH: PatchOptions = {
  limits: DEFAULT_FAILOVER.limits,
  resyncTimeoutMs: 300_000,
  failover: {syncTimeoutMs: DEFAULT_FAILOVER.syncTimeoutMs, pauseBudgetMs: DEFAULT_FAILOVER.pauseBudgetMs, promoteTimeoutMs: DEFAULT_FAILOVER.promoteTimeoutMs},
}

/**
 * The rolling order: replicas one at a time, then the primary, which by then is a replica
 * after a planned failover. Refuses an unhealthy tier: patching takes one node (and its
 * Sentinel) away at a time, which is safe only when the others are in sync and in quorum.
 */
export function planPatch(status: RedisStatus, nodes: RedisNode[], command: string): PatchPlan {
  if (!status.primary?.reachable || status.primary.role !== 'master') throw new FintechError(`the primary does not answer as master (${status.problems.join('; ') || 'no primary named'}); nothing was patched`)
  if (!status.healthy) throw new FintechError(`the tier is not healthy, so no node may be taken down: ${status.problems.join('; ')}`, ExitCode.failed, 'fix what fintech redis status reports first')
  const instanceOf = (address: string) => {
    const node = nodes.find((candidate) => candidate.address === address)
    if (!node) throw new FintechError(`${address} is not among the data stack's RedisNodeAddresses (${nodes.map((candidate) => candidate.address).join(', ')}), so its instance is unknown; nothing was patched`, ExitCode.usage)
    return node.instanceId
  }
  const steps: PatchStep[] = status.replicas.map((replica) => ({address: replica.address, instanceId: instanceOf(replica.address), as: 'replica'}))
  steps.push({address: status.primary.address, instanceId: instanceOf(status.primary.address), as: 'old primary'})
  return {primary: status.primary.address, steps, command}
}

/**
 * Patches node after node through `shell`, stopping at the first failure. No node goes down
 * before the whole tier is healthy (every replica in sync, the Sentinels agree, quorum). After each node's
 * command, waits until every Sentinel answers and agrees again (the command restarts the
 * node's Sentinel too) and the node is a replica of the current primary with its link up and
 * its lag within the limits, so no two nodes are ever out at once. Between the replicas and
 * the old primary, the planned failover of failover.ts moves the primary without losing an
 * acknowledged write. After Ctrl-C (options.signal) it returns with `interrupted`, see PatchOptions.signal.
 */
export async function runPatch(
  connector: RedisConnector,
  sentinels: RedisEndpoint[],
  masterName: string,
  shell: NodeShell,
  plan: PatchPlan,
  options: PatchOptions = DEFAULT_PATCH,
  progress: (event: PatchEvent) => void = () => undefined,
  clock: Clock = systemClock,
): Promise<PatchResult> {
  const started = clock.now().getTime()
  const {signal} = options
  const result: PatchResult = {plan, patched: [], totalMs: 0}
  let activity: PatchActivity | undefined
  let running: PatchInterruption['running']
  const onInterrupt = () => {
    if (activity?.doing !== 'failover') progress({kind: 'interrupted', ...(activity ? {during: activity} : {})})
  }
  signal?.addEventListener('abort', onInterrupt, {once: true})
  const stopIfInterrupted = () => {
    if (signal?.aborted) throw new InterruptedError()
  }
  const patch = async (step: PatchStep) => {
    activity = {doing: 'waiting-for-tier', step}
    // After the failover Sentinel re-points the other replicas, which then resync: no node goes down before that ends.
    await waitForHealthyTier(connector, sentinels, masterName, step, options, clock, result.patched)
    stopIfInterrupted()
    activity = {doing: 'sending', step}
    progress({kind: 'patching', step})
    const sent = (commandId: string) => {
      activity = {doing: 'running', step, commandId}
      progress({kind: 'sent', step, commandId})
    }
    const run = await shell.run(step.instanceId, ['set -euo pipefail', plan.command], `fintech redis patch ${step.address}`, {...(signal ? {signal} : {}), sent}).catch((error: unknown) => {
      if (error instanceof InterruptedError) {
        if (activity?.doing === 'running') running = {...step, commandId: activity.commandId}
        throw error
      }
      throw new PatchError(`patching ${step.address} (${step.instanceId}): SSM Run Command failed: ${(error as Error).message}`, result.patched)
    })
    if (run.status !== 'Success') {
      throw new PatchError(`patching ${step.address} (${step.instanceId}) ended ${run.status} (command ${run.commandId}): ${run.output || 'no output'}; stopped there`, result.patched, 'see fintech redis status before going on')
    }
    const node: PatchedNode = {...step, commandId: run.commandId, output: run.output, inSync: false}
    result.patched.push(node)
    activity = {doing: 'resyncing', step}
    progress({kind: 'waiting', step})
    const waitStart = clock.now().getTime()
    await waitForReplica(connector, sentinels, masterName, step, options, clock, result.patched)
    node.inSync = true
    node.resyncMs = clock.now().getTime() - waitStart
    activity = undefined
    progress({kind: 'patched', node})
  }

  try {
    for (const step of plan.steps.filter((candidate) => candidate.as === 'replica')) await patch(step)
    stopIfInterrupted()
    activity = {doing: 'failover'}
    try {
      result.failover = await runFailover(connector, sentinels, masterName, {...options.failover, limits: options.limits, dryRun: false, ...(signal ? {signal} : {})}, (event) => progress({kind: 'failover', event}), clock)
    } catch (error) {
      throw new PatchError(`the failover away from ${plan.primary} failed, so it was not patched: ${(error as Error).message}`, result.patched, (error as FintechError).hint)
    }
    activity = undefined
    if (result.failover.interrupted) throw new InterruptedError()
    for (const step of plan.steps.filter((candidate) => candidate.as === 'old primary')) await patch(step)
  } catch (error) {
    if (!(error instanceof InterruptedError)) throw error
    const touched = new Set([...result.patched.map((node) => node.address), ...(running ? [running.address] : [])])
    result.interrupted = {...(running ? {running} : {}), notPatched: plan.steps.filter((step) => !touched.has(step.address))}
  } finally {
    signal?.removeEventListener('abort', onInterrupt)
  }
  result.totalMs = clock.now().getTime() - started
  return result
}

async function waitForHealthyTier(connector: RedisConnector, sentinels: RedisEndpoint[], masterName: string, step: PatchStep, options: PatchOptions, clock: Clock, patched: PatchedNode[]): Promise<void> {
  let problems: string[] = []
  await pollUntil({
    clock,
    timeoutMs: options.resyncTimeoutMs,
    intervalMs: 250,
    ...(options.signal ? {signal: options.signal} : {}),
    timedOut: () => new PatchError(`the tier is not healthy after ${Math.round(options.resyncTimeoutMs / 1000)} s, so ${step.address} was not taken down: ${problems.join('; ')}`, patched, 'see fintech redis status'),
  }, async () => {
    const status = await interruptible(options.signal, () => readRedisStatus(connector, sentinels, masterName, options.limits))
    problems = status.problems
    return status.healthy ? true : undefined
  })
}

/** Until the node is a replica of the primary the Sentinels agree on, link up, lag within the limits. */
async function waitForReplica(connector: RedisConnector, sentinels: RedisEndpoint[], masterName: string, step: PatchStep, options: PatchOptions, clock: Clock, patched: PatchedNode[]): Promise<void> {
  let why = ''
  await pollUntil({
    clock,
    timeoutMs: options.resyncTimeoutMs,
    intervalMs: 250,
    ...(options.signal ? {signal: options.signal} : {}),
    timedOut: () => new PatchError(`${step.address} (${step.instanceId}) was patched but is not back in sync after ${Math.round(options.resyncTimeoutMs / 1000)} s: ${why}; stopped there`, patched, 'see fintech redis status; the next node was not touched'),
  }, async () => {
    const status = await interruptible(options.signal, () => readRedisStatus(connector, sentinels, masterName, options.limits))
    why = notBackInSync(status, step.address, options.limits)
    return why ? undefined : true
  })
}

/** Why `address` is not yet a healthy replica of the primary the Sentinels agree on, or '' once it is. */
function notBackInSync(status: RedisStatus, address: string, limits: HealthLimits): string {
  const replica = status.replicas.find((candidate) => candidate.address === address)
  const silent = status.sentinels.filter((sentinel) => !sentinel.reachable).map((sentinel) => sentinel.address)
  if (silent.length > 0) return `Sentinel ${silent.join(', ')} does not answer`
  if (!status.sentinelsAgree) return 'the Sentinels disagree on the primary'
  if (status.sentinels.some((sentinel) => !sentinel.quorum?.ok)) return `quorum not back: ${status.sentinels.map((sentinel) => sentinel.quorum?.detail).join('; ')}`
  if (status.primary?.address === address) return `the Sentinels name ${address} the primary`
  if (!replica?.reachable) return `${address} does not answer${replica?.error ? ` (${replica.error})` : ''}`
  if (replica.role !== 'slave' || replica.following !== status.primary?.address) return `${address} is ${replica.role} following ${replica.following ?? 'nothing'}`
  if (replica.link !== 'up') return `${address}'s link to the primary is down`
  if (replica.sentinelFlags && /s_down|disconnected/.test(replica.sentinelFlags)) return `the Sentinels still flag ${address} ${replica.sentinelFlags}`
  if ((replica.lagBytes ?? Infinity) > limits.maxLagBytes || (replica.lagSeconds ?? Infinity) > limits.maxLagSeconds) return `${address} lags ${replica.lagBytes} bytes, ${replica.lagSeconds} s`
  return ''
}
