/**
 * Offline SCP evaluation. Statement matching (Action/NotAction, Resource/NotResource and the
 * condition operators' comparisons) is pbac's (MIT); what pbac gets wrong for IAM is handled
 * here before it is asked, and the SCP semantics (every level from the root down must allow,
 * no level may deny) are fintech's own:
 * - action names are case-insensitive in IAM: both sides are lower-cased;
 * - pbac reads only the first key of an operator block and, for a key missing from the request,
 *   compares the key's own name; each (operator, key) clause is evaluated here on its own, with
 *   IAM's rules for missing keys (IfExists, Null, negated operators, ForAllValues);
 * - pbac's negated operators (StringNotEquals…) hold when any value differs, IAM's when none
 *   matches: they are evaluated as the negation of the positive operator;
 * - pbac's ArnLike lets `*` cross no colon at all, IAM's matches each of the six ARN parts on
 *   its own (the resource part may hold colons).
 */
import type {ConditionClause, ConditionOperator, PolicyDocument, PolicyStatement} from './document.js'
import {statementLabel} from './document.js'

export interface SimulationRequest {
  action: string
  /** The resource ARN; undefined for any resource, where statements scoped to resources are taken to match. */
  resource?: string
  /** Condition keys of the request, lower-cased, each with its values. */
  context: ReadonlyMap<string, readonly string[]>
}

export interface StatementMatcher {
  matches(statement: PolicyStatement, request: SimulationRequest): boolean
}

const NEGATED: Partial<Record<ConditionOperator, ConditionOperator>> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  NumericNotEquals: 'NumericEquals',
  DateNotEquals: 'DateEquals',
  NotIpAddress: 'IpAddress',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
}

/** `${aws:PrincipalAccount}` and friends from the request; undefined when a variable is not in it. */
export function interpolate(text: string, context: SimulationRequest['context']): string | undefined {
  let missing = false
  const result = text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    if (name === '*' || name === '?' || name === '$') return name
    const value = context.get(name.toLowerCase())?.[0]
    if (value === undefined) missing = true
    return value ?? ''
  })
  return missing ? undefined : result
}

const ARN_PARTS = 6
/** The six parts of an ARN; the last keeps its colons (arn:aws:logs:r:a:log-group:name:*). */
const arnParts = (arn: string): string[] | undefined => {
  const parts = arn.split(':')
  return parts.length < ARN_PARTS ? undefined : [...parts.slice(0, ARN_PARTS - 1), parts.slice(ARN_PARTS - 1).join(':')]
}

/** Loads pbac (pure JS, ~0.2 s to import) once, when something is evaluated. */
export async function loadStatementMatcher(): Promise<StatementMatcher> {
  const {default: PBAC} = await import('pbac')
  const engine = new PBAC([], {validateSchema: false, validatePolicies: false})
  const operator = (name: string, requestValue: unknown, policyValue: unknown) => Boolean(engine.conditions[name]!.call(engine, requestValue, policyValue))

  const compare = (base: ConditionOperator, requestValue: string, policyValue: string): boolean => {
    switch (base) {
      case 'ArnLike':
      case 'ArnEquals': {
        const value = arnParts(requestValue)
        const pattern = arnParts(policyValue)
        return Boolean(value && pattern && pattern.every((part, index) => operator('StringLike', value[index], part)))
      }
      case 'NumericEquals':
      case 'NumericLessThan':
      case 'NumericLessThanEquals':
      case 'NumericGreaterThan':
      case 'NumericGreaterThanEquals':
        return requestValue.trim() !== '' && policyValue.trim() !== '' && operator(base, Number(requestValue), Number(policyValue))
      case 'Bool':
        return operator(base, requestValue.toLowerCase(), policyValue.toLowerCase())
      default:
        return operator(base, requestValue, policyValue)
    }
  }

  const clauseHolds = (clause: ConditionClause, context: SimulationRequest['context']): boolean => {
    const values = context.get(clause.key.toLowerCase())
    const present = values !== undefined && values.length > 0
    if (clause.base === 'Null') return clause.values.some((value) => value.toLowerCase() === 'true') ? !present : present
    if (!present) {
      // IAM: IfExists and ForAllValues hold for a missing key, negated operators hold, the rest fail.
      if (clause.ifExists || clause.set === 'ForAllValues') return true
      if (clause.set === 'ForAnyValue') return false
      return NEGATED[clause.base] !== undefined
    }
    const positive = NEGATED[clause.base] ?? clause.base
    const negated = positive !== clause.base
    const policyValues = clause.values.map((value) => interpolate(value, context)).filter((value): value is string => value !== undefined)
    const one = (value: string) => {
      const hit = policyValues.some((policyValue) => compare(positive, value, policyValue))
      return negated ? !hit : hit
    }
    return clause.set === 'ForAllValues' ? values.every(one) : values.some(one)
  }

  const resources = (patterns: string[], context: SimulationRequest['context']) =>
    patterns.map((pattern) => interpolate(pattern, context)).filter((pattern): pattern is string => pattern !== undefined)

  return {
    matches(statement, request) {
      const scoped = request.resource !== undefined
      const probe = {
        Effect: 'Allow',
        ...(statement.action ? {Action: statement.action.map((action) => action.toLowerCase())} : {}),
        ...(statement.notAction ? {NotAction: statement.notAction.map((action) => action.toLowerCase())} : {}),
        ...(scoped && statement.resource ? {Resource: resources(statement.resource, request.context)} : {}),
        ...(scoped && statement.notResource ? {NotResource: resources(statement.notResource, request.context)} : {}),
      }
      const matched = new PBAC({Version: '2012-10-17', Statement: [probe]}, {validateSchema: false, validatePolicies: false}).evaluate({
        action: request.action.toLowerCase(),
        resource: request.resource ?? '*',
        context: {},
      })
      return matched && statement.conditions.every((clause) => clauseHolds(clause, request.context))
    },
  }
}

