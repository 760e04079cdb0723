import type {KeyPath} from '../yaml.js'
import type {Template} from './parse.js'

/**
 * What to do with an `Fn::If` whose condition cannot be decided offline: `keep` leaves the
 * call in place (the value is unknown), `then` and `else` take that branch. A checker that
 * must not pass silently evaluates both `then` and `else` (see {@link evaluateBranches}).
 */
export type UndecidedIf = 'keep' | 'then' | 'else'

/**
 * What a template's resources look like in one environment: parameter `Ref`s replaced by
 * that environment's values (or the parameter defaults), the pseudo parameters
 * `AWS::Region`, `AWS::AccountId` and `AWS::Partition` replaced when the environment's
 * parameters carry them under those names, `Fn::If` resolved through the template's
 * Conditions, `Fn::FindInMap` looked up in its Mappings, `Fn::Select` taken from a known
 * list, `AWS::NoValue` removed and resources whose Condition is false dropped. Whatever
 * cannot be known offline (GetAtt, Sub, ImportValue, other pseudo parameters, a condition
 * over such values, a parameter with neither value nor default, a `<stack.Output>`
 * placeholder) stays as written, so a caller sees an intrinsic function object and can
 * treat the value as unknown. An undecided `Fn::If` is handled as `undecided` says.
 */
export function evaluateForEnvironment(
  template: Template,
  parameters: Record<string, string>,
  undecided: UndecidedIf = 'keep',
): Record<string, unknown> {
  return new Evaluator(template, parameters, undecided).resources()
}

/**
 * Every condition the template names, decided for one environment as
 * {@link evaluateForEnvironment} decides it: true, false, or undefined when it depends on
 * something unknown offline (an output of another stack, a pseudo parameter not supplied).
 */
export function conditionsForEnvironment(template: Template, parameters: Record<string, string>): Record<string, boolean | undefined> {
  const evaluator = new Evaluator(template, parameters, 'keep')
  const names = isRecord(template.document.Conditions) ? Object.keys(template.document.Conditions) : []
  return Object.fromEntries(names.map((name) => [name, evaluator.condition(name)]))
}

/**
 * The template in one environment as each side of its undecided `Fn::If`s would deploy it:
 * one evaluation when every `Fn::If` could be decided, otherwise two, one taking every
 * undecided `then` branch and one every `else` branch. A rule that checks both sees a value
 * that is wrong in either branch. (Resources whose own Condition is undecided are kept in both.)
 */
export function evaluateBranches(template: Template, parameters: Record<string, string>): Array<Record<string, unknown>> {
  const probe = new Evaluator(template, parameters, 'then')
  const first = probe.resources()
  if (probe.undecidedIfs === 0) return [first]
  return [first, evaluateForEnvironment(template, parameters, 'else')]
}

/** A `<stack.Output>` placeholder: the output of another stack, unknown until that stack is deployed. */
export const isPlaceholder = (value: unknown): boolean => typeof value === 'string' && /^<[^<>\s]+>$/.test(value.trim())

/** Pseudo parameters an environment can supply by name in its parameters. */
const PSEUDO_PARAMETERS = new Set(['AWS::Region', 'AWS::AccountId', 'AWS::Partition'])

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

const isKey = (value: unknown): value is string | number => typeof value === 'string' || typeof value === 'number'

/** Parameter types whose `Ref` yields a list rather than a string. */
const isListType = (type: string): boolean => type === 'CommaDelimitedList' || type.startsWith('List<')

type Decision = boolean | undefined

class Evaluator {
  private readonly conditions: Record<string, unknown>
  private readonly mappings: Record<string, unknown>
  private readonly decided = new Map<string, Decision>()
  private readonly deciding = new Set<string>()
  /** How many `Fn::If`s evaluation met whose condition it could not decide. */
  undecidedIfs = 0

  constructor(
    private readonly template: Template,
    private readonly parameters: Record<string, string>,
    private readonly undecided: UndecidedIf,
  ) {
    this.conditions = isRecord(template.document.Conditions) ? template.document.Conditions : {}
    this.mappings = isRecord(template.document.Mappings) ? template.document.Mappings : {}
  }

  resources(): Record<string, unknown> {
    const resources = isRecord(this.template.document.Resources) ? this.template.document.Resources : {}
    const evaluated: Record<string, unknown> = {}
    for (const [logicalId, definition] of Object.entries(resources)) {
      if (isRecord(definition) && typeof definition.Condition === 'string' && this.condition(definition.Condition) === false) continue
      const value = this.value(definition, ['Resources', logicalId])
      if (value !== NO_VALUE) evaluated[logicalId] = value
    }
    return evaluated
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
      if (decision === undefined) this.undecidedIfs++
      if (decision === undefined && this.undecided === 'keep') return call
      const branch = (decision ?? this.undecided === 'then') ? 1 : 2
      return this.value(ifArguments[branch], [...path, 'Fn::If', branch])
    }
    const mapArguments = call['Fn::FindInMap']
    if (Array.isArray(mapArguments) && mapArguments.length >= 3) {
      const [mapName, topKey, secondKey] = mapArguments.slice(0, 3).map((argument, index) => this.value(argument, [...path, 'Fn::FindInMap', index]))
      const map = typeof mapName === 'string' ? this.mappings[mapName] : undefined
      const top = isRecord(map) && isKey(topKey) ? map[String(topKey)] : undefined
      const found = isRecord(top) && isKey(secondKey) ? top[String(secondKey)] : undefined
      // Positioned at the FindInMap, where the user chose the lookup, not inside Mappings.
      return found === undefined ? call : this.value(found, path)
    }
    const selectArguments = call['Fn::Select']
    if (Array.isArray(selectArguments) && selectArguments.length === 2) {
      const index = Number(this.value(selectArguments[0], [...path, 'Fn::Select', 0]))
      const list = this.value(selectArguments[1], [...path, 'Fn::Select', 1])
      if (!Array.isArray(list) || !Number.isInteger(index) || index < 0 || index >= list.length) return call
      return list[index]
    }
    return call
  }

  /** A parameter's value in this environment, as `Ref` gives it; undefined for a pseudo parameter, a resource or a parameter without a value. */
  private parameterValue(name: string): string | string[] | undefined {
    if (PSEUDO_PARAMETERS.has(name)) {
      const supplied = this.parameters[name]
      return supplied === undefined || isPlaceholder(supplied) ? undefined : supplied
    }
    const declared = this.template.parameters[name]
    if (!declared) return undefined
    const text = this.parameters[name] ?? declared.default
    // An output of another stack is unknown offline, not the placeholder string.
    if (text === undefined || isPlaceholder(text)) return undefined
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
    if (isPlaceholder(value)) return undefined
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value)
    if (isRecord(value) && typeof value.Ref === 'string' && Object.keys(value).length === 1) {
      const parameter = this.parameterValue(value.Ref)
      return Array.isArray(parameter) ? parameter.join(',') : parameter
    }
    // Fn::FindInMap, Fn::Select and the like, when they resolve to a plain value.
    if (isIntrinsic(value) && !('Fn::If' in value)) {
      const resolved = new Evaluator(this.template, this.parameters, 'keep').value(value, [])
      if (typeof resolved === 'string' || typeof resolved === 'number' || typeof resolved === 'boolean') return isPlaceholder(resolved) ? undefined : String(resolved)
    }
    return undefined
  }
}
