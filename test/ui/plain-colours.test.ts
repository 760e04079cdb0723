/**
 * Colour in plain output where a reader looks for the outcome: runbook step marks, shutdown
 * results, tag compliance. Only when the colour decision allows it (chalk for stdout,
 * chalkStderr for stderr, set by applyColour); the text is the same either way.
 */
import {stripVTControlCharacters} from 'node:util'
import chalk, {chalkStderr} from 'chalk'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {StepRecord} from '../../src/core/runbook/run-state.js'
import type {ShutdownOutcome} from '../../src/core/shutdown/execute.js'
import type {ResourceResult} from '../../src/core/shutdown/run.js'
import type {AuditReport} from '../../src/core/tags/audit.js'
import {PlainRunbookReporter, stepLine} from '../../src/ui/runbook-run.js'
import {renderShutdownOutcome} from '../../src/ui/shutdown.js'
import {renderActivation, renderAudit, renderFixRun} from '../../src/ui/tags.js'

const ESC = '\u001B['
const green = (text: string) => `${ESC}32m${text}${ESC}39m`
const red = (text: string) => `${ESC}31m${text}${ESC}39m`
const yellow = (text: string) => `${ESC}33m${text}${ESC}39m`
const gray = (text: string) => `${ESC}90m${text}${ESC}39m`

const levels = {stdout: chalk.level, stderr: chalkStderr.level}
beforeEach(() => {
  levels.stdout = chalk.level
  levels.stderr = chalkStderr.level
})
afterEach(() => {
  chalk.level = levels.stdout
  chalkStderr.level = levels.stderr
})

/** Renders once with colour off and once on, on both streams. */
function bothWays(render: () => string): {plain: string; coloured: string} {
  chalk.level = 0
  chalkStderr.level = 0
  const plain = render()
  chalk.level = 1
  chalkStderr.level = 1
  return {plain, coloured: render()}
}

describe('runbook step marks', () => {
  const record = (status: StepRecord['status'], detail?: string): StepRecord => ({status, attempts: 1, outputs: {}, ...(detail ? {detail} : {})})

  it('ok in green, failed in red, planned muted; nothing coloured when colour is off', () => {
    chalk.level = 1
    expect(stepLine('promote', record('succeeded'), {good: chalk.green, bad: chalk.red, warn: chalk.yellow, muted: chalk.gray, strong: chalk.bold})).toBe(`${green('✓')} promote`)
    const {plain, coloured} = bothWays(() =>
      ['succeeded', 'failed', 'planned'].map((status) => {
        const lines: string[] = []
        new PlainRunbookReporter((line) => lines.push(line), () => new Date('2026-11-22T02:10:40Z')).event({kind: 'step-ended', runbook: 'failover', step: 'promote', record: record(status as StepRecord['status'], status === 'succeeded' ? undefined : 'lag 12 s')} as never)
        return lines[0]!
      }).join('\n'),
    )
    expect(plain).toBe(['2026-11-22T02:10:40Z  failover  ✓ promote', '2026-11-22T02:10:40Z  failover  ✗ promote  lag 12 s', '2026-11-22T02:10:40Z  failover  ○ promote  lag 12 s'].join('\n'))
    expect(coloured).toBe([`2026-11-22T02:10:40Z  failover  ${green('✓')} promote`, `2026-11-22T02:10:40Z  failover  ${red('✗')} promote  lag 12 s`, `2026-11-22T02:10:40Z  failover  ${gray('○')} promote  lag 12 s`].join('\n'))
  })

  it('the progress lines on stderr follow stderr\'s decision, not stdout\'s', () => {
    chalk.level = 1
    chalkStderr.level = 0
    const lines: string[] = []
    new PlainRunbookReporter((line) => lines.push(line)).event({kind: 'step-ended', runbook: 'failover', step: 'promote', record: record('failed', 'lag')} as never)
    expect(lines[0]).not.toContain(ESC)
  })
})

