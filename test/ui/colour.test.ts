import chalk, {chalkStderr} from 'chalk'
import {afterEach, describe, expect, it} from 'vitest'
import {applyColour, colourLevel, type ColourStream} from '../../src/ui/colour.js'
import {renderFindings} from '../../src/ui/findings.js'
import {PlainReporter} from '../../src/ui/plain-reporter.js'
import {renderApplyResults} from '../../src/ui/scp.js'

const terminal = (bits: number): ColourStream => ({isTTY: true, getColorDepth: () => bits})
const pipe: ColourStream = {isTTY: false}
const ESC = '\u001B['

describe('colourLevel: the one colour decision', () => {
  it('colours a terminal as deep as it goes, and a pipe not at all', () => {
    expect(colourLevel({json: false, env: {}}, terminal(24))).toBe(3)
    expect(colourLevel({json: false, env: {}}, terminal(8))).toBe(2)
    expect(colourLevel({json: false, env: {}}, terminal(4))).toBe(1)
    expect(colourLevel({json: false, env: {}}, terminal(1))).toBe(0)
    expect(colourLevel({json: false, env: {}}, pipe)).toBe(0)
  })

  it('NO_COLOR (set, not empty) turns a terminal plain; an empty NO_COLOR does not', () => {
    expect(colourLevel({json: false, env: {NO_COLOR: '1'}}, terminal(24))).toBe(0)
    expect(colourLevel({json: false, env: {NO_COLOR: ''}}, terminal(24))).toBe(3)
  })

  it('FORCE_COLOR colours a pipe, wins over NO_COLOR, and FORCE_COLOR=0 or false turns colour off', () => {
    expect(colourLevel({json: false, env: {FORCE_COLOR: '1'}}, pipe)).toBe(1)
    expect(colourLevel({json: false, env: {FORCE_COLOR: ''}}, pipe)).toBe(1)
    expect(colourLevel({json: false, env: {FORCE_COLOR: 'true'}}, pipe)).toBe(1)
    expect(colourLevel({json: false, env: {FORCE_COLOR: '3'}}, pipe)).toBe(3)
    expect(colourLevel({json: false, env: {FORCE_COLOR: '1', NO_COLOR: '1'}}, pipe)).toBe(1)
    expect(colourLevel({json: false, env: {FORCE_COLOR: '0'}}, terminal(24))).toBe(0)
    expect(colourLevel({json: false, env: {FORCE_COLOR: 'false'}}, terminal(24))).toBe(0)
  })

  it('the command line wins over the environment: --no-color over FORCE_COLOR, --color over NO_COLOR and a pipe', () => {
    expect(colourLevel({flag: false, json: false, env: {FORCE_COLOR: '3'}}, terminal(24))).toBe(0)
    expect(colourLevel({flag: true, json: false, env: {NO_COLOR: '1'}}, pipe)).toBe(1)
    expect(colourLevel({flag: true, json: false, env: {}}, terminal(24))).toBe(3)
  })

  it('--json is never coloured, whatever else asks for colour', () => {
    expect(colourLevel({flag: true, json: true, env: {FORCE_COLOR: '3'}}, terminal(24))).toBe(0)
  })
})

describe('plain output follows the decision (chalk for stdout, chalkStderr for stderr)', () => {
  const levels = {stdout: chalk.level, stderr: chalkStderr.level}
  afterEach(() => {
    chalk.level = levels.stdout
    chalkStderr.level = levels.stderr
  })

  const results = [
    {change: {action: 'create', policy: 'fintech-deny-regions', policyType: 'SERVICE_CONTROL_POLICY', characters: 812}, result: 'done'},
    {change: {action: 'attach', policy: 'fintech-deny-regions', policyType: 'SERVICE_CONTROL_POLICY', target: {label: 'OU Prod'}}, result: 'failed', error: 'AccessDenied'},
  ] as unknown as Parameters<typeof renderApplyResults>[0]

  it('scp apply: done in green and FAILED in red, padded as before, when stdout is coloured', () => {
    applyColour({json: false, env: {FORCE_COLOR: '1'}}, {stdout: pipe, stderr: pipe})
    const coloured = renderApplyResults(results)
    expect(coloured).toContain(`${ESC}32mdone   ${ESC}39m`)
    expect(coloured).toContain(`${ESC}31mFAILED ${ESC}39m`)
    applyColour({json: false, env: {}}, {stdout: pipe, stderr: pipe})
    const plain = renderApplyResults(results)
    expect(plain).not.toContain(ESC)
    expect(coloured.replaceAll(/\u001B\[\d+m/g, '')).toBe(plain)
  })

  it('validate findings: an error rule in red, a warning rule in yellow', () => {
    applyColour({flag: true, json: false, env: {}}, {stdout: pipe, stderr: pipe})
    const text = renderFindings(
      [
        {file: 't.yaml', line: 1, column: 1, ruleId: 'FT-SEC-001', severity: 'error', message: 'open to the world'},
        {file: 't.yaml', line: 2, column: 1, ruleId: 'FT-SEC-002', severity: 'warning', message: 'no description'},
      ] as Parameters<typeof renderFindings>[0],
      1,
    )
    expect(text).toContain(`t.yaml:1:1 ${ESC}31mFT-SEC-001${ESC}39m open to the world`)
    expect(text).toContain(`t.yaml:2:1 ${ESC}33mFT-SEC-002${ESC}39m (warning) no description`)
  })

  it('the plain progress lines on stderr follow stderr\'s decision, not stdout\'s', () => {
    const lines: string[] = []
    const reporter = new PlainReporter({write: (line) => lines.push(line), now: () => new Date('2026-12-01T03:00:00Z')})
    applyColour({json: false, env: {}}, {stdout: terminal(24), stderr: pipe})
    reporter.emit({kind: 'stage-done', stage: 'data', ok: false})
    applyColour({json: false, env: {}}, {stdout: pipe, stderr: terminal(4)})
    reporter.emit({kind: 'stage-done', stage: 'data', ok: false})
    reporter.emit({kind: 'notice', level: 'warn', message: 'slow'})
    expect(lines).toEqual([
      '2026-12-01T03:00:00Z stage data: failed',
      `2026-12-01T03:00:00Z stage data: ${ESC}31mfailed${ESC}39m`,
      `2026-12-01T03:00:00Z ${ESC}33mwarning: slow${ESC}39m`,
    ])
  })
})
