import {Args, Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {openGuardedSession} from '../../cli/aws-session.js'
import {conductRun, runFlags, type RunbookRunOutput} from '../../cli/runbook-command.js'
import {assertRunbookEnv, holdingRun, loadRunState, parameterSources, runbookApprover, runbookHash, runnableRunbook} from '../../cli/runbook-flow.js'
import {projectRunbooks} from '../../cli/runbooks.js'
import {ExitCode, FintechError, InputError} from '../../core/errors.js'
import {secretsToRecover, stepChanges} from '../../core/runbook/engine.js'
import {parseParamFlags, resolveRunbookParams, secretParamsToResume} from '../../core/runbook/parameters.js'
import type {RunState} from '../../core/runbook/run-state.js'
import type {Runbook} from '../../core/runbook/schema.js'
import {isProtectedEnv} from '../../core/config/env.js'

export default class RunbookResume extends FintechCommand {
  static summary = 'Continue a runbook run where it stopped: the failed or interrupted step runs again, finished steps never do.'

  static description = [
    'Reads the run\'s state file (fintech runbook run prints its id and path), checks the caller\'s account for the run\'s env, and continues at the step',
    'that failed, was refused or was interrupted — after the engineer fixed the cause by hand — with the outputs of the finished steps.',
    'In a protected env the first change of the resumed run needs an approval again, whatever was approved before.',
    '--from STEP starts at another step instead (one done by hand is skipped this way). A change that was interrupted while it ran may have been made:',
    'running it again needs a confirmation. A runbook file that changed since the run began is said before anything runs.',
    'A state file keeps no secret: the resume first reads again the secret outputs the steps ahead need (a step that changes something is never run again for that:',
    'the resume is refused, naming it), and each secret parameter is given again with --param (or read again from its from source).',
    'Exit codes as for run.',
  ].join(' ')

  static examples = ['<%= config.bin %> runbook resume failover-test-20261201T031502Z-7f3a', '<%= config.bin %> runbook resume failover-test-20261201T031502Z-7f3a --from redeploy']

  static args = {id: Args.string({description: 'the run id', required: true})}

  static flags = {
    from: Flags.string({description: 'the step to continue at, instead of the one where the run stopped'}),
    param: Flags.string({char: 'p', description: 'a secret parameter as NAME=VALUE again (a state file keeps no secret; the other parameters stay as the run began)', multiple: true}),
    ...runFlags,
  }

  async run(): Promise<RunbookRunOutput> {
    const {args, flags} = await this.parse(RunbookResume)
    // The state is read once the run is held: another process may have moved it on meanwhile.
    const outcome = await holdingRun(args.id, async () => {
      const state = loadRunState(args.id)
      if (state.status === 'succeeded') throw new InputError(`run ${state.id} succeeded: nothing to resume`)
      const loaded = this.readConfig(flags.config)
      const set = projectRunbooks(loaded)
      const runbook = runnableRunbook(set, state.runbook)
      assertRunbookEnv(runbook, state.env)
      if (flags.from) {
        if (!runbook.steps.some((step) => step.name === flags.from)) throw new InputError(`--from ${flags.from}: runbook ${runbook.name} has no such step (steps: ${runbook.steps.map((step) => step.name).join(', ')})`)
        state.next = flags.from
      }
      if (!state.next || !runbook.steps.some((step) => step.name === state.next)) throw new InputError(`run ${state.id} stopped at step ${state.next ?? '?'}, which runbook ${runbook.name} no longer has: pass --from STEP`)
      if (runbookHash(loaded, runbook) !== state.runbookHash) this.note(`note: ${runbook.file} changed since run ${state.id} began; the steps from ${state.next} on run as the file says now`)
      assertSecretsRecoverable(runbook, state, (name) => set.runbooks.get(name))
      const given = parseParamFlags(flags.param ?? [])
      const secretParamsRunbook = secretParamsToResume(runbook, state.params, given)
      const aws = this.awsTarget(loaded, state.env, flags)
      const {caller, audit} = await openGuardedSession(loaded, state.env, aws)
      const secretParams = await resolveRunbookParams(secretParamsRunbook, given, parameterSources(loaded, state.env, aws))

      const step = runbook.steps.find((candidate) => candidate.name === state.next)!
      const interrupted = state.steps[step.name]?.status === 'running'
      if (interrupted && stepChanges(step, (name) => set.runbooks.get(name))) {
        const approver = runbookApprover({env: state.env, protectedEnv: isProtectedEnv(loaded.config, state.env), yes: flags.yes, input: process.stdin, output: process.stderr})
        const answer = await approver.approve({runbook: runbook.name, step: step.name, summary: `Step ${step.name} was interrupted while it ran: its change may already have been made. Check, then run it again (or resume --from the next step).`})
        if (!answer.approved) throw new FintechError(`step ${step.name} not run again: ${answer.why ?? 'declined'}; nothing was changed`, ExitCode.usage)
      }
      const startedBy = state.caller
      const resumedAt = state.next
      state.caller = caller.arn
      const started = () => audit.record({env: state.env, action: `runbook ${runbook.name} resumed at ${resumedAt}`, resource: state.id, result: 'ok', detail: `started by ${startedBy}`})
      return conductRun(runbook, state, {loaded, set, aws, audit, yes: flags.yes, json: this.jsonEnabled(), started, secretParams, ...(flags['log-group'] ? {logGroup: flags['log-group']} : {})})
    })
    return this.deliver(outcome)
  }
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
