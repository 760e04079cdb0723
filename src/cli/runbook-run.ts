import {existsSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {homedir, hostname} from 'node:os'
import {join} from 'node:path'
import type {AwsTarget} from '../aws/clients.js'
import {appendJsonLine, type AuditSink} from '../core/audit/audit-log.js'
import type {LoadedConfig} from '../core/config/load.js'
import {InterruptedError, systemClock} from '../core/clock.js'
import {FileError, InputError} from '../core/errors.js'
import {executeRunbook, type RunbookApprover, type RunbookAuditEntry, type RunbookDeps, type RunbookRedis, type RunbookShell} from '../core/runbook/engine.js'
import {findRunbook, type RunbookSet} from '../core/runbook/load.js'
import {resolveRunbookParams, type SourceReader} from '../core/runbook/parameters.js'
import {hashRunbookText, runStateSchema, type RunState} from '../core/runbook/run-state.js'
import type {ParameterSource, Runbook} from '../core/runbook/schema.js'
import {envValue} from '../core/params/resolve.js'
import {replacePrivateFile, writePrivateFile} from '../core/private-files.js'
import type {ResolvedEnv} from '../core/config/env.js'
import {stackNameById} from '../core/stages/select.js'
import {canAsk, createApprover, typedConfirmation} from '../ui/terminal.js'
import {interruptedFailoverReport} from '../ui/redis-failover.js'
import {openRedisTarget, type RedisTarget} from './redis.js'

/** `FINTECH_RUNS_DIR`, else the user's state directory: one state file and one audit log per run. */
export function runsDirectory(): string {
  if (process.env.FINTECH_RUNS_DIR) return process.env.FINTECH_RUNS_DIR
  return join(process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'fintech', 'runs')
}

export const stateFileOf = (id: string): string => join(runsDirectory(), `${id}.json`)
export const auditFileOf = (id: string): string => join(runsDirectory(), `${id}.audit.jsonl`)

/** Written whole, then renamed into place: a crash mid-write leaves the previous state, never half a file. Private to the user. */
export function saveRunState(state: RunState): void {
  replacePrivateFile(stateFileOf(state.id), `${JSON.stringify(state, null, 2)}\n`)
}

/** The five runs saved last, for the hint of a wrong id. */
function recentRuns(): string[] {
  if (!existsSync(runsDirectory())) return []
  return readdirSync(runsDirectory())
    .filter((name) => name.endsWith('.json'))
    .map((name) => ({id: name.slice(0, -'.json'.length), saved: statSync(join(runsDirectory(), name)).mtimeMs}))
    .sort((a, b) => b.saved - a.saved)
    .slice(0, 5)
    .map((run) => run.id)
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Holds a run for this process (a lock file created exclusively), so two engineers resuming
 * the same run cannot both act on it. A lock left by a process of this host that is gone is
 * taken over; one from another host is said, with the file to delete.
 */
function lockRun(id: string): () => void {
  assertRunId(id)
  const file = join(runsDirectory(), `${id}.lock`)
  const mine = JSON.stringify({pid: process.pid, host: hostname(), since: new Date().toISOString()})
  try {
    writePrivateFile(file, mine, {exclusive: true})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    const holder = (() => {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as {pid: number; host: string; since: string}
      } catch {
        return undefined
      }
    })()
    if (holder && (holder.host !== hostname() || alive(holder.pid))) {
      throw new InputError(`run ${id} is being run by process ${holder.pid} on ${holder.host} since ${holder.since}`, `if that process is gone, delete ${file}`)
    }
    writePrivateFile(file, mine)
  }
  return () => rmSync(file, {force: true})
}

/**
 * Runs `work` while this process holds the run: a resume reads the run's state, asks, audits
 * and runs only once no other process can, so nothing is said of a resume that was refused.
 */
export async function holdingRun<T>(id: string, work: () => Promise<T>): Promise<T> {
  const unlock = lockRun(id)
  try {
    return await work()
  } finally {
    unlock()
  }
}

function assertRunId(id: string): void {
  if (!/^[\w.-]+$/.test(id)) throw new InputError(`${id} is not a run id (fintech runbook run prints it, e.g. failover-dev-20261201T031502Z-7f3a)`)
}

export function loadRunState(id: string): RunState {
  assertRunId(id)
  const file = stateFileOf(id)
  if (!existsSync(file)) {
    const recent = recentRuns()
    throw new InputError(`no run ${id} in ${runsDirectory()}`, recent.length > 0 ? `recent runs: ${recent.join(', ')}` : 'FINTECH_RUNS_DIR says where the state files are')
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new FileError(file, `not a run state file: ${(error as Error).message}`)
  }
  const checked = runStateSchema.safeParse(parsed)
  if (!checked.success) throw new FileError(file, `not a run state file: ${checked.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`)
  return checked.data
}

/** The runbook's file text, so a run records which version of it ran. */
export const runbookHash = (loaded: LoadedConfig, runbook: Runbook): string => hashRunbookText(readFileSync(join(loaded.root, runbook.file), 'utf8'))

/** A runbook and every runbook it calls must be free of problems before anything runs. */
export function runnableRunbook(set: RunbookSet, name: string): Runbook {
  const runbook = findRunbook(set, name)
  const problem = set.problems.find((entry) => entry.file === runbook.file)
  if (problem) throw new FileError(problem.file, problem.message, problem.line)
  for (const step of runbook.steps) if (step.kind === 'runbook') runnableRunbook(set, step.runbook)
  return runbook
}

/** A runbook may run only in the envs it names. */
export function assertRunbookEnv(runbook: Runbook, env: string): void {
  if (!runbook.envs.includes(env)) throw new InputError(`runbook ${runbook.name} may run in ${runbook.envs.join(', ')}, not in ${env} (${runbook.file}, envs)`)
}

/** Parameter sources: the env's values from the config, a stack's outputs read once per stack from CloudFormation. */
export function parameterSources(loaded: LoadedConfig, env: ResolvedEnv): SourceReader {
  const outputs = new Map<string, Promise<Record<string, string> | undefined>>()
  return async (source: ParameterSource) => {
    if ('env' in source) return envValue(source.env, {envName: env.name, env: env.config})
    const [stackId, key] = source.stackOutput.split('.') as [string, string]
    if (!outputs.has(stackId)) {
      const stackName = stackNameById(loaded.config, env.name, stackId)
      if (!stackName) throw new InputError(`stack ${stackId} is not deployed to ${env.name} by the config (${loaded.file})`)
      outputs.set(
        stackId,
        import('../aws/cloudformation.js')
          .then(({createStackApi}) => createStackApi(env.target))
          .then((api) => api.describeStack(stackName))
          .then((described) => described?.outputs),
      )
    }
    return (await outputs.get(stackId)!)?.[key]
  }
}

export interface ApprovalSettings {
  env: string
  protectedEnv: boolean
  yes: boolean
  input: NodeJS.ReadStream
  output: NodeJS.WriteStream
  /** Called before a prompt is written: the live view steps aside for it. */
  beforePrompt?: () => void
}

/**
 * Approval steps: a "y" at a terminal, or --yes given in advance; in a protected env the
 * env's name typed at a terminal, whatever the flags, so nobody approves prod by habit.
 */
export function runbookApprover(settings: ApprovalSettings): RunbookApprover {
  const {env, input, output, beforePrompt} = settings
  return {
    async approve({runbook, step, summary}) {
      if (settings.protectedEnv) {
        if (!canAsk(input)) return {approved: false, why: `${env} is protected: step ${step} needs the env's name typed at a terminal (--yes does not apply there)`}
        beforePrompt?.()
        output.write(`\n  ${summary}\n`)
        const typed = await typedConfirmation(`Approve step ${step} of ${runbook} in ${env}?`, env, input, output).catch((error: unknown) => {
          // Ctrl-C at a raw-mode prompt is a key, not a signal: readline rejects with AbortError.
          if ((error as Error).name === 'AbortError') throw new InterruptedError()
          throw error
        })
        return typed ? {approved: true} : {approved: false, why: `${env} was not typed`}
      }
      if (!settings.yes && canAsk(input)) beforePrompt?.()
      return createApprover({yes: settings.yes, input, output}).approve({stackName: runbook, reasons: [summary], question: `Approve step ${step} of ${runbook} in ${env}?`})
    },
  }
}

/**
 * Shell steps run here through execa; with instanceTag, on the tagged instances of the env
 * through SSM Run Command. Their values reach them as environment variables (not in `ps`,
 * never parsed as script); the command as written holds none of them.
 */
export function runbookShell(aws: AwsTarget, env: string): RunbookShell {
  return {
    async run(command, {env: values, instanceTag, timeoutSeconds, signal}) {
      if (instanceTag) {
        const {runShellScriptOnTagged} = await import('../aws/ssm.js')
        return runShellScriptOnTagged(aws, {tag: instanceTag, environment: env}, [command], {env: values, comment: `fintech runbook: ${command}`, timeoutSeconds: timeoutSeconds ?? 600, signal})
      }
      const {execa} = await import('execa')
      // No one types into a step: a command that reads stdin must see its end, not wait on a pipe.
      const result = await execa('bash', ['-c', command], {env: values, stdin: 'ignore', reject: false, cancelSignal: signal, ...(timeoutSeconds ? {timeout: timeoutSeconds * 1000} : {})})
      return {exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr)}
    },
  }
}

