import {InterruptedError, type Clock} from '../clock.js'
import {FintechError} from '../errors.js'
import {newRunState, type RunState, type StepRecord} from './run-state.js'
import {readsOf, referringFields} from './references.js'
import {operatorOf, type PickStep, type Runbook, type Step, type StepOutput} from './schema.js'
import {commandWithVariables} from './shell.js'
import {callsForSecret, declaredSecretOutputs, DERIVING_KINDS, REDACTED, SecretValues, secretParamsOf, splitSecretParams} from './secrets.js'
import {asJson, compare, outputValue, resolveReferences, selectedText, textOf, UnresolvedReference, type ReferenceContext} from './values.js'

/** One AWS API call by service and action name, as a runbook step writes it (rds, FailoverDBCluster). */
export interface RunbookAws {
  call(service: string, api: string, parameters: Record<string, unknown>, signal: AbortSignal): Promise<unknown>
}

export interface RunbookApprover {
  approve(request: {runbook: string; step: string; summary: string}): Promise<{approved: boolean; why?: string}>
}

export interface ShellResult {
  exitCode: number
  stdout: string
  stderr: string
}

export interface RunbookShell {
  /** `env`: the values the command reads, as environment variables of its process; never spliced into its text. */
  run(command: string, options: {env: Record<string, string>; instanceTag?: {key: string; value: string}; timeoutSeconds?: number; signal: AbortSignal}): Promise<ShellResult>
}

/** The `fintech redis` operations; `ok: false` is a failed step (an unhealthy tier, a refused failover). */
export interface RunbookRedis {
  /**
   * `timeoutSeconds` bounds its waits. `signal` (Ctrl-C) is not a plain abort: a failover unwinds
   * or finishes, releasing its write pause itself, then rejects with InterruptedError saying which.
   */
  run(operation: string, parameters: Record<string, unknown>, options: {timeoutSeconds?: number; signal?: AbortSignal}): Promise<{ok: boolean; detail: string; result: unknown}>
}

export interface RunbookAuditEntry {
  run: string
  runbook: string
  step: string
  kind: Step['kind']
  /** What was asked: the API and its parameters, the command, the approval's summary. */
  request: string
  /** started: written before a step that changes something, so a crash inside its call still leaves a line. */
  result: 'started' | 'ok' | 'failed' | 'refused' | 'planned' | 'interrupted'
  changes: boolean
  durationMs: number
  detail?: string
}

export type RunbookEvent =
  | {kind: 'step-started'; runbook: string; step: string; attempt: number}
  | {kind: 'step-ended'; runbook: string; step: string; record: StepRecord}
  | {kind: 'waiting'; runbook: string; step: string; current: string | undefined; elapsedMs: number}

export interface RunbookDeps {
  aws: RunbookAws
  approver: RunbookApprover
  shell: RunbookShell
  redis: RunbookRedis
  /** A runbook a `runbook` step calls, with its parameters filled (defaults, `from` sources). */
  childRunbook(name: string, given: Record<string, unknown>): Promise<{runbook: Runbook; params: Record<string, unknown>; hash: string}>
  /** The runbooks a step may call, by name, to tell whether calling one changes anything. */
  runbookNamed(name: string): Runbook | undefined
  /**
   * A protected env (prod): in every invocation (a run, each resume) the first step that changes
   * something needs an approval given in that same invocation — by an approve step before it, or
   * asked for then — so neither a runbook without an approve step nor a resume hours later
   * changes prod unasked.
   */
  protectedEnv: boolean
  clock: Clock
  /** Called with the whole (outermost) run's state before each step starts and after it ends. */
  save(state: RunState): void
  audit(entry: RunbookAuditEntry): void
  onEvent?(event: RunbookEvent): void
  signal?: AbortSignal
  /** How often a wait step polls; SSM's own waits poll every few seconds. */
  pollMs?: number
}

/** SSM's default timeout for aws:waitForAwsResourceProperty. */
export const DEFAULT_WAIT_TIMEOUT_SECONDS = 3600
const DEFAULT_POLL_MS = 5000
/** A step:NAME loop that never ends is a runbook bug: a step run this often in one invocation ends it. */
const MAX_RUNS_PER_STEP = 20

type ApiStep = Extract<Step, {kind: 'aws' | 'wait' | 'assert'}>

