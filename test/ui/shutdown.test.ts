import {describe, expect, it} from 'vitest'
import type {ShutdownOutcome} from '../../src/core/shutdown/execute.js'
import type {ResourceResult} from '../../src/core/shutdown/run.js'
import {renderShutdownOutcome} from '../../src/ui/shutdown.js'

const instance = (index: number, result: ResourceResult['result'], detail?: string): ResourceResult => ({
  kind: 'ec2-instance',
  id: `i-${String(index).padStart(4, '0')}`,
  region: 'eu-west-1',
  tier: 'ledger',
  op: 'stop',
  result,
  current: 'running',
  target: 'stopped',
  ...(detail ? {detail} : {}),
})

const outcome = (results: ResourceResult[]): ShutdownOutcome => ({
  env: 'dev',
  action: 'stop',
  dryRun: false,
  manifestKey: 'fintech/shutdown/dev/manifests/2026-11-20.json',
  newPeriod: true,
  results,
  skipped: [{kind: 'ec2-instance', id: 'i-prod', region: 'eu-west-1', reason: 'tagged Environment=prod: never touched'}],
  unreadableRegions: [],
})

describe('renderShutdownOutcome', () => {
  it('shows a row per resource for a small env, and lists what needs attention', () => {
    const text = renderShutdownOutcome(outcome([instance(1, 'done'), instance(2, 'failed', 'IncorrectInstanceState: not stoppable')]), 'state-bucket')
    expect(text).toContain('Stop of dev: manifest s3://state-bucket/fintech/shutdown/dev/manifests/2026-11-20.json (new shutdown period)')
    expect(text).toMatch(/ledger[\s│]+EC2 instance[\s│]+i-0001[\s│]+running[\s│]+stopped[\s│]+done/)
    expect(text).toContain('Left alone (not in the manifest): 1\n  EC2 instance i-prod (eu-west-1): tagged Environment=prod: never touched')
    expect(text).toContain('1 done, 1 failed, 0 held back, 0 unchanged')
    expect(text).toContain('Needs attention:\n  EC2 instance i-0002 (eu-west-1): IncorrectInstanceState: not stoppable')
  })

  it('shows counts per kind for a big env, with every failure still named', () => {
    const results = Array.from({length: 2000}, (_, index) => instance(index, index === 7 ? 'failed' : 'done', index === 7 ? 'UnsupportedOperation: stop protection' : undefined))
    const text = renderShutdownOutcome(outcome(results), 'state-bucket')
    expect(text).not.toContain('i-0001')
    expect(text).toMatch(/ledger[\s│]+EC2 instance[\s│]+0[\s│]+1999[\s│]+1[\s│]+0[\s│]+0/)
    expect(text).toContain('(2000 resources: one row per kind; --json lists each one)')
    expect(text).toContain('Needs attention:\n  EC2 instance i-0007 (eu-west-1): UnsupportedOperation: stop protection')
  })
})