/** Redis steps: the env's Redis tier from the data stack's outputs, opened at the first redis step. */
export function runbookRedis(
  flags: {config: string; profile?: string; region?: string; env: string},
  loadConfig: (path: string) => LoadedConfig,
): RunbookRedis & {close(): void; writesPausedOn(): string | undefined} {
  let target: Promise<RedisTarget> | undefined
  let pausedOn: string | undefined
  return {
    /** The primary whose writes a failover step holds paused right now: leaving then would keep them paused. */
    writesPausedOn: () => pausedOn,
    async run(operation, parameters, {timeoutSeconds, signal}) {
      target ??= openRedisTarget({...flags, 'via-ssm': false}, loadConfig)
      const redis = await target
      const {DEFAULT_LIMITS, readRedisStatus} = await import('../core/redis/status.js')
      const limits = {...DEFAULT_LIMITS, ...(parameters.maxLagBytes === undefined ? {} : {maxLagBytes: Number(parameters.maxLagBytes)})}
      if (operation === 'status') {
        const status = await readRedisStatus(redis.connector, redis.sentinels, redis.masterName, limits)
        return {ok: status.healthy, detail: status.healthy ? `healthy, primary ${status.primary?.address ?? '?'}` : `unhealthy: ${status.problems.join('; ')}`, result: status}
      }
      const {DEFAULT_FAILOVER, runFailover} = await import('../core/redis/failover.js')
      const options = {...DEFAULT_FAILOVER, limits, dryRun: false, ...(timeoutSeconds ? {promoteTimeoutMs: timeoutSeconds * 1000} : {}), ...(signal ? {signal} : {})}
      const result = await runFailover(redis.connector, redis.sentinels, redis.masterName, options, (event) => {
        if (event.kind === 'paused') pausedOn = event.primary
        if (event.kind === 'unpaused' || event.kind === 'released') pausedOn = undefined
      }).finally(() => (pausedOn = undefined))
      if (result.interrupted) throw new InterruptedError(interruptedFailoverReport(result).audit.detail)
      return {ok: true, detail: `${result.oldPrimary} -> ${result.newPrimary}, writes paused ${result.writePauseMs} ms`, result}
    },
    close() {
      void target?.then((redis) => redis.close()).catch(() => undefined)
    },
  }
}

