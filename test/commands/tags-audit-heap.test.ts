import {spawnSync} from 'node:child_process'
import {describe, expect, it, vi} from 'vitest'
import TagsAudit from '../../src/commands/tags/audit.js'
import {makeProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'

const flagsSet = vi.hoisted(() => [] as string[])

vi.mock('node:v8', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:v8')>()
  return {
    ...actual,
    setFlagsFromString: (flags: string) => {
      flagsSet.push(flags)
      actual.setFlagsFromString(flags)
    },
  }
})

const CONFIG = `environments:
  dev:
    account: "111111111111"
    region: eu-west-1
    tags: {Environment: dev, CostCenter: c, Owner: o, Service: s, DataClassification: d}
stages: []
`

describe('tags audit memory', () => {
  it('turns off V8 pretenuring and young-generation growth, and caps old-generation growth, as its run starts, before reading any input', async () => {
    // A bad --region stops the run before any AWS client exists: the flags are set by then.
    const run = await runCli(TagsAudit, ['--env', 'dev', '--region', 'moon-1', '--config', makeProject({'fintech.config.yaml': CONFIG})])
    expect(run.exitCode).toBe(2)
    expect(flagsSet).toEqual(['--no-allocation-site-pretenuring', '--semi-space-growth-factor=1', '--heap-growing-percent=60'])
  })

  it('sets only flags this V8 knows: it ignores a flag it does not know without a word', () => {
    expect(flagsSet).toHaveLength(3)
    const known = spawnSync(process.execPath, ['--v8-options'], {encoding: 'utf8'}).stdout
    for (const flag of flagsSet) expect(known, flag).toContain(`  --${flag.replace(/^--(no-)?/, '').replace(/=.*/, '')} (`)
  })
})
