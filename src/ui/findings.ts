import type {Finding} from '../core/validate/finding.js'
import {stdoutPalette} from './colour.js'

/** `file:line:col rule-id message`, grouped by file with a blank line between files, then a count. */
export function renderFindings(findings: Finding[], fileCount: number): string {
  const byFile = new Map<string, Finding[]>()
  for (const finding of findings) byFile.set(finding.file, [...(byFile.get(finding.file) ?? []), finding])
  const groups = [...byFile.values()].map((group) =>
    group.map((finding) => `${finding.file}:${finding.line}:${finding.column} ${finding.severity === 'warning' ? `${stdoutPalette.warn(finding.ruleId)} (warning)` : stdoutPalette.bad(finding.ruleId)} ${finding.message}`).join('\n'),
  )
  const errors = findings.filter((finding) => finding.severity === 'error').length
  const warnings = findings.length - errors
  const summary = `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} in ${fileCount} file${fileCount === 1 ? '' : 's'} checked`
  return [...groups, summary].join('\n\n')
}
