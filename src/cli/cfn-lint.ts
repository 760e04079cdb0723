import {join} from 'node:path'
import type {Finding} from '../core/validate/finding.js'

export type CfnLintRun = {available: true; findings: Finding[]} | {available: false; reason: string}

/** `file:line:col:endLine:endCol:rule:message`, cfn-lint's parseable format. */
const PARSEABLE = /^(.+?):(\d+):(\d+):\d+:\d+:([A-Z]\d+):(.*)$/

/**
 * Runs cfn-lint, the linter AWS maintains, over the given templates and turns its findings
 * into ours. Its exit code is a bit mask of what it found, so only its output is read.
 */
export async function runCfnLint(root: string, files: string[]): Promise<CfnLintRun> {
  if (files.length === 0) return {available: true, findings: []}
  const {execa} = await import('execa')
  const result = await execa('cfn-lint', ['--format', 'parseable', ...files], {cwd: root, reject: false})
  if ((result as {code?: string}).code === 'ENOENT') {
    return {available: false, reason: 'cfn-lint is not installed; ran the built-in checks only'}
  }
  const findings: Finding[] = []
  for (const line of result.stdout.split('\n')) {
    const match = PARSEABLE.exec(line.trim())
    if (!match) continue
    const [, file, row, column, rule, message] = match
    findings.push({
      file: file!.startsWith(root) ? file!.slice(join(root, '/').length) : file!,
      line: Number(row),
      column: Number(column),
      ruleId: rule!,
      severity: rule!.startsWith('E') ? 'error' : 'warning',
      message: message!.trim(),
      source: 'cfn-lint',
    })
  }
  if (findings.length === 0 && result.exitCode !== 0) {
    // A crash must fail the check, not pass it silently as if cfn-lint were absent.
    const reason = (result.stderr || result.stdout).trim().split('\n').at(-1) ?? `exit ${result.exitCode}`
    findings.push({file: files[0]!, line: 1, column: 1, ruleId: 'FT-LINT-001', severity: 'error', message: `cfn-lint failed: ${reason}`, source: 'cfn-lint'})
  }
  return {available: true, findings}
}
