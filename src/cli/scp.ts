import type {AwsTarget} from '../aws/clients.js'
import type {AuditSink} from '../core/audit/audit-log.js'
import type {LoadedConfig} from '../core/config/load.js'
import {InputError} from '../core/errors.js'
import type {OrganizationsApi} from '../core/scp/api.js'
import type {GuardrailValidation} from '../core/scp/checks.js'
import {MANAGEMENT_ENV, desiredPolicies, type DesiredPolicy} from '../core/scp/desired.js'
import type {StatementMatcher} from '../core/scp/evaluate.js'
import type {ScpPlan} from '../core/scp/plan.js'
import {sortFindings} from '../core/validate/run-validate.js'
import {openGuardedSession} from './aws-session.js'

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
  if (!loaded.config.environments[MANAGEMENT_ENV]) {
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
  const session = await openGuardedSession(loaded, MANAGEMENT_ENV, target)
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
