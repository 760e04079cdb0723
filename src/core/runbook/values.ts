import {JSONPath} from 'jsonpath-plus'
import {ITEM, PARAM, STEP_OUTPUT, TIME} from './references.js'
import {REDACTED} from './secrets.js'
import type {Comparison, StepOutput} from './schema.js'

/** What `{{ … }}` references read while a run goes: its parameters, earlier outputs, its clock. */
export interface ReferenceContext {
  params: Record<string, unknown>
  outputs: Record<string, Record<string, unknown>>
  now: Date
  /** The item a pick step's `by` call is being made for. */
  item?: unknown
}

/** A reference whose value does not exist (yet): a skipped step's output, a selector that matched nothing. */
export class UnresolvedReference extends Error {
  constructor(readonly expression: string, why: string) {
    super(`{{ ${expression} }}: ${why}`)
    this.name = 'UnresolvedReference'
  }
}

const WHOLE = /^\{\{\s*([^{}]*?)\s*\}\}$/
const ANY = /\{\{\s*([^{}]*?)\s*\}\}/g

function lookup(expression: string, context: ReferenceContext): unknown {
  const time = TIME.exec(expression)
  if (time) return time[1] === 'now' ? context.now : new Date(context.now.getTime() - Number(time[1]!.slice('minus'.length, -1)) * 60_000)
  if (ITEM.test(expression)) {
    if (context.item === undefined) throw new UnresolvedReference(expression, 'there is an item only in a pick step\'s by')
    return context.item
  }
  const param = PARAM.exec(expression)
  if (param) {
    if (context.params[param[1]!] === undefined) throw new UnresolvedReference(expression, `parameter ${param[1]} has no value`)
    if (context.params[param[1]!] === REDACTED) throw new UnresolvedReference(expression, `parameter ${param[1]} is secret and its value is not at hand (a state file never keeps it)`)
    return context.params[param[1]!]
  }
  const output = STEP_OUTPUT.exec(expression)
  if (!output) throw new UnresolvedReference(expression, 'not a reference this engine knows')
  const [, step, name] = output as unknown as [string, string, string]
  const produced = context.outputs[step]
  if (!produced) throw new UnresolvedReference(expression, `step ${step} has not run`)
  if (produced[name] === undefined) throw new UnresolvedReference(expression, `step ${step} produced no ${name} (its selector matched nothing)`)
  if (produced[name] === REDACTED) throw new UnresolvedReference(expression, `output ${name} of step ${step} is secret and its value is not at hand (a state file never keeps it): resume --from ${step} reads it again`)
  return produced[name]
}

/** How a value reads inside a longer string: times as ISO instants, lists comma-separated. */
export function textOf(value: unknown): string {
  if (value instanceof Date) return value.toISOString()
  if (Array.isArray(value)) return value.map(textOf).join(', ')
  if (value !== null && typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/**
 * Fills the references in a step's fields. A string that is one reference and nothing else
 * keeps the referenced value's type (a number stays a number for `desiredCount`, a time is a
 * Date for CloudWatch's StartTime), as SSM does; references inside longer text become text.
 * `lenient` leaves what cannot be resolved yet as written, for showing a plan.
 */
export function resolveReferences(value: unknown, context: ReferenceContext, options: {lenient?: boolean} = {}): unknown {
  if (typeof value === 'string') {
    const attempt = (expression: string, fallback: string) => {
      try {
        return lookup(expression, context)
      } catch (error) {
        if (options.lenient && error instanceof UnresolvedReference) return fallback
        throw error
      }
    }
    const whole = WHOLE.exec(value)
    if (whole) return attempt(whole[1]!, value)
    return value.replace(ANY, (text, expression: string) => textOf(attempt(expression, text)))
  }
  if (Array.isArray(value)) return value.map((item) => resolveReferences(item, context, options))
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveReferences(item, context, options)]))
  }
  return value
}

/** A response as JSON sees it (dates as ISO strings), which is what selectors and state files hold. */
export const asJson = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)))

const LENGTH = '.length()'

/**
 * The values a selector picks from a response: JSONPath from `$.`, with SSM's `.length()` at
 * the end, which counts a filter's matches or the items of the array it follows.
 */
export function select(document: unknown, selector: string): unknown[] {
  const counts = selector.endsWith(LENGTH)
  const path = counts ? selector.slice(0, -LENGTH.length) : selector
  const json = asJson(document) as object
  const matches = JSONPath({path, json, wrap: true, eval: 'safe'}) as unknown[]
  if (!counts) return matches
  const filter = /\[\?\(.*\)\]$/.exec(path)
  // Counting what is not there is no match, not zero: an answer without MetricAlarms says nothing about alarms.
  if (filter) {
    const base = JSONPath({path: path.slice(0, filter.index), json, wrap: true, eval: 'safe'}) as unknown[]
    return base.length === 1 && Array.isArray(base[0]) ? [matches.length] : []
  }
  if (matches.length === 1 && Array.isArray(matches[0])) return [matches[0].length]
  return []
}

/** A step output's value in its declared type, or undefined when its selector matched nothing. */
export function outputValue(document: unknown, output: StepOutput): unknown {
  const {selector, type, fallback} = typeof output === 'string' ? {selector: output, type: 'String' as const, fallback: undefined} : {...output, fallback: output.default}
  const matches = select(document, selector)
  const first = matches[0]
  const lists = matches.length === 1 && Array.isArray(first) ? (first as unknown[]) : matches
  let value: unknown
  switch (type) {
    case 'String':
      value = first === undefined || first === null ? undefined : typeof first === 'object' ? JSON.stringify(first) : String(first)
      break
    case 'Integer':
      value = first === undefined || first === null || first === '' || Number.isNaN(Number(first)) ? undefined : Math.trunc(Number(first))
      break
    case 'Boolean':
      value = first === undefined ? undefined : first === true || first === 'true'
      break
    case 'StringList':
      value = lists.map((item) => textOf(item))
      break
    case 'MapList':
      value = lists
      break
    case 'StringMap':
      value = first !== null && typeof first === 'object' ? first : undefined
      break
  }
  return value ?? fallback
}

/** The selected value as SSM's wait and assert steps compare it: the first match, as text. */
export function selectedText(document: unknown, selector: string): string | undefined {
  const first = select(document, selector)[0]
  return first === undefined || first === null ? undefined : textOf(first)
}

/** A script step's check: numbers compare as numbers, anything else as text. */
export function compare(value: unknown, operator: Comparison, limit: unknown): boolean {
  const numeric = [value, limit].every((item) => item !== '' && item !== null && item !== undefined && !Number.isNaN(Number(item)))
  const [left, right] = numeric ? [Number(value), Number(limit)] : [textOf(value), textOf(limit)]
  switch (operator) {
    case 'lessThan': return left < right
    case 'lessThanOrEqual': return left <= right
    case 'greaterThan': return left > right
    case 'greaterThanOrEqual': return left >= right
    case 'equals': return left === right
    case 'notEquals': return left !== right
  }
}

