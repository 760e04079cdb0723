import {evaluateBranches, isIntrinsic, sourcePathOf} from '../../template/evaluate.js'
import type {Template, TemplateResource} from '../../template/parse.js'
import type {KeyPath} from '../../yaml.js'
import {findingAt, type Finding, type RuleInfo, type TemplateRuleContext} from '../finding.js'

/**
 * Shared machinery of the security rules: they judge a template as each environment would
 * deploy it (parameters and conditions resolved), report each problem once at the line
 * the user edits, and treat values only AWS can know (GetAtt, Sub, imports) as unknown:
 * a rule flags what is missing or plainly wrong, never what it cannot see. An `Fn::If` whose
 * condition cannot be decided offline is not unknown, though: each env is judged once per
 * branch (see evaluateBranches), so a value that is wrong in either branch is reported.
 */

/** A value of the evaluated template and the document path it came from, for positioning findings. */
export interface Located {
  value: unknown
  path: KeyPath
}

export interface EvaluatedResource {
  id: string
  type: string
  definition: Located
  properties: Located
  metadata: Record<string, unknown>
  /** The resource as parsed, before evaluation: what stateful.ts and other template-level helpers take. */
  declared: TemplateResource
}

/** The template as one environment deploys it (or, for a template no env uses, with parameter defaults). */
export interface Evaluation {
  /** The env's name; undefined when evaluated with parameter defaults only. */
  environment?: string
  resources: EvaluatedResource[]
  byId: Map<string, EvaluatedResource>
}

/** Something a rule found wrong in one evaluation. */
export interface Problem {
  resource: string
  path: KeyPath
  message: string
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** A value evaluation could not resolve offline: a rule can neither accept nor reject it. */
export const isUnknown = (value: unknown): boolean => isIntrinsic(value)

/** CloudFormation booleans arrive as YAML booleans or, through parameters, as strings. */
export const isTrue = (value: unknown): boolean =>
  value === true || (typeof value === 'string' && value.toLowerCase() === 'true')

export function locate(value: unknown, fallbackPath: KeyPath): Located {
  return {value, path: sourcePathOf(value) ?? fallbackPath}
}

/** Walks into a located mapping or list; a missing key yields an undefined value at the path it would have. */
export function child(parent: Located, ...keys: Array<string | number>): Located {
  let current = parent
  for (const key of keys) {
    const container = current.value
    const value = isRecord(container) || Array.isArray(container) ? (container as Record<string | number, unknown>)[key] : undefined
    current = locate(value, [...current.path, key])
  }
  return current
}

/** The items of a located list; an absent or unknown list has none. */
export function items(list: Located): Located[] {
  return Array.isArray(list.value) ? list.value.map((_, index) => child(list, index)) : []
}

/** How a wrong value reads in a message. */
export function shown(value: unknown): string {
  if (value === undefined) return 'not set'
  return `it is ${typeof value === 'string' ? value : JSON.stringify(value)}`
}

/** A problem when a boolean property is not true; unknown values pass. */
export function requireTrue(resource: EvaluatedResource, property: Located, name: string): Problem[] {
  if (isTrue(property.value) || isUnknown(property.value)) return []
  return [{resource: resource.id, path: property.path, message: `${resource.id}: ${name} must be true (${shown(property.value)})`}]
}

/** A problem when a property is absent or empty; any intrinsic counts as set. */
export function requireSet(resource: EvaluatedResource, property: Located, name: string, why: string): Problem[] {
  if (property.value !== undefined && property.value !== '') return []
  return [{resource: resource.id, path: property.path, message: `${resource.id}: ${name} must be set (${why})`}]
}

/** The logical id a `Ref` or `Fn::GetAtt` points at, if the value is one. */
export function referencedId(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined
  if (typeof value.Ref === 'string') return value.Ref
  const getAtt = value['Fn::GetAtt']
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0]
  return undefined
}

export function ofType(evaluation: Evaluation, ...types: string[]): EvaluatedResource[] {
  return evaluation.resources.filter((resource) => types.includes(resource.type))
}

const cache = new WeakMap<Template, Map<string, Evaluation[]>>()

/**
 * The evaluations of one env: one, or two when an `Fn::If` cannot be decided (its then and
 * else sides). Shared by all rules checking the same template with the same parameters.
 */
function evaluate(template: Template, environment: string | undefined, parameters: Record<string, string>): Evaluation[] {
  const key = JSON.stringify(parameters)
  const perTemplate = cache.get(template) ?? new Map<string, Evaluation[]>()
  cache.set(template, perTemplate)
  const cached = perTemplate.get(key)
  if (cached) return cached.map((evaluation) => ({...evaluation, environment}))

  const evaluations = evaluateBranches(template, parameters).map((evaluated): Evaluation => {
    const resources: EvaluatedResource[] = []
    for (const [id, definitionValue] of Object.entries(evaluated)) {
      const declared = template.resources[id]
      if (!isRecord(definitionValue) || !declared) continue
      const definition = locate(definitionValue, ['Resources', id])
      resources.push({
        id,
        type: String(definitionValue.Type),
        definition,
        properties: child(definition, 'Properties'),
        metadata: isRecord(definitionValue.Metadata) ? definitionValue.Metadata : {},
        declared,
      })
    }
    return {environment, resources, byId: new Map(resources.map((resource) => [resource.id, resource]))}
  })
  perTemplate.set(key, evaluations)
  return evaluations
}

/**
 * Runs a check over every environment that deploys the template (`every`), or only over the
 * protected ones (`protected`, for prod-only rules; none → no findings), and reports each
 * problem once. A problem that only some environments have names them in its message.
 */
export function checkEnvironments(
  rule: RuleInfo,
  context: TemplateRuleContext,
  scope: 'every' | 'protected',
  check: (evaluation: Evaluation) => Problem[],
): Finding[] {
  const environments = scope === 'protected' ? context.environments.filter((environment) => environment.protected) : context.environments
  const perEnvironment =
    environments.length > 0
      ? environments.map((environment) => evaluate(context.template, environment.name, environment.parameters))
      : scope === 'every'
        ? [evaluate(context.template, undefined, {})]
        : []

  const seen = new Map<string, {problem: Problem; environments: string[]}>()
  for (const evaluations of perEnvironment) {
    for (const evaluation of evaluations) {
      for (const problem of check(evaluation)) {
        const key = JSON.stringify([problem.resource, problem.path, problem.message])
        const entry = seen.get(key) ?? {problem, environments: []}
        const name = evaluation.environment
        if (name !== undefined && !entry.environments.includes(name)) entry.environments.push(name)
        seen.set(key, entry)
      }
    }
  }

  return [...seen.values()].map(({problem, environments: where}) => {
    const named = scope === 'protected' || where.length < perEnvironment.length
    const message = named && where.length > 0 ? `${problem.message} in ${where.join(', ')}` : problem.message
    return findingAt(rule, context.template, problem.path, message, problem.resource)
  })
}
