import {InterruptedError, type Clock} from '../deploy/clock.js'
import {FintechError} from '../errors.js'
import {newRunState, type RunState, type StepRecord} from './run-state.js'
import {operatorOf, type Runbook, type Step, type StepOutput} from './schema.js'
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
  run(command: string, options: {instanceTag?: {key: string; value: string}; timeoutSeconds?: number; signal: AbortSignal}): Promise<ShellResult>
}

/** The `fintech redis` operations; `ok: false` is a failed step (an unhealthy tier, a refused failover). */
export interface RunbookRedis {
  /** Not aborted midway: a failover releases its write pause and restores priorities itself; `timeoutSeconds` bounds its waits. */
  run(operation: string, parameters: Record<string, unknown>, options: {timeoutSeconds?: number}): Promise<{ok: boolean; detail: string; result: unknown}>
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

interface Walk {
  runbook: Runbook
  state: RunState
  root: RunState
  deps: RunbookDeps
  /** Dry run: a change was shown instead of made, so later reads no longer tell what the run would see. */
  changed: {value: boolean}
  /** An approval was given in this invocation (protectedEnv). */
  approved: {value: boolean}
}

const request = (step: Step, fields: Record<string, unknown>): string => {
  switch (step.kind) {
    case 'aws':
    case 'wait':
    case 'assert':
      return `${step.service}:${step.api} ${JSON.stringify(asJson(fields.parameters))}`
    case 'approve':
      return textOf(fields.summary)
    case 'shell':
      return `$ ${textOf(fields.command)}${step.instanceTag ? ` on instances tagged ${step.instanceTag.key}=${step.instanceTag.value}` : ''}`
    case 'redis':
      return `fintech redis ${step.operation} ${JSON.stringify(asJson(fields.parameters))}`
    case 'runbook':
      return `runbook ${step.runbook} ${JSON.stringify(asJson(fields.parameters))}`
    case 'script':
      return `${textOf(fields.value)} ${operatorOf(step)} ${textOf(fields[operatorOf(step)])}`
  }
}

const outputsOf = (step: Step, document: unknown): Record<string, unknown> =>
  Object.fromEntries(Object.entries(step.outputs as Record<string, StepOutput>).map(([name, output]) => [name, outputValue(document, output)]))

/** The outputs of every step that has run (validation lets a step name only earlier ones). */
const referenceContext = (walk: Walk): ReferenceContext => ({
  params: walk.state.params,
  outputs: Object.fromEntries(Object.entries(walk.state.steps).map(([name, record]) => [name, record.outputs])),
  now: walk.deps.clock.now(),
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

/**
 * One attempt at a step, for real. Returns its outputs, or throws StepFailure. `refill` fills the
 * step's references again, for a wait whose every poll reads the clock anew ({{ time.now }}).
 */
async function perform(walk: Walk, step: Step, fields: Record<string, unknown>, refill: () => Record<string, unknown>): Promise<Record<string, unknown>> {
  const {deps, runbook} = walk
  switch (step.kind) {
    case 'aws': {
      const response = await callApi(walk, step, fields)
      return outputsOf(step, response)
    }
    case 'assert': {
      const response = await callApi(walk, step, fields)
      const value = selectedText(response, step.selector)
      if (!matches(value, fields.expected as unknown[])) throw new StepFailure(`${step.selector} is ${value === undefined ? 'nothing (no match)' : JSON.stringify(value)}, expected ${(fields.expected as unknown[]).map(textOf).join(' or ')}`)
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
        deps.onEvent?.({kind: 'waiting', runbook: runbook.name, step: step.name, current: value, elapsedMs})
        if (elapsedMs >= timeoutMs) throw new StepFailure(`${step.selector} still ${value === undefined ? 'nothing (no match)' : JSON.stringify(value)} after ${Math.round(elapsedMs / 1000)} s, waiting for ${(poll.desiredValues as unknown[]).map(textOf).join(' or ')}`)
        await deps.clock.sleep(Math.min(deps.pollMs ?? DEFAULT_POLL_MS, timeoutMs - elapsedMs), deps.signal)
      }
    }
    case 'approve': {
      await askApproval(walk, step.name, textOf(fields.summary))
      return {}
    }
    case 'script': {
      const operator = operatorOf(step)
      // The description says what a failed check means, where the runbook gives one.
      if (!compare(fields.value, operator, fields[operator])) throw new StepFailure(`${textOf(fields.value)} is not ${operator} ${textOf(fields[operator])}${step.description ? `: ${step.description}` : ''}`)
      return outputsOf(step, {value: fields.value})
    }
    case 'shell': {
      const result = await withinTimeout(walk, step.timeout, (signal) => deps.shell.run(textOf(fields.command), {...(step.instanceTag ? {instanceTag: step.instanceTag} : {}), ...(step.timeout ? {timeoutSeconds: step.timeout} : {}), signal}))
      if (result.exitCode !== 0) throw new StepFailure(`exit code ${result.exitCode}${result.stderr.trim() ? `: ${result.stderr.trim().split('\n').at(-1)}` : ''}`)
      return outputsOf(step, result)
    }
    case 'redis': {
      const result = await deps.redis.run(step.operation, fields.parameters as Record<string, unknown>, step.timeout ? {timeoutSeconds: step.timeout} : {})
      if (!result.ok) throw new StepFailure(result.detail)
      return outputsOf(step, result.result)
    }
    case 'runbook':
      return runChild(walk, step, fields.parameters as Record<string, unknown>)
  }
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

async function runChild(walk: Walk, step: Extract<Step, {kind: 'runbook'}>, given: Record<string, unknown>): Promise<Record<string, unknown>> {
  const record = walk.state.steps[step.name]!
  if (!record.child) {
    const {runbook, params, hash} = await walk.deps.childRunbook(step.runbook, given)
    record.child = newRunState({id: `${walk.state.id}/${step.name}`, runbook: runbook.name, runbookHash: hash, env: walk.state.env, params, dryRun: walk.state.dryRun, caller: walk.state.caller, now: walk.deps.clock.now()})
  }
  const {runbook} = await walk.deps.childRunbook(step.runbook, record.child.params)
  const child = await walkRunbook({...walk, runbook, state: record.child})
  if (child.status === 'interrupted') throw new InterruptedError()
  if (child.status !== 'succeeded') throw new StepFailure(`runbook ${runbook.name} ${child.status} at step ${child.next}: ${child.next ? child.steps[child.next]?.detail : ''}`, child.status === 'refused')
  return outputsOf(step, {steps: Object.fromEntries(Object.entries(child.steps).map(([name, inner]) => [name, inner.outputs]))})
}

/** What a dry run does with a step: reads until the first change, shows everything else. */
async function rehearse(walk: Walk, step: Step, fields: Record<string, unknown>): Promise<{outputs: Record<string, unknown>; planned?: string}> {
  if (step.kind === 'runbook' && !walk.changed.value) {
    const outputs = await runChild(walk, step, fields.parameters as Record<string, unknown>)
    return {outputs}
  }
  const changes = stepChanges(step, walk.deps.runbookNamed)
  if (walk.changed.value || step.kind === 'approve' || changes) {
    if (changes) walk.changed.value = true
    return {outputs: {}, planned: `${step.kind === 'approve' ? 'would ask: ' : 'would run: '}${request(step, fields)}`}
  }
  if (step.kind === 'wait') {
    const response = await callApi(walk, step, fields)
    const value = selectedText(response, step.selector)
    if (matches(value, fields.desiredValues as unknown[])) return {outputs: outputsOf(step, response)}
    return {outputs: outputsOf(step, response), planned: `${step.selector} is ${value === undefined ? 'nothing' : JSON.stringify(value)} now: would wait up to ${step.timeout ?? DEFAULT_WAIT_TIMEOUT_SECONDS} s for ${(fields.desiredValues as unknown[]).map(textOf).join(' or ')}`}
  }
  return {outputs: await perform(walk, step, fields, () => fields)}
}

function finish(walk: Walk, status: RunState['status'], next?: string): RunState {
  walk.state.status = status
  if (next) walk.state.next = next
  else delete walk.state.next
  walk.state.updatedAt = walk.deps.clock.now().toISOString()
  walk.deps.save(walk.root)
  return walk.state
}

/** A value inserted into a shell command, single-quoted: what an API returned never becomes shell syntax. */
const shellQuoted = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`

/** The step's fields with its references filled; a shell command gets its values quoted. */
function fill(walk: Walk, step: Step, raw: Record<string, unknown>): Record<string, unknown> {
  const lenient = walk.state.dryRun && walk.changed.value
  const context = referenceContext(walk)
  const fields = resolveReferences(raw, context, {lenient}) as Record<string, unknown>
  if (step.kind === 'shell') fields.command = resolveReferences(step.command, context, {lenient, quote: shellQuoted})
  return fields
}

async function walkRunbook(walk: Walk): Promise<RunState> {
  const {runbook, state, deps} = walk
  const positions = new Map(runbook.steps.map((step, index) => [step.name, index]))
  let index = state.next ? positions.get(state.next) ?? 0 : 0
  const runs = new Map<string, number>()
  state.status = 'running'
  while (index < runbook.steps.length) {
    const step = runbook.steps[index]!
    runs.set(step.name, (runs.get(step.name) ?? 0) + 1)
    if (runs.get(step.name)! > MAX_RUNS_PER_STEP) {
      state.steps[step.name] = {status: 'failed', attempts: 0, outputs: {}, detail: `reached ${MAX_RUNS_PER_STEP} times through onFailure jumps: stopped (check the runbook's step: targets)`}
      return finish(walk, 'failed', step.name)
    }
    const previous = state.steps[step.name]
    const record: StepRecord = {status: 'running', attempts: 0, startedAt: deps.clock.now().toISOString(), outputs: {}, ...(previous?.child && previous.status !== 'succeeded' ? {child: previous.child} : {})}
    state.steps[step.name] = record
    state.next = step.name
    state.updatedAt = record.startedAt!
    deps.save(walk.root)

    const {name: _name, kind: _kind, outputs: _outputs, ...raw} = step
    const changes = stepChanges(step, deps.runbookNamed)
    const started = deps.clock.now().getTime()
    const audit = (result: RunbookAuditEntry['result'], fields: Record<string, unknown>, detail?: string) =>
      deps.audit({run: walk.root.id, runbook: runbook.name, step: step.name, kind: step.kind, request: request(step, fields), result, changes, durationMs: deps.clock.now().getTime() - started, ...(detail ? {detail} : {})})
    let fields: Record<string, unknown> = raw
    let failure: StepFailure | undefined
    let planned: string | undefined
    const attempts = step.kind === 'approve' ? 1 : step.retries + 1
    for (let attempt = 1; attempt <= attempts; attempt++) {
      record.attempts = attempt
      deps.onEvent?.({kind: 'step-started', runbook: runbook.name, step: step.name, attempt})
      failure = undefined
      try {
        if (deps.signal?.aborted) throw new InterruptedError()
        fields = fill(walk, step, raw)
        if (state.dryRun) {
          const rehearsed = await rehearse(walk, step, fields)
          record.outputs = rehearsed.outputs
          planned = rehearsed.planned
        } else {
          if (changes && step.kind !== 'runbook' && attempt === 1) {
            if (deps.protectedEnv && !walk.approved.value) await askApproval(walk, step.name, `${state.env} is protected and nothing approved a change in this run yet: step ${step.name} will ${request(step, fields)}`)
            audit('started', fields)
          }
          record.outputs = await perform(walk, step, fields, () => fill(walk, step, raw))
        }
        break
      } catch (error) {
        if (error instanceof InterruptedError || deps.signal?.aborted) {
          record.detail = 'interrupted'
          audit('interrupted', fields)
          return finish(walk, 'interrupted', step.name)
        }
        failure = error instanceof StepFailure ? error : new StepFailure(error instanceof UnresolvedReference ? error.message : awsMessage(error))
        if (failure.refused || attempt === attempts) break
        await deps.clock.sleep(Math.min(1000 * 2 ** (attempt - 1), 30_000), deps.signal).catch(() => undefined)
      }
    }
    record.endedAt = deps.clock.now().toISOString()
    record.status = failure ? 'failed' : planned ? 'planned' : 'succeeded'
    if (failure) record.detail = failure.message
    else if (planned) record.detail = planned
    state.updatedAt = record.endedAt
    deps.save(walk.root)
    deps.onEvent?.({kind: 'step-ended', runbook: runbook.name, step: step.name, record})
    audit(failure ? (failure.refused ? 'refused' : 'failed') : planned ? 'planned' : 'ok', fields, record.detail)

    if (!failure) {
      if (step.end) break
      index++
      continue
    }
    if (failure.refused) return finish(walk, 'refused', step.name)
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
 */
export function executeRunbook(runbook: Runbook, state: RunState, deps: RunbookDeps): Promise<RunState> {
  return walkRunbook({runbook, state, root: state, deps, changed: {value: false}, approved: {value: false}})
}
