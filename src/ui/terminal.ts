import {createInterface} from 'node:readline/promises'

import {InterruptedError} from '../core/clock.js'
import type {Approver} from '../core/deploy/deploy-stack.js'
import type {DeployReporter} from '../core/deploy/events.js'
import {InputError} from '../core/errors.js'
import type {RunState} from '../core/runbook/run-state.js'
import type {Runbook} from '../core/runbook/schema.js'
import {PlainReporter} from './plain-reporter.js'
import type {RunbookReporter} from './runbook-run.js'

/*
 * The terminal host: every flow asks here whether someone is at a terminal, which progress
 * view to show, and how to confirm, so the rules are written once.
 */

/** The part of a stream the host looks at. */
export interface TerminalStream {
  isTTY?: boolean
}

/**
 * A live (redrawn) view only where someone watches a terminal, outside CI and --json: ink
 * writes every frame, erase codes included, into pipes and only the last frame under CI.
 */
export function showsLiveView(stream: TerminalStream, options: {json: boolean}, env: NodeJS.ProcessEnv = process.env): boolean {
  return !options.json && Boolean(stream.isTTY) && !env.CI
}

/** Somebody can answer a question: the input is a terminal. */
export const canAsk = (input: TerminalStream): boolean => Boolean(input.isTTY)

/** A progress line as logs want it: the moment it happened in ISO-8601 UTC, then the line. */
export const timestamped = (line: string, now: Date = new Date()): string => `${now.toISOString()} ${line}`

/** Writes each progress line timestamped, e.g. `progressLines((line) => io.note(line))`. */
export const progressLines =
  (write: (line: string) => void, now: () => Date = () => new Date()) =>
  (line: string): void =>
    write(timestamped(line, now()))

/** What to do instead of answering, when there is nobody to ask. */
function withoutTerminal(needs: string, options: {dryRun: boolean}): string {
  return `needs ${needs} and there is no terminal to ask: ${options.dryRun ? 'review with --dry-run, then ' : ''}re-run with --yes`
}

/** A command that must confirm before it acts. */
export interface ConfirmationRule {
  /** The command as the user types it, after `fintech`: `destroy`, `tags fix`. */
  command: string
  /** Why it asks, when that is not obvious from the command: `prod is protected`. */
  reason?: string
  /** -y/--yes: confirmed in advance. */
  yes: boolean
  /** The command has --dry-run to review first. */
  dryRun: boolean
}

/**
 * The rule every confirming command follows: --yes answers in advance, a terminal is asked,
 * and with neither nothing is done. Call it before any change, so a refusal changes nothing.
 */
export function requireConfirmationPossible(rule: ConfirmationRule, input: TerminalStream = process.stdin): void {
  if (rule.yes || canAsk(input)) return
  throw new InputError(`${rule.command} ${withoutTerminal(`confirmation${rule.reason ? ` (${rule.reason})` : ''}`, rule)}; nothing was changed`)
}

/** Destructive commands ask the user to type a word (the env name), not just "y". */
export async function typedConfirmation(prompt: string, expected: string, input: NodeJS.ReadStream, output: NodeJS.WriteStream): Promise<boolean> {
  const readline = createInterface({input, output})
  try {
    return (await readline.question(`${prompt} Type "${expected}" to confirm: `)).trim() === expected
  } finally {
    readline.close()
  }
}

/**
 * The whole typed confirmation of a command: nothing with --yes, the rule above without a
 * terminal, else `prompt` and the env name typed on stderr. Throws `refused` when the typed
 * word is not the env name.
 */
export async function confirmByTyping(rule: ConfirmationRule & {prompt: string; expected: string; refused: string}): Promise<void> {
  if (rule.yes) return
  requireConfirmationPossible(rule)
  if (!(await typedConfirmation(rule.prompt, rule.expected, process.stdin, process.stderr))) throw new InputError(rule.refused)
}

export interface ApproverOptions {
  /** --yes: the user reviewed the plan and approves in advance. */
  yes: boolean
  input: NodeJS.ReadStream
  output: NodeJS.WriteStream
  /** Called when the user presses Ctrl-C at the prompt (the terminal is raw, so no SIGINT is sent). */
  onInterrupt?: () => void
}

/**
 * Approval on a terminal is a typed "y"; without one (CI, pipes) there is nobody to ask, so
 * the answer is no unless --yes was given. Questions are asked one at a time even when
 * stacks deploy in parallel.
 */
export function createApprover({yes, input, output, onInterrupt}: ApproverOptions): Approver {
  let queue: Promise<unknown> = Promise.resolve()
  return {
    approve(request) {
      if (yes) return Promise.resolve({approved: true})
      if (!canAsk(input)) return Promise.resolve({approved: false, why: withoutTerminal(`approval (${request.reasons.join('; ')})`, {dryRun: true})})
      const asked = queue.then(async () => {
        const readline = createInterface({input, output})
        try {
          output.write(`\n${request.reasons.map((reason) => `  ! ${reason}`).join('\n')}\n`)
          const answer = await readline.question(`${request.question} [y/N] `).catch((error: unknown) => {
            if ((error as Error).name !== 'AbortError') throw error
            onInterrupt?.()
            throw new InterruptedError()
          })
          const approved = /^y(es)?$/i.test(answer.trim())
          return approved ? {approved} : {approved, why: 'declined at the prompt'}
        } finally {
          readline.close()
        }
      })
      queue = asked.catch(() => undefined)
      return asked
    },
  }
}

export interface ReporterOptions {
  /** Progress always goes here; stdout is left for the summary the command prints itself. */
  stderr: NodeJS.WriteStream
  /** With --json the plain lines still go to stderr, as logs beside the JSON on stdout. */
  json: boolean
}

/** Deploy and destroy progress: the live ink view on a terminal, timestamped plain lines everywhere else. */
export async function createReporter(options: ReporterOptions): Promise<DeployReporter> {
  if (showsLiveView(options.stderr, options)) {
    // ink and react cost about 450 ms to import, so only a terminal session pays for them.
    const {InkReporter} = await import('./ink/ink-reporter.js')
    return new InkReporter({stream: options.stderr})
  }
  return new PlainReporter({write: (line) => options.stderr.write(`${line}\n`)})
}

/** A runbook run's progress, chosen as for a deploy. */
export async function createRunbookReporter(options: ReporterOptions & {runbook: Runbook; env: string; runId: string; done: RunState['steps']}): Promise<RunbookReporter> {
  if (showsLiveView(options.stderr, options)) {
    const {InkRunbookReporter} = await import('./ink/runbook-view.js')
    return new InkRunbookReporter(options.stderr, options)
  }
  // Imported only for a runbook: with the runbook schema and JSONPath it would add ~20 ms to the
  // start of every command that uses this file for a deploy's reporter or a confirmation.
  const {PlainRunbookReporter} = await import('./runbook-run.js')
  return new PlainRunbookReporter((line) => options.stderr.write(`${line}\n`))
}
