import type {KeyPath} from '../yaml.js'
import type {Step} from './schema.js'

const REFERENCE = /\{\{\s*(.*?)\s*\}\}/g
/** What a reference may name: a step's output, a parameter, or the run's clock. */
export const STEP_OUTPUT = /^steps\.([^.\s]+)\.outputs\.([^.\s]+)$/
export const PARAM = /^params\.([^.\s]+)$/
/** The run's clock, for API calls that take a time window (CloudWatch): now, or N minutes before. */
export const TIME = /^time\.(now|minus\d+m)$/
/** The item a pick step's `by` call is made for, once per item; it means nothing anywhere else. */
export const ITEM = /^item$/

/** Every `{{ … }}` in a value, with the key path of the string it sits in. */
export function references(value: unknown, path: KeyPath = []): Array<{expression: string; path: KeyPath}> {
  if (typeof value === 'string') return [...value.matchAll(REFERENCE)].map((match) => ({expression: match[1] ?? '', path}))
  if (Array.isArray(value)) return value.flatMap((item, index) => references(item, [...path, index]))
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => references(item, [...path, key]))
  return []
}

/** The fields of a step that references may sit in: all but its name, kind and outputs. */
export function referringFields(step: Step): Record<string, unknown> {
  const {name: _name, kind: _kind, outputs: _outputs, ...fields} = step
  return fields
}

/** What a step's fields read: the earlier outputs and the parameters it names. */
export function readsOf(step: Step): {outputs: Array<{step: string; output: string}>; params: string[]} {
  const found = references(referringFields(step)).map(({expression}) => expression)
  return {
    outputs: found.flatMap((expression) => {
      const match = STEP_OUTPUT.exec(expression)
      return match ? [{step: match[1]!, output: match[2]!}] : []
    }),
    params: found.flatMap((expression) => PARAM.exec(expression)?.slice(1, 2) ?? []),
  }
}
