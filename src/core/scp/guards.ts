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

export const describeDenial = (denial: BreakGlassDenial): string =>
  denial.reason === 'explicit-deny'
    ? `${denial.action} is denied to ${denial.principal} in ${denial.env} by ${denial.deniedBy.policy} (${denial.deniedBy.statement}) at ${denial.deniedBy.target}`
    : `${denial.action} is not allowed to ${denial.principal} in ${denial.env}: nothing attached at ${denial.deniedBy.target} allows it`
