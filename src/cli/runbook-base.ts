import type {AuditSink} from '../core/audit/audit-log.js'
import type {LoadedConfig} from '../core/config/load.js'
import {startFlags} from './flags.js'
import {ExitCode, FintechError, InputError} from '../core/errors.js'
import {secretsToRecover, stepChanges} from '../core/runbook/engine.js'
import type {RunbookSet} from '../core/runbook/load.js'
import {checkGivenParams, parseParamFlags, resolveRunbookParams, secretParamsToResume} from '../core/runbook/parameters.js'
import {newRunId, newRunState, type RunState} from '../core/runbook/run-state.js'
import {reachedRunbooks} from '../core/runbook/api-check.js'
import {runbookRegion} from '../core/runbook/region.js'
import type {Runbook} from '../core/runbook/schema.js'
import {secretParamsOf, splitSecretParams} from '../core/runbook/secrets.js'
import {resolveEnv, type ResolvedEnv} from '../core/config/env.js'
import {createRunbookReporter} from '../ui/terminal.js'
import type {RunbookReporter} from '../ui/runbook-run.js'
import {renderPlan, renderRunReport} from '../ui/runbook-run.js'
import {problemLines} from '../ui/runbook.js'
import {openGuardedSession, withInterrupt} from './aws-session.js'
import {FintechCommand} from './base-command.js'
import type {CommandIO, Outcome} from './command-io.js'
import {assertRunbookEnv, auditFileOf, holdingRun, loadRunState, parameterSources, runbookApprover, runbookHash, runbookRedis, runbookShell, runnableRunbook, runWithState, stateFileOf} from './runbook-run.js'
import {projectRunbooks, runbookApiProblems} from './runbooks.js'



interface StartFlags {
  config: string
  profile?: string
  region?: string
  env: string
  param?: string[]
  'dry-run': boolean
  yes: boolean
  'log-group'?: string
}

/**
 * Starts a new run of a runbook. `fintech runbook run NAME` and each `fintech runbook NAME`
 * are this one command with the name taken from the argument or fixed, so flags, approvals,
 * output and exit codes cannot drift apart.
 */
export abstract class RunbookStartCommand extends FintechCommand {
  protected async startRun(name: string, flags: StartFlags): Promise<RunbookRunOutput> {
    const loaded = this.readConfig(flags.config)
    const set = projectRunbooks(loaded)
    const runbook = runnableRunbook(set, name)
    const env = this.resolveEnv(loaded, flags.env, flags)
    assertRunbookEnv(runbook, flags.env)
    const given = parseParamFlags(flags.param ?? [])
    checkGivenParams(runbook, given)
    runbookRegion(runbook, loaded.file, env)
    const {caller, audit} = await openGuardedSession(loaded, env, env.target)
    const secretNames = secretParamsOf(runbook)
    const {kept, secret} = splitSecretParams(await resolveRunbookParams(runbook, given, parameterSources(loaded, env)), (param) => secretNames.has(param))
    const now = new Date()
    const state = newRunState({id: newRunId(runbook.name, flags.env, now), runbook: runbook.name, runbookHash: runbookHash(loaded, runbook), env: flags.env, params: kept, dryRun: flags['dry-run'], caller: caller.arn, now})
    const conduct = () => conductRun(runbook, state, {loaded, set, env, audit, yes: flags.yes, json: this.jsonEnabled(), secretParams: secret, ...(flags['log-group'] ? {logGroup: flags['log-group']} : {})})
    return this.deliver(await (state.dryRun ? conduct() : holdingRun(state.id, conduct)))
  }
}

/** What a shipped runbook's command shows in help and completion. */
export interface NamedRunbook {
  name: string
  title: string
  description: string
}

/**
 * The command `fintech runbook NAME` for one runbook: `fintech runbook run NAME` with the name
 * fixed. The build makes one for each shipped runbook (scripts/write-runbook-commands.js), so
 * help and shell completion list them; a runbook only in the project's runbooks/ runs through
 * the command_not_found hook instead.
 */
