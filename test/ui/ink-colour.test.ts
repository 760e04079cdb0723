/**
 * The ink views follow the one colour decision (NO_COLOR, FORCE_COLOR, --[no-]color, never in
 * --json) of the stream they draw on: deploy and runbook progress draw on stderr, whose
 * decision can differ from stdout's (`fintech deploy > plan.txt` at a terminal).
 */
import {PassThrough} from 'node:stream'
import chalk, {chalkStderr} from 'chalk'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {readLedgerStatus} from '../../src/core/ledger/status.js'
import {applyColour, type ColourRequest, type ColourStream} from '../../src/ui/colour.js'
import {InkReporter} from '../../src/ui/ink/ink-reporter.js'
import {mountLedgerDashboard} from '../../src/ui/ink/ledger-view.js'
import {fakeLedger, NOW, RESOURCES, unhealthyAnswers} from '../helpers/ledger-fixtures.js'
import {failedDataStage} from './fixtures.js'

/** A foreground colour (SGR 30-37, 90-97); ink's cursor and erase codes are not colour. */
const COLOUR = /\u001B\[(?:3[0-7]|9[0-7])m/

const terminal: ColourStream = {isTTY: true, getColorDepth: () => 24}
const pipe: ColourStream = {isTTY: false}

function fakeTerminal(): {stream: NodeJS.WriteStream; output: () => string} {
  const stream = new PassThrough()
  const chunks: Buffer[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  Object.assign(stream, {isTTY: true, columns: 120, rows: 40})
  return {stream: stream as unknown as NodeJS.WriteStream, output: () => Buffer.concat(chunks).toString('utf8')}
}

/** The deploy view of a failed data stage, drawn on process.stderr (a fake terminal here) after `applyColour`. */
async function deployViewOnStderr(request: ColourRequest, streams: {stdout: ColourStream; stderr: ColourStream}): Promise<string> {
  applyColour(request, streams)
  const stderr = fakeTerminal()
  vi.spyOn(process, 'stderr', 'get').mockReturnValue(stderr.stream as typeof process.stderr)
  const reporter = new InkReporter({stream: process.stderr, now: () => new Date('2026-11-22T02:11:00Z')})
  for (const {event} of failedDataStage) reporter.emit(event)
  await reporter.close()
  return stderr.output()
}

const levels = {stdout: chalk.level, stderr: chalkStderr.level}
beforeEach(() => {
  levels.stdout = chalk.level
  levels.stderr = chalkStderr.level
})
afterEach(() => {
  vi.restoreAllMocks()
  chalk.level = levels.stdout
  chalkStderr.level = levels.stderr
})

describe('ink views in the colour decided for their stream', () => {
  it('a terminal is coloured: the failed stack in red', async () => {
    const output = await deployViewOnStderr({json: false, env: {}}, {stdout: terminal, stderr: terminal})
    expect(output).toContain(`${'\u001B[31m'}✖`)
    expect(output).toContain('Root cause: LedgerDatabase')
  })

  it('NO_COLOR, and --no-color over FORCE_COLOR, draw the same view without colour', async () => {
    for (const [request, label] of [
      [{json: false, env: {NO_COLOR: '1'}}, 'NO_COLOR'],
      [{json: false, flag: false, env: {FORCE_COLOR: '3'}}, '--no-color'],
    ] as const) {
      const output = await deployViewOnStderr(request, {stdout: terminal, stderr: terminal})
      expect(output, label).toContain('Root cause: LedgerDatabase')
      expect(output, label).not.toMatch(COLOUR)
    }
  })

  it('FORCE_COLOR colours the view even where the decision would be plain', async () => {
    expect(await deployViewOnStderr({json: false, env: {FORCE_COLOR: '1'}}, {stdout: pipe, stderr: pipe})).toMatch(COLOUR)
  })

  it('a view on stderr follows stderr, not stdout: stdout redirected to a file leaves the view coloured', async () => {
    const output = await deployViewOnStderr({json: false, env: {}}, {stdout: pipe, stderr: terminal})
    expect(output).toMatch(COLOUR)
    // Once the view is closed, chalk's default instance is stdout's again, for the summary printed there.
    expect(chalk.level).toBe(0)
  })

  it('and stderr piped while stdout is a terminal draws it plain', async () => {
    const output = await deployViewOnStderr({json: false, env: {}}, {stdout: terminal, stderr: pipe})
    expect(output).not.toMatch(COLOUR)
    expect(chalk.level).toBe(3)
  })

  it('the ledger dashboard on stdout follows stdout: coloured on a terminal, plain with --no-color', async () => {
    for (const [flag, coloured] of [[undefined, true], [false, false]] as const) {
      applyColour({json: false, env: {}, ...(flag === undefined ? {} : {flag})}, {stdout: terminal, stderr: terminal})
      const stdout = fakeTerminal()
      const dashboard = mountLedgerDashboard(stdout.stream)
      dashboard.show(await readLedgerStatus(fakeLedger(unhealthyAnswers()), RESOURCES, {now: NOW}))
      await dashboard.close()
      if (coloured) expect(stdout.output()).toMatch(COLOUR)
      else expect(stdout.output()).not.toMatch(COLOUR)
    }
  })
})
