import type {RunbookProblem} from '../core/runbook/load.js'
import {operatorOf, type Runbook, type Step, type StepOutput} from '../core/runbook/schema.js'
import {secretOutputsOf} from '../core/runbook/secrets.js'
import type {Unmappable} from '../core/runbook/ssm.js'

const pad = (rows: string[][]): string[] => {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd())
}

export const problemLines = (problems: RunbookProblem[]): string[] => problems.map((problem) => `${problem.file}:${problem.line}: ${problem.message}`)

export function renderRunbookList(runbooks: Runbook[], problems: RunbookProblem[]): string {
  const lines = runbooks.length === 0 ? ['no runbooks under runbooks/'] : pad([['NAME', 'SEVERITY', 'ENVS', 'TITLE'], ...runbooks.map((runbook) => [runbook.name, runbook.severity, runbook.envs.join(','), runbook.title])])
  if (problems.length > 0) lines.push('', `${problems.length} problem${problems.length === 1 ? '' : 's'} (fintech validate):`, ...problemLines(problems).map((line) => `  ${line}`))
  return lines.join('\n')
}

/** What a step does, in one line a tired engineer can read. */
export function stepSummary(step: Step): string {
  switch (step.kind) {
    case 'aws':
      return `${step.service}:${step.api} ${JSON.stringify(step.parameters)}`
    case 'wait':
      return `until ${step.service}:${step.api} ${JSON.stringify(step.parameters)} ${step.selector} is ${step.desiredValues.join(' or ')}`
    case 'assert':
      return `${step.service}:${step.api} ${JSON.stringify(step.parameters)} ${step.selector} must be ${step.expected.join(' or ')}`
    case 'approve':
      return `a human approves: ${step.summary}`
    case 'shell':
      return `$ ${step.command}`
    case 'redis':
      return `fintech redis ${step.operation}${Object.keys(step.parameters).length > 0 ? ` ${JSON.stringify(step.parameters)}` : ''}`
    case 'runbook':
      return `runbook ${step.runbook}${Object.keys(step.parameters).length > 0 ? ` ${JSON.stringify(step.parameters)}` : ''}`
    case 'script': {
      const operator = operatorOf(step)
      return `${step.value} ${operator} ${step[operator]}`
    }
    case 'pick': {
      const by = typeof step.by === 'string' ? step.by : `${step.by.service}:${step.by.api} ${JSON.stringify(step.by.parameters)} ${step.by.selector}`
      return `of ${typeof step.items === 'string' ? step.items : JSON.stringify(step.items)}${step.given ? ` (${step.given} when given)` : ''}, the ${step.order} by ${by}`
    }
  }
}

const stepFlags = (step: Step): string[] => [
  ...(step.budgetSeconds ? [`budget ${step.budgetSeconds} s`] : []),
  ...(step.timeout ? [`timeout ${step.timeout} s`] : []),
  ...(step.retries > 0 ? [`${step.retries} retr${step.retries === 1 ? 'y' : 'ies'}`] : []),
  ...(step.onFailure === 'abort' ? [] : [`on failure ${step.onFailure.replace(/^step:/, '→ ')}`]),
  ...(step.end ? ['ends the run'] : []),
]

/** The seconds the runbook's steps are budgeted, in all; undefined when no step has a budget. */
export function rtoBudgetSeconds(runbook: Runbook): number | undefined {
  const budgets = runbook.steps.flatMap((step) => (step.budgetSeconds ? [step.budgetSeconds] : []))
  return budgets.length > 0 ? budgets.reduce((sum, budget) => sum + budget, 0) : undefined
}

export function renderRunbook(runbook: Runbook): string {
  const lines = [`${runbook.title} (${runbook.name}, ${runbook.severity}, envs ${runbook.envs.join(', ')})`, '', runbook.description, '', `When to use: ${runbook.whenToUse}`, '']
  const params = Object.entries(runbook.parameters)
  if (params.length > 0) {
    lines.push('Parameters:')
    for (const [name, spec] of params) {
      const type = spec.type === 'enum' ? spec.values.join('|') : spec.type
      const source = spec.from ? ('stackOutput' in spec.from ? `from stack output ${spec.from.stackOutput}` : `from the env's ${spec.from.env}`) : undefined
      lines.push(`  ${name} (${type}${source ? `, ${source}` : spec.default === undefined ? ', required' : `, default ${spec.default}`}${spec.secret ? ', secret' : ''}): ${spec.description}`)
    }
    lines.push('')
  }
  if (runbook.region === 'recovery') lines.push("Runs in the env's recovery region (environments.<env>.recovery.region): every AWS call goes there.", '')
  const budget = rtoBudgetSeconds(runbook)
  if (budget !== undefined) lines.push(`RTO budget: ${budget} s (${Math.round((budget / 60) * 10) / 10} min), the sum of the steps' budgets`, '')
  lines.push('Steps:')
  const width = String(runbook.steps.length).length
  const secret = secretOutputsOf(runbook)
  runbook.steps.forEach((step, index) => {
    const flags = stepFlags(step)
    lines.push(`  ${String(index + 1).padStart(width)}. ${step.name} [${step.kind}]${flags.length > 0 ? ` (${flags.join(', ')})` : ''}`)
    lines.push(`  ${' '.repeat(width + 2)}${stepSummary(step)}`)
    const outputs = Object.entries(step.outputs as Record<string, StepOutput>)
    if (outputs.length > 0) lines.push(`  ${' '.repeat(width + 2)}outputs: ${outputs.map(([name, output]) => `${name} = ${typeof output === 'string' ? output : output.selector}${secret.get(step.name)?.has(name) ? ' (secret)' : ''}`).join(', ')}`)
  })
  lines.push('', runbook.prose.trimEnd())
  return lines.join('\n')
}

export function renderUnmappable(name: string, unmappable: Unmappable[]): string {
  return [`${name}: ${unmappable.length} step${unmappable.length === 1 ? '' : 's'} with no SSM Automation equivalent; no document written:`, ...unmappable.map((entry) => `  ${entry.step} [${entry.kind}]: ${entry.reason}`)].join('\n')
}
