import Table from 'cli-table3'
import type {ChangeResult} from '../core/scp/apply.js'
import type {PolicySummary, TargetCount} from '../core/scp/checks.js'
import {describeChange, type PlannedChange, type ScpPlan} from '../core/scp/plan.js'
import type {SimulationResult} from '../core/scp/simulate.js'
import {stdoutPalette} from './colour.js'

const MARK: Record<PlannedChange['action'], string> = {
  'enable-policy-type': '*',
  create: '+',
  update: '~',
  attach: '>',
  detach: '<',
  delete: 'x',
}

/** Allowed in green; denied, and not allowed by anything, in red. */
const paintDecision = (decision: 'allowed' | 'denied' | 'not-allowed', text: string) => (decision === 'allowed' ? stdoutPalette.good(text) : stdoutPalette.bad(text))

const n = (value: number) => value.toLocaleString('en')

const indent = (text: string, by: string) =>
  text
    .split('\n')
    .map((line) => `${by}${line}`)
    .join('\n')

/** The readable plan: one line per change (content diffs under their update), then approvals, refusals, notes. */
export function renderPlan(plan: ScpPlan): string {
  const lines = [`Organization ${plan.organization.id} (root ${plan.organization.rootId}, management account ${plan.organization.managementAccount})`, '']
  if (plan.changes.length === 0) lines.push('No changes: the organization already has the guardrails of the config.')
  for (const change of plan.changes) {
    lines.push(`  ${MARK[change.action]} ${describeChange(change)}`)
    if (change.action === 'update' && change.diff) lines.push(indent(change.diff, '      '))
  }
  if (plan.unchanged.length > 0) lines.push('', `Unchanged: ${plan.unchanged.join(', ')}`)
  if (plan.approval.required) lines.push('', 'Needs approval (a prompt on a terminal, --yes elsewhere):', ...plan.approval.reasons.map((reason) => `  ! ${reason}`))
  if (plan.refusals.length > 0) lines.push('', 'scp apply refuses this plan, whatever the flags:', ...plan.refusals.map((refusal) => `  ✗ [${refusal.guard}] ${refusal.message}`))
  if (plan.notes.length > 0) lines.push('', 'Notes:', ...plan.notes.map((note) => `  - ${note}`))
  if (plan.changes.length > 0) lines.push('', `${plan.changes.length} change${plan.changes.length === 1 ? '' : 's'}.`)
  return lines.join('\n')
}

export function renderApplyResults(results: ChangeResult[]): string {
  const word = {done: 'done', failed: 'FAILED', 'not-run': 'not run'} as const
  const tone = {done: stdoutPalette.good, failed: stdoutPalette.bad, 'not-run': stdoutPalette.warn} as const
  // Padded before it is coloured: the escape codes have no width on the screen.
  const lines = results.map((result) => `  ${tone[result.result](word[result.result].padEnd(7))} ${describeChange(result.change)}${result.error ? `: ${result.error}` : ''}`)
  const count = (kind: ChangeResult['result']) => results.filter((result) => result.result === kind).length
  return [...lines, '', `${count('done')} done, ${count('failed')} failed, ${count('not-run')} not run.`].join('\n')
}

/** Each policy's size as AWS counts it and where it attaches, then how full each target is. */
export function renderGuardrailSummary(policies: PolicySummary[], targets: TargetCount[]): string {
  const table = new Table({head: ['Policy', 'Type', 'Characters (minified / as written / limit)', 'Targets'], style: {head: [], border: [], compact: true}})
  for (const policy of policies) {
    const {minified, asWritten, limit} = policy.characters
    table.push([policy.name, policy.type === 'TAG_POLICY' ? 'tag policy' : 'SCP', `${n(minified)} / ${asWritten === undefined ? 'generated' : n(asWritten)} / ${n(limit)}`, policy.targets.join(', ')])
  }
  const counts = new Table({head: ['Target', 'SCPs (with FullAWSAccess)', 'Tag policies', 'Limit'], style: {head: [], border: [], compact: true}})
  for (const target of targets) counts.push([target.target, String(target.scps), String(target.tagPolicies), String(target.limit)])
  return `${table.toString()}\n${counts.toString()}`
}

/** The decision, the request as evaluated, each level of the chain with what matched there, and why. */
export function renderSimulation(result: SimulationResult): string {
  const request = result.request
  const lines = [
    `${paintDecision(result.decision, result.decision.toUpperCase())}: ${request.action} at ${result.target}`,
    `  principal ${request.principal}${request.principalArn !== request.principal ? ` (aws:PrincipalArn ${request.principalArn})` : ''}`,
    `  resource  ${request.resource ?? 'any'}`,
    `  region    ${request.region}`,
    '',
  ]
  for (const level of result.chain) {
    lines.push(`${level.target}: ${paintDecision(level.outcome, level.outcome)}`)
    for (const policy of level.policies) {
      const matched = [...policy.denies.map((sid) => stdoutPalette.bad(`denies (${sid})`)), ...policy.allows.map((sid) => stdoutPalette.good(`allows (${sid})`))]
      lines.push(`  ${policy.name}: ${matched.join(', ') || 'no statement matches'}`)
    }
  }
  lines.push('')
  if (result.reason === 'explicit-deny') lines.push(`Decided by ${result.deniedBy!.policy}, statement ${result.deniedBy!.statement}, at ${result.deniedBy!.target}.`)
  else if (result.reason === 'no-allow') lines.push(`Denied because nothing attached at ${result.deniedBy!.target} allows it.`)
  else if (result.reason === 'allowed') lines.push(`Allowed at every level: ${result.allowedBy.map((ref) => `${ref.target} by ${ref.policy} (${ref.statement})`).join('; ')}.`)
  else lines.push('Not restricted by SCPs.')
  if (result.notes.length > 0) lines.push('', ...result.notes.map((note) => `Note: ${note}`))
  return lines.join('\n')
}
