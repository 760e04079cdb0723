import Table from 'cli-table3'
import type {StackSetPlan, ValueChange} from '../core/stacksets/plan.js'
import type {StackSetRun} from '../core/stacksets/run.js'
import type {StackSetStatus} from '../core/stacksets/status.js'

const tableStyle = {head: [], border: [], compact: true}

const STEP_LABEL = {'create-stack-set': 'create the StackSet (SERVICE_MANAGED)', 'update-stack-set': 'update the StackSet', 'create-instances': 'create stack instances'} as const

const change = (kind: string, value: ValueChange) =>
  `  ${kind} ${value.name}: ${value.before === undefined ? '(none)' : value.before} -> ${value.after === undefined ? '(removed)' : value.after}`

function stepLine(step: StackSetPlan['steps'][number]): string {
  const targets = step.organizationalUnits ? ` for ${step.organizationalUnits.join(', ')} in ${step.regions!.join(', ')}` : ''
  return `  ${STEP_LABEL[step.action]}${targets} (${step.action === 'create-stack-set' ? 'request' : 'operation'} ${step.token})`
}

/** What the rollout will change, StackSet by StackSet, shown before asking. */
export function renderRolloutPlan(plans: StackSetPlan[], administrator: string): string {
  return plans
    .map((plan) => {
      const heading = `StackSet ${plan.name} (stage ${plan.stage}, ${plan.env} values, administered from ${administrator}): ${plan.exists ? `${plan.instances.length} stack instances` : 'not created yet'}`
      const lines = [heading]
      if (plan.refusal) lines.push(`  refused: ${plan.refusal}`)
      if (plan.exists && plan.templateDiff) lines.push('  template:', ...plan.templateDiff.split('\n').map((line) => `    ${line}`))
      lines.push(...plan.parameterChanges.map((value) => change('parameter', value)), ...plan.tagChanges.map((value) => change('tag', value)))
      if (plan.autoDeploymentChange) lines.push(change('auto-deployment', plan.autoDeploymentChange))
      for (const instance of plan.untouched) lines.push(`  left alone (not in the config): ${instance.account} ${instance.region} ${instance.organizationalUnitId ?? ''}`.trimEnd())
      lines.push(...(plan.steps.length ? plan.steps.map(stepLine) : plan.refusal ? [] : ['  no changes']))
      return lines.join('\n')
    })
    .join('\n\n')
}

/** Per account and region: how each operation ended, and the reason of each failure. */
export function renderRolloutSummary(runs: StackSetRun[]): string {
  const table = new Table({head: ['StackSet', 'Step', 'Outcome', 'Account', 'Region', 'Status', 'Reason'], style: tableStyle})
  for (const run of runs) {
    if (run.steps.length === 0) table.push([run.name, '-', 'no changes', '', '', '', ''])
    for (const step of run.steps) {
      if (step.accounts.length === 0) table.push([run.name, step.action, step.outcome, '', '', step.status ?? '', step.reason ?? ''])
      for (const account of step.accounts) table.push([run.name, step.action, step.outcome, account.account, account.region, account.status, account.reason ?? ''])
    }
  }
  const failed = runs.flatMap((run) => run.steps.flatMap((step) => step.accounts.filter((account) => account.status === 'FAILED').map((account) => `${run.name} ${account.account} ${account.region}`)))
  return [table.toString(), ...(failed.length ? [`Failed in ${failed.length} account-region${failed.length === 1 ? '' : 's'}: ${failed.join(', ')}`] : [])].join('\n')
}

/** `fintech status --org`: one row per stack instance, with the last drift check's verdict. */
export function renderStackSetStatus(statuses: StackSetStatus[], administrator: string): string {
  return statuses
    .map((status) => {
      const last = status.lastOperation ? `; last operation ${status.lastOperation.id} ${status.lastOperation.action} ${status.lastOperation.status}` : ''
      const heading = `StackSet ${status.name} (${status.env} values, administered from ${administrator})${status.deployed ? last : ': not deployed'}`
      if (!status.deployed) return heading
      const table = new Table({head: ['Account', 'Region', 'OU', 'Status', 'Detail', 'Reason', 'Drift', 'Drift checked'], style: tableStyle})
      for (const instance of status.instances) {
        table.push([
          instance.account,
          instance.region,
          instance.organizationalUnitId ?? '',
          instance.status,
          instance.detailedStatus ?? '',
          instance.statusReason ?? '',
          instance.driftStatus ?? 'NOT_CHECKED',
          instance.lastDriftCheck?.toISOString() ?? '-',
        ])
      }
      return `${heading}\n${status.instances.length ? table.toString() : '  no stack instances'}`
    })
    .join('\n\n')
}