const READ_ONLY_API = /^(Describe|List|Get|Head|Lookup|Search|Scan|Query|BatchGet|Check|Validate|Simulate|Estimate|Preview|Select|Filter)[A-Z]/

/** The API names AWS gives calls that read: everything else is taken to change something. */
export const isReadOnlyApi = (api: string): boolean => READ_ONLY_API.test(api)

/** Whether running the step can change anything (what a dry run must not do). */
export function stepChanges(step: Step, calls: (name: string) => Runbook | undefined, seen = new Set<string>()): boolean {
  switch (step.kind) {
    case 'aws':
      return !isReadOnlyApi(step.api)
    case 'shell':
      return true
    case 'redis':
      return step.operation !== 'status'
    case 'pick':
      return typeof step.by !== 'string' && !isReadOnlyApi(step.by.api)
    case 'runbook': {
      const called = calls(step.runbook)
      if (!called || seen.has(called.name)) return true
      return called.steps.some((inner) => stepChanges(inner, calls, new Set([...seen, called.name])))
    }
    default:
      return false
  }
}

class StepFailure extends Error {
  constructor(message: string, readonly refused = false) {
    super(message)
  }
}

/** What a run holds in memory only, never in its state: its secret parameters, and its steps' secret outputs. */
interface RunMemory {
  params: Record<string, unknown>
  outputs: Record<string, Record<string, unknown>>
}

interface Walk {
  runbook: Runbook
  state: RunState
  root: RunState
  deps: RunbookDeps
  /** Dry run: a change was shown instead of made, so later reads no longer tell what the run would see. */
  changed: {value: boolean}
  /** An approval was given in this invocation (protectedEnv). */
  approved: {value: boolean}
  /** The secret values met so far, to find them in text the run did not write itself. */
  secrets: SecretValues
  /** Each run's (the outer one's and each called runbook's) memory. */
  memory: WeakMap<RunState, RunMemory>
}

function memoryOf(walk: Walk, state: RunState = walk.state): RunMemory {
  let memory = walk.memory.get(state)
  if (!memory) {
    memory = {params: {}, outputs: {}}
    walk.memory.set(state, memory)
  }
  return memory
}

const request = (step: Step, fields: Record<string, unknown>): string => {
  switch (step.kind) {
    case 'aws':
    case 'wait':
    case 'assert':
      return `${step.service}:${step.api} ${JSON.stringify(asJson(fields.parameters))}`
    case 'approve':
      return textOf(fields.summary)
    case 'shell': {
      const env = Object.entries(fields.env as Record<string, unknown>).map(([name, value]) => `${name}=${JSON.stringify(textOf(value))}`)
      return `$ ${textOf(fields.command)}${env.length > 0 ? ` with ${env.join(' ')}` : ''}${step.instanceTag ? ` on instances tagged ${step.instanceTag.key}=${step.instanceTag.value}` : ''}`
    }
    case 'redis':
      return `fintech redis ${step.operation} ${JSON.stringify(asJson(fields.parameters))}`
    case 'runbook':
      return `runbook ${step.runbook} ${JSON.stringify(asJson(fields.parameters))}`
    case 'script':
      return `${textOf(fields.value)} ${operatorOf(step)} ${textOf(fields[operatorOf(step)])}`
    case 'pick':
      return `${fields.given ? `${textOf(fields.given)}, if one of` : `the ${step.order} by ${typeof step.by === 'string' ? step.by : `${step.by.service}:${step.by.api} ${step.by.selector}`} of`} ${textOf(fields.items)}`
  }
}

const outputsOf = (step: Step, document: unknown): Record<string, unknown> =>
  Object.fromEntries(Object.entries(step.outputs as Record<string, StepOutput>).map(([name, output]) => [name, outputValue(document, output)]))

const sameJson = (a: unknown, b: unknown) => JSON.stringify(asJson(a)) === JSON.stringify(asJson(b))

/** The outputs of a run's steps: with the secret values from memory (`reveal`), or as its state keeps them. */
function outputsByStep(walk: Walk, state: RunState, reveal: boolean): Record<string, Record<string, unknown>> {
  const memory = memoryOf(walk, state)
  return Object.fromEntries(Object.entries(state.steps).map(([name, record]) => [name, reveal ? {...record.outputs, ...memory.outputs[name]} : record.outputs]))
}