describe('shutdown results', () => {
  const instance = (index: number, result: ResourceResult['result'], detail?: string): ResourceResult => ({
    kind: 'ec2-instance',
    id: `i-000${index}`,
    region: 'eu-west-1',
    tier: 'ledger',
    op: 'stop',
    result,
    current: 'running',
    target: 'stopped',
    ...(detail ? {detail} : {}),
  })
  const outcome: ShutdownOutcome = {
    env: 'dev',
    action: 'stop',
    dryRun: false,
    manifestKey: 'fintech/shutdown/dev/manifests/2026-11-20.json',
    newPeriod: true,
    results: [instance(1, 'done'), instance(2, 'failed', 'IncorrectInstanceState'), instance(3, 'skipped', 'held back: the data tier failed'), instance(4, 'unchanged')],
    skipped: [],
    unreadableRegions: [],
  }

  it('done in green, failed in red, held back in yellow, in the table and the totals; the same text without colour', () => {
    const {plain, coloured} = bothWays(() => renderShutdownOutcome(outcome, 'state-bucket'))
    expect(plain).not.toContain(ESC)
    expect(plain).toContain('1 done, 1 failed, 1 held back, 1 unchanged')
    expect(coloured).toContain(`${green('1 done')}, ${red('1 failed')}, ${yellow('1 held back')}, 1 unchanged`)
    expect(coloured).toMatch(new RegExp(`i-0001[\\s│]+running[\\s│]+stopped[\\s│]+${green('done').replaceAll('[', '\\[')}`))
    expect(coloured).toContain(red('failed'))
    expect(coloured).toContain(yellow('skipped'))
    expect(coloured).toContain(yellow('Needs attention:'))
    // cli-table3 pads by what shows, so the columns line up the same with colour.
    expect(stripVTControlCharacters(coloured)).toBe(plain)
  })

  it('a count of nothing stays plain', () => {
    const {coloured} = bothWays(() => renderShutdownOutcome({...outcome, results: [instance(1, 'done')]}, 'state-bucket'))
    expect(coloured).toContain(`${green('1 done')}, 0 failed, 0 held back, 0 unchanged`)
  })
})

describe('tag compliance', () => {
  const report: AuditReport = {
    env: 'dev',
    account: '111111111111',
    regions: ['eu-west-1'],
    requiredTags: ['Environment', 'Owner'],
    allowedValues: {},
    summary: {resources: 2, compliant: 1, nonCompliant: 1, compliancePercent: 50, untagged: 0},
    byOwner: [{owner: 'ledger-team', resources: 2, compliant: 1, nonCompliant: 1, compliancePercent: 50}],
    byType: [],
    byTag: [{tag: 'Owner', missing: 1, empty: 0, invalid: 0}],
    resources: [{arn: 'arn:aws:ec2:eu-west-1:111111111111:instance/i-1', type: 'ec2:instance', region: 'eu-west-1', owner: '(none)', compliant: false, issues: [{tag: 'Owner', problem: 'missing'}], tags: {Environment: 'dev'}, untagged: false, foundBy: 'tagging-api'}],
    listed: 'non-compliant',
    sources: [{source: 'tagging-api', region: 'eu-west-1', requests: 1, resources: 2}],
    pacing: {requestsPerSecond: 5, waitedMs: 0},
    gaps: [],
    complete: true,
  }

  it('the audit: compliant in green, non-compliant in red, aligned as without colour', () => {
    for (const by of ['resource', 'owner'] as const) {
      const {plain, coloured} = bothWays(() => renderAudit(report, {by, limit: 50}))
      expect(plain, by).not.toContain(ESC)
      expect(plain, by).toContain('2 resources: 1 compliant, 1 not — 50.0% compliant')
      expect(coloured, by).toContain(`2 resources: ${green('1 compliant')}, ${red('1 not')} — 50.0% compliant`)
      expect(stripVTControlCharacters(coloured), by).toBe(plain)
    }
    expect(bothWays(() => renderAudit(report, {by: 'resource', limit: 50})).coloured).toContain(`ec2:instance  (none)  ${red('Owner')}    -`)
  })

  it('all compliant: no red anywhere', () => {
    const clean = {...report, summary: {...report.summary, compliant: 2, nonCompliant: 0, compliancePercent: 100}, byOwner: [{...report.byOwner[0]!, compliant: 2, nonCompliant: 0, compliancePercent: 100}], resources: []}
    const {coloured} = bothWays(() => renderAudit(clean, {by: 'owner', limit: 50}))
    expect(coloured).toContain(`${green('2 compliant')}, 0 not`)
    expect(coloured).not.toContain(`${ESC}31m`)
  })

  it('tags fix and tags activate: FAILED in red, activated in green', () => {
    const fix = bothWays(() => renderFixRun({results: [{arn: 'arn:a', result: 'tagged', via: 'TagResources'}, {arn: 'arn:b', result: 'failed', error: 'AccessDenied'}], batches: 1, interrupted: false}))
    expect(fix.plain).toContain('; 1 failed\n  FAILED arn:b: AccessDenied')
    expect(fix.coloured).toContain(`; ${red('1 failed')}\n  ${red('FAILED')} arn:b: AccessDenied`)
    const activation = bothWays(() =>
      renderActivation({dryRun: false, requests: 2, tags: [{key: 'Owner', before: 'Inactive', result: 'activated'}, {key: 'Environment', before: 'Inactive', result: 'failed', error: 'LimitExceeded'}]} as never, {env: 'management', account: '999999999999'}),
    )
    expect(activation.plain).not.toContain(ESC)
    expect(activation.coloured).toContain(`Owner        Inactive  ${green('activated')}`)
    expect(activation.coloured).toContain(`${red('FAILED')}: LimitExceeded`)
    expect(stripVTControlCharacters(activation.coloured)).toBe(activation.plain)
  })
})
