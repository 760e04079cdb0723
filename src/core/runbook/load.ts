import {readdirSync, readFileSync} from 'node:fs'
import {basename, join} from 'node:path'
import type {z} from 'zod'
import {FileError, InputError} from '../errors.js'
import {formatKeyPath, parseLocatedYaml, type KeyPath, type LocatedYaml} from '../yaml.js'
import {isReadOnlyApi} from './engine.js'
import {ITEM, PARAM, references, STEP_OUTPUT, TIME} from './references.js'
import {secretCall, secretOutputsOf, secretParamsOf} from './secrets.js'
import {refusedEnvName} from './shell.js'
import {runbookHeaderSchema, STEP_KINDS, STEP_SCHEMAS, type Runbook, type Step, type StepKind} from './schema.js'

export const RUNBOOK_DIR = 'runbooks'

/**
 * The subcommands of `fintech runbook`. A runbook runs as `fintech runbook NAME` too, so one
 * named like a subcommand could never be reached that way: such a name is refused.
 */
export const RUNBOOK_SUBCOMMANDS: readonly string[] = ['export', 'list', 'resume', 'run', 'show']

/** `splice`: a warning, never a problem that stops a run. */
export type ProblemKind = 'parse' | 'schema' | 'reference' | 'api' | 'splice'

/** One thing wrong in one runbook file, at the line to fix. */
export interface RunbookProblem {
  kind: ProblemKind
  file: string
  line: number
  message: string
}

export interface RunbookSet {
  runbooks: Map<string, Runbook>
  problems: RunbookProblem[]
  /** What validate warns about and a run goes past. */
  warnings: RunbookProblem[]
  /** Every file read, relative to the project root. */
  files: string[]
  /** The line of a key path in each runbook's file, by runbook name, for checks made after loading. */
  lines: Map<string, (path: KeyPath) => number>
}

function issueProblems(error: z.ZodError, file: string, yaml: LocatedYaml, base: KeyPath): RunbookProblem[] {
  return error.issues.map((issue) => {
    // A misspelt key is shown at its own line, not at the step that holds it.
    const misspelt = issue.code === 'unrecognized_keys' && issue.keys.length === 1 ? issue.keys : []
    const path = [...base, ...(issue.path as KeyPath), ...misspelt]
    const where = formatKeyPath(path)
    return {kind: 'schema', file, line: yaml.lineOf(path) ?? 1, message: `${where ? `${where}: ` : ''}${issue.message}`}
  })
}

/**
 * Finds each reference of a value in the file text in turn, from the line of its key on, and
 * says its line: in a block scalar a reference sits lines below its key. The key's line when
 * it cannot be told (a folded scalar).
 */
function referenceLines(text: string, keyLine: number): (expression: string) => number {
  let offset = text.split('\n').slice(0, keyLine - 1).reduce((sum, line) => sum + line.length + 1, 0)
  return (expression) => {
    const written = new RegExp(`\\{\\{\\s*${expression.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\}\\}`, 'g')
    written.lastIndex = offset
    const found = written.exec(text)
    if (!found) return keyLine
    offset = written.lastIndex
    return text.slice(0, found.index).split('\n').length
  }
}

