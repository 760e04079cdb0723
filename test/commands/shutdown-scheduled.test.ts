import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {DateTime} from 'luxon'
import {beforeEach, describe, expect, it} from 'vitest'
import ShutdownStart from '../../src/commands/shutdown/start.js'
import ShutdownStop from '../../src/commands/shutdown/stop.js'
import {resetAws, s3, sts} from '../helpers/aws-mocks.js'
import {runCli} from '../helpers/run-cli.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** The repository's config with dev's holidays replaced by `holidays` (the real clock decides "today"). */
function configWithHolidays(holidays: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'fintech-scheduled-'))
  const text = readFileSync(join(root, 'fintech.config.yaml'), 'utf8').replace(/holidays: \["2026-12-24"[^\]]*\]/, `holidays: ${JSON.stringify(holidays)}`)
  writeFileSync(join(dir, 'fintech.config.yaml'), text)
  return join(dir, 'fintech.config.yaml')
}

describe('shutdown --scheduled', () => {
  beforeEach(() => {
    resetAws()
  })

  it('does nothing, and calls no AWS API, when the schedule says today is a holiday', async () => {
    const today = DateTime.now().setZone('Europe/London').toISODate()!
    const config = configWithHolidays([today])
    const run = await runCli(ShutdownStart, ['--env', 'dev', '--scheduled', '--json', '--config', config])
    expect(run.exitCode).toBe(0)
    expect(run.json).toMatchObject({env: 'dev', action: 'start', results: [], nothingToDo: expect.stringMatching(new RegExp(`^not scheduled now: \\w+ ${today} is (a holiday in the schedule|not a working day)`))})
    expect(sts.calls()).toHaveLength(0)
    expect(s3.calls()).toHaveLength(0)
  })

  it('refuses --scheduled for an env without a schedule, with exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fintech-scheduled-'))
    const text = readFileSync(join(root, 'fintech.config.yaml'), 'utf8').replace(/    # Nightly cost-saver[\s\S]*?holidays: \[[^\]]*\]\n/, '')
    writeFileSync(join(dir, 'fintech.config.yaml'), text)
    const run = await runCli(ShutdownStop, ['--env', 'dev', '--scheduled', '--config', join(dir, 'fintech.config.yaml')])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('--scheduled: dev has no schedule in')
    expect(sts.calls()).toHaveLength(0)
  })
})