/** The outputs of every step that has run (validation lets a step name only earlier ones), and the parameters. */
const referenceContext = (walk: Walk, now: Date, reveal: boolean): ReferenceContext => ({
  params: reveal ? {...walk.state.params, ...memoryOf(walk).params} : walk.state.params,
  outputs: outputsByStep(walk, walk.state, reveal),
  now,
})

/** Runs `work` under a timeout; the signal it gets aborts on the timeout or on Ctrl-C. */
async function withinTimeout<T>(walk: Walk, seconds: number | undefined, work: (signal: AbortSignal) => Promise<T>, what?: string): Promise<T> {
  const controller = new AbortController()
  const outer = walk.deps.signal
  const stop = () => controller.abort()
  outer?.addEventListener('abort', stop, {once: true})
  if (outer?.aborted) controller.abort()
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    const racers: Array<Promise<T>> = [work(controller.signal)]
    if (seconds) {
      racers.push(
        new Promise<T>((_, reject) => {
          timer = setTimeout(() => {
            controller.abort()
            reject(new StepFailure(what ?? `timed out after ${seconds} s`))
          }, seconds * 1000)
        }),
      )
    }
    return await Promise.race(racers)
  } catch (error) {
    if (outer?.aborted) throw new InterruptedError()
    throw error
  } finally {
    clearTimeout(timer)
    outer?.removeEventListener('abort', stop)
  }
}

/** The step's API call with its filled parameters, under `seconds` (the step's timeout unless a wait says how much is left). */
const callApi = (walk: Walk, step: ApiStep, fields: Record<string, unknown>, seconds = step.timeout, what?: string) =>
  withinTimeout(walk, seconds, (signal) => walk.deps.aws.call(step.service, step.api, fields.parameters as Record<string, unknown>, signal), what)

const matches = (value: string | undefined, wanted: unknown[]) => value !== undefined && wanted.some((item) => textOf(item) === value)

/** A value selected from an answer, as a message may say it: never one from a call that returns secrets. */
const said = (step: ApiStep, value: string | undefined) => (value === undefined ? 'nothing (no match)' : callsForSecret(step) ? REDACTED : JSON.stringify(value))

/**
 * A step's fields with their references filled: `fields` with the secret values, for the step
 * to use; `shown` with each secret left as the reference that names it, for what is printed
 * and audited. `tainted`: the fields hold a secret.
 */
interface Filled {
  fields: Record<string, unknown>
  shown: Record<string, unknown>
  tainted: boolean
}

/**
 * One attempt at a step, for real. Returns its outputs, or throws StepFailure. `refill` fills the
 * step's references again, for a wait whose every poll reads the clock anew ({{ time.now }}).
 */
async function perform(walk: Walk, step: Step, {fields, shown}: Filled, refill: () => Record<string, unknown>): Promise<Record<string, unknown>> {
  const {deps, runbook} = walk
  switch (step.kind) {
    case 'aws': {
      const response = await callApi(walk, step, fields)
      return outputsOf(step, response)
    }
    case 'assert': {
      const response = await callApi(walk, step, fields)
      const value = selectedText(response, step.selector)
      if (!matches(value, fields.expected as unknown[])) throw new StepFailure(`${step.selector} is ${said(step, value)}, expected ${(shown.expected as unknown[]).map(textOf).join(' or ')}`)
      return outputsOf(step, response)
    }
    case 'wait': {
      const timeoutMs = (step.timeout ?? DEFAULT_WAIT_TIMEOUT_SECONDS) * 1000
      const started = deps.clock.now().getTime()
      for (let poll = fields; ; poll = refill()) {
        const left = timeoutMs - (deps.clock.now().getTime() - started)
        const response = await callApi(walk, step, poll, Math.max(1, Math.ceil(left / 1000)), `timed out after ${step.timeout ?? DEFAULT_WAIT_TIMEOUT_SECONDS} s`)
        const value = selectedText(response, step.selector)
        if (matches(value, poll.desiredValues as unknown[])) return outputsOf(step, response)
        const elapsedMs = deps.clock.now().getTime() - started
        deps.onEvent?.({kind: 'waiting', runbook: runbook.name, step: step.name, current: value !== undefined && callsForSecret(step) ? REDACTED : value, elapsedMs})
        if (elapsedMs >= timeoutMs) throw new StepFailure(`${step.selector} still ${said(step, value)} after ${Math.round(elapsedMs / 1000)} s, waiting for ${(shown.desiredValues as unknown[]).map(textOf).join(' or ')}`)
        await deps.clock.sleep(Math.min(deps.pollMs ?? DEFAULT_POLL_MS, timeoutMs - elapsedMs), deps.signal)
      }
    }
    case 'approve': {
      await askApproval(walk, step.name, textOf(shown.summary))
      return {}
    }
    case 'script': {
      const operator = operatorOf(step)
      // The description says what a failed check means, where the runbook gives one.
      if (!compare(fields.value, operator, fields[operator])) throw new StepFailure(`${textOf(shown.value)} is not ${operator} ${textOf(shown[operator])}${step.description ? `: ${step.description}` : ''}`)
      return outputsOf(step, {value: fields.value})
    }
    case 'shell': {
      const result = await withinTimeout(walk, step.timeout, (signal) => deps.shell.run(textOf(fields.command), {env: fields.env as Record<string, string>, ...(step.instanceTag ? {instanceTag: step.instanceTag} : {}), ...(step.timeout ? {timeoutSeconds: step.timeout} : {}), signal}))
      if (result.exitCode !== 0) throw new StepFailure(`exit code ${result.exitCode}${result.stderr.trim() ? `: ${result.stderr.trim().split('\n').at(-1)}` : ''}`)
      return outputsOf(step, result)
    }
    case 'redis': {
      const result = await deps.redis.run(step.operation, fields.parameters as Record<string, unknown>, {...(step.timeout ? {timeoutSeconds: step.timeout} : {}), ...(deps.signal ? {signal: deps.signal} : {})})
      if (!result.ok) throw new StepFailure(result.detail)
      return outputsOf(step, result.result)
    }
    case 'runbook':
      return runChild(walk, step, fields.parameters as Record<string, unknown>, shown.parameters as Record<string, unknown>)
    case 'pick':
      return outputsOf(step, await withinTimeout(walk, step.timeout, (signal) => pickItem(walk, step, fields, signal)))
  }
}

