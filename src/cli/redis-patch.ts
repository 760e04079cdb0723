import type {AuditEntry} from '../core/audit/audit-log.js'
import type {LoadedConfig} from '../core/config/load.js'
import {ExitCode, InputError} from '../core/errors.js'
import {DEFAULT_FAILOVER} from '../core/redis/failover.js'
import {PatchError, planPatch, runPatch, type PatchActivity, type PatchEvent, type PatchPlan, type PatchResult, type PatchStep} from '../core/redis/patch.js'
import {DEFAULT_LIMITS, readRedisStatus} from '../core/redis/status.js'
import {createApprover} from '../ui/terminal.js'
import {describeFailoverEvent, interruptedFailoverReport} from '../ui/redis-failover.js'
import type {CommandIO, Outcome} from './command-io.js'
import {openRedisTarget, requireStack, ssmNodeShell, stackNodes, withFailoverInterrupt, type RedisFlags} from './redis.js'

export {DEFAULT_LIMITS} from '../core/redis/status.js'
export {DEFAULT_PATCH, DEFAULT_PATCH_COMMAND} from '../core/redis/patch.js'

export interface RedisPatchResult {
  dryRun: boolean
  plan: PatchPlan
  result?: PatchResult
}

const seconds = (ms?: number) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`)
const label = (step: PatchStep) => `${step.address} (${step.instanceId}, ${step.as})`

/** What the first Ctrl-C leaves running, and that nothing new starts. */
function interruptedDuring(during?: PatchActivity): string {
  const nothingNew = 'no further node is patched and no failover starts'
  switch (during?.doing) {
    case undefined: return `Ctrl-C: ${nothingNew}`
    case 'waiting-for-tier': return `Ctrl-C: ${during.step.address} is not taken down; ${nothingNew}`
    case 'sending': return `Ctrl-C: the patch command is being sent to ${label(during.step)}; once SSM has it, it runs on (not cancelled); ${nothingNew}`
    case 'running': return `Ctrl-C: command ${during.commandId} on ${label(during.step)} runs on (not cancelled) and is not waited for; ${nothingNew}`
    case 'resyncing': return `Ctrl-C: ${during.step.address} is patched; the CLI stops waiting for it to be back in sync; ${nothingNew}`
    case 'failover': return `Ctrl-C: ${nothingNew}`
  }
}

function describe(event: PatchEvent): string | undefined {
  switch (event.kind) {
    case 'patching': return `patching ${label(event.step)} through SSM Run Command`
    case 'sent': return `command ${event.commandId} sent to ${event.step.instanceId}`
    case 'waiting': return `waiting for ${event.step.address} to be back in sync`
    case 'patched': return `${event.node.address} patched and in sync after ${seconds(event.node.resyncMs)}`
    case 'interrupted': return interruptedDuring(event.during)
    case 'failover':
      if (event.event.kind === 'unpaused') return `planned failover done; writes were paused ${seconds(event.event.pausedMs)}`
      if (['paused', 'failover-sent', 'interrupted', 'released'].includes(event.event.kind)) return `planned failover: ${describeFailoverEvent(event.event)}`
      return undefined
  }
}

/** The report of a patch Ctrl-C stopped: what was patched, what runs on, what was not patched, where the primary is. */
function interruptedReport(env: string, result: PatchResult): string {
  const interrupted = result.interrupted!
  const running = interrupted.running
  const failover = result.failover
  return [
    `Interrupted patching ${env} (Ctrl-C).`,
    ...result.patched.map((node) => `  patched: ${label(node)}, ${node.inSync ? `back in sync after ${seconds(node.resyncMs)}` : 'not waited for until back in sync (see fintech redis status)'}`),
    ...(running ? [`  still running: command ${running.commandId} on ${label(running)}; SSM runs it on (aws ssm get-command-invocation --command-id ${running.commandId} --instance-id ${running.instanceId})`] : []),
    ...(failover?.interrupted ? interruptedFailoverReport(failover).text.split('\n').map((line) => `  planned failover: ${line.trim()}`) : failover ? [`  planned failover: ${failover.oldPrimary} -> ${failover.newPrimary}`] : []),
    `  not patched: ${interrupted.notPatched.map(label).join(', ') || 'none'}`,
  ].join('\n')
}

/**
 * The audit lines of a patch Ctrl-C stopped, beside those written as it went: a node patched
 * but not waited for, a failover unwound, and the interruption itself (in-progress while a
 * command runs on).
 */
function auditInterruption(result: PatchResult, masterName: string, record: (resource: string, result: AuditEntry['result'], detail: string) => void): void {
  const {running, notPatched} = result.interrupted!
  for (const node of result.patched.filter((candidate) => !candidate.inSync)) {
    record(node.instanceId, 'ok', `${node.address} (${node.as}) patched (command ${node.commandId}); Ctrl-C before it was back in sync, not waited for`)
  }
  if (result.failover?.interrupted?.outcome === 'unwound') {
    const failover = interruptedFailoverReport(result.failover).audit
    record(masterName, failover.result, `planned failover ${failover.detail}`)
  }
  const runsOn = running ? `command ${running.commandId} on ${running.address} (${running.as}) runs on, not waited for; ` : ''
  record(running?.instanceId ?? masterName, running ? 'in-progress' : 'no-changes', `interrupted by Ctrl-C: ${runsOn}not patched: ${notPatched.map((step) => `${step.address} (${step.instanceId})`).join(', ') || 'none'}`)
}

/** `fintech redis patch`: the nodes patched one at a time through SSM, the primary last after a planned failover. */
export async function redisPatchCommand(
  flags: RedisFlags & {'dry-run': boolean; yes: boolean; command: string; timeout: number; 'command-timeout': number; 'max-lag-bytes': number},
  readConfig: (path: string) => LoadedConfig,
  io: CommandIO,
): Promise<Outcome<RedisPatchResult>> {
  if (!flags.env) throw new InputError('--env is required: the instances to patch come from the data stack')
  const target = await openRedisTarget(flags, readConfig)
  try {
    const env = target.env!
    const stack = requireStack(target, 'redis patch')
    const limits = {...DEFAULT_LIMITS, maxLagBytes: flags['max-lag-bytes']}
    const status = await readRedisStatus(target.connector, target.sentinels, target.masterName, limits)
    const plan = planPatch(status, stackNodes(stack), flags.command)
    const order = plan.steps.map((step, index) => `  ${index + 1}. ${label(step)}${step.as === 'old primary' ? ', after a planned failover away from it' : ''}`)
    if (flags['dry-run']) {
      return {text: [`Dry run: would patch ${env} in this order, running: ${plan.command}`, ...order].join('\n'), exitCode: ExitCode.ok, result: {dryRun: true, plan}}
    }
    if (target.protected) {
      const approver = createApprover({yes: flags.yes, input: process.stdin, output: process.stderr})
      const answer = await approver.approve({reasons: [`${env} is protected: each node restarts in turn and writes pause during the failover`, ...order], question: `Patch Redis ${target.masterName} in ${env}?`, stackName: stack.stackName})
      if (!answer.approved) throw new InputError(`patch of ${target.masterName} in ${env} not approved: ${answer.why}; nothing was changed`)
    }

    const record = (resource: string, result: AuditEntry['result'], detail: string) => target.audit.record({env, action: 'redis patch', resource, result, detail})
    const options = {limits, resyncTimeoutMs: flags.timeout * 1000, failover: {syncTimeoutMs: DEFAULT_FAILOVER.syncTimeoutMs, pauseBudgetMs: DEFAULT_FAILOVER.pauseBudgetMs, promoteTimeoutMs: DEFAULT_FAILOVER.promoteTimeoutMs}}
    /** The node being patched: its command on its way, sent (commandId), or done and the node resyncing. */
    let current: {step: PatchStep; commandId?: string; resyncing?: true} | undefined
    let result: PatchResult
    try {
      result = await withFailoverInterrupt(
        ({signal, observe}) =>
          runPatch(target.connector, target.sentinels, target.masterName, ssmNodeShell(stack.aws, flags['command-timeout']), plan, {...options, signal}, (event) => {
            if (event.kind === 'patching') current = {step: event.step}
            if (event.kind === 'sent') current = {step: event.step, commandId: event.commandId}
            if (event.kind === 'waiting') current = {...current!, resyncing: true}
            if (event.kind === 'patched') {
              current = undefined
              record(event.node.instanceId, 'ok', `${event.node.address} (${event.node.as}) patched (command ${event.node.commandId}), back in sync after ${event.node.resyncMs} ms`)
            }
            if (event.kind === 'failover') {
              observe(event.event)
              if (event.event.kind === 'unpaused') record(target.masterName, 'ok', `planned failover from ${plan.primary}; writes paused ${event.event.pausedMs} ms`)
            }
            const text = describe(event)
            if (text) io.note(text)
          }),
        {
          pauseBudgetMs: options.failover.pauseBudgetMs,
          note: (text) => io.note(text),
          exitNow: () => {
            const where = !current ? '' : current.resyncing ? `; ${label(current.step)} was patched and resyncing` : current.commandId ? `; command ${current.commandId} on ${label(current.step)} runs on` : `; the patch command was on its way to ${label(current.step)} (it may run)`
            record(current?.step.instanceId ?? target.masterName, 'in-progress', `Ctrl-C twice: the CLI left before the patch reported${where}; see fintech redis status`)
            process.exit(ExitCode.interrupted)
          },
        },
      )
    } catch (error) {
      record(current?.step.instanceId ?? target.masterName, 'failed', (error as Error).message)
      if (error instanceof PatchError && error.patched.length > 0) io.note(`patched before the failure: ${error.patched.map((node) => `${node.address}${node.inSync ? '' : ' (not back in sync)'}`).join(', ')}`)
      throw error
    }
    if (result.interrupted) {
      auditInterruption(result, target.masterName, record)
      return {text: interruptedReport(env, result), exitCode: ExitCode.interrupted, result: {dryRun: false, plan, result}}
    }
    const text = [
      `Patched ${env}: ${result.patched.map((node) => node.address).join(', ')} in ${seconds(result.totalMs)}`,
      `  the primary moved ${result.failover?.oldPrimary} -> ${result.failover?.newPrimary}; writes paused ${seconds(result.failover?.writePauseMs)}`,
      ...result.patched.map((node) => `  ${label(node)}: back in sync after ${seconds(node.resyncMs)}${node.output ? ` — ${node.output.split('\n').at(-1)}` : ''}`),
    ].join('\n')
    return {text, exitCode: ExitCode.ok, result: {dryRun: false, plan, result}}
  } finally {
    target.close()
  }
}