export function namedRunbookCommand(runbook: NamedRunbook) {
  const NamedRunbookCommand = class extends RunbookStartCommand {
    static summary = runbook.title

    static description = `${runbook.description} The same as fintech runbook run ${runbook.name}: the same flags, approvals, audit and exit codes (fintech runbook run --help); fintech runbook show ${runbook.name} prints its parameters and steps.`

    static examples = [`<%= config.bin %> runbook ${runbook.name} --env dev --dry-run`]

    static flags = startFlags

    async run(): Promise<RunbookRunOutput> {
      const {flags} = await this.parse(NamedRunbookCommand)
      return this.startRun(runbook.name, flags)
    }
  }
  return NamedRunbookCommand
}

export interface RunbookRunOutput {
  run: RunState
  stateFile?: string
  auditFile?: string
}

export const EXIT_BY_STATUS: Record<RunState['status'], number> = {
  succeeded: ExitCode.ok,
  failed: ExitCode.failed,
  running: ExitCode.failed,
  refused: ExitCode.usage,
  interrupted: ExitCode.interrupted,
}

/**
 * Shows the plan, runs the runbook from the state's next step under Ctrl-C handling, with
 * progress on the terminal, and returns the report and the exit code its status calls for.
 * The caller holds the run (holdingRun) unless it is a dry run; `started` is called once the
 * checks before the first step passed, just before it runs.
 */
export async function conductRun(
  runbook: Runbook,
  state: RunState,
  context: {loaded: LoadedConfig; set: RunbookSet; env: ResolvedEnv; audit: AuditSink; yes: boolean; json: boolean; logGroup?: string; started?: () => void; secretParams?: Record<string, unknown>},
): Promise<{text: string; exitCode: number; result: RunbookRunOutput}> {
  const protectedEnv = context.env.protected
  const aws = context.env.target
  const {createRunbookAws} = await import('../aws/api-call.js')
  // A misspelt API in a step after the change would fail only once the change is made; a misspelt parameter would not be sent at all.
  const unknown = await runbookApiProblems(context.set, reachedRunbooks(context.set, runbook))
  if (unknown.length > 0) throw new InputError(`runbook ${runbook.name} calls what the AWS SDK does not have:\n${problemLines(unknown).map((line) => `  ${line}`).join('\n')}`)
  const redis = runbookRedis({config: context.loaded.file, env: state.env, ...(aws.profile ? {profile: aws.profile} : {}), region: aws.region}, () => context.loaded)
  let reporter: RunbookReporter | undefined
  let finished: RunState
  try {
    const cloudWatch = context.logGroup && !state.dryRun ? await (await import('../aws/logs.js')).createRunLogWriter(aws, context.logGroup, state.id) : undefined
    process.stderr.write(`${renderPlan(runbook, state, new Date())}\n\n`)
    const shown = await createRunbookReporter({stderr: process.stderr, json: context.json, runbook, env: state.env, runId: state.id, done: state.steps})
    reporter = shown
    context.started?.()
    const holdExit = () => {
      const primary = redis.writesPausedOn()
      return primary ? `writes on ${primary} are paused until the failover step releases them (Ctrl-\\ quits now and leaves them paused)` : undefined
    }
    finished = await withInterrupt(({signal}) =>
      runWithState(runbook, state, {
        loaded: context.loaded,
        set: context.set,
        env: context.env,
        audit: context.audit,
        ...(cloudWatch ? {cloudWatch} : {}),
        ...(context.secretParams ? {secretParams: context.secretParams} : {}),
        deps: {
          aws: createRunbookAws({...aws, region: runbookRegion(runbook, context.loaded.file, context.env)}),
          approver: runbookApprover({env: state.env, protectedEnv, yes: context.yes, input: process.stdin, output: process.stderr, beforePrompt: () => shown.suspend()}),
          shell: runbookShell(aws, state.env),
          redis,
          protectedEnv,
          onEvent: (event) => shown.event(event),
          signal,
        },
      }),
      {holdExit},
    )
  } finally {
    await reporter?.close()
    redis.close()
  }
  const files = state.dryRun ? {} : {state: stateFileOf(state.id), audit: auditFileOf(state.id)}
  return {
    text: renderRunReport(runbook, finished, files),
    exitCode: EXIT_BY_STATUS[finished.status],
    result: {run: finished, ...(files.state ? {stateFile: files.state, auditFile: files.audit} : {})},
  }
}