/** An item's value for a pick step: a number `by` selects, from the item or from its call's answer; none is undefined. */
async function valueOf(walk: Walk, step: PickStep, item: unknown, signal: AbortSignal): Promise<number | undefined> {
  let document = item
  if (typeof step.by !== 'string') {
    const context = {...referenceContext(walk, walk.deps.clock.now(), true), item}
    document = await walk.deps.aws.call(step.by.service, step.by.api, resolveReferences(step.by.parameters, context) as Record<string, unknown>, signal)
  }
  const text = selectedText(document, typeof step.by === 'string' ? step.by : step.by.selector)
  return text === undefined || text === '' || Number.isNaN(Number(text)) ? undefined : Number(text)
}

/**
 * A pick step's choice: `given` when it is not empty (it must be one of the items), else the
 * item with the lowest or highest value, the first of equals. An item without a value is never
 * picked: an unknown replica lag is no reason to promote a reader.
 */
async function pickItem(walk: Walk, step: PickStep, fields: Record<string, unknown>, signal: AbortSignal): Promise<{item: unknown; value: number}> {
  const why = step.description ? `: ${step.description}` : ''
  const items = fields.items
  if (!Array.isArray(items)) throw new StepFailure(`items is ${JSON.stringify(textOf(items))}, not a list${why}`)
  const given = fields.given === undefined || fields.given === '' ? undefined : fields.given
  if (given !== undefined && !items.some((item) => sameJson(item, given))) throw new StepFailure(`${textOf(given)} is not one of the items (${items.map(textOf).join(', ') || 'none'})${why}`)
  const candidates = given === undefined ? items : [given]
  if (candidates.length === 0) throw new StepFailure(`no items to pick from${why}`)
  let best: {item: unknown; value: number} | undefined
  for (const item of candidates) {
    const value = await valueOf(walk, step, item, signal)
    if (value !== undefined && (best === undefined || (step.order === 'lowest' ? value < best.value : value > best.value))) best = {item, value}
  }
  if (!best) {
    const selector = typeof step.by === 'string' ? step.by : step.by.selector
    throw new StepFailure(`${candidates.length === 1 ? `${textOf(candidates[0])} has no value` : `none of ${candidates.map(textOf).join(', ')} has a value`} for ${selector}${why}`)
  }
  return best
}

/**
 * Asks the approver; only a yes goes on. An approver that fails (a prompt that broke, a closed
 * terminal) is a refusal, never a step that onFailure could continue past; Ctrl-C at the prompt
 * interrupts the run.
 */