export interface RunContext {
  loaded: LoadedConfig
  set: RunbookSet
  /** The run's env, resolved once; its target is where parameter sources read stack outputs. */
  env: ResolvedEnv
  deps: Omit<RunbookDeps, 'save' | 'audit' | 'childRunbook' | 'clock' | 'runbookNamed'>
  /** The env's audit log: one line per step that changes something. */
  audit: AuditSink
  /** Optional copy of the run's audit lines in CloudWatch Logs. */
  cloudWatch?: {record(line: Record<string, unknown>): Promise<void>}
  /** The values of the secret parameters, which the state holds as REDACTED. */
  secretParams?: Record<string, unknown>
}

/** Runs (or resumes) a run: the engine with state saved after every step and the per-run audit log. */
export async function runWithState(runbook: Runbook, state: RunState, context: RunContext): Promise<RunState> {
  const sources = parameterSources(context.loaded, context.env)
  const pending: Array<Promise<void>> = []
  const record = (entry: RunbookAuditEntry) => {
    if (state.dryRun) return
    const line = {time: new Date().toISOString(), caller: state.caller, env: state.env, ...entry}
    appendJsonLine(auditFileOf(state.id), line)
    // The env's audit log holds what changed, and who approved what in a protected env.
    const approval = entry.kind === 'approve' && context.deps.protectedEnv && entry.result !== 'started'
    if ((entry.changes && entry.result !== 'planned') || approval) {
      const result = entry.result === 'ok' ? 'ok' : entry.result === 'started' || entry.result === 'interrupted' ? 'in-progress' : 'failed'
      context.audit.record({env: state.env, action: `runbook ${entry.runbook} step ${entry.step}${approval ? ' approval' : ''}`, resource: state.id, result, detail: (entry.detail ? `${entry.request}: ${entry.detail}` : entry.request).slice(0, 500)})
    }
    // The local audit file is the record; a CloudWatch copy that fails is said, and the run goes on.
    if (context.cloudWatch) pending.push(context.cloudWatch.record(line).catch((error: unknown) => void process.stderr.write(`warning: audit line of step ${entry.step} not copied to CloudWatch Logs: ${(error as Error).message}\n`)))
  }
  try {
    return await executeRunbook(runbook, state, {
      ...context.deps,
      clock: systemClock,
      save: state.dryRun ? () => undefined : saveRunState,
      audit: record,
      runbookNamed: (name) => context.set.runbooks.get(name),
      async childRunbook(name, given) {
        const child = runnableRunbook(context.set, name)
        return {runbook: child, params: await resolveRunbookParams(child, given, sources, `step parameters of runbook`), hash: runbookHash(context.loaded, child)}
      },
    }, context.secretParams)
  } finally {
    await Promise.all(pending)
  }
}
