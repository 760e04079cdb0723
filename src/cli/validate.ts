import type {LoadedConfig} from '../core/config/load.js'
import {ExitCode, FileError} from '../core/errors.js'
import {RefusedFileError} from '../core/template/read.js'
import type {Finding, RuleInfo} from '../core/validate/finding.js'
import {allRules, parseFinding, projectTemplates, sortFindings, validateProject} from '../core/validate/run-validate.js'
import {renderFindings} from '../ui/findings.js'
import {lintProgress} from '../ui/lint-progress.js'
import {type CfnLintRun, runCfnLint} from './cfn-lint.js'
import type {CommandIO, Outcome} from './command-io.js'
import {projectRunbooks, runbookApiProblems} from './runbooks.js'
import {checkGuardrails} from './scp.js'

export type {RuleInfo}

export interface ValidateOutput {
  files: string[]
  cfnLint: 'ran' | 'skipped' | 'missing'
  errors: number
  warnings: number
  findings: Finding[]
}

/** `fintech validate --rules`: every rule fintech applies, with why it exists. */
export async function validationRules(): Promise<Outcome<{rules: RuleInfo[]}>> {
  const [{securityRules}, {suppressionRules}, {SCP_RULES}, {RUNBOOK_RULES}] = await Promise.all([
    import('../core/validate/security/index.js'),
    import('../core/validate/suppress.js'),
    import('../core/scp/checks.js'),
    import('../core/runbook/findings.js'),
  ])
  const rules = allRules(securityRules, suppressionRules, [...Object.values(SCP_RULES), ...Object.values(RUNBOOK_RULES)])
  const text = rules.map((rule) => `${rule.id.padEnd(11)} ${rule.severity.padEnd(7)} ${rule.title}\n${' '.repeat(20)}${rule.rationale}`).join('\n')
  return {text, exitCode: ExitCode.ok, result: {rules}}
}

/** `fintech validate`: every template, parameter file, stage contract, guardrail and runbook, offline. */
export async function validateCommand(readConfig: () => LoadedConfig, flags: {'cfn-lint': boolean}, io: CommandIO): Promise<Outcome<ValidateOutput>> {
  let findings: Finding[]
  let files: string[]
  let cfnLint: ValidateOutput['cfnLint'] = flags['cfn-lint'] ? 'ran' : 'skipped'
  const lintNotNeeded = new AbortController()
  try {
    const loaded = readConfig()
    const templates = projectTemplates(loaded)
    // cfn-lint takes longer than all the built-in checks together: it starts first and runs beside them.
    const lint = flags['cfn-lint'] ? runCfnLint(loaded.root, templates, {signal: lintNotNeeded.signal}) : undefined
    const progress = lint ? lintProgress(process.stderr, templates.length, {json: io.json}) : undefined
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
      io.note(linted.reason)
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
  return {
    text: renderFindings(findings, files.length),
    exitCode: errors > 0 ? ExitCode.failed : ExitCode.ok,
    result: {files, cfnLint, errors, warnings, findings},
  }
}