async function askApproval(walk: Walk, step: string, summary: string): Promise<void> {
  let answer: {approved: boolean; why?: string}
  try {
    answer = await walk.deps.approver.approve({runbook: walk.runbook.name, step, summary})
  } catch (error) {
    if (error instanceof InterruptedError || (error as Error).name === 'AbortError') throw new InterruptedError()
    throw new StepFailure(`not approved: the approval could not be asked (${(error as Error).message})`, true)
  }
  if (!answer.approved) throw new StepFailure(`not approved: ${answer.why ?? 'declined'}`, true)
  walk.approved.value = true
}

/** What a `runbook` step's outputs select from: the called run's outputs, by step. */
const childDocument = (walk: Walk, child: RunState, reveal: boolean) => ({steps: outputsByStep(walk, child, reveal)})

async function runChild(walk: Walk, step: Extract<Step, {kind: 'runbook'}>, given: Record<string, unknown>, shownGiven: Record<string, unknown>): Promise<Record<string, unknown>> {
  const record = walk.state.steps[step.name]!
  // A parameter filled from a secret is secret in the called runbook too.
  const filledFromSecret = (name: string) => name in given && !sameJson(given[name], shownGiven[name])
  if (!record.child) {
    const {runbook, params, hash} = await walk.deps.childRunbook(step.runbook, given)
    const declared = secretParamsOf(runbook)
    const {kept, secret} = splitSecretParams(params, (name) => declared.has(name) || filledFromSecret(name))
    record.child = newRunState({id: `${walk.state.id}/${step.name}`, runbook: runbook.name, runbookHash: hash, env: walk.state.env, params: kept, dryRun: walk.state.dryRun, caller: walk.state.caller, now: walk.deps.clock.now()})
    remember(walk, record.child, secret)
  } else {
    // A resume inside the called runbook: the secret parameters its state does not keep come again from this step's.
    const known = memoryOf(walk, record.child).params
    const missing = Object.keys(record.child.params).filter((name) => record.child!.params[name] === REDACTED && !(name in known))
    if (missing.length > 0) {
      const {params} = await walk.deps.childRunbook(step.runbook, given)
      remember(walk, record.child, {...known, ...Object.fromEntries(missing.map((name) => [name, params[name]]))})
    }
  }
  const child = record.child
  const {runbook} = await walk.deps.childRunbook(step.runbook, {...child.params, ...memoryOf(walk, child).params})
  const ended = await walkRunbook({...walk, runbook, state: child})
  if (ended.status === 'interrupted') throw new InterruptedError()
  if (ended.status !== 'succeeded') throw new StepFailure(`runbook ${runbook.name} ${ended.status} at step ${ended.next}: ${ended.next ? ended.steps[ended.next]?.detail : ''}`, ended.status === 'refused')
  return outputsOf(step, childDocument(walk, child, true))
}

/** A run's secret parameters, kept in memory and looked for in text from then on. */
function remember(walk: Walk, state: RunState, secretParams: Record<string, unknown>): void {
  memoryOf(walk, state).params = secretParams
  for (const value of Object.values(secretParams)) walk.secrets.add(value)
}

/**
 * The outputs as the state keeps them. An output is secret when the runbook marks it, when its
 * call returns a secret, when its step made it from a secret it was given (script, shell,
 * runbook), or when its value holds a secret met earlier: then it is kept in memory for the
 * steps after it and stored as REDACTED.
 */
function keepOutputs(walk: Walk, step: Step, outputs: Record<string, unknown>, tainted: boolean): Record<string, unknown> {
  const declared = declaredSecretOutputs(step)
  const child = step.kind === 'runbook' ? walk.state.steps[step.name]?.child : undefined
  const withoutChildSecrets = child ? outputsOf(step, childDocument(walk, child, false)) : undefined
  const hidden: Record<string, unknown> = {}
  const stored: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(outputs)) {
    const secret =
      value !== undefined &&
      (declared.has(name) || (tainted && DERIVING_KINDS.has(step.kind)) || walk.secrets.holds(value) || (withoutChildSecrets !== undefined && !sameJson(withoutChildSecrets[name], value)))
    if (secret) {
      hidden[name] = value
      walk.secrets.add(value)
      stored[name] = REDACTED
    } else stored[name] = value
  }
  memoryOf(walk).outputs[step.name] = hidden
  return stored
}

