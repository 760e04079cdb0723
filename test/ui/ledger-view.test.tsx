import {cleanup, render} from 'ink-testing-library'
import {PassThrough} from 'node:stream'
import {stripVTControlCharacters} from 'node:util'
import {afterEach, describe, expect, it, vi} from 'vitest'

import {readLedgerStatus, type LedgerStatus} from '../../src/core/ledger/status.js'
import {LedgerView} from '../../src/ui/ink/ledger-view.js'
import {createLedgerDisplay} from '../../src/ui/ledger-display.js'
import {fakeLedger, NOW, RESOURCES, unhealthyAnswers} from '../helpers/ledger-fixtures.js'

afterEach(() => {
  cleanup()
  vi.unstubAllEnvs()
})

const healthy = () => readLedgerStatus(fakeLedger(), RESOURCES, {now: NOW})
const unhealthy = () => readLedgerStatus(fakeLedger(unhealthyAnswers()), RESOURCES, {now: NOW})

function lineWith(frame: string, text: string): string {
  const line = frame.split('\n').find((candidate) => candidate.includes(text))
  if (line === undefined) throw new Error(`no line with ${text} in:\n${frame}`)
  return line
}

function frameOf(status: LedgerStatus, intervalSeconds?: number): string {
  const {lastFrame} = render(<LedgerView status={status} {...(intervalSeconds === undefined ? {} : {intervalSeconds})} />)
  return stripVTControlCharacters(lastFrame() ?? '')
}

function fakeStdout(isTTY: boolean): {stream: NodeJS.WriteStream; output: () => string} {
  const stream = new PassThrough()
  const chunks: Buffer[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  Object.assign(stream, {isTTY, columns: 160, rows: 50})
  return {stream: stream as unknown as NodeJS.WriteStream, output: () => Buffer.concat(chunks).toString('utf8')}
}

describe('LedgerView', () => {
  it('shows an unhealthy ledger section by section, with sparklines and the problems last', async () => {
    const frame = frameOf(await unhealthy())

    expect(frame.split('\n')[0]).toBe('Ledger dev: UNHEALTHY at 2026-11-22T10:15:42Z')
    expect(frame).toContain('Service fintech-dev-ledger (cluster fintech-dev): ACTIVE, 1/2 running, 1 pending, rollout FAILED')
    // A line longer than the terminal is cut, not wrapped into the next section; the problems below say it in full.
    expect(lineWith(frame, 'fintech-dev-ledger:43')).toMatch(/ACTIVE\s+fintech-dev-ledger:43\s+0\/0 running\s+3 failed tasks\s+FAILED: ECS deployment.*…$/)
    expect(lineWith(frame, '10.0.11.6:8080')).toMatch(/eu-west-1b\s+unhealthy\s+Target\.ResponseCodeMismatch/)
    // 5xx only in the last three minutes: the sparkline is blank before them.
    expect(lineWith(frame, '5xx rate')).toMatch(/5xx rate\s+7% {2} {12}▆▆█$/)
    expect(lineWith(frame, 'requests/s')).toMatch(/10\.0 {2}█{15}$/)
    expect(lineWith(frame, 'reader')).toMatch(/fintech-dev-aurora-2\s+eu-west-1b\s+available\s+lag -/)
    expect(frame).toContain('Alarms in ALARM: 1')

    const problems = frame.slice(frame.indexOf('Problems'))
    expect(problems).toContain('! 1 of 2 tasks are running (1 pending)')
    expect(problems).toContain('! the rollout of fintech-dev-ledger:43 failed')
    expect(problems).toContain('! alarm fintech-dev-ledger-5xx-rate is in ALARM')
    expect(frame).not.toContain('refreshing every')
  })

  it('a healthy ledger has no problems section; under --watch it says how it refreshes', async () => {
    const frame = frameOf(await healthy(), 15)
    expect(frame.split('\n')[0]).toBe('Ledger dev: healthy at 2026-11-22T10:15:42Z')
    expect(frame).toContain('Targets: 2 of 2 healthy')
    expect(frame).not.toContain('Problems')
    expect(frame.trimEnd().split('\n').at(-1)).toBe('refreshing every 15 s; Ctrl-C to stop')
  })
})

describe('createLedgerDisplay', () => {
  it('draws the dashboard with ink on an interactive terminal, each status over the last', async () => {
    vi.stubEnv('CI', undefined)
    const stdout = fakeStdout(true)
    const display = await createLedgerDisplay({stdout: stdout.stream, json: false, intervalSeconds: 15})
    display.show(await healthy())
    display.show(await unhealthy())
    await display.close()

    const output = stripVTControlCharacters(stdout.output())
    expect(output).toContain('Ledger dev: UNHEALTHY')
    expect(output).toContain('refreshing every 15 s; Ctrl-C to stop')
  })

  it('prints plain snapshots under CI even on a terminal, and to a pipe', async () => {
    vi.stubEnv('CI', 'true')
    for (const isTTY of [true, false]) {
      const stdout = fakeStdout(isTTY)
      const display = await createLedgerDisplay({stdout: stdout.stream, json: false, intervalSeconds: 15})
      display.show(await healthy())
      display.show(await unhealthy())
      await display.close()
      expect(stdout.output()).toMatch(/^Ledger dev: healthy at .*\n[^]*\n\nLedger dev: UNHEALTHY at [^]*\n {2}! alarm fintech-dev-ledger-5xx-rate is in ALARM: .*\n\n$/)
      expect(stdout.output()).not.toContain('\u001b[')
    }
  })

  it('with --json writes one status per line', async () => {
    vi.stubEnv('CI', undefined)
    const stdout = fakeStdout(true)
    const display = await createLedgerDisplay({stdout: stdout.stream, json: true, intervalSeconds: 15})
    display.show(await healthy())
    display.show(await unhealthy())
    await display.close()
    const lines = stdout.output().trimEnd().split('\n').map((line) => JSON.parse(line) as LedgerStatus)
    expect(lines.map((status) => status.healthy)).toEqual([true, false])
  })
})
