import {Flags} from '@oclif/core'
import {FintechCommand} from '../cli/base-command.js'
import {validateCommand, validationRules, type RuleInfo, type ValidateOutput} from '../cli/validate.js'

export default class Validate extends FintechCommand {
  static summary = 'Check every template, parameter file and stage contract, offline.'

  static description = `Runs the built-in checks (CloudFormation resource specification, references, unused parameters, template size), the security rules and the stage contracts of every environment, the guardrail checks of \`fintech scp validate\` (the SCPs under templates/scp/ and the tag policy), the runbooks under runbooks/ (schema and references, as \`fintech runbook\` reads them), and cfn-lint when it is installed. Findings print as file:line:col rule-id message, grouped by file. Exit 1 on any error, 0 with warnings only. A security finding can be suppressed for one resource in its Metadata: fintech: {suppress: {RULE-ID: "the reason"}}.`

  static baseFlags = FintechCommand.offlineBaseFlags

  static examples = ['<%= config.bin %> validate', '<%= config.bin %> validate --no-cfn-lint --json', '<%= config.bin %> validate --rules']

  static flags = {
    'cfn-lint': Flags.boolean({default: true, allowNo: true, description: 'also run cfn-lint (skipped with a note when it is not installed)'}),
    rules: Flags.boolean({default: false, description: 'list the rules fintech applies, with why each exists, and exit'}),
  }

  async run(): Promise<ValidateOutput | {rules: RuleInfo[]}> {
    const {flags} = await this.parse(Validate)
    if (flags.rules) return this.deliver(await validationRules())
    return this.deliver(await validateCommand(() => this.readConfig(flags.config), flags, this.io()))
  }
}
