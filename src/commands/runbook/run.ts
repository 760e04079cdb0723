import {Args} from '@oclif/core'
import {RunbookStartCommand, type RunbookRunOutput} from '../../cli/runbook-base.js'
import {startFlags} from '../../cli/flags.js'

export default class RunbookRun extends RunbookStartCommand {
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

  static flags = startFlags

  async run(): Promise<RunbookRunOutput> {
    const {args, flags} = await this.parse(RunbookRun)
    return this.startRun(args.name, flags)
  }
}
