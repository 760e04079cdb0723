import {InputError} from '../errors.js'
import type {SimulationRequest} from './evaluate.js'

export type PrincipalType = 'AssumedRole' | 'User' | 'Account' | 'FederatedUser'

export interface Principal {
  /** As given: a role, a user, an account's root, or an assumed-role session. */
  arn: string
  /** What aws:PrincipalArn holds: for an assumed-role session, the role's ARN (its path unknown). */
  principalArn: string
  account: string
  type: PrincipalType
  /** A service-linked role: SCPs never restrict it. */
  serviceLinked: boolean
}

/** Reads a principal ARN the way IAM fills aws:PrincipalArn, aws:PrincipalAccount and aws:PrincipalType. */
export function parsePrincipal(arn: string): Principal {
  const match = /^arn:aws[\w-]*:(iam|sts)::(\d{12}):(.+)$/.exec(arn)
  if (!match) throw new InputError(`--principal ${arn}: not an IAM principal ARN such as arn:aws:iam::333333333333:role/fintech-deploy`)
  const [, service, account, rest] = match as unknown as [string, string, string, string]
  const partition = arn.split(':')[1]
  if (service === 'sts') {
    const session = /^assumed-role\/([^/]+)\/.+$/.exec(rest)
    if (session) return {arn, principalArn: `arn:${partition}:iam::${account}:role/${session[1]}`, account, type: 'AssumedRole', serviceLinked: false}
    if (rest.startsWith('federated-user/')) return {arn, principalArn: arn, account, type: 'FederatedUser', serviceLinked: false}
    throw new InputError(`--principal ${arn}: an STS principal is an assumed-role or federated-user session`)
  }
  if (rest === 'root') return {arn, principalArn: arn, account, type: 'Account', serviceLinked: false}
  if (rest.startsWith('role/')) return {arn, principalArn: arn, account, type: 'AssumedRole', serviceLinked: rest.startsWith('role/aws-service-role/')}
  if (rest.startsWith('user/')) return {arn, principalArn: arn, account, type: 'User', serviceLinked: false}
  throw new InputError(`--principal ${arn}: name a role, a user or the account root`)
}

/** `key=value` pairs from --context; a key given twice is a multi-valued key (aws:TagKeys). */
export function parseContextPairs(pairs: readonly string[]): Map<string, string[]> {
  const context = new Map<string, string[]>()
  for (const pair of pairs) {
    const equals = pair.indexOf('=')
    if (equals <= 0) throw new InputError(`--context ${pair}: write it as key=value, e.g. --context aws:RequestTag/Environment=prod`)
    const key = pair.slice(0, equals).trim().toLowerCase()
    context.set(key, [...(context.get(key) ?? []), pair.slice(equals + 1)])
  }
  return context
}

/**
 * The request as IAM would see it: the principal's keys and the requested region filled in,
 * then --context on top (it wins, so a test can set any key it needs).
 */
export function buildRequest(options: {action: string; principal: Principal; resource?: string; region: string; context?: ReadonlyMap<string, string[]>}): SimulationRequest {
  if (!/^[\w-]+:[\w*?-]+$/.test(options.action) || /[*?]/.test(options.action)) {
    throw new InputError(`--action ${options.action}: name one action as service:Action, e.g. rds:DeleteDBCluster`)
  }
  const context = new Map<string, string[]>([
    ['aws:principalarn', [options.principal.principalArn]],
    ['aws:principalaccount', [options.principal.account]],
    ['aws:principaltype', [options.principal.type]],
    ['aws:requestedregion', [options.region]],
  ])
  for (const [key, values] of options.context ?? []) context.set(key, values)
  return {action: options.action, ...(options.resource ? {resource: options.resource} : {}), context}
}