export interface ChainPolicy {
  name: string
  document: PolicyDocument
}

/** One level of the chain: the root, an OU, or the account, with the SCPs attached there. */
export interface ChainLevel {
  target: string
  policies: ChainPolicy[]
}

export interface StatementRef {
  target: string
  policy: string
  statement: string
}

export interface LevelResult {
  target: string
  policies: Array<{name: string; allows: string[]; denies: string[]}>
  outcome: 'allowed' | 'denied' | 'not-allowed'
}

export interface ChainDecision {
  decision: 'allowed' | 'denied'
  reason: 'explicit-deny' | 'no-allow' | 'allowed'
  levels: LevelResult[]
  /** The Deny that decided, or the level where nothing allowed (policy and statement empty). */
  deniedBy?: StatementRef
  /** For an allowed request: the statement that allows it at each level. */
  allowedBy: StatementRef[]
}

/**
 * The SCP rules: a request passes when, at every level from the root down to the account, some
 * attached policy allows it and no attached policy denies it. An explicit Deny anywhere decides.
 */
export function evaluateChain(matcher: StatementMatcher, levels: ChainLevel[], request: SimulationRequest): ChainDecision {
  const results: LevelResult[] = levels.map((level) => {
    const policies = level.policies.map((policy) => {
      const matching = policy.document.statements.filter((statement) => matcher.matches(statement, request))
      return {
        name: policy.name,
        allows: matching.filter((statement) => statement.effect === 'Allow').map(statementLabel),
        denies: matching.filter((statement) => statement.effect === 'Deny').map(statementLabel),
      }
    })
    const outcome = policies.some((policy) => policy.denies.length > 0) ? 'denied' : policies.some((policy) => policy.allows.length > 0) ? 'allowed' : 'not-allowed'
    return {target: level.target, policies, outcome}
  })
  const denying = results.find((level) => level.outcome === 'denied')
  if (denying) {
    const policy = denying.policies.find((candidate) => candidate.denies.length > 0)!
    return {decision: 'denied', reason: 'explicit-deny', levels: results, deniedBy: {target: denying.target, policy: policy.name, statement: policy.denies[0]!}, allowedBy: []}
  }
  const unallowed = results.find((level) => level.outcome === 'not-allowed')
  if (unallowed) return {decision: 'denied', reason: 'no-allow', levels: results, deniedBy: {target: unallowed.target, policy: '', statement: ''}, allowedBy: []}
  const allowedBy = results.map((level) => {
    const policy = level.policies.find((candidate) => candidate.allows.length > 0)!
    return {target: level.target, policy: policy.name, statement: policy.allows[0]!}
  })
  return {decision: 'allowed', reason: 'allowed', levels: results, allowedBy}
}
