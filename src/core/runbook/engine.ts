import {InterruptedError, type Clock} from '../deploy/clock.js'
import {FintechError} from '../errors.js'
import {newRunState, type RunState, type StepRecord} from './run-state.js'
import type {Runbook, Step, StepOutput} from './schema.js'
import {asJson, compare, operatorOf, outputValue, resolveReferences, selectedText, textOf, UnresolvedReference, type ReferenceContext} from './values.js'

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
  run(operation: string, parameters: Record<string, unknown>, signal: AbortSignal): Promise<{ok: boolean; detail: string; result: unknown}>
}

export interface RunbookAuditEntry {
  run: string
  runbook: string
  step: string
  kind: Step['kind']
  /** What was asked: the API and its parameters, the command, the approval's summary. */
  request: string
  result: 'ok' | 'failed' | 'refused' | 'planned' | 'interrupted'
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
  clock: Clock
  /** Called with the whole (outermost) run's state after every step, and before each one starts. */
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
/** A step:NAME loop that never ends is a runbook bug; this many step runs end it. */
const MAX_STEP_RUNS_PER_STEP = 20

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

/** Every earlier step's outputs, for references. */
const referenceContext = (walk: Walk): ReferenceContext => ({
  params: walk.state.params,
  outputs: Object.fromEntries(Object.entries(walk.state.steps).map(([name, record]) => [name, record.outputs])),
  now: walk.deps.clock.now(),
})

/** Runs `work` under the step's timeout; the signal it gets aborts on the timeout or on Ctrl-C. */
async function withinTimeout<T>(walk: Walk, seconds: number | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
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
            reject(new StepFailure(`timed out after ${seconds} s`))
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

const matches = (value: string | undefined, wanted: unknown[]) => value !== undefined && wanted.some((item) => textOf(item) === value)

/** One attempt at a step, for real. Returns its outputs, or throws StepFailure. */
async function perform(walk: Walk, step: Step, fields: Record<string, unknown>): Promise<Record<string, unknown>> {
  const {deps, runbook} = walk
  switch (step.kind) {
    case 'aws': {
      const response = await withinTimeout(walk, step.timeout, (signal) => deps.aws.call(step.service, step.api, fields.parameters as Record<string, unknown>, signal))
      return outputsOf(step, response)
    }
    case 'assert': {
      const response = await withinTimeout(walk, step.timeout, (signal) => deps.aws.call(step.service, step.api, fields.parameters as Record<string, unknown>, signal))
      const value = selectedText(response, step.selector)
      if (!matches(value, fields.expected as unknown[])) throw new StepFailure(`${step.selector} is ${value === undefined ? 'nothing (no match)' : JSON.stringify(value)}, expected ${(fields.expected as unknown[]).map(textOf).join(' or ')}`)
      return outputsOf(step, response)
    }
    case 'wait': {
      const timeoutMs = (step.timeout ?? DEFAULT_WAIT_TIMEOUT_SECONDS) * 1000
      const started = deps.clock.now().getTime()
      for (;;) {
        const response = await withinTimeout(walk, step.timeout, (signal) => deps.aws.call(step.service, step.api, fields.parameters as Record<string, unknown>, signal))
        const value = selectedText(response, step.selector)
        if (matches(value, fields.desiredValues as unknown[])) return outputsOf(step, response)
        const elapsedMs = deps.clock.now().getTime() - started
        deps.onEvent?.({kind: 'waiting', runbook: runbook.name, step: step.name, current: value, elapsedMs})
        if (elapsedMs >= timeoutMs) throw new StepFailure(`${step.selector} still ${value === undefined ? 'nothing (no match)' : JSON.stringify(value)} after ${Math.round(elapsedMs / 1000)} s, waiting for ${(fields.desiredValues as unknown[]).map(textOf).join(' or ')}`)
        await deps.clock.sleep(Math.min(deps.pollMs ?? DEFAULT_POLL_MS, timeoutMs - elapsedMs), deps.signal)
      }
    }
    case 'approve': {
      const answer = await deps.approver.approve({runbook: runbook.name, step: step.name, summary: textOf(fields.summary)})
      if (!answer.approved) throw new StepFailure(`not approved: ${answer.why ?? 'declined'}`, true)
      return {}
    }
    case 'script': {
      const operator = operatorOf(step)
      if (!compare(fields.value, operator, fields[operator])) throw new StepFailure(`${textOf(fields.value)} is not ${operator} ${textOf(fields[operator])}`)
      return outputsOf(step, {value: fields.value})
    }
    case 'shell': {
      const result = await withinTimeout(walk, step.timeout, (signal) => deps.shell.run(textOf(fields.command), {...(step.instanceTag ? {instanceTag: step.instanceTag} : {}), ...(step.timeout ? {timeoutSeconds: step.timeout} : {}), signal}))
      if (result.exitCode !== 0) throw new StepFailure(`exit code ${result.exitCode}${result.stderr.trim() ? `: ${result.stderr.trim().split('\n').at(-1)}` : ''}`)
      return outputsOf(step, result)
    }
    case 'redis': {
      const result = await withinTimeout(walk, step.timeout, (signal) => deps.redis.run(step.operation, fields.parameters as Record<string, unknown>, signal))
      if (!result.ok) throw new StepFailure(result.detail)
      return outputsOf(step, result.result)
    }
    case 'runbook':
      return runChild(walk, step, fields.parameters as Record<string, unknown>)
  }
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
  const calls = (name: string) => (name === walk.runbook.name ? walk.runbook : undefined)
  if (step.kind === 'runbook' && !walk.changed.value) {
    const outputs = await runChild(walk, step, fields.parameters as Record<string, unknown>)
    return {outputs}
  }
  if (walk.changed.value || step.kind === 'approve' || stepChanges(step, calls)) {
    if (stepChanges(step, calls)) walk.changed.value = true
    return {outputs: {}, planned: `${step.kind === 'approve' ? 'would ask: ' : 'would run: '}${request(step, fields)}`}
  }
  if (step.kind === 'wait') {
    const response = await withinTimeout(walk, step.timeout, (signal) => walk.deps.aws.call(step.service, step.api, fields.parameters as Record<string, unknown>, signal))
    const value = selectedText(response, step.selector)
    if (matches(value, fields.desiredValues as unknown[])) return {outputs: outputsOf(step, response)}
    return {outputs: outputsOf(step, response), planned: `${step.selector} is ${value === undefined ? 'nothing' : JSON.stringify(value)} now: would wait up to ${step.timeout ?? DEFAULT_WAIT_TIMEOUT_SECONDS} s for ${(fields.desiredValues as unknown[]).map(textOf).join(' or ')}`}
  }
  return {outputs: await perform(walk, step, fields)}
}

function finish(walk: Walk, status: RunState['status'], next?: string): RunState {
  walk.state.status = status
  if (next) walk.state.next = next
  else delete walk.state.next
  walk.state.updatedAt = walk.deps.clock.now().toISOString()
  walk.deps.save(walk.root)
  return walk.state
}

async function walkRunbook(walk: Walk): Promise<RunState> {
  const {runbook, state, deps} = walk
  const positions = new Map(runbook.steps.map((step, index) => [step.name, index]))
  let index = state.next ? positions.get(state.next) ?? 0 : 0
  let runs = 0
  state.status = 'running'
  while (index < runbook.steps.length) {
    const step = runbook.steps[index]!
    if (++runs > runbook.steps.length * MAX_STEP_RUNS_PER_STEP) {
      state.steps[step.name] = {status: 'failed', attempts: 0, outputs: {}, detail: `onFailure jumps went round ${MAX_STEP_RUNS_PER_STEP} times per step: stopped (check the runbook's step: targets)`}
      return finish(walk, 'failed', step.name)
    }
    const previous = state.steps[step.name]
    const record: StepRecord = {status: 'running', attempts: 0, startedAt: deps.clock.now().toISOString(), outputs: {}, ...(previous?.child && previous.status !== 'succeeded' ? {child: previous.child} : {})}
    state.steps[step.name] = record
    state.next = step.name
    state.updatedAt = record.startedAt!
    deps.save(walk.root)

    const {name: _name, kind: _kind, outputs: _outputs, ...raw} = step
    const started = deps.clock.now().getTime()
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
        fields = resolveReferences(raw, referenceContext(walk), state.dryRun && walk.changed.value) as Record<string, unknown>
        if (state.dryRun) {
          const rehearsed = await rehearse(walk, step, fields)
          record.outputs = rehearsed.outputs
          planned = rehearsed.planned
        } else record.outputs = await perform(walk, step, fields)
        break
      } catch (error) {
        if (error instanceof InterruptedError || deps.signal?.aborted) {
          record.detail = 'interrupted'
          deps.audit({run: walk.root.id, runbook: runbook.name, step: step.name, kind: step.kind, request: request(step, fields), result: 'interrupted', changes: stepChanges(step, () => undefined), durationMs: deps.clock.now().getTime() - started})
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
    deps.onEvent?.({kind: 'step-ended', runbook: runbook.name, step: step.name, record})
    deps.audit({
      run: walk.root.id,
      runbook: runbook.name,
      step: step.name,
      kind: step.kind,
      request: request(step, fields),
      result: failure ? (failure.refused ? 'refused' : 'failed') : planned ? 'planned' : 'ok',
      changes: stepChanges(step, () => undefined),
      durationMs: deps.clock.now().getTime() - started,
      ...(record.detail ? {detail: record.detail} : {}),
    })

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
    deps.save(walk.root)
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
 * A dry run makes the reads up to the first change for real and shows the rest.
 */
export function executeRunbook(runbook: Runbook, state: RunState, deps: RunbookDeps): Promise<RunState> {
  return walkRunbook({runbook, state, root: state, deps, changed: {value: false}})
}
