import {FileError} from '../errors.js'
import {parseLocatedYaml, type KeyPath, type Position} from '../yaml.js'

export const POLICY_VERSION = '2012-10-17'

/** The condition operators IAM knows, before the IfExists suffix and the ForAnyValue/ForAllValues prefixes. */
export const CONDITION_OPERATORS = [
  'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike',
  'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals',
  'DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals',
  'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddress', 'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike', 'Null',
] as const

export type ConditionOperator = (typeof CONDITION_OPERATORS)[number]

/** One operator applied to one key, as IAM reads `"Condition": {"Operator": {"key": [values]}}`. */
export interface ConditionClause {
  /** As written, e.g. `ForAnyValue:StringLikeIfExists`. */
  operator: string
  base: ConditionOperator
  ifExists: boolean
  set?: 'ForAnyValue' | 'ForAllValues'
  key: string
  values: string[]
}

/** A statement with every list-or-string element turned into a list. */
export interface PolicyStatement {
  index: number
  sid?: string
  effect: 'Allow' | 'Deny'
  action?: string[]
  notAction?: string[]
  resource?: string[]
  notResource?: string[]
  conditions: ConditionClause[]
}

export interface PolicyDocument {
  version: string
  statements: PolicyStatement[]
}

/** Where a problem in a policy is: a path into the JSON and what is wrong there. */
export interface PolicyProblem {
  path: KeyPath
  message: string
}

/** A policy file as read: its text, the minified form AWS stores, and where each element is. */
export interface PolicySource {
  file: string
  text: string
  value: unknown
  /** The text without whitespace outside strings: what fintech uploads and what AWS counts. */
  minified: string
  positionOf(path: KeyPath): Position | undefined
}

/** Malformed JSON, at a line and column of the file. */
export class PolicySyntaxError extends FileError {
  constructor(
    file: string,
    detail: string,
    line: number,
    readonly column: number,
  ) {
    super(file, detail, line)
    this.message = `${file}:${line}:${column}: ${detail}`
  }
}

/** Characters as AWS counts them: code points, not UTF-16 units. */
export const characterCount = (text: string): number => [...text].length

export function lineAndColumn(text: string, offset: number): Position {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)))
  const lines = before.split('\n')
  return {line: lines.length, column: lines.at(-1)!.length + 1}
}

/**
 * Where JSON text first goes wrong. V8's messages carry a position only for some errors
 * ("Unexpected token 'x', ... is not valid JSON" has none), so the text is scanned here.
 */
export function jsonErrorOffset(text: string): number {
  let at = 0
  const space = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++
  }
  const fail = (): never => {
    throw at
  }
  const literal = (word: string) => {
    for (const char of word) {
      if (text[at] !== char) fail()
      at++
    }
  }
  const string = () => {
    at++
    while (at < text.length && text[at] !== '"') {
      const code = text.charCodeAt(at)
      if (code < 0x20) fail()
      if (text[at] === '\\') {
        at++
        if (text[at] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(at + 1, at + 5))) fail()
          at += 4
        } else if (!'"\\/bfnrt'.includes(text[at] ?? 'x')) fail()
      }
      at++
    }
    if (text[at] !== '"') fail()
    at++
  }
  const value = (): void => {
    space()
    const char = text[at]
    if (char === '{') {
      at++
      space()
      if (text[at] === '}') return void at++
      for (;;) {
        space()
        if (text[at] !== '"') fail()
        string()
        space()
        if (text[at] !== ':') fail()
        at++
        value()
        space()
        if (text[at] === ',') at++
        else if (text[at] === '}') return void at++
        else fail()
      }
    }
    if (char === '[') {
      at++
      space()
      if (text[at] === ']') return void at++
      for (;;) {
        value()
        space()
        if (text[at] === ',') at++
        else if (text[at] === ']') return void at++
        else fail()
      }
    }
    if (char === '"') return string()
    if (char === 't') return literal('true')
    if (char === 'f') return literal('false')
    if (char === 'n') return literal('null')
    const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(at))
    if (!number) fail()
    at += number![0].length
  }
  try {
    value()
    space()
    return at < text.length ? at : -1
  } catch (offset) {
    return offset as number
  }
}