/** `fintech runbook resume`: a stopped run continued at its next step (or --from), under the same checks as a new run. */
export async function runbookResumeCommand(
  readConfig: () => LoadedConfig,
  id: string,
  flags: {from?: string; param?: string[]; yes: boolean; 'log-group'?: string; profile?: string; region?: string},
  io: CommandIO,
): Promise<Outcome<RunbookRunOutput>> {
  // The state is read once the run is held: another process may have moved it on meanwhile.
  return holdingRun(id, async () => {
    const state = loadRunState(id)
    if (state.status === 'succeeded') throw new InputError(`run ${state.id} succeeded: nothing to resume`)
    const loaded = readConfig()
    const set = projectRunbooks(loaded)
    const runbook = runnableRunbook(set, state.runbook)
    assertRunbookEnv(runbook, state.env)
    if (flags.from) {
      if (!runbook.steps.some((step) => step.name === flags.from)) throw new InputError(`--from ${flags.from}: runbook ${runbook.name} has no such step (steps: ${runbook.steps.map((step) => step.name).join(', ')})`)
      state.next = flags.from
    }
    if (!state.next || !runbook.steps.some((step) => step.name === state.next)) throw new InputError(`run ${state.id} stopped at step ${state.next ?? '?'}, which runbook ${runbook.name} no longer has: pass --from STEP`)
    if (runbookHash(loaded, runbook) !== state.runbookHash) io.note(`note: ${runbook.file} changed since run ${state.id} began; the steps from ${state.next} on run as the file says now`)
    assertSecretsRecoverable(runbook, state, (name) => set.runbooks.get(name))
    const given = parseParamFlags(flags.param ?? [])
    const secretParamsRunbook = secretParamsToResume(runbook, state.params, given)
    const env = resolveEnv(loaded, state.env, flags)
    const {caller, audit} = await openGuardedSession(loaded, env, env.target)
    const secretParams = await resolveRunbookParams(secretParamsRunbook, given, parameterSources(loaded, env))

    const step = runbook.steps.find((candidate) => candidate.name === state.next)!
    const interrupted = state.steps[step.name]?.status === 'running'
    if (interrupted && stepChanges(step, (name) => set.runbooks.get(name))) {
      const approver = runbookApprover({env: state.env, protectedEnv: env.protected, yes: flags.yes, input: process.stdin, output: process.stderr})
      const answer = await approver.approve({runbook: runbook.name, step: step.name, summary: `Step ${step.name} was interrupted while it ran: its change may already have been made. Check, then run it again (or resume --from the next step).`})
      if (!answer.approved) throw new FintechError(`step ${step.name} not run again: ${answer.why ?? 'declined'}; nothing was changed`, ExitCode.usage)
    }
    const startedBy = state.caller
    const resumedAt = state.next
    state.caller = caller.arn
    const started = () => audit.record({env: state.env, action: `runbook ${runbook.name} resumed at ${resumedAt}`, resource: state.id, result: 'ok', detail: `started by ${startedBy}`})
    return conductRun(runbook, state, {loaded, set, env, audit, yes: flags.yes, json: io.json, started, secretParams, ...(flags['log-group'] ? {logGroup: flags['log-group']} : {})})
  })
}

/**
 * A state file keeps no secret: a resume runs again the earlier steps whose secret outputs it
 * needs, but not one that changes something or runs a runbook. Needing such a step's secret is
 * bad input, said before anything runs.
 */
function assertSecretsRecoverable(runbook: Runbook, state: RunState, calls: (name: string) => Runbook | undefined): void {
  const {unrecoverable} = secretsToRecover(runbook, state, calls)
  if (unrecoverable.length === 0) return
  const needs = unrecoverable.map((lost) => `step ${lost.neededBy} needs output ${lost.output} of step ${lost.step}${lost.runbook === runbook.name ? '' : ` (runbook ${lost.runbook})`}, which ${lost.reason}`)
  const inThisRunbook = unrecoverable.find((lost) => lost.runbook === runbook.name)
  throw new InputError(
    `run ${state.id} cannot resume at ${state.next}: ${needs.join('; ')}. The output is secret, so the state file does not keep it, and a resume does not run that step again by itself`,
    inThisRunbook ? `resume --from ${inThisRunbook.step} runs it and every step after it again; or start a new run` : 'start a new run',
  )
}
