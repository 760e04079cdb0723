import {Args, Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {runbookResumeCommand, type RunbookRunOutput} from '../../cli/runbook-base.js'
import {runFlags} from '../../cli/flags.js'

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
    return this.deliver(await runbookResumeCommand(() => this.readConfig(flags.config), args.id, flags, this.io()))
  }
}
