import type {PolicyDocument, PolicyStatement} from './document.js'
import {statementLabel} from './document.js'
import {evaluateChain, type ChainLevel, type StatementMatcher, type StatementRef} from './evaluate.js'
import {buildRequest, parsePrincipal} from './request.js'

/**
 * What the break-glass role must still be able to do in every env, whatever the guardrails:
 * the emergency work on data, the service and IAM. `scp validate` checks the config's
 * guardrails against it and `scp apply` refuses a plan that would deny any of it.
 */
export const BREAK_GLASS_ACTIONS = [
  'rds:DeleteDBCluster',
  'rds:ModifyDBCluster',
  'rds:FailoverDBCluster',
  'rds:RestoreDBClusterToPointInTime',
  'dynamodb:DeleteTable',
  'dynamodb:UpdateTable',
  'dynamodb:RestoreTableToPointInTime',
  'ecs:UpdateService',
  'cloudformation:ExecuteChangeSet',
  'cloudformation:DeleteStack',
  'iam:GetRole',
  'iam:PassRole',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
  'iam:PutRolePolicy',
  'sts:AssumeRole',
] as const

/**
 * A Deny that refuses every action (or every action but a NotAction list) on every resource,
 * with no condition to narrow it: attached to the root it locks every account out.
 */
export function deniesEverything(statement: PolicyStatement): boolean {
  if (statement.effect !== 'Deny' || statement.conditions.length > 0 || statement.notResource) return false
  const everyResource = statement.resource?.includes('*') ?? false
  return everyResource && (statement.action?.includes('*') || statement.notAction !== undefined)
}

export const denyEverythingStatements = (document: PolicyDocument): string[] => document.statements.filter(deniesEverything).map(statementLabel)

/** The SCP does not restrict itself to granting: at least one Allow statement, of any kind. */
export const hasAllow = (document: PolicyDocument): boolean => document.statements.some((statement) => statement.effect === 'Allow')

export interface BreakGlassDenial {
  env: string
  action: string
  principal: string
  deniedBy: StatementRef
  reason: 'explicit-deny' | 'no-allow'
}

/** Runs BREAK_GLASS_ACTIONS as the break-glass role of one env's account against its chain of SCPs. */
export function breakGlassDenials(
  matcher: StatementMatcher,
  options: {env: string; account: string; region: string; role: string; levels: ChainLevel[]},
): BreakGlassDenial[] {
  const principal = parsePrincipal(`arn:aws:iam::${options.account}:role/${options.role}`)
  return BREAK_GLASS_ACTIONS.flatMap((action) => {
    const decision = evaluateChain(matcher, options.levels, buildRequest({action, principal, region: options.region}))
    if (decision.decision === 'allowed') return []
    return [{env: options.env, action, principal: principal.arn, deniedBy: decision.deniedBy!, reason: decision.reason as BreakGlassDenial['reason']}]
  })
}

const listed = (items: string[]) => (items.length === 1 ? items[0]! : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`)

/** Denials that share an env and a cause, as one: the actions listed together. */
export function groupDenials(denials: BreakGlassDenial[]): Array<BreakGlassDenial & {actions: string[]}> {
  const groups = new Map<string, BreakGlassDenial & {actions: string[]}>()
  for (const denial of denials) {
    const key = JSON.stringify([denial.env, denial.reason, denial.deniedBy])
    if (!groups.has(key)) groups.set(key, {...denial, actions: []})
    groups.get(key)!.actions.push(denial.action)
  }
  return [...groups.values()]
}

export const describeDenial = (denial: BreakGlassDenial & {actions?: string[]}): string => {
  const actions = listed(denial.actions ?? [denial.action])
  const verb = (denial.actions?.length ?? 1) > 1 ? 'are' : 'is'
  return denial.reason === 'explicit-deny'
    ? `${actions} ${verb} denied to ${denial.principal} in ${denial.env} by ${denial.deniedBy.policy} (${denial.deniedBy.statement}) at ${denial.deniedBy.target}`
    : `${actions} ${verb} not allowed to ${denial.principal} in ${denial.env}: nothing attached at ${denial.deniedBy.target} allows it`
}
