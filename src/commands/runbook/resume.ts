import {Args, Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {openGuardedSession} from '../../cli/aws-session.js'
import {conductRun, runFlags, type RunbookRunOutput} from '../../cli/runbook-command.js'
import {assertRunbookEnv, holdingRun, loadRunState, runbookApprover, runbookHash, runnableRunbook} from '../../cli/runbook-flow.js'
import {projectRunbooks} from '../../cli/runbooks.js'
import {ExitCode, FintechError, InputError} from '../../core/errors.js'
import {stepChanges} from '../../core/runbook/engine.js'
import {isProtectedEnv} from '../../core/stages/select.js'

export default class RunbookResume extends FintechCommand {
  static summary = 'Continue a runbook run where it stopped: the failed or interrupted step runs again, finished steps never do.'

  static description = [
    'Reads the run\'s state file (fintech runbook run prints its id and path), checks the caller\'s account for the run\'s env, and continues at the step',
    'that failed, was refused or was interrupted — after the engineer fixed the cause by hand — with the outputs of the finished steps.',
    'In a protected env the first change of the resumed run needs an approval again, whatever was approved before.',
    '--from STEP starts at another step instead (one done by hand is skipped this way). A change that was interrupted while it ran may have been made:',
    'running it again needs a confirmation. A runbook file that changed since the run began is said before anything runs.',
    'Exit codes as for run.',
  ].join(' ')

  static examples = ['<%= config.bin %> runbook resume failover-test-20261201T031502Z-7f3a', '<%= config.bin %> runbook resume failover-test-20261201T031502Z-7f3a --from redeploy']

  static args = {id: Args.string({description: 'the run id', required: true})}

  static flags = {
    from: Flags.string({description: 'the step to continue at, instead of the one where the run stopped'}),
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
      const aws = this.awsTarget(loaded, state.env, flags)
      const {caller, audit} = await openGuardedSession(loaded, state.env, aws)

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
      return conductRun(runbook, state, {loaded, set, aws, audit, yes: flags.yes, json: this.jsonEnabled(), started, ...(flags['log-group'] ? {logGroup: flags['log-group']} : {})})
    })
    return this.deliver(outcome)
  }
}
