import type {RunbookEvent} from '../core/runbook/engine.js'
import type {RunState, StepRecord} from '../core/runbook/run-state.js'
import type {Runbook} from '../core/runbook/schema.js'
import {resolveReferences, textOf} from '../core/runbook/values.js'
import {type Palette, stderrPalette, stdoutPalette} from './colour.js'
import {rtoBudgetSeconds, stepSummary} from './runbook.js'

/** Where a run's progress is shown; `suspend` gives the terminal to a prompt until the next event. */
export interface RunbookReporter {
  event(event: RunbookEvent): void
  suspend(): void
  close(): Promise<void>
}

const MARKS: Record<StepRecord['status'], string> = {running: '…', succeeded: '✓', failed: '✗', planned: '○'}
/** ok in green, failed in red, planned (not run: a dry run's changes) muted; running as it is. */
const markOf = (status: StepRecord['status'], palette?: Palette): string => {
  const mark = MARKS[status]
  if (!palette) return mark
  return status === 'succeeded' ? palette.good(mark) : status === 'failed' ? palette.bad(mark) : status === 'planned' ? palette.muted(mark) : mark
}

export function seconds(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const whole = Math.round(ms / 1000)
  return `${Math.floor(whole / 60)} min ${whole % 60} s`
}

export const durationOf = (record: StepRecord): number | undefined =>
  record.startedAt && record.endedAt ? new Date(record.endedAt).getTime() - new Date(record.startedAt).getTime() : undefined

const outputsText = (outputs: Record<string, unknown>): string =>
  Object.entries(outputs)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}=${textOf(value)}`)
    .join(' ')

/**
 * One line of a step's result: mark, name, attempts, duration, outputs or why it failed. With
 * a palette the mark is coloured (plain lines); the ink view colours the whole line itself.
 */
export function stepLine(name: string, record: StepRecord, palette?: Palette): string {
  const took = durationOf(record)
  const parts = [`${markOf(record.status, palette)} ${name}`, ...(record.attempts > 1 ? [`(attempt ${record.attempts})`] : []), ...(took === undefined ? [] : [seconds(took)])]
  // An interrupted step says how it wound down where that matters (a failover unwound or finished).
  const interruptedHow = record.status === 'running' && record.detail !== undefined && record.detail !== 'interrupted'
  const said = record.status === 'failed' || record.status === 'planned' || interruptedHow ? record.detail : outputsText(record.outputs)
  return `${parts.join('  ')}${said ? `  ${said}` : ''}`
}

/** Timestamped lines for pipes, CI and --json runs (on stderr): one when a step starts, one when it ends. */
export class PlainRunbookReporter implements RunbookReporter {
  readonly #write: (line: string) => void
  readonly #now: () => Date
  #lastWaitLine = 0

  constructor(write: (line: string) => void, now: () => Date = () => new Date()) {
    this.#write = write
    this.#now = now
  }

  event(event: RunbookEvent): void {
    const at = this.#now().toISOString().replace(/\.\d{3}Z$/, 'Z')
    const where = event.runbook
    if (event.kind === 'step-started') this.#write(`${at}  ${where}  ${event.step}  started${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`)
    if (event.kind === 'step-ended') this.#write(`${at}  ${where}  ${stepLine(event.step, event.record, stderrPalette)}`)
    // A wait polls every few seconds; one line a minute is enough for a log.
    if (event.kind === 'waiting' && event.elapsedMs - this.#lastWaitLine >= 60_000) {
      this.#lastWaitLine = event.elapsedMs
      this.#write(`${at}  ${where}  ${event.step}  still ${event.current ?? 'nothing'} after ${seconds(event.elapsedMs)}`)
    }
    if (event.kind !== 'waiting') this.#lastWaitLine = 0
  }

  suspend(): void {}

  async close(): Promise<void> {}
}

/** What will run: each step with its parameters filled as far as they are known before the run. */
export function renderPlan(runbook: Runbook, state: RunState, now: Date): string {
  const context = {params: state.params, outputs: {}, now}
  const lines = [`${runbook.title}: runbook ${runbook.name} in ${state.env}${state.dryRun ? ' (dry run: reads only up to the first change)' : ''}, run ${state.id}`]
  const params = Object.entries(state.params)
  if (params.length > 0) lines.push(`  parameters: ${params.map(([name, value]) => `${name}=${textOf(value)}`).join(' ')}`)
  const resumeAt = state.next ? runbook.steps.findIndex((step) => step.name === state.next) : -1
  runbook.steps.forEach((step, index) => {
    const filled = resolveReferences(step, context, {lenient: true}) as typeof step
    const done = index < resumeAt && state.steps[step.name]?.status === 'succeeded'
    lines.push(`  ${String(index + 1).padStart(2)}. ${step.name} [${step.kind}]${done ? ' (done)' : ''}${step.budgetSeconds ? ` (budget ${step.budgetSeconds} s)` : ''}  ${stepSummary(filled)}`)
  })
  return lines.join('\n')
}

const VERDICT: Record<RunState['status'], string> = {
  running: 'is still running',
  succeeded: 'succeeded',
  failed: 'failed',
  refused: 'stopped: an approval was refused',
  interrupted: 'was interrupted',
}

/** A step's time against its RTO budget, said loudly when it went over. */
function budgetText(record: StepRecord, budgetSeconds: number): string {
  const took = durationOf(record)
  return took !== undefined && took > budgetSeconds * 1000 ? stdoutPalette.bad(`[OVER budget ${budgetSeconds} s]`) : `[budget ${budgetSeconds} s]`
}

/** The run's report: every step reached with its result and duration, the total, and how to resume. */
export function renderRunReport(runbook: Runbook, state: RunState, files: {state?: string; audit?: string}): string {
  const total = new Date(state.updatedAt).getTime() - new Date(state.startedAt).getTime()
  const continued = runbook.steps.filter((step) => state.steps[step.name]?.status === 'failed' && step.name !== state.next).length
  const lines = [`Runbook ${runbook.name} in ${state.env} ${VERDICT[state.status]}${state.dryRun ? ' (dry run)' : ''} after ${seconds(total)}${continued > 0 ? `; ${continued} failed step${continued === 1 ? '' : 's'} let the run continue` : ''}`]
  const report = (book: Runbook | undefined, run: RunState, indent: string) => {
    const names = book ? book.steps.map((step) => step.name) : Object.keys(run.steps)
    for (const name of names) {
      const record = run.steps[name]
      if (!record) continue
      const budget = book?.steps.find((step) => step.name === name)?.budgetSeconds
      lines.push(`${indent}${stepLine(name, record, stdoutPalette)}${budget ? `  ${budgetText(record, budget)}` : ''}`)
      if (record.child) report(undefined, record.child, `${indent}    `)
    }
  }
  report(runbook, state, '  ')
  const budget = rtoBudgetSeconds(runbook)
  if (budget !== undefined) {
    const spent = runbook.steps.reduce((sum, step) => sum + (step.budgetSeconds && state.steps[step.name] ? (durationOf(state.steps[step.name]!) ?? 0) : 0), 0)
    lines.push(`RTO budget: the budgeted steps took ${seconds(spent)} of ${budget} s`)
  }
  if (state.dryRun) return lines.join('\n')
  if (files.state) lines.push(`state: ${files.state}`)
  if (files.audit) lines.push(`audit: ${files.audit}`)
  if (state.status !== 'succeeded' && state.next) lines.push(`resume at ${state.next}: fintech runbook resume ${state.id}`)
  return lines.join('\n')
}
