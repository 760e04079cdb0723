import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {isAbsolute, join, relative} from 'node:path'
import type {Finding} from '../core/validate/finding.js'

export type CfnLintRun = {available: true; findings: Finding[]} | {available: false; reason: string}

/** One entry of `cfn-lint --format json`, the fields read here. */
interface CfnLintMatch {
  Filename: string | null
  Location: {Start: {LineNumber: number; ColumnNumber: number}}
  Message: string
  Rule: {Id: string}
}

/**
 * Runs cfn-lint, the linter AWS maintains, once over all the given templates and turns its
 * findings into ours, each under the file it names. The process starts before this returns,
 * so it runs while the caller goes on with its own checks. Its exit code is a bit mask of what
 * it found, so only its output is read. `signal` ends the process when its answer is not needed.
 */
export function runCfnLint(root: string, templates: string[], options: {signal?: AbortSignal} = {}): Promise<CfnLintRun> {
  // One missing file makes cfn-lint lint none of them; the built-in checks report it.
  const files = templates.filter((file) => existsSync(join(root, file)))
  if (files.length === 0) return Promise.resolve({available: true, findings: []})
  const child = spawn('cfn-lint', ['--format', 'json', '--', ...files], {cwd: root, signal: options.signal, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  return new Promise((resolve) => {
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') resolve({available: false, reason: 'cfn-lint is not installed; ran the built-in checks only'})
      else resolve({available: true, findings: [lintFailure(files[0]!, error.message)]})
    })
    child.on('close', (exitCode) => resolve({available: true, findings: toFindings(root, files, {stdout, stderr, exitCode})}))
  })
}

function toFindings(root: string, files: string[], output: {stdout: string; stderr: string; exitCode: number | null}): Finding[] {
  const matches = parseMatches(output.stdout)
  const findings = (matches ?? []).map((match): Finding => {
    const ruleId = match.Rule.Id
    return {
      // A match about cfn-lint's own configuration names no file.
      file: match.Filename === null ? files[0]! : projectPath(root, match.Filename),
      line: match.Location.Start.LineNumber,
      column: match.Location.Start.ColumnNumber,
      ruleId,
      severity: ruleId.startsWith('E') ? 'error' : 'warning',
      message: match.Message.trim(),
      source: 'cfn-lint',
    }
  })
  if (matches === undefined || (findings.length === 0 && output.exitCode !== 0)) {
    // A crash must fail the check, not pass it silently as if cfn-lint were absent.
    findings.push(lintFailure(files[0]!, (output.stderr || output.stdout).trim().split('\n').at(-1) || `exit ${output.exitCode}`))
  }
  return findings
}

const lintFailure = (file: string, reason: string): Finding => ({
  file,
  line: 1,
  column: 1,
  ruleId: 'FT-LINT-001',
  severity: 'error',
  message: `cfn-lint failed: ${reason}`,
  source: 'cfn-lint',
})

/** cfn-lint's JSON list, or undefined when the output is not one (a crash prints a traceback). */
function parseMatches(stdout: string): CfnLintMatch[] | undefined {
  try {
    const parsed: unknown = JSON.parse(stdout)
    return Array.isArray(parsed) ? (parsed as CfnLintMatch[]) : undefined
  } catch {
    return undefined
  }
}

const projectPath = (root: string, file: string) => (isAbsolute(file) ? relative(root, file) : file)
