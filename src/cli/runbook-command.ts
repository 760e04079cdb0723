import {Flags} from '@oclif/core'
import type {AwsTarget} from '../aws/clients.js'
import type {AuditSink} from '../core/audit/audit-log.js'
import type {LoadedConfig} from '../core/config/load.js'
import {ExitCode, InputError} from '../core/errors.js'
import type {RunbookSet} from '../core/runbook/load.js'
import type {RunState} from '../core/runbook/run-state.js'
import type {Runbook} from '../core/runbook/schema.js'
import {isProtectedEnv} from '../core/stages/select.js'
import {createRunbookReporter} from '../ui/runbook-reporter.js'
import type {RunbookReporter} from '../ui/runbook-run.js'
import {renderPlan, renderRunReport} from '../ui/runbook-run.js'
import {withInterrupt} from './aws-session.js'
import {auditFileOf, runbookApprover, runbookRedis, runbookShell, runWithState, stateFileOf} from './runbook-flow.js'

/** Flags `run` and `resume` share. */
export const runFlags = {
  yes: Flags.boolean({description: 'approve the approval steps in advance (never in a protected env, where the env name must be typed at a terminal)', default: false}),
  'log-group': Flags.string({description: 'also write the run\'s audit lines to this CloudWatch Logs group (a stream named after the run)'}),
}

export interface RunbookRunOutput {
  run: RunState
  stateFile?: string
  auditFile?: string
}

/** Every API step of the runbook and of the runbooks it calls, with where it is written. */
function apiStepsOf(runbook: Runbook, set: RunbookSet, seen = new Set<string>()): Array<{service: string; api: string; where: string}> {
  seen.add(runbook.name)
  return runbook.steps.flatMap((step) => {
    if (step.kind === 'aws' || step.kind === 'wait' || step.kind === 'assert') return [{service: step.service, api: step.api, where: `${runbook.file} step ${step.name}`}]
    if (step.kind === 'pick' && typeof step.by !== 'string') return [{service: step.by.service, api: step.by.api, where: `${runbook.file} step ${step.name}`}]
    const called = step.kind === 'runbook' && !seen.has(step.runbook) ? set.runbooks.get(step.runbook) : undefined
    return called ? apiStepsOf(called, set, seen) : []
  })
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
  context: {loaded: LoadedConfig; set: RunbookSet; aws: AwsTarget; audit: AuditSink; yes: boolean; json: boolean; logGroup?: string; started?: () => void; secretParams?: Record<string, unknown>},
): Promise<{text: string; exitCode: number; result: RunbookRunOutput}> {
  const protectedEnv = isProtectedEnv(context.loaded.config, state.env)
  const {createRunbookAws, unknownApis} = await import('../aws/api-call.js')
  // A misspelt API in a step after the change would fail only once the change is made.
  const unknown = await unknownApis(apiStepsOf(runbook, context.set))
  if (unknown.length > 0) throw new InputError(`runbook ${runbook.name} calls what the AWS SDK does not have: ${unknown.join('; ')}`)
  const redis = runbookRedis({config: context.loaded.file, env: state.env, ...(context.aws.profile ? {profile: context.aws.profile} : {}), region: context.aws.region}, () => context.loaded)
  let reporter: RunbookReporter | undefined
  let finished: RunState
  try {
    const cloudWatch = context.logGroup && !state.dryRun ? await (await import('../aws/logs.js')).createRunLogWriter(context.aws, context.logGroup, state.id) : undefined
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
        aws: context.aws,
        audit: context.audit,
        ...(cloudWatch ? {cloudWatch} : {}),
        ...(context.secretParams ? {secretParams: context.secretParams} : {}),
        deps: {
          aws: createRunbookAws(context.aws),
          approver: runbookApprover({env: state.env, protectedEnv, yes: context.yes, input: process.stdin, output: process.stderr, beforePrompt: () => shown.suspend()}),
          shell: runbookShell(context.aws, state.env),
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