/** Reads one runbook file: the schema of the runbook and of each step, and the references inside it. */
export function parseRunbook(text: string, file: string): {runbook?: Runbook; problems: RunbookProblem[]; warnings: RunbookProblem[]; lineOf(path: KeyPath): number} {
  let yaml: LocatedYaml
  try {
    yaml = parseLocatedYaml(text, file)
  } catch (error) {
    if (!(error instanceof FileError)) throw error
    return {problems: [{kind: 'parse', file, line: error.line ?? 1, message: error.detail}], warnings: [], lineOf: () => 1}
  }
  const lineOf = (path: KeyPath) => yaml.lineOf(path) ?? 1
  const header = runbookHeaderSchema.safeParse(yaml.value)
  if (!header.success) return {problems: issueProblems(header.error, file, yaml, []), warnings: [], lineOf}
  const problems: RunbookProblem[] = []
  const at = (path: KeyPath, message: string, kind: ProblemKind = 'reference') => problems.push({kind, file, line: lineOf(path), message})

  const expected = basename(file).replace(/\.ya?ml$/, '')
  if (header.data.name !== expected) at(['name'], `the runbook is called ${header.data.name} but its file is ${basename(file)}: name it ${header.data.name}.yaml`, 'schema')
  const subcommand = RUNBOOK_SUBCOMMANDS.includes(header.data.name)
  if (subcommand) at(['name'], `a runbook cannot be called ${header.data.name}: fintech runbook ${header.data.name} is a subcommand (${RUNBOOK_SUBCOMMANDS.join(', ')} are taken), so the runbook could never run as fintech runbook ${header.data.name}`, 'schema')

  const steps: Step[] = []
  header.data.steps.forEach((raw, index) => {
    const kind = (raw as {kind?: unknown} | null)?.kind
    if (!STEP_KINDS.includes(kind as StepKind)) {
      at(['steps', index, ...(kind === undefined ? [] : ['kind'])], `${kind === undefined ? 'a step needs a kind' : `unknown step kind ${JSON.stringify(kind)}`}: one of ${STEP_KINDS.join(', ')}`, 'schema')
      return
    }
    const parsed = STEP_SCHEMAS[kind as StepKind].safeParse(raw)
    if (parsed.success) steps.push(parsed.data as Step)
    else problems.push(...issueProblems(parsed.error, file, yaml, ['steps', index]))
  })
  if (problems.length > 0) return {problems, warnings: [], lineOf}

  const index = new Map<string, number>()
  steps.forEach((step, position) => {
    if (index.has(step.name)) at(['steps', position, 'name'], `duplicate step name ${step.name} (also step ${(index.get(step.name) ?? 0) + 1})`, 'schema')
    else index.set(step.name, position)
  })
  steps.forEach((step, position) => {
    if (step.onFailure.startsWith('step:')) {
      const target = step.onFailure.slice('step:'.length)
      if (!index.has(target)) at(['steps', position, 'onFailure'], `onFailure goes to ${target}, which is not a step of this runbook`)
    }
    const {name: _name, kind: _kind, ...fields} = step
    for (const {expression, path} of references(fields, ['steps', position])) {
      const output = STEP_OUTPUT.exec(expression)
      const param = PARAM.exec(expression)
      if (TIME.test(expression)) continue
      if (ITEM.test(expression)) {
        if (step.kind !== 'pick' || path[2] !== 'by') at(path, `{{ ${expression} }}: there is an item only in a pick step's by (the item its call is made for)`)
        continue
      }
      if (param) {
        if (!(param[1]! in header.data.parameters)) at(path, `{{ ${expression} }}: no parameter ${param[1]} (parameters: ${Object.keys(header.data.parameters).join(', ') || 'none'})`)
      } else if (output) {
        const [, stepName, outputName] = output as unknown as [string, string, string]
        const source = index.get(stepName)
        if (source === undefined) at(path, `{{ ${expression} }}: no step ${stepName}`)
        else if (source >= position) at(path, `{{ ${expression} }}: step ${stepName} runs ${source === position ? 'as this step' : 'after this one'}, so its outputs do not exist yet`)
        else if (!(outputName in steps[source]!.outputs)) at(path, `{{ ${expression} }}: step ${stepName} has no output ${outputName} (outputs: ${Object.keys(steps[source]!.outputs).join(', ') || 'none'})`)
      } else at(path, `{{ ${expression} }}: a reference is {{ params.NAME }}, {{ steps.NAME.outputs.OUTPUT }}, {{ time.now }} or {{ time.minusNm }}`)
    }
  })
  steps.forEach((step, position) => {
    if (step.kind !== 'pick' || typeof step.by === 'string') return
    // A pick runs in a dry run like any read: its call must change nothing, and what it ranks is no secret.
    if (!isReadOnlyApi(step.by.api)) at(['steps', position, 'by', 'api'], `a pick step only reads: ${step.by.service}:${step.by.api} is not a read-only call (Describe…, Get…, List…)`, 'schema')
    else if (secretCall(step.by.service, step.by.api, step.by.parameters)) at(['steps', position, 'by', 'api'], `a pick step ranks by what its call returns: ${step.by.service}:${step.by.api} returns a secret`, 'schema')
  })
  for (const [paramName, spec] of Object.entries(header.data.parameters)) {
    if (spec.type === 'enum' && spec.default !== undefined && !spec.values.includes(spec.default)) at(['parameters', paramName, 'default'], `default ${spec.default} is not one of ${spec.values.join(', ')}`, 'schema')
    if (spec.default === '' && !spec.allowEmpty) at(['parameters', paramName, 'default'], `an empty default means "none given": say so with allowEmpty: true, or give a real default`, 'schema')
    if (spec.secret && spec.default !== undefined) at(['parameters', paramName, 'default'], `a secret parameter has no default: a runbook file is no place for a secret (give it with --param, or a from source)`, 'schema')
  }
  const secretParams = secretParamsOf(header.data)
  const secretOutputs = secretOutputsOf({parameters: header.data.parameters, steps})
  const warnings: RunbookProblem[] = []
  steps.forEach((step, position) => {
    if (step.kind !== 'shell') return
    for (const name of Object.keys(step.env)) {
      const refused = refusedEnvName(name)
      if (refused) at(['steps', position, 'env', name], refused, 'schema')
    }
    const lineOfNext = referenceLines(text, lineOf(['steps', position, 'command']))
    for (const {expression} of references(step.command)) {
      warnings.push({kind: 'splice', file, line: lineOfNext(expression), message: `step ${step.name}: {{ ${expression} }} is written into the command; a value reaches a script only as an environment variable: move it to env (env: {VALUE: '{{ ${expression} }}'}) and read it as "$VALUE"`})
    }
    if (!step.instanceTag) return
    for (const {expression, path} of [...references(step.command, ['steps', position, 'command']), ...references(step.env, ['steps', position, 'env'])]) {
      const param = PARAM.exec(expression)
      const output = STEP_OUTPUT.exec(expression)
      if ((param && secretParams.has(param[1]!)) || (output && secretOutputs.get(output[1]!)?.has(output[2]!))) {
        at(path, `{{ ${expression} }} is secret: a command run through SSM Run Command (instanceTag) is kept in clear in the command's history`)
      }
    }
  })
  const {steps: _raw, ...rest} = header.data
  if (subcommand) return {problems, warnings, lineOf}
  return {runbook: {...rest, steps, file}, problems, warnings, lineOf}
}

