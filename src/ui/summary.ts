import Table from 'cli-table3'
import type {DeployRunResult} from '../core/deploy/run-deploy.js'
import type {OfflinePlan, PlannedCondition} from '../core/deploy/offline-plan.js'
import {columnLines} from './columns.js'
import {stdoutPalette} from './colour.js'
import {OUTCOME_TONES} from './labels.js'
import type {StackOutcome} from '../core/deploy/events.js'

const paintOutcome = (outcome: StackOutcome) => {
  const tone = OUTCOME_TONES[outcome]
  return tone ? stdoutPalette[tone](outcome) : outcome
}

const plainTable = (head: string[]) => new Table({head, style: {head: [], border: [], compact: true}})

/** The closing table of a deploy or dry run: one row per stack. */
export function renderDeploySummary(result: DeployRunResult): string {
  const table = plainTable(['Stage', 'Stack', 'Outcome', 'Status', 'Detail'])
  for (const stage of result.stages) {
    for (const stack of stage.stacks) {
      table.push([stage.name, stack.stackName, paintOutcome(stack.outcome), stack.status ?? '-', stack.rootCause ? `${stack.rootCause.logicalId}: ${stack.rootCause.reason}` : stack.detail ?? ''])
    }
  }
  return `${result.dryRun ? 'Dry run' : 'Deploy'} of ${result.env}:\n${table.toString()}`
}

/** The README's first command prints this: what would be deployed, from the files alone. */
export function renderOfflinePlan(plan: OfflinePlan): string {
  const lines = [
    `Offline plan for ${plan.env} (account ${plan.account}, ${plan.region}${plan.recoveryRegion ? `, recovery region ${plan.recoveryRegion}` : ''}${plan.protected ? ', protected' : ''}). No AWS call was made.`,
  ]
  for (const stage of plan.stages) {
    lines.push('', `Stage ${stage.name}`)
    for (const stack of stage.stacks) {
      lines.push(
        `  ${stack.stackName}  ${stack.region}  ${stack.template}  ${stack.templateBytes} bytes${stack.viaArtifactBucket ? ' (via the artifact bucket)' : ''}${stack.dependsOn.length ? `  after ${stack.dependsOn.join(', ')}` : ''}`,
      )
      const parameters = Object.entries(stack.parameters)
      if (parameters.length > 0) {
        lines.push('', ...indented(columnLines([['Parameter', 'Value', 'From'], ...parameters.map(([name, parameter]) => [name, parameter.value, parameter.source])])))
      }
      const conditional = stack.resources.some((resource) => resource.condition)
      const resources = stack.resources.map((resource) => [
        resource.logicalId,
        resource.type,
        resource.stateful ? 'yes' : '',
        resource.deletionPolicy ?? '',
        ...(conditional ? [conditionText(resource.condition)] : []),
      ])
      lines.push('', ...indented(columnLines([['Resource', 'Type', 'Keeps data', 'DeletionPolicy', ...(conditional ? ['Condition'] : [])], ...resources])))
      if (stack.outputs.length > 0) {
        lines.push('', `    Outputs: ${stack.outputs.map((output) => (output.condition ? `${output.name} (${conditionText(output.condition)})` : output.name)).join(', ')}`)
      }
      const notCreated = [
        ...stack.notCreated.resources.map((resource) => [resource.logicalId, resource.type, resource.condition]),
        ...stack.notCreated.outputs.map((output) => [output.name, 'output', output.condition]),
      ]
      if (notCreated.length > 0) {
        lines.push('', `    Not created in ${plan.env} (condition false):`, ...columnLines(notCreated).map((line) => `      ${line}`))
      }
    }
  }
  return lines.join('\n')
}

const conditionText = (condition: PlannedCondition | undefined) =>
  condition === undefined ? '' : condition.value === 'unknown' ? `${condition.name}: unknown offline` : condition.name

const indented = (lines: string[]) => lines.map((line) => `    ${line}`)
