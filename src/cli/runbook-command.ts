import {Flags} from '@oclif/core'
import type {AwsTarget} from '../aws/clients.js'
import type {AuditSink} from '../core/audit/audit-log.js'
import type {LoadedConfig} from '../core/config/load.js'
import {ExitCode} from '../core/errors.js'
import type {RunbookSet} from '../core/runbook/load.js'
import type {RunState} from '../core/runbook/run-state.js'
import type {Runbook} from '../core/runbook/schema.js'
import {selectEnvironment} from '../core/stages/select.js'
import {createRunbookReporter} from '../ui/runbook-reporter.js'
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
 */
export async function conductRun(
  runbook: Runbook,
  state: RunState,
  context: {loaded: LoadedConfig; set: RunbookSet; aws: AwsTarget; audit: AuditSink; yes: boolean; json: boolean; logGroup?: string},
): Promise<{text: string; exitCode: number; result: RunbookRunOutput}> {
  const environment = selectEnvironment(context.loaded.config, state.env)
  const protectedEnv = environment.protected || state.env === 'prod'
  process.stderr.write(`${renderPlan(runbook, state, new Date())}\n\n`)
  const reporter = await createRunbookReporter({stderr: process.stderr, json: context.json, runbook, env: state.env, runId: state.id})
  const redis = runbookRedis({config: context.loaded.file, env: state.env, ...(context.aws.profile ? {profile: context.aws.profile} : {}), region: context.aws.region}, () => context.loaded)
  let cloudWatch: {record(line: Record<string, unknown>): Promise<void>} | undefined
  if (context.logGroup && !state.dryRun) {
    const {createRunLogWriter} = await import('../aws/logs.js')
    cloudWatch = await createRunLogWriter(context.aws, context.logGroup, state.id)
  }
  const {createRunbookAws} = await import('../aws/api-call.js')
  let finished: RunState
  try {
    finished = await withInterrupt(({signal}) =>
      runWithState(runbook, state, {
        loaded: context.loaded,
        set: context.set,
        aws: context.aws,
        audit: context.audit,
        ...(cloudWatch ? {cloudWatch} : {}),
        deps: {
          aws: createRunbookAws(context.aws),
          approver: runbookApprover({env: state.env, protectedEnv, yes: context.yes, input: process.stdin, output: process.stderr, reporter}),
          shell: runbookShell(context.aws, state.env),
          redis,
          onEvent: (event) => reporter.event(event),
          signal,
        },
      }),
    )
  } finally {
    await reporter.close()
    redis.close()
  }
  const files = state.dryRun ? {} : {state: stateFileOf(state.id), audit: auditFileOf(state.id)}
  return {
    text: renderRunReport(runbook, finished, files),
    exitCode: EXIT_BY_STATUS[finished.status],
    result: {run: finished, ...(files.state ? {stateFile: files.state, auditFile: files.audit} : {})},
  }
}
