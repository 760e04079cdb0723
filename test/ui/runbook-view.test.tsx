import {cleanup, render} from 'ink-testing-library'
import {afterEach, describe, expect, it, vi} from 'vitest'

import {executeRunbook, type RunbookEvent} from '../../src/core/runbook/engine.js'
import {reduceRunbookProgress, RunbookView, type RunbookProgress} from '../../src/ui/ink/runbook-view.js'
import {PlainRunbookReporter, renderRunReport, seconds} from '../../src/ui/runbook-run.js'
import {fakes, freshState, runbookOf} from '../helpers/runbook-fakes.js'

afterEach(() => {
  cleanup()
  vi.useRealTimers()
})

const RUNBOOK = runbookOf(`  - name: cluster
    kind: aws
    service: rds
    api: DescribeDBClusters
    outputs: {Writer: '$.DBClusters[0].Writer'}
  - name: approve
    kind: approve
    summary: go
  - name: flipped
    kind: wait
    service: rds
    api: DescribeDBClusters
    selector: $.Writer
    desiredValues: [db-2]`)

const at = (time: string) => new Date(`2026-12-01T${time}Z`).toISOString()
const events: RunbookEvent[] = [
  {kind: 'step-started', runbook: 'sample', step: 'cluster', attempt: 1},
  {kind: 'step-ended', runbook: 'sample', step: 'cluster', record: {status: 'succeeded', attempts: 1, startedAt: at('03:00:00'), endedAt: at('03:00:01.500'), outputs: {Writer: 'db-1'}}},
  {kind: 'step-started', runbook: 'sample', step: 'approve', attempt: 1},
  {kind: 'step-ended', runbook: 'sample', step: 'approve', record: {status: 'failed', attempts: 1, startedAt: at('03:00:02'), endedAt: at('03:00:03'), outputs: {}, detail: 'not approved: declined'}},
  {kind: 'step-started', runbook: 'sample', step: 'flipped', attempt: 2},
  {kind: 'waiting', runbook: 'sample', step: 'flipped', current: 'db-1', elapsedMs: 5000},
]
const progressAfter = (list: RunbookEvent[]): RunbookProgress => list.reduce((progress, event) => reduceRunbookProgress(progress, event, Date.parse('2026-12-01T03:00:05Z')), {ended: [], current: {}} as RunbookProgress)

describe('the runbook view', () => {
  it('marks ended steps with their results, spins on the current one with what the wait sees, and greys the rest', () => {
    vi.useFakeTimers({now: new Date('2026-12-01T03:00:07Z'), toFake: ['Date']})
    const {lastFrame} = render(<RunbookView runbook={RUNBOOK} env="dev" runId="run-1" progress={progressAfter(events)} startedAt={Date.parse('2026-12-01T03:00:00Z')} />)
    const lines = lastFrame()!.split('\n')
    expect(lines[0]).toBe('T — dev — run run-1 — 7.0 s')
    expect(lines[1]).toBe(' 1. ✓ cluster  1.5 s  Writer=db-1')
    expect(lines[2]).toBe(' 2. ✗ approve  1.0 s  not approved: declined')
    expect(lines[3]).toMatch(/^ 3\. . flipped \[wait\] 2\.0 s \(attempt 2\)  now db-1$/)
  })

  it('shows steps not reached yet without a mark', () => {
    const {lastFrame} = render(<RunbookView runbook={RUNBOOK} env="dev" runId="run-1" progress={progressAfter(events.slice(0, 2))} startedAt={Date.now()} />)
    expect(lastFrame()!.split('\n').slice(2)).toEqual([' 2.   approve [approve]', ' 3.   flipped [wait]'])
  })
})

