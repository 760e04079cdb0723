import {Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {scpApplyCommand, type ScpApplyOutput} from '../../cli/scp.js'
import {yesFlag} from '../../cli/flags.js'

export default class ScpApply extends FintechCommand {
  static summary = 'Apply the config\'s SCPs and tag policy to AWS Organizations, after showing the plan.'

  static description = `Runs what \`scp plan\` shows, in order: enable the policy types, create and update policies, attach, then detach (so no target is ever without its policies), then delete fintech's policies the config no longer lists. A second run changes nothing. Changes that reach a protected env (prod, and anything at the root) need approval: a prompt on a terminal, --yes elsewhere; without it exit 2. Whatever the flags, apply refuses (exit 2, nothing changed) a plan that would leave a target with no Allow (e.g. without FullAWSAccess), attach a Deny of every action to the root or the management account, or stop the break-glass role (guardrails.breakGlassRole) from its emergency actions in any env. Each change leaves an audit line. Exit 3 when a change failed after others were made.`

  static examples = ['<%= config.bin %> scp apply --dry-run', '<%= config.bin %> scp apply', '<%= config.bin %> scp apply --yes --json']

  static flags = {
    'dry-run': Flags.boolean({default: false, description: 'show the plan and the guards\' verdict; change nothing'}),
    yes: yesFlag('approve changes that reach a protected env without asking'),
  }

  async run(): Promise<ScpApplyOutput> {
    const {flags} = await this.parse(ScpApply)
    return this.deliver(await scpApplyCommand(this.readConfig(flags.config), flags, this.io()))
  }
}
