import {PassThrough} from 'node:stream'
import {afterEach, describe, expect, it, vi} from 'vitest'

import {InkReporter} from '../../src/ui/ink/ink-reporter.js'
import {PlainReporter} from '../../src/ui/plain-reporter.js'
import {createReporter} from '../../src/ui/terminal.js'
import {failedDataStage} from './fixtures.js'

function fakeStderr(isTTY: boolean): {stream: NodeJS.WriteStream; output: () => string} {
  const stream = new PassThrough()
  const chunks: Buffer[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  Object.assign(stream, {isTTY, columns: 120, rows: 40})
  return {stream: stream as unknown as NodeJS.WriteStream, output: () => Buffer.concat(chunks).toString('utf8')}
}

afterEach(() => vi.unstubAllEnvs())

describe('createReporter', () => {
  it('writes plain lines to stderr when stderr is not a terminal', async () => {
    const stderr = fakeStderr(false)
    const reporter = await createReporter({stderr: stderr.stream, json: false})
    expect(reporter).toBeInstanceOf(PlainReporter)
    reporter.emit({kind: 'stage-done', stage: 'data', ok: true})
    await reporter.close()
    expect(stderr.output()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ stage data: done\n$/)
  })

  it('writes plain lines under CI even on a terminal', async () => {
    vi.stubEnv('CI', 'true')
    expect(await createReporter({stderr: fakeStderr(true).stream, json: false})).toBeInstanceOf(PlainReporter)
  })

  it('writes plain lines with --json even on a terminal', async () => {
    vi.stubEnv('CI', undefined)
    expect(await createReporter({stderr: fakeStderr(true).stream, json: true})).toBeInstanceOf(PlainReporter)
  })

  it('draws with ink on an interactive terminal', async () => {
    vi.stubEnv('CI', undefined)
    const reporter = await createReporter({stderr: fakeStderr(true).stream, json: false})
    expect(reporter).toBeInstanceOf(InkReporter)
    await reporter.close()
  })
})

describe('InkReporter', () => {
  const stamp = () => new Date('2026-11-22T02:11:00Z')
  const count = (text: string, part: string) => text.split(part).length - 1

  it('draws the events on its stream, each change set once, and releases the stream on close', async () => {
    const stderr = fakeStderr(true)
    const reporter = new InkReporter({stream: stderr.stream, now: stamp})
    for (const {event} of failedDataStage) reporter.emit(event)
    await reporter.close()
    const output = stderr.output()
    expect(count(output, 'Change set for fintech-dev-data:')).toBe(1)
    expect(output).toContain('Root cause: LedgerDatabase (AWS::RDS::DBCluster) UPDATE_FAILED')
    expect(output).toContain('skipped: fintech-dev-data failed')
  })

  it('stops drawing while a stack awaits approval, so the prompt is not drawn over', async () => {
    const stderr = fakeStderr(true)
    const reporter = new InkReporter({stream: stderr.stream, now: stamp})
    const untilApproval = failedDataStage.findIndex(({event}) => event.kind === 'stack-phase' && event.phase === 'awaiting-approval')
    for (const {event} of failedDataStage.slice(0, untilApproval + 1)) reporter.emit(event)
    expect(stderr.output()).toContain('awaiting approval')

    const beforePrompt = stderr.output().length
    stderr.stream.write('Execute this change set on fintech-dev-data? [y/N] y\n')
    reporter.emit({kind: 'notice', level: 'info', message: 'still waiting for fintech-dev-data'})
    await new Promise((resolve) => setTimeout(resolve, 250))
    expect(stderr.output().slice(beforePrompt)).toBe('Execute this change set on fintech-dev-data? [y/N] y\n')

    reporter.emit({kind: 'stack-phase', stackName: 'fintech-dev-data', phase: 'executing'})
    await reporter.close()
    const afterPrompt = stderr.output().slice(beforePrompt)
    expect(afterPrompt).toContain('executing change set')
    expect(afterPrompt).toContain('still waiting for fintech-dev-data')
    expect(afterPrompt).not.toContain('Change set for fintech-dev-data:')
  })
})
