import {Box, Text, type Instance} from 'ink'
import {useEffect, useState} from 'react'

import type {RunbookEvent} from '../../core/runbook/engine.js'
import type {StepRecord} from '../../core/runbook/run-state.js'
import type {Runbook, RunbookStep} from '../../core/runbook/schema.js'
import {type RunbookReporter, seconds, stepLine} from '../runbook-run.js'
import {closeView, renderInColour} from './render.js'

const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
const COLORS: Partial<Record<StepRecord['status'], string>> = {succeeded: 'green', failed: 'red', planned: 'cyan'}

export interface RunbookProgress {
  /** Results of the steps that ended, in the order they ended (a called runbook's too). */
  ended: Array<{runbook: string; step: string; record: StepRecord}>
  /** The step running in each runbook: the outer one's `runbook` step, and the called runbook's own. */
  current: Record<string, {step: string; attempt: number; startedAt: number; waitingFor?: string}>
}

export function reduceRunbookProgress(progress: RunbookProgress, event: RunbookEvent, now: number): RunbookProgress {
  const running = progress.current[event.runbook]
  switch (event.kind) {
    case 'step-started':
      return {...progress, current: {...progress.current, [event.runbook]: {step: event.step, attempt: event.attempt, startedAt: running?.step === event.step ? running.startedAt : now}}}
    case 'waiting':
      return running ? {...progress, current: {...progress.current, [event.runbook]: {...running, waitingFor: event.current ?? 'nothing'}}} : progress
    case 'step-ended': {
      const {[event.runbook]: _done, ...rest} = progress.current
      return {current: rest, ended: [...progress.ended, {runbook: event.runbook, step: event.step, record: event.record}]}
    }
  }
}

/** A resumed run starts with the steps its earlier invocations finished. */
export const initialRunbookProgress = (runbook: string, done: Record<string, StepRecord>): RunbookProgress => ({
  ended: Object.entries(done)
    .filter(([, record]) => record.status !== 'running')
    .map(([step, record]) => ({runbook, step, record})),
  current: {},
})

function useNow(): number {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 100)
    return () => clearInterval(timer)
  }, [])
  return now
}

/** The run on a terminal: every step with its mark, the current one with a spinner, elapsed time and what a wait sees. */
export function RunbookView({runbook, env, runId, progress, startedAt}: {runbook: Runbook; env: string; runId: string; progress: RunbookProgress; startedAt: number}) {
  const now = useNow()
  const ended = new Map(progress.ended.filter((entry) => entry.runbook === runbook.name).map((entry) => [entry.step, entry.record]))
  return (
    <Box flexDirection="column">
      <Text bold>
        {runbook.title} — {env} — run {runId} — {seconds(Math.max(0, now - startedAt))}
      </Text>
      {runbook.steps.map((step, index) => {
        const record = ended.get(step.name)
        const current = progress.current[runbook.name]
        const number = `${String(index + 1).padStart(2)}. `
        if (current?.step === step.name) {
          const inner = step.kind === 'runbook' ? progress.current[(step as RunbookStep).runbook] : undefined
          return (
            <Text key={step.name} color="yellow">
              {number}
              {SPINNER_FRAMES[Math.floor(now / 100) % SPINNER_FRAMES.length]} {step.name} [{step.kind}] {seconds(Math.max(0, now - current.startedAt))}
              {current.attempt > 1 ? ` (attempt ${current.attempt})` : ''}
              {inner ? `  → ${(step as RunbookStep).runbook}: ${inner.step}` : ''}
              {current.waitingFor === undefined ? '' : `  now ${current.waitingFor}`}
            </Text>
          )
        }
        if (!record) {
          return (
            <Text key={step.name} color="gray">
              {number}  {step.name} [{step.kind}]
            </Text>
          )
        }
        return (
          <Text key={step.name} color={COLORS[record.status]}>
            {number}
            {stepLine(step.name, record)}
          </Text>
        )
      })}
    </Box>
  )
}

/**
 * Live progress on an interactive terminal. An approval prompt writes to the same terminal,
 * so `suspend` unmounts ink (its last frame stays above the question) and the next event
 * mounts a fresh instance below the answer.
 */
export class InkRunbookReporter implements RunbookReporter {
  readonly #stream: NodeJS.WriteStream
  readonly #props: {runbook: Runbook; env: string; runId: string; startedAt: number}
  #progress: RunbookProgress
  #instance: Instance | undefined

  constructor(stream: NodeJS.WriteStream, props: {runbook: Runbook; env: string; runId: string; done: Record<string, StepRecord>}) {
    this.#stream = stream
    const {done, ...shown} = props
    this.#props = {...shown, startedAt: Date.now()}
    this.#progress = initialRunbookProgress(props.runbook.name, done)
    this.#instance = this.#mount()
  }

  event(event: RunbookEvent): void {
    this.#progress = reduceRunbookProgress(this.#progress, event, Date.now())
    if (this.#instance) this.#instance.rerender(this.#view())
    else this.#instance = this.#mount()
  }

  suspend(): void {
    this.#instance?.unmount()
    this.#instance = undefined
  }

  async close(): Promise<void> {
    const instance = this.#instance
    this.#instance = undefined
    if (!instance) return
    await closeView(instance)
  }

  #view() {
    return <RunbookView {...this.#props} progress={this.#progress} />
  }

  #mount(): Instance {
    return renderInColour(this.#view(), {stdout: this.#stream, stderr: this.#stream, patchConsole: false})
  }
}
