import type {KeyPath} from '../yaml.js'
import type {Template} from './parse.js'

/**
 * What a template's resources look like in one environment: parameter `Ref`s replaced by
 * that environment's values (or the parameter defaults), `Fn::If` resolved through the
 * template's Conditions, `AWS::NoValue` removed and resources whose Condition is false
 * dropped. Whatever cannot be known offline (GetAtt, Sub, ImportValue, pseudo parameters,
 * a condition over such values, a parameter with neither value nor default) stays as
 * written, so a caller sees an intrinsic function object and can treat the value as unknown.
 */
export function evaluateForEnvironment(template: Template, parameters: Record<string, string>): Record<string, unknown> {
  const evaluator = new Evaluator(template, parameters)
  const resources = isRecord(template.document.Resources) ? template.document.Resources : {}
  const evaluated: Record<string, unknown> = {}
  for (const [logicalId, definition] of Object.entries(resources)) {
    if (isRecord(definition) && typeof definition.Condition === 'string' && evaluator.condition(definition.Condition) === false) continue
    const value = evaluator.value(definition, ['Resources', logicalId])
    if (value !== NO_VALUE) evaluated[logicalId] = value
  }
  return evaluated
}

/**
 * The path in the template document an evaluated object or array came from. Paths built by
 * walking the evaluated value can drift from the document: a resolved `Fn::If` adds levels
 * and a removed `AWS::NoValue` list item shifts the indexes after it.
 */
export function sourcePathOf(value: unknown): KeyPath | undefined {
  return typeof value === 'object' && value !== null ? sourcePaths.get(value) : undefined
}

/** An intrinsic function (or `Ref`/`Condition`) that evaluation left in place: its value is unknown offline. */
export function isIntrinsic(value: unknown): value is Record<string, unknown> {
  if (!isRecord(value)) return false
  const [key, ...others] = Object.keys(value)
  if (key === undefined || others.length > 0) return false
  if (key === 'Ref' || key === 'Condition') return typeof value[key] === 'string'
  return key.startsWith('Fn::')
}

const sourcePaths = new WeakMap<object, KeyPath>()

/** Marks a value CloudFormation removes (`!Ref AWS::NoValue`), so the enclosing key or list item goes too. */
const NO_VALUE = Symbol('AWS::NoValue')

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Parameter types whose `Ref` yields a list rather than a string. */
const isListType = (type: string): boolean => type === 'CommaDelimitedList' || type.startsWith('List<')

type Decision = boolean | undefined

class Evaluator {
  private readonly conditions: Record<string, unknown>
  private readonly decided = new Map<string, Decision>()
  private readonly deciding = new Set<string>()

  constructor(private readonly template: Template, private readonly parameters: Record<string, string>) {
    this.conditions = isRecord(template.document.Conditions) ? template.document.Conditions : {}
  }

  /** A named condition's truth in this environment; undefined when it depends on something unknown offline. */
  condition(name: string): Decision {
    if (this.decided.has(name)) return this.decided.get(name)
    // A cycle is invalid CloudFormation; refuse to decide rather than recurse forever.
    if (this.deciding.has(name) || !(name in this.conditions)) return undefined
    this.deciding.add(name)
    const decision = this.decide(this.conditions[name])
    this.deciding.delete(name)
    this.decided.set(name, decision)
    return decision
  }

  value(value: unknown, path: KeyPath): unknown {
    if (Array.isArray(value)) {
      const items: unknown[] = []
      value.forEach((item, index) => {
        const evaluated = this.value(item, [...path, index])
        if (evaluated !== NO_VALUE) items.push(evaluated)
      })
      sourcePaths.set(items, path)
      return items
    }
    if (!isRecord(value)) return value
    if (isIntrinsic(value)) return this.intrinsic(value, path)
    const entries: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) {
      const evaluated = this.value(item, [...path, key])
      if (evaluated !== NO_VALUE) entries[key] = evaluated
    }
    sourcePaths.set(entries, path)
    return entries
  }

  private intrinsic(call: Record<string, unknown>, path: KeyPath): unknown {
    if ('Ref' in call) {
      if (call.Ref === 'AWS::NoValue') return NO_VALUE
      const parameter = typeof call.Ref === 'string' ? this.parameterValue(call.Ref) : undefined
      return parameter ?? call
    }
    const ifArguments = call['Fn::If']
    if (Array.isArray(ifArguments) && ifArguments.length === 3 && typeof ifArguments[0] === 'string') {
      const decision = this.condition(ifArguments[0])
      if (decision === undefined) return call
      const branch = decision ? 1 : 2
      return this.value(ifArguments[branch], [...path, 'Fn::If', branch])
    }
    return call
  }

  /** A parameter's value in this environment, as `Ref` gives it; undefined for a pseudo parameter, a resource or a parameter without a value. */
  private parameterValue(name: string): string | string[] | undefined {
    const declared = this.template.parameters[name]
    if (!declared) return undefined
    const text = this.parameters[name] ?? declared.default
    if (text === undefined) return undefined
    return isListType(declared.type) ? text.split(',').map((item) => item.trim()) : text
  }

  private decide(expression: unknown): Decision {
    if (!isRecord(expression)) return undefined
    if (typeof expression.Condition === 'string') return this.condition(expression.Condition)
    const [name, args] = Object.entries(expression)[0] ?? []
    if (!Array.isArray(args)) return undefined
    switch (name) {
      case 'Fn::Equals': {
        const [left, right] = args.map((arg) => this.comparable(arg))
        return left === undefined || right === undefined ? undefined : left === right
      }
      case 'Fn::Not': {
        const decision = this.decide(args[0])
        return decision === undefined ? undefined : !decision
      }
      case 'Fn::And': {
        const decisions = args.map((arg) => this.decide(arg))
        if (decisions.includes(false)) return false
        return decisions.includes(undefined) ? undefined : true
      }
      case 'Fn::Or': {
        const decisions = args.map((arg) => this.decide(arg))
        if (decisions.includes(true)) return true
        return decisions.includes(undefined) ? undefined : false
      }
      default:
        return undefined
    }
  }

  /** A side of `Fn::Equals` as the string CloudFormation compares, or undefined when unknown offline. */
  private comparable(value: unknown): string | undefined {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value)
    if (isRecord(value) && typeof value.Ref === 'string' && Object.keys(value).length === 1) {
      const parameter = this.parameterValue(value.Ref)
      return Array.isArray(parameter) ? parameter.join(',') : parameter
    }
    return undefined
  }
}