/**
 * Reads every runbook under `<root>/runbooks/`, then checks what no single file can: the
 * runbooks a step calls exist, get only parameters they declare, and call no circle; envs
 * and the stacks parameters read outputs of are the config's.
 */
export function loadRunbooks(root: string, environments?: readonly string[], stackIds?: readonly string[]): RunbookSet {
  let names: string[]
  try {
    names = readdirSync(join(root, RUNBOOK_DIR)).filter((entry) => /\.ya?ml$/.test(entry)).sort()
  } catch {
    return {runbooks: new Map(), problems: [], warnings: [], files: [], lines: new Map()}
  }
  const runbooks = new Map<string, Runbook>()
  const problems: RunbookProblem[] = []
  const warnings: RunbookProblem[] = []
  const lines = new Map<string, (path: KeyPath) => number>()
  const files = names.map((entry) => join(RUNBOOK_DIR, entry))
  for (const file of files) {
    const read = parseRunbook(readFileSync(join(root, file), 'utf8'), file)
    problems.push(...read.problems)
    warnings.push(...read.warnings)
    if (!read.runbook) continue
    const earlier = runbooks.get(read.runbook.name)
    if (earlier) problems.push({kind: 'schema', file, line: read.lineOf(['name']), message: `runbook ${read.runbook.name} is also defined in ${earlier.file}`})
    else {
      runbooks.set(read.runbook.name, read.runbook)
      lines.set(read.runbook.name, read.lineOf)
    }
  }
  for (const runbook of runbooks.values()) {
    const lineOf = lines.get(runbook.name)!
    if (environments) {
      runbook.envs.forEach((env, position) => {
        if (!environments.includes(env)) problems.push({kind: 'reference', file: runbook.file, line: lineOf(['envs', position]), message: `env ${env} is not in the config (${environments.join(', ')})`})
      })
    }
    if (stackIds) {
      for (const [param, spec] of Object.entries(runbook.parameters)) {
        const stackId = spec.from && 'stackOutput' in spec.from ? spec.from.stackOutput.split('.')[0]! : undefined
        if (stackId && !stackIds.includes(stackId)) problems.push({kind: 'reference', file: runbook.file, line: lineOf(['parameters', param, 'from', 'stackOutput']), message: `parameter ${param} reads an output of stack ${stackId}, which is not a stack of the config (${stackIds.join(', ')})`})
      }
    }
    runbook.steps.forEach((step, position) => {
      if (step.kind !== 'runbook') return
      const called = runbooks.get(step.runbook)
      if (!called) {
        problems.push({kind: 'reference', file: runbook.file, line: lineOf(['steps', position, 'runbook']), message: `step ${step.name} calls runbook ${step.runbook}, which does not exist (runbooks: ${[...runbooks.keys()].join(', ')})`})
        return
      }
      for (const param of Object.keys(step.parameters)) {
        if (!(param in called.parameters)) problems.push({kind: 'reference', file: runbook.file, line: lineOf(['steps', position, 'parameters', param]), message: `runbook ${called.name} has no parameter ${param}`})
      }
      for (const [param, spec] of Object.entries(called.parameters)) {
        if (spec.default === undefined && !spec.from && !(param in step.parameters)) problems.push({kind: 'reference', file: runbook.file, line: lineOf(['steps', position]), message: `step ${step.name} must pass ${param} to runbook ${called.name} (it has no default)`})
      }
    })
  }
  for (const cycle of runbookCycles(runbooks)) {
    const first = runbooks.get(cycle[0]!)!
    const position = first.steps.findIndex((step) => step.kind === 'runbook' && step.runbook === cycle[1])
    problems.push({kind: 'reference', file: first.file, line: lines.get(first.name)!(['steps', position, 'runbook']), message: `runbooks call each other in a circle: ${cycle.join(' → ')}`})
  }
  const byPlace = (a: RunbookProblem, b: RunbookProblem) => a.file.localeCompare(b.file) || a.line - b.line
  return {runbooks, problems: problems.sort(byPlace), warnings: warnings.sort(byPlace), files, lines}
}