/** Reads a policy file's text; a JSON syntax error or a duplicate key throws a PolicySyntaxError. */
export function parsePolicySource(text: string, file: string): PolicySource {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    const offset = jsonErrorOffset(text)
    const {line, column} = lineAndColumn(text, offset < 0 ? text.length : offset)
    const detail = (error as Error).message
      .replace(/,\s*".*" is not valid JSON$/s, '')
      .replace(/\s*(in JSON )?at position \d+.*$/s, '')
      .replace(/\s*\(line \d+ column \d+\)$/, '')
    throw new PolicySyntaxError(file, `invalid JSON: ${detail}`, line, column)
  }
  let positionOf: PolicySource['positionOf'] = () => undefined
  try {
    positionOf = parseLocatedYaml(text, file).positionOf
  } catch (error) {
    // JSON.parse keeps the last of two equal keys without a word; IAM rejects the policy.
    if (error instanceof FileError && /unique/i.test(error.detail)) {
      throw new PolicySyntaxError(file, 'a key appears twice in the same object', error.line ?? 1, 1)
    }
    // Other YAML complaints about valid JSON (tabs in odd places) only cost the positions.
  }
  return {file, text, value, minified: JSON.stringify(value), positionOf}
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'])

/** Splits `ForAnyValue:StringLikeIfExists` into its parts; undefined for an operator IAM does not know. */
export function parseOperator(operator: string): Omit<ConditionClause, 'key' | 'values' | 'operator'> | undefined {
  const [prefix, rest] = operator.includes(':') ? (operator.split(':', 2) as [string, string]) : [undefined, operator]
  if (prefix !== undefined && prefix !== 'ForAnyValue' && prefix !== 'ForAllValues') return undefined
  const ifExists = rest.endsWith('IfExists')
  const base = ifExists ? rest.slice(0, -'IfExists'.length) : rest
  if (!(CONDITION_OPERATORS as readonly string[]).includes(base)) return undefined
  if (base === 'Null' && (ifExists || prefix)) return undefined
  return {base: base as ConditionOperator, ifExists, ...(prefix ? {set: prefix as 'ForAnyValue' | 'ForAllValues'} : {})}
}

/**
 * Checks a parsed policy against the SCP grammar and returns it normalised (lists everywhere),
 * with every problem found; statements with problems are left out of `document`.
 */
export function readPolicyDocument(value: unknown): {document: PolicyDocument; problems: PolicyProblem[]} {
  const problems: PolicyProblem[] = []
  const statements: PolicyStatement[] = []
  if (!isRecord(value)) return {document: {version: '', statements}, problems: [{path: [], message: 'a policy is a JSON object with Version and Statement'}]}
  for (const key of Object.keys(value)) {
    if (!['Version', 'Id', 'Statement'].includes(key)) problems.push({path: [key], message: `${key} is not a policy element (Version, Id, Statement)`})
  }
  const version = value.Version
  if (version !== POLICY_VERSION) {
    problems.push({path: version === undefined ? [] : ['Version'], message: `Version must be "${POLICY_VERSION}"${version === undefined ? ' (it is missing)' : ''}`})
  }
  const raw = value.Statement
  const list = Array.isArray(raw) ? raw : raw === undefined ? undefined : [raw]
  if (!list || list.length === 0) problems.push({path: raw === undefined ? [] : ['Statement'], message: 'a policy needs at least one Statement'})
  ;(list ?? []).forEach((entry, index) => {
    const at: KeyPath = Array.isArray(raw) ? ['Statement', index] : ['Statement']
    const before = problems.length
    const statement = readStatement(entry, index, at, problems)
    if (statement && problems.length === before) statements.push(statement)
  })
  return {document: {version: typeof version === 'string' ? version : '', statements}, problems}
}

function stringList(value: unknown, path: KeyPath, name: string, problems: PolicyProblem[]): string[] | undefined {
  const list = Array.isArray(value) ? value : [value]
  if (list.length === 0 || !list.every((item) => typeof item === 'string' && item.length > 0)) {
    problems.push({path, message: `${name} must be a string or a non-empty list of strings`})
    return undefined
  }
  return list as string[]
}