/** What a dry run does with a step: reads until the first change, shows everything else. */
async function rehearse(walk: Walk, step: Step, filled: Filled): Promise<{outputs: Record<string, unknown>; planned?: string}> {
  const {fields, shown} = filled
  if (step.kind === 'runbook' && !walk.changed.value) {
    const outputs = await runChild(walk, step, fields.parameters as Record<string, unknown>, shown.parameters as Record<string, unknown>)
    return {outputs}
  }
  const changes = stepChanges(step, walk.deps.runbookNamed)
  if (walk.changed.value || step.kind === 'approve' || changes) {
    if (changes) walk.changed.value = true
    return {outputs: {}, planned: `${step.kind === 'approve' ? 'would ask: ' : 'would run: '}${request(step, shown)}`}
  }
  if (step.kind === 'wait') {
    const response = await callApi(walk, step, fields)
    const value = selectedText(response, step.selector)
    if (matches(value, fields.desiredValues as unknown[])) return {outputs: outputsOf(step, response)}
    return {outputs: outputsOf(step, response), planned: `${step.selector} is ${value === undefined ? 'nothing' : said(step, value)} now: would wait up to ${step.timeout ?? DEFAULT_WAIT_TIMEOUT_SECONDS} s for ${(shown.desiredValues as unknown[]).map(textOf).join(' or ')}`}
  }
  return {outputs: await perform(walk, step, filled, () => fields)}
}

function finish(walk: Walk, status: RunState['status'], next?: string): RunState {
  walk.state.status = status
  if (next) walk.state.next = next
  else delete walk.state.next
  walk.state.updatedAt = walk.deps.clock.now().toISOString()
  walk.deps.save(walk.root)
  return walk.state
}

/**
 * The step's fields with its references filled, with and without the secrets. A shell step's
 * values go into its `env` as text; a reference still written in its command becomes a
 * variable there, so no value is ever spliced into the script.
 */
function fill(walk: Walk, step: Step, raw: Record<string, unknown>): Filled {
  const now = walk.deps.clock.now()
  const script = step.kind === 'shell' ? commandWithVariables(step.command) : undefined
  const fillFrom = (context: ReferenceContext, lenient: boolean) => {
    // A pick step's `by` names {{ item }}: it is filled for each item as its call is made.
    const {by, ...rest} = raw
    const fields = resolveReferences(step.kind === 'pick' ? rest : raw, context, {lenient}) as Record<string, unknown>
    if (step.kind === 'pick') fields.by = by
    if (script) {
      const values = {...(fields.env as Record<string, unknown>), ...(resolveReferences(script.variables, context, {lenient}) as Record<string, unknown>)}
      fields.command = script.command
      fields.env = Object.fromEntries(Object.entries(values).map(([name, value]) => [name, textOf(value)]))
    }
    return fields
  }
  const fields = fillFrom(referenceContext(walk, now, true), walk.state.dryRun && walk.changed.value)
  const shown = fillFrom(referenceContext(walk, now, false), true)
  return {fields, shown, tainted: !sameJson(fields, shown)}
}

type StepOutcome = {status: 'ok'} | {status: 'interrupted'} | {status: 'failed'; failure: StepFailure}

/**
 * Runs one step with its retries, saving the state as it starts and ends, and auditing it.
 * `resumeAt`: the step a resume would start at meanwhile; a step run again for its secret
 * outputs leaves it where the run stopped, and keeps the outputs it had until it succeeds.
 */
