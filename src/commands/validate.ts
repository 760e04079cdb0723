import {Flags} from '@oclif/core'
import {FintechCommand} from '../cli/base-command.js'
import {type CfnLintRun, runCfnLint} from '../cli/cfn-lint.js'
import {projectRunbooks, runbookApiProblems} from '../cli/runbooks.js'
import {checkGuardrails} from '../cli/scp.js'
import {ExitCode, FileError} from '../core/errors.js'
import {RefusedFileError} from '../core/template/read.js'
import type {Finding, RuleInfo} from '../core/validate/finding.js'
import {allRules, parseFinding, projectTemplates, sortFindings, validateProject} from '../core/validate/run-validate.js'
import {renderFindings} from '../ui/findings.js'
import {lintProgress} from '../ui/lint-progress.js'

interface ValidateOutput {
  files: string[]
  cfnLint: 'ran' | 'skipped' | 'missing'
  errors: number
  warnings: number
  findings: Finding[]
}

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
    if (flags.rules) {
      const [{securityRules}, {suppressionRules}, {SCP_RULES}, {RUNBOOK_RULES}] = await Promise.all([
        import('../core/validate/security/index.js'),
        import('../core/validate/suppress.js'),
        import('../core/scp/checks.js'),
        import('../core/runbook/findings.js'),
      ])
      const rules = allRules(securityRules, suppressionRules, [...Object.values(SCP_RULES), ...Object.values(RUNBOOK_RULES)])
      const text = rules.map((rule) => `${rule.id.padEnd(11)} ${rule.severity.padEnd(7)} ${rule.title}\n${' '.repeat(20)}${rule.rationale}`).join('\n')
      return this.deliver({text, exitCode: ExitCode.ok, result: {rules}})
    }
    let findings: Finding[]
    let files: string[]
    let cfnLint: ValidateOutput['cfnLint'] = flags['cfn-lint'] ? 'ran' : 'skipped'
    const lintNotNeeded = new AbortController()
    try {
      const loaded = this.readConfig(flags.config)
      const templates = projectTemplates(loaded)
      // cfn-lint takes longer than all the built-in checks together: it starts first and runs beside them.
      const lint = flags['cfn-lint'] ? runCfnLint(loaded.root, templates, {signal: lintNotNeeded.signal}) : undefined
      const progress = lint ? lintProgress(process.stderr, templates.length, {json: this.jsonEnabled()}) : undefined
      let linted: CfnLintRun | undefined
      try {
        const [{loadResourceSpec}, {securityRules}, {applySuppressions}] = await Promise.all([
          import('../core/validate/resource-spec.js'),
          import('../core/validate/security/index.js'),
          import('../core/validate/suppress.js'),
        ])
        const result = validateProject({loaded, templates, spec: await loadResourceSpec(), securityRules, applySuppressions})
        const guardrails = await checkGuardrails(loaded)
        const runbooks = projectRunbooks(loaded)
        const {runbookFindings} = await import('../core/runbook/findings.js')
        findings = sortFindings([...result.findings, ...guardrails.findings, ...runbookFindings([...runbooks.problems, ...runbooks.warnings, ...(await runbookApiProblems(runbooks))])])
        files = [...result.templates, ...result.parameterFiles, ...guardrails.files, ...runbooks.files]
        progress?.builtinChecksDone()
        linted = await lint
      } finally {
        progress?.stop()
      }
      if (linted?.available) findings = sortFindings([...findings, ...linted.findings])
      else if (linted) {
        cfnLint = 'missing'
        this.note(linted.reason)
      }
    } catch (error) {
      lintNotNeeded.abort()
      // A config that does not parse is itself a finding, reported like the others; a file refused unread is bad input.
      if (!(error instanceof FileError) || error instanceof RefusedFileError) throw error
      findings = [parseFinding(error)]
      files = [error.file]
    }

    const errors = findings.filter((finding) => finding.severity === 'error').length
    const warnings = findings.length - errors
    return this.deliver({
      text: renderFindings(findings, files.length),
      exitCode: errors > 0 ? ExitCode.failed : ExitCode.ok,
      result: {files, cfnLint, errors, warnings, findings},
    })
  }
}
