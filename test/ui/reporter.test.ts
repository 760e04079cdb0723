import {PassThrough} from 'node:stream'
import {afterEach, describe, expect, it, vi} from 'vitest'

import {InkReporter} from '../../src/ui/ink/ink-reporter.js'
import {PlainReporter} from '../../src/ui/plain-reporter.js'
import {createReporter} from '../../src/ui/reporter.js'
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
  it('draws the events on its stream and releases it on close', async () => {
    const stderr = fakeStderr(true)
    const reporter = new InkReporter({stream: stderr.stream, now: () => new Date('2026-11-22T02:11:00Z')})
    for (const {event} of failedDataStage) reporter.emit(event)
    await reporter.close()
    const output = stderr.output()
    expect(output).toContain('Change set for fintech-dev-data:')
    expect(output).toContain('Root cause: LedgerDatabase (AWS::RDS::DBCluster) UPDATE_FAILED')
    expect(output).toContain('skipped: fintech-dev-data failed')
  })
})
