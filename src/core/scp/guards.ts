import type {PolicyDocument, PolicyStatement} from './document.js'
import {statementLabel} from './document.js'
import {evaluateChain, type ChainLevel, type StatementMatcher, type StatementRef} from './evaluate.js'
import {FULL_AWS_ACCESS} from './desired.js'
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
 * Everyday work of any role, with the resource IAM would see (none for actions without resource
 * types): a policy that denies all of it denies everything, whatever its shape or condition.
 */
const EVERYDAY_REQUESTS: Array<{action: string; resource?: (account: string, region: string) => string}> = [
  {action: 'sts:GetCallerIdentity'},
  {action: 's3:GetObject', resource: () => 'arn:aws:s3:::simulated-bucket/simulated-object'},
  {action: 'ec2:DescribeInstances'},
  {action: 'cloudformation:DescribeStacks', resource: (account, region) => `arn:aws:cloudformation:${region}:${account}:stack/simulated-stack/00000000-0000-0000-0000-000000000000`},
  {action: 'ecs:UpdateService', resource: (account, region) => `arn:aws:ecs:${region}:${account}:service/simulated-cluster/simulated-service`},
  {action: 'logs:PutLogEvents', resource: (account, region) => `arn:aws:logs:${region}:${account}:log-group:simulated-group:log-stream:simulated-stream`},
]

/**
 * The statements by which a policy, evaluated on its own next to FullAWSAccess, refuses an
 * ordinary role every everyday action in one of the envs (their account and region); empty when
 * some everyday action still passes everywhere. Decided by evaluation, not by the statements'
 * shape, so a Deny of `*` exempting only the break-glass role, `Resource: "arn:*"`, a dummy
 * NotResource or an always-true condition count as what they are: a lockout.
 */
export function denyEverythingStatements(matcher: StatementMatcher, document: PolicyDocument, envs: Array<{account: string; region: string}>): PolicyStatement[] {
  const levels: ChainLevel[] = [{target: 'probe', policies: [FULL_AWS_ACCESS, {name: 'probe', document}]}]
  for (const {account, region} of envs) {
    const principal = parsePrincipal(`arn:aws:iam::${account}:role/simulated-principal`)
    const denying = new Set<string>()
    const deniesAll = EVERYDAY_REQUESTS.every(({action, resource}) => {
      const decision = evaluateChain(matcher, levels, buildRequest({action, principal, region, ...(resource ? {resource: resource(account, region)} : {})}))
      if (decision.decision === 'allowed') return false
      denying.add(decision.deniedBy!.statement)
      return true
    })
    if (deniesAll) return document.statements.filter((statement) => denying.has(statementLabel(statement)))
  }
  return []
}

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