describe('the runbook view and plain lines of a run with a secret', () => {
  it('show a secret output and what a wait on a secret sees as [redacted]', async () => {
    const secretRunbook = runbookOf(`  - name: current
    kind: aws
    service: secretsmanager
    api: GetSecretValue
    parameters: {SecretId: ledger/admin}
    outputs: {password: $.SecretString}
  - name: rotated
    kind: wait
    service: secretsmanager
    api: GetSecretValue
    parameters: {SecretId: ledger/admin}
    selector: $.SecretString
    desiredValues: ['{{ steps.current.outputs.password }}']`)
    const fake = fakes({'secretsmanager:GetSecretValue': (_parameters, call) => ({SecretString: call === 2 ? 'old-password-1' : 'hunter2-ledger-admin'})})
    const seen: RunbookEvent[] = []
    const frames: string[] = []
    const lines: string[] = []
    const plain = new PlainRunbookReporter((line) => lines.push(line), () => new Date('2026-12-01T03:00:09Z'))
    fake.deps.onEvent = (event) => {
      seen.push(structuredClone(event))
      plain.event(event)
      const {lastFrame} = render(<RunbookView runbook={secretRunbook} env="dev" runId="run-1" progress={progressAfter(seen)} startedAt={Date.now()} />)
      frames.push(lastFrame()!)
    }
    const state = await executeRunbook(secretRunbook, freshState(secretRunbook), fake.deps)
    expect(state.status).toBe('succeeded')
    const shown = [...frames, ...lines].join('\n')
    expect(shown).toContain('✓ current')
    expect(shown).toContain('password=[redacted]')
    expect(shown).toContain('now [redacted]')
    expect(shown).not.toContain('hunter2-ledger-admin')
    expect(shown).not.toContain('old-password-1')
  })
})

describe('plain run lines and the report', () => {
  it('writes one timestamped line per start and end, and a wait line at most once a minute', () => {
    const lines: string[] = []
    const reporter = new PlainRunbookReporter((line) => lines.push(line), () => new Date('2026-12-01T03:00:09.400Z'))
    for (const event of events) reporter.event(event)
    reporter.event({kind: 'waiting', runbook: 'sample', step: 'flipped', current: 'db-1', elapsedMs: 30_000})
    reporter.event({kind: 'waiting', runbook: 'sample', step: 'flipped', current: 'db-1', elapsedMs: 65_000})
    expect(lines).toEqual([
      '2026-12-01T03:00:09Z  sample  cluster  started',
      '2026-12-01T03:00:09Z  sample  ✓ cluster  1.5 s  Writer=db-1',
      '2026-12-01T03:00:09Z  sample  approve  started',
      '2026-12-01T03:00:09Z  sample  ✗ approve  1.0 s  not approved: declined',
      '2026-12-01T03:00:09Z  sample  flipped  started (attempt 2)',
      '2026-12-01T03:00:09Z  sample  flipped  still db-1 after 1 min 5 s',
    ])
  })

  it('reports a stopped run with the step to resume at and the command', () => {
    const state = {...freshState(RUNBOOK), status: 'refused' as const, next: 'approve', updatedAt: at('03:00:03')}
    state.steps = {cluster: {status: 'succeeded', attempts: 1, startedAt: at('03:00:00'), endedAt: at('03:00:01.500'), outputs: {Writer: 'db-1'}}, approve: {status: 'failed', attempts: 1, startedAt: at('03:00:02'), endedAt: at('03:00:03'), outputs: {}, detail: 'not approved: declined'}}
    expect(renderRunReport(RUNBOOK, state, {state: '/runs/run-1.json', audit: '/runs/run-1.audit.jsonl'})).toBe(
      [
        'Runbook sample in dev stopped: an approval was refused after 3.0 s',
        '  ✓ cluster  1.5 s  Writer=db-1',
        '  ✗ approve  1.0 s  not approved: declined',
        'state: /runs/run-1.json',
        'audit: /runs/run-1.audit.jsonl',
        'resume at approve: fintech runbook resume run-1',
      ].join('\n'),
    )
  })
})

describe('durations', () => {
  it('read in tenths below a minute and in whole seconds above', () => {
    expect([seconds(0), seconds(59_940), seconds(60_000), seconds(119_600), seconds(3_725_000)]).toEqual(['0.0 s', '59.9 s', '1 min 0 s', '2 min 0 s', '62 min 5 s'])
  })
})
