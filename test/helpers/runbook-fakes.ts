import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {InterruptedError} from '../../src/core/clock.js'
import type {RunbookAuditEntry, RunbookDeps} from '../../src/core/runbook/engine.js'
import {parseRunbook} from '../../src/core/runbook/load.js'
import {newRunState, type RunState} from '../../src/core/runbook/run-state.js'
import type {Runbook} from '../../src/core/runbook/schema.js'

/** A runbook from YAML steps (the header filled in), failing the test when it does not parse. */
export function runbookOf(steps: string, parameters = '{}', name = 'sample'): Runbook {
  const text = `name: ${name}\ntitle: T\ndescription: d\nwhenToUse: w\nseverity: sev2\nenvs: [dev, prod]\nparameters: ${parameters}\nsteps:\n${steps}\nprose: |\n  ## When\n  now\n`
  const read = parseRunbook(text, `runbooks/${name}.yaml`)
  if (!read.runbook) throw new Error(`test runbook does not parse: ${read.problems.map((problem) => `${problem.line} ${problem.message}`).join('; ')}`)
  return read.runbook
}

export type Handler = (parameters: Record<string, any>, call: number) => unknown

export interface Fakes {
  deps: RunbookDeps
  /** Every AWS call in order, as `service:Api` with its parameters. */
  calls: Array<{api: string; parameters: Record<string, any>}>
  /** A deep copy of the state at every save, as a state file would hold it. */
  saves: RunState[]
  audit: RunbookAuditEntry[]
  approvals: string[]
  /** Milliseconds the fake clock was asked to sleep. */
  slept: number[]
}

/**
 * Engine dependencies with nothing real behind them: AWS answers from `handlers` (by
 * `service:Api`), a clock that moves only when slept on, approvals answered by `approve`.
 */
export function fakes(handlers: Record<string, Handler>, options: {approve?: boolean | ((summary: string) => boolean); childRunbooks?: Record<string, Runbook>; start?: Date; protectedEnv?: boolean} = {}): Fakes {
  let now = (options.start ?? new Date('2026-12-01T03:00:00Z')).getTime()
  const counts = new Map<string, number>()
  const result: Fakes = {calls: [], saves: [], audit: [], approvals: [], slept: [], deps: undefined as unknown as RunbookDeps}
  result.deps = {
    aws: {
      async call(service, api, parameters, signal) {
        const key = `${service}:${api}`
        result.calls.push({api: key, parameters})
        const handler = handlers[key]
        if (!handler) throw new Error(`test: no handler for ${key}`)
        const call = (counts.get(key) ?? 0) + 1
        counts.set(key, call)
        const answer = handler(parameters, call)
        if (answer instanceof Promise) {
          return new Promise((resolve, reject) => {
            signal.addEventListener('abort', () => reject(new Error('aborted')), {once: true})
            answer.then(resolve, reject)
          })
        }
        return answer
      },
    },
    approver: {
      async approve({summary}) {
        result.approvals.push(summary)
        const approved = typeof options.approve === 'function' ? options.approve(summary) : (options.approve ?? true)
        return approved ? {approved} : {approved, why: 'declined at the prompt'}
      },
    },
    shell: {
      async run(command, {env}) {
        result.calls.push({api: 'shell', parameters: {command, env}})
        return {exitCode: command.includes('fail') ? 3 : 0, stdout: `ran ${command}`, stderr: command.includes('fail') ? 'it failed' : ''}
      },
    },
    redis: {
      async run(operation, parameters) {
        result.calls.push({api: `redis:${operation}`, parameters})
        return {ok: true, detail: 'healthy', result: {primary: {address: '10.0.3.10:6379'}}}
      },
    },
    runbookNamed: (name) => options.childRunbooks?.[name],
    protectedEnv: options.protectedEnv ?? false,
    async childRunbook(name, given) {
      const runbook = options.childRunbooks?.[name]
      if (!runbook) throw new Error(`test: no child runbook ${name}`)
      const params = Object.fromEntries(Object.entries(runbook.parameters).map(([key, spec]) => [key, given[key] ?? spec.default]))
      return {runbook, params, hash: 'child-hash'}
    },
    clock: {
      now: () => new Date(now),
      async sleep(ms, signal) {
        if (signal?.aborted) throw new InterruptedError()
        result.slept.push(ms)
        now += ms
      },
    },
    save: (state) => result.saves.push(structuredClone(state)),
    audit: (entry) => result.audit.push(entry),
    pollMs: 5000,
  }
  return result
}

export const freshState = (runbook: Runbook, params: Record<string, unknown> = {}, dryRun = false): RunState =>
  newRunState({id: 'run-1', runbook: runbook.name, runbookHash: 'hash', env: 'dev', params, dryRun, caller: 'arn:aws:sts::111111111111:assumed-role/oncall/alice', now: new Date('2026-12-01T03:00:00Z')})

/** A fresh run-state folder and audit log for each test, and no endpoint left over from another file. */
export function isolateRunbookRuns(): void {
  process.env.FINTECH_RUNS_DIR = mkdtempSync(join(tmpdir(), 'fintech-runs-'))
  process.env.FINTECH_AUDIT_LOG = join(mkdtempSync(join(tmpdir(), 'fintech-audit-')), 'audit.jsonl')
  delete process.env.AWS_ENDPOINT_URL
}

/** A project-only runbook for the env dev of test/helpers/project.ts: one read-only RDS step. */
export const WARM_CACHE = `name: warm-cache
title: Read the reader's status
description: d
whenToUse: w
severity: routine
envs: [dev]
steps:
  - name: reader
    kind: aws
    service: rds
    api: DescribeDBInstances
    parameters: {DBInstanceIdentifier: db-2}
    outputs: {status: '$.DBInstances[0].DBInstanceStatus'}
prose: p
`