function readStatement(entry: unknown, index: number, at: KeyPath, problems: PolicyProblem[]): PolicyStatement | undefined {
  if (!isRecord(entry)) {
    problems.push({path: at, message: 'a statement is a JSON object'})
    return undefined
  }
  for (const key of Object.keys(entry)) {
    if (key === 'Principal' || key === 'NotPrincipal') problems.push({path: [...at, key], message: `${key} is not supported in an SCP: it applies to every principal of the accounts it reaches`})
    else if (!STATEMENT_KEYS.has(key)) problems.push({path: [...at, key], message: `${key} is not a statement element (${[...STATEMENT_KEYS].join(', ')})`})
  }
  const effect = entry.Effect
  if (effect !== 'Allow' && effect !== 'Deny') problems.push({path: effect === undefined ? at : [...at, 'Effect'], message: 'Effect must be "Allow" or "Deny"'})
  if (entry.Sid !== undefined && typeof entry.Sid !== 'string') problems.push({path: [...at, 'Sid'], message: 'Sid must be a string'})

  const pair = (name: string, notName: string) => {
    const has = entry[name] !== undefined
    const hasNot = entry[notName] !== undefined
    if (has && hasNot) problems.push({path: [...at, notName], message: `a statement has ${name} or ${notName}, not both`})
    if (!has && !hasNot) problems.push({path: at, message: `a statement needs ${name} or ${notName}`})
    return {
      value: has ? stringList(entry[name], [...at, name], name, problems) : undefined,
      not: hasNot ? stringList(entry[notName], [...at, notName], notName, problems) : undefined,
    }
  }
  const actions = pair('Action', 'NotAction')
  const resources = pair('Resource', 'NotResource')
  const conditions = readConditions(entry.Condition, [...at, 'Condition'], problems)
  if (effect !== 'Allow' && effect !== 'Deny') return undefined
  return {
    index,
    ...(typeof entry.Sid === 'string' ? {sid: entry.Sid} : {}),
    effect,
    ...(actions.value ? {action: actions.value} : {}),
    ...(actions.not ? {notAction: actions.not} : {}),
    ...(resources.value ? {resource: resources.value} : {}),
    ...(resources.not ? {notResource: resources.not} : {}),
    conditions,
  }
}

function readConditions(value: unknown, at: KeyPath, problems: PolicyProblem[]): ConditionClause[] {
  if (value === undefined) return []
  if (!isRecord(value)) {
    problems.push({path: at, message: 'Condition is an object of operators, each an object of condition keys'})
    return []
  }
  const clauses: ConditionClause[] = []
  for (const [operator, keys] of Object.entries(value)) {
    const parsed = parseOperator(operator)
    if (!parsed) {
      problems.push({path: [...at, operator], message: `${operator} is not an IAM condition operator`})
      continue
    }
    if (!isRecord(keys) || Object.keys(keys).length === 0) {
      problems.push({path: [...at, operator], message: `${operator} needs an object of condition keys and values`})
      continue
    }
    for (const [key, raw] of Object.entries(keys)) {
      const list = Array.isArray(raw) ? raw : [raw]
      if (list.length === 0 || !list.every((item) => ['string', 'number', 'boolean'].includes(typeof item))) {
        problems.push({path: [...at, operator, key], message: `the values of ${key} must be strings, numbers or booleans`})
        continue
      }
      clauses.push({operator, ...parsed, key, values: list.map(String)})
    }
  }
  return clauses
}

/** The JSON path of a statement (the Statement entry itself when it is not a list). */
export const statementPath = (source: PolicySource, index: number): KeyPath =>
  Array.isArray((source.value as {Statement?: unknown})?.Statement) ? ['Statement', index] : ['Statement']

/** `Sid` when the statement has one, otherwise its position: `Statement[2]`. */
export const statementLabel = (statement: Pick<PolicyStatement, 'sid' | 'index'>): string => statement.sid ?? `Statement[${statement.index}]`
