import {Args, Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {openGuardedSession} from '../../cli/aws-session.js'
import {conductRun, runFlags, type RunbookRunOutput} from '../../cli/runbook-command.js'
import {assertRunbookEnv, holdingRun, parameterSources, runbookHash, runnableRunbook} from '../../cli/runbook-flow.js'
import {projectRunbooks} from '../../cli/runbooks.js'
import {checkGivenParams, parseParamFlags, resolveRunbookParams} from '../../core/runbook/parameters.js'
import {newRunId, newRunState} from '../../core/runbook/run-state.js'
import {secretParamsOf, splitSecretParams} from '../../core/runbook/secrets.js'
import {selectEnvironment} from '../../core/stages/select.js'

export default class RunbookRun extends FintechCommand {
  static summary = 'Run a runbook against an env: pre-checks, approvals, the change, the checks after it; resumable from the step where it stopped.'

  static description = [
    'Validates the runbook, fills its parameters (--param, else the stack output or env value the parameter names, else its default), checks the caller\'s account,',
    'prints the plan and runs the steps in order: each with its timeout and retries, onFailure abort (default), continue or step:NAME.',
    'The state (each step\'s status and outputs) is saved after every step, so `fintech runbook resume RUN_ID` continues where the run stopped:',
    'a failed step, Ctrl-C, a crash. Every step goes to the run\'s audit log (JSONL next to the state file), every change also to the env\'s audit log.',
    'Secrets (the outputs of calls such as secretsmanager:GetSecretValue, outputs and parameters marked secret) reach the steps that use them and are [redacted] everywhere else.',
    '--dry-run makes the read-only calls up to the first change and shows every change, approval and later step without doing it.',
    'Approval steps ask on a terminal; without one they need --yes; in a protected env the env name must be typed, whatever the flags.',
    'Exit 0 succeeded, 1 a step failed, 2 bad input or an approval refused, 130 interrupted.',
  ].join(' ')

  static examples = [
    '<%= config.bin %> runbook run failover --env test --param targetInstance=fintech-test-aurora-2 --dry-run',
    '<%= config.bin %> runbook run ledger-scale --env dev --param desiredCount=6 --param minCapacity=4 --yes',
  ]

  static args = {name: Args.string({description: 'the runbook (fintech runbook list)', required: true})}

  static flags = {
    env: Flags.string({description: 'the environment to run in (one of the runbook\'s envs)', required: true}),
    param: Flags.string({char: 'p', description: 'a parameter as NAME=VALUE (repeat for each)', multiple: true}),
    'dry-run': Flags.boolean({description: 'read-only calls up to the first change; every change shown, none made', default: false}),
    ...runFlags,
  }

  async run(): Promise<RunbookRunOutput> {
    const {args, flags} = await this.parse(RunbookRun)
    const loaded = this.readConfig(flags.config)
    const set = projectRunbooks(loaded)
    const runbook = runnableRunbook(set, args.name)
    selectEnvironment(loaded.config, flags.env)
    assertRunbookEnv(runbook, flags.env)
    const given = parseParamFlags(flags.param ?? [])
    checkGivenParams(runbook, given)
    const aws = this.awsTarget(loaded, flags.env, flags)
    const {caller, audit} = await openGuardedSession(loaded, flags.env, aws)
    const secretNames = secretParamsOf(runbook)
    const {kept, secret} = splitSecretParams(await resolveRunbookParams(runbook, given, parameterSources(loaded, flags.env, aws)), (name) => secretNames.has(name))
    const now = new Date()
    const state = newRunState({id: newRunId(runbook.name, flags.env, now), runbook: runbook.name, runbookHash: runbookHash(loaded, runbook), env: flags.env, params: kept, dryRun: flags['dry-run'], caller: caller.arn, now})
    const conduct = () => conductRun(runbook, state, {loaded, set, aws, audit, yes: flags.yes, json: this.jsonEnabled(), secretParams: secret, ...(flags['log-group'] ? {logGroup: flags['log-group']} : {})})
    return this.deliver(await (state.dryRun ? conduct() : holdingRun(state.id, conduct)))
  }
}
