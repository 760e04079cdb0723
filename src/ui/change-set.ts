import Table from 'cli-table3'

import type {ClassifiedChange, ClassifiedChangeSet} from '../core/changeset/classify.js'
import {stdoutPalette, type Palette} from './colour.js'

function replacementLabel(change: ClassifiedChange): string {
  return change.replacement === 'True' || change.replacement === 'Conditional' ? change.replacement : '-'
}

function listOrDash(values: string[]): string {
  return values.length > 0 ? values.join(', ') : '-'
}

function describeDestructive(change: ClassifiedChange): string {
  const resource = `stateful resource ${change.logicalId} (${change.resourceType})`
  if (change.risks.includes('stateful-removal')) return `${resource} would be removed`
  // Conditional and Dynamic replacements are decided by CloudFormation at execution time.
  const verb = change.replacement === 'True' ? 'would be replaced' : 'may be replaced'
  const causes = change.replacementCauses.length > 0 ? ` because of: ${change.replacementCauses.join(', ')}` : ''
  return `${resource} ${verb}${causes}`
}

/** The change set as a reviewer reads it before approving: every change, then what is risky and why. */
/** `palette` is that of the stream it is written to: a progress log on stderr passes stderr's. */
export function renderChangeSet(stackName: string, changeSet: ClassifiedChangeSet, palette: Palette = stdoutPalette): string {
  if (changeSet.changes.length === 0) return `Change set for ${stackName}: no changes`

  const table = new Table({
    head: ['Action', 'Logical ID', 'Type', 'Replacement', 'Causes', 'Risk'],
    // Only the risks are coloured, and only where the colour decision allows (src/ui/colour.ts).
    style: {head: [], border: []},
    // No rule between rows: a long change set stays short enough to review on one screen.
    chars: {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''},
  })
  for (const change of changeSet.changes) {
    table.push([
      change.action,
      change.logicalId,
      change.resourceType,
      replacementLabel(change),
      listOrDash(change.replacementCauses),
      change.risks.length > 0 ? palette.bad(change.risks.join(', ')) : '-',
    ])
  }

  const {add, modify, remove} = changeSet.counts
  const lines = [`Change set for ${stackName}:`, table.toString(), `${add} to add, ${modify} to modify, ${remove} to remove`]
  if (changeSet.destructive.length > 0) {
    lines.push(palette.bad('Destructive changes:'), ...changeSet.destructive.map((change) => `  ${describeDestructive(change)}`))
  }
  if (changeSet.broadening.length > 0) {
    lines.push(palette.warn('Permission-broadening changes:'))
    for (const change of changeSet.broadening) {
      lines.push(`  ${change.logicalId} (${change.resourceType})`, ...change.broadening.map((grant) => `    ${grant}`))
    }
  }
  return lines.join('\n')
}
