import {InputError} from '../errors.js'
import type {ParameterSource, Runbook, RunbookParameter} from './schema.js'
import {REDACTED} from './secrets.js'

/** `--param k=v` flags as given, each once. */
export function parseParamFlags(flags: readonly string[]): Record<string, string> {
  const given: Record<string, string> = {}
  for (const flag of flags) {
    const at = flag.indexOf('=')
    if (at <= 0) throw new InputError(`--param ${flag}: write it as --param NAME=VALUE`)
    const name = flag.slice(0, at)
    if (name in given) throw new InputError(`--param ${name} is given twice`)
    given[name] = flag.slice(at + 1)
  }
  return given
}

/** A value in the parameter's declared type; text from --param is converted, typed values from a calling runbook kept. */
function typed(name: string, spec: RunbookParameter, value: unknown, where: string): unknown {
  const bad = (expected: string) => new InputError(`${where} ${name}=${String(value)}: ${name} is ${expected}`)
  switch (spec.type) {
    case 'number': {
      const number = typeof value === 'number' ? value : String(value).trim() === '' ? Number.NaN : Number(value)
      if (!Number.isFinite(number)) throw bad('a number')
      return number
    }
    case 'boolean':
      if (typeof value === 'boolean') return value
      if (/^(true|false)$/i.test(String(value))) return /^true$/i.test(String(value))
      throw bad('true or false')
    case 'enum':
      if (!spec.values.includes(String(value))) throw bad(`one of ${spec.values.join(', ')}`)
      return String(value)
    case 'string':
      return String(value)
  }
}

/** Reads a parameter's `from` source: the env's values offline, a deployed stack's output from CloudFormation. */
export type SourceReader = (source: ParameterSource) => Promise<string | undefined>

export const describeSource = (source: ParameterSource): string => ('stackOutput' in source ? `stack output ${source.stackOutput}` : `the env's ${source.env}`)

const needs = (runbook: Runbook, missing: string[]) =>
  new InputError(`runbook ${runbook.name} needs ${missing.length === 1 ? 'a parameter' : 'parameters'}: ${missing.join('; ')}`, `give ${missing.length === 1 ? 'it' : 'them'} with --param NAME=VALUE`)

/** An empty value is taken for a slip (`-p targetInstance=` once matched the wrong instance) unless the parameter says it means something. */
const refusedEmpty = (spec: RunbookParameter, value: unknown): boolean => typeof value === 'string' && value.trim() === '' && !spec.allowEmpty

const emptyText = (name: string, spec: RunbookParameter) => `${name} may not be empty (${spec.description})`

/**
 * What can be told of the given parameters offline: unknown names, required ones left out,
 * empty values the parameter does not allow, values not of their type — all bad input, named
 * at once, before any AWS call. Returns the given values in their types.
 */
export function checkGivenParams(runbook: Runbook, given: Record<string, unknown>, where = '--param'): Record<string, unknown> {
  const unknown = Object.keys(given).filter((name) => !(name in runbook.parameters))
  if (unknown.length > 0) throw new InputError(`${where} ${unknown.join(', ')}: runbook ${runbook.name} has no such parameter`, `its parameters: ${Object.keys(runbook.parameters).join(', ') || 'none'} (fintech runbook show ${runbook.name})`)
  const empty = Object.entries(given).filter(([name, value]) => refusedEmpty(runbook.parameters[name]!, value))
  if (empty.length > 0) throw new InputError(`${where} ${empty.map(([name]) => `${name}=`).join(', ')}: ${empty.map(([name]) => emptyText(name, runbook.parameters[name]!)).join('; ')}`, `give ${empty.length === 1 ? 'it a value' : 'them values'}`)
  const required = Object.entries(runbook.parameters).filter(([name, spec]) => given[name] === undefined && !spec.from && spec.default === undefined)
  if (required.length > 0) throw needs(runbook, required.map(([name, spec]) => `${name} (${spec.description})`))
  return Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined).map(([name, value]) => [name, typed(name, runbook.parameters[name]!, value, where)]))
}

/**
 * The run's parameters: what was given (--param, or a calling runbook's step), else the
 * parameter's `from` source, else its default.
 */
export async function resolveRunbookParams(runbook: Runbook, given: Record<string, unknown>, readSource: SourceReader, where = '--param'): Promise<Record<string, unknown>> {
  const params = checkGivenParams(runbook, given, where)
  const missing: string[] = []
  for (const [name, spec] of Object.entries(runbook.parameters)) {
    if (name in params) continue
    const sourced = spec.from ? await readSource(spec.from) : undefined
    if (sourced !== undefined) {
      if (refusedEmpty(spec, sourced)) throw new InputError(`${describeSource(spec.from!)} is empty: ${emptyText(name, spec)}`, `give it with --param ${name}=VALUE`)
      params[name] = typed(name, spec, sourced, describeSource(spec.from!))
    } else if (spec.default !== undefined) params[name] = spec.default
    else missing.push(`${name} (${spec.description}; ${describeSource(spec.from!)} has no value)`)
  }
  if (missing.length > 0) throw needs(runbook, missing)
  return params
}

/**
 * The runbook reduced to the secret parameters a resume needs again: a state file keeps none, so
 * each comes from --param, else its `from` source. --param may name only those (the other
 * parameters stay as the run began); each is checked as `run` checks them, before any AWS call.
 */
export function secretParamsToResume(runbook: Runbook, kept: Record<string, unknown>, given: Record<string, unknown>): Runbook {
  const redacted = Object.keys(kept).filter((name) => kept[name] === REDACTED && runbook.parameters[name])
  const others = Object.keys(given).filter((name) => !redacted.includes(name))
  if (others.length > 0) throw new InputError(`--param ${others.join(', ')}: a resume is given only the secret parameters its state file does not keep (${redacted.join(', ') || 'none in this run'}); the others stay as the run began`)
  const reduced = {...runbook, parameters: Object.fromEntries(redacted.map((name) => [name, runbook.parameters[name]!]))}
  checkGivenParams(reduced, given)
  return reduced
}
