import {closest} from '../scp/catalogue.js'
import type {KeyPath} from '../yaml.js'
import type {RunbookProblem, RunbookSet} from './load.js'
import type {Runbook} from './schema.js'

/**
 * An operation's input as the SDK models it, read lazily: some inputs are recursive (a DynamoDB
 * AttributeValue holds AttributeValues), so only the parts a step's parameters reach are read.
 */
export type InputShape =
  | {kind: 'structure'; names: readonly string[]; member(name: string): InputShape}
  | {kind: 'list' | 'map'; item(): InputShape}
  | {kind: 'value'}

/** What the AWS SDK has, offline: the services fintech calls, their operations and each operation's input. */
export interface ApiModels {
  readonly services: readonly string[]
  operations(service: string): Promise<readonly string[]>
  /** The input of an operation `operations(service)` lists. */
  input(service: string, api: string): Promise<InputShape>
}

/** The nearest real name, else the names there are when `listed` says what they are. */
const suggest = (name: string, candidates: readonly string[], listed?: string) => {
  const near = closest(name, candidates)
  if (near) return ` (did you mean ${near}?)`
  return listed ? ` (${listed}: ${candidates.join(', ') || 'none'})` : ''
}

const pathText = (path: KeyPath) => path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${key}`)).join('')

/**
 * Member names the input does not have, at any depth the parameters give a structure. A value
 * that is text (a `{{ … }}` reference, say) is left alone: what it becomes is known only at run time.
 */
function unknownMembers(value: unknown, shape: InputShape, path: KeyPath): Array<{path: KeyPath; message: string}> {
  if (typeof value === 'string' || value === null || typeof value !== 'object') return []
  if (shape.kind === 'list' && Array.isArray(value)) return value.flatMap((item, index) => unknownMembers(item, shape.item(), [...path, index]))
  if (Array.isArray(value)) return []
  const entries = Object.entries(value as Record<string, unknown>)
  if (shape.kind === 'map') return entries.flatMap(([key, item]) => unknownMembers(item, shape.item(), [...path, key]))
  if (shape.kind !== 'structure') return []
  return entries.flatMap(([key, item]) => {
    if (shape.names.includes(key)) return unknownMembers(item, shape.member(key), [...path, key])
    const where = path.length === 0 ? 'parameter' : `member of ${pathText(path)}`
    return [{path: [...path, key], message: `no ${where} ${key}${suggest(key, shape.names, path.length === 0 ? 'its parameters' : 'its members')}`}]
  })
}

/**
 * The aws, wait and assert steps (and pick steps' by calls) of the runbooks (all of them, or the named ones) that call
 * what the SDK does not have: a service fintech cannot call, an operation the service does not
 * have, a parameter (or a member inside one) the operation's input does not have. Each is a
 * problem at the line to fix, with the nearest real name when there is one.
 */
export async function apiProblems(set: RunbookSet, models: ApiModels, names: Iterable<string> = set.runbooks.keys()): Promise<RunbookProblem[]> {
  const problems: RunbookProblem[] = []
  for (const name of names) {
    const runbook = set.runbooks.get(name)
    if (!runbook) continue
    const lineOf = set.lines.get(name)!
    for (const [position, step] of runbook.steps.entries()) {
      // A pick step's by call is made once per item.
      const call = step.kind === 'aws' || step.kind === 'wait' || step.kind === 'assert' ? {...step, at: []} : step.kind === 'pick' && typeof step.by !== 'string' ? {...step.by, at: ['by']} : undefined
      if (!call) continue
      const at = (path: KeyPath, message: string) => problems.push({kind: 'api', file: runbook.file, line: lineOf(['steps', position, ...call.at, ...path]), message: `step ${step.name}: ${message}`})
      if (!models.services.includes(call.service)) {
        at(['service'], `fintech cannot call service ${call.service}${suggest(call.service, models.services, 'services')}`)
        continue
      }
      const operations = await models.operations(call.service)
      if (!operations.includes(call.api)) {
        at(['api'], `${call.service} has no API ${call.api}${suggest(call.api, operations)}`)
        continue
      }
      const input = await models.input(call.service, call.api)
      for (const {path, message} of unknownMembers(call.parameters, input, [])) at(['parameters', ...path], `${call.service}:${call.api} has ${message}`)
    }
  }
  return problems
}

/** A runbook and the runbooks it calls, each once: what a run of it reaches. */
export function reachedRunbooks(set: RunbookSet, runbook: Runbook, seen = new Set<string>()): Set<string> {
  seen.add(runbook.name)
  for (const step of runbook.steps) {
    const called = step.kind === 'runbook' && !seen.has(step.runbook) ? set.runbooks.get(step.runbook) : undefined
    if (called) reachedRunbooks(set, called, seen)
  }
  return seen
}