/** Each circle of runbook calls once, starting at its alphabetically first runbook. */
function runbookCycles(runbooks: Map<string, Runbook>): string[][] {
  const calls = (name: string) => [...new Set((runbooks.get(name)?.steps ?? []).flatMap((step) => (step.kind === 'runbook' && runbooks.has(step.runbook) ? [step.runbook] : [])))]
  const cycles = new Map<string, string[]>()
  const visit = (path: string[]) => {
    for (const next of calls(path.at(-1)!)) {
      const seen = path.indexOf(next)
      if (seen >= 0) {
        const loop = path.slice(seen)
        const start = loop.indexOf([...loop].sort()[0]!)
        const rotated = [...loop.slice(start), ...loop.slice(0, start)]
        cycles.set(rotated.join(' '), [...rotated, rotated[0]!])
      } else visit([...path, next])
    }
  }
  for (const name of runbooks.keys()) visit([name])
  return [...cycles.values()]
}

/** One runbook by name, or bad input naming the ones there are. */
export function findRunbook(set: RunbookSet, name: string): Runbook {
  const runbook = set.runbooks.get(name)
  if (runbook) return runbook
  const broken = set.problems.find((problem) => basename(problem.file).replace(/\.ya?ml$/, '') === name)
  if (broken) throw new FileError(broken.file, broken.message, broken.line)
  throw new InputError(`no runbook ${name}`, `runbooks: ${[...set.runbooks.keys()].join(', ') || 'none'} (fintech runbook list)`)
}