async function runStep(walk: Walk, step: Step, resumeAt = step.name): Promise<StepOutcome> {
  const {runbook, state, deps} = walk
  const again = resumeAt !== step.name
  const previous = state.steps[step.name]
  const record: StepRecord = {
    status: 'running',
    attempts: 0,
    startedAt: deps.clock.now().toISOString(),
    outputs: again ? previous?.outputs ?? {} : {},
    ...(previous?.child && previous.status !== 'succeeded' ? {child: previous.child} : {}),
  }
  state.steps[step.name] = record
  delete memoryOf(walk).outputs[step.name]
  state.next = resumeAt
  state.updatedAt = record.startedAt!
  deps.save(walk.root)

  const raw = referringFields(step)
  const changes = stepChanges(step, deps.runbookNamed)
  const started = deps.clock.now().getTime()
  let filled: Filled = {fields: raw, shown: raw, tainted: false}
  const audit = (result: RunbookAuditEntry['result'], detail?: string) =>
    deps.audit({run: walk.root.id, runbook: runbook.name, step: step.name, kind: step.kind, request: request(step, filled.shown), result, changes, durationMs: deps.clock.now().getTime() - started, ...(detail ? {detail} : {})})
  let failure: StepFailure | undefined
  let planned: string | undefined
  const attempts = step.kind === 'approve' ? 1 : step.retries + 1
  for (let attempt = 1; attempt <= attempts; attempt++) {
    record.attempts = attempt
    deps.onEvent?.({kind: 'step-started', runbook: runbook.name, step: step.name, attempt})
    failure = undefined
    try {
      if (deps.signal?.aborted) throw new InterruptedError()
      filled = fill(walk, step, raw)
      if (state.dryRun) {
        const rehearsed = await rehearse(walk, step, filled)
        record.outputs = keepOutputs(walk, step, rehearsed.outputs, filled.tainted)
        planned = rehearsed.planned
      } else {
        if (changes && step.kind !== 'runbook' && attempt === 1) {
          if (deps.protectedEnv && !walk.approved.value) await askApproval(walk, step.name, `${state.env} is protected and nothing approved a change in this run yet: step ${step.name} will ${request(step, filled.shown)}`)
          audit('started')
        }
        record.outputs = keepOutputs(walk, step, await perform(walk, step, filled, () => fill(walk, step, raw).fields), filled.tainted)
      }
      break
    } catch (error) {
      if (error instanceof InterruptedError || deps.signal?.aborted) {
        const how = error instanceof InterruptedError ? error.detail : undefined
        record.detail = how ? walk.secrets.scrub(how) : 'interrupted'
        audit('interrupted', how ? record.detail : undefined)
        return {status: 'interrupted'}
      }
      failure = error instanceof StepFailure ? error : new StepFailure(error instanceof UnresolvedReference ? error.message : awsMessage(error))
      if (failure.refused || attempt === attempts) break
      await deps.clock.sleep(Math.min(1000 * 2 ** (attempt - 1), 30_000), deps.signal).catch(() => undefined)
    }
  }
  record.endedAt = deps.clock.now().toISOString()
  record.status = failure ? 'failed' : planned ? 'planned' : 'succeeded'
  // What AWS, a command or a called runbook said may quote a secret: it is said without it.
  if (failure) record.detail = walk.secrets.scrub(failure.message)
  else if (planned) record.detail = walk.secrets.scrub(planned)
  state.updatedAt = record.endedAt
  deps.save(walk.root)
  deps.onEvent?.({kind: 'step-ended', runbook: runbook.name, step: step.name, record})
  audit(failure ? (failure.refused ? 'refused' : 'failed') : planned ? 'planned' : 'ok', record.detail)
  return failure ? {status: 'failed', failure} : {status: 'ok'}
}

/**
 * What a resume at `state.next` must run again first: the earlier steps whose secret outputs a
 * step from there on reads (and the steps those read secrets from), since a state file keeps no
 * secret. A step that only reads — or whose call only fetches a secret — is run again; one that
 * changes something, or calls a runbook, is not: a resume needing its secret is `unrecoverable`.
 * A resume inside a called runbook is looked into as well.
 */
export function secretsToRecover(runbook: Runbook, state: RunState, calls: (name: string) => Runbook | undefined): {rerun: Step[]; unrecoverable: Array<{runbook: string; step: string; output: string; neededBy: string; reason: string}>} {
  const start = state.next ? runbook.steps.findIndex((step) => step.name === state.next) : -1
  const inside = start >= 0 ? runbook.steps[start]! : undefined
  const calledRun = inside?.kind === 'runbook' ? state.steps[inside.name]?.child : undefined
  const called = inside?.kind === 'runbook' && calledRun && calledRun.status !== 'succeeded' ? calls(inside.runbook) : undefined
  const nested = called && calledRun ? secretsToRecover(called, calledRun, calls).unrecoverable : []
  if (start <= 0) return {rerun: [], unrecoverable: nested}
  const position = new Map(runbook.steps.map((step, index) => [step.name, index]))
  const needed = new Map<string, {output: string; neededBy: string}>()
  const visit = (consumer: Step) => {
    for (const {step: producer, output} of readsOf(consumer).outputs) {
      const at = position.get(producer)
      if (at === undefined || at >= start || needed.has(producer) || state.steps[producer]?.outputs[output] !== REDACTED) continue
      needed.set(producer, {output, neededBy: consumer.name})
      visit(runbook.steps[at]!)
    }
  }
  runbook.steps.slice(start).forEach(visit)
  const producers = runbook.steps.filter((step) => needed.has(step.name))
  const repeatable = (step: Step) => step.kind !== 'runbook' && (!stepChanges(step, calls) || callsForSecret(step)?.reads === true)
  return {
    rerun: producers.filter(repeatable),
    unrecoverable: [
      ...producers.filter((step) => !repeatable(step)).map((step) => ({runbook: runbook.name, step: step.name, ...needed.get(step.name)!, reason: step.kind === 'runbook' ? `runs runbook ${step.runbook}` : 'changes something'})),
      ...nested,
    ],
  }
}

async function walkRunbook(walk: Walk): Promise<RunState> {
  const {runbook, state, deps} = walk
  const positions = new Map(runbook.steps.map((step, index) => [step.name, index]))
  let index = state.next ? positions.get(state.next) ?? 0 : 0
  const runs = new Map<string, number>()
  state.status = 'running'
  const resumeAt = state.next
  if (resumeAt) {
    const inMemory = memoryOf(walk).outputs
    const lost = (step: Step) => Object.entries(state.steps[step.name]!.outputs).some(([name, value]) => value === REDACTED && !(name in (inMemory[step.name] ?? {})))
    for (const step of secretsToRecover(runbook, state, deps.runbookNamed).rerun.filter(lost)) {
      const outcome = await runStep(walk, step, resumeAt)
      if (outcome.status === 'interrupted') return finish(walk, 'interrupted', resumeAt)
      if (outcome.status === 'failed') return finish(walk, outcome.failure.refused ? 'refused' : 'failed', resumeAt)
    }
  }
  while (index < runbook.steps.length) {
    const step = runbook.steps[index]!
    runs.set(step.name, (runs.get(step.name) ?? 0) + 1)
    if (runs.get(step.name)! > MAX_RUNS_PER_STEP) {
      state.steps[step.name] = {status: 'failed', attempts: 0, outputs: {}, detail: `reached ${MAX_RUNS_PER_STEP} times through onFailure jumps: stopped (check the runbook's step: targets)`}
      return finish(walk, 'failed', step.name)
    }
    const outcome = await runStep(walk, step)
    if (outcome.status === 'interrupted') return finish(walk, 'interrupted', step.name)
    if (outcome.status === 'ok') {
      if (step.end) break
      index++
      continue
    }
    if (outcome.failure.refused) return finish(walk, 'refused', step.name)
    if (step.onFailure === 'abort') return finish(walk, 'failed', step.name)
    if (step.onFailure === 'continue') {
      // As SSM's isEnd: the run ends after this step whether it succeeded or failed and went on.
      if (step.end) break
      index++
    } else index = positions.get(step.onFailure.slice('step:'.length))!
  }
  return finish(walk, 'succeeded')
}

/** An AWS error's name with its message, which together say what AWS refused (InvalidDBClusterStateFault: …). */
function awsMessage(error: unknown): string {
  const named = error as {name?: string; message?: string; $metadata?: unknown}
  const fromAws = named.$metadata !== undefined || /(Exception|Fault|Error)$/.test(named.name ?? '')
  return fromAws && named.name && named.name !== 'Error' && !(error instanceof FintechError) ? `${named.name}: ${named.message}` : String(named.message ?? error)
}

/**
 * Runs a runbook from its state's `next` step (the first for a new run): each step with its
 * retries and timeout, outputs passed on, onFailure followed (abort by default, as in SSM),
 * the state saved before and after every step so a resume never repeats a finished step.
 * A dry run makes the reads up to the first change for real and shows the rest. In a
 * protected env no change goes out before an approval given in this same invocation.
 *
 * Secrets never reach the state, the audit entries or the events: the secret parameters come
 * apart (`secretParams`, the state holding REDACTED for them), secret outputs are kept in
 * memory for the steps after them, and a resume first runs again the steps whose secret
 * outputs it needs (secretsToRecover).
 */
export function executeRunbook(runbook: Runbook, state: RunState, deps: RunbookDeps, secretParams: Record<string, unknown> = {}): Promise<RunState> {
  const walk: Walk = {runbook, state, root: state, deps, changed: {value: false}, approved: {value: false}, secrets: new SecretValues(), memory: new WeakMap()}
  remember(walk, state, secretParams)
  return walkRunbook(walk)
}
