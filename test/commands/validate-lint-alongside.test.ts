import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import Validate from '../../src/commands/validate.js'
import {cfnLintMatch, withFakeCfnLint} from '../helpers/fake-cfn-lint.js'
import {makeProject, VPC_TEMPLATE} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'

const events = vi.hoisted(() => [] as string[])

vi.mock('node:child_process', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:child_process')>()
  const spawn = ((command: string, args: string[], options: object) => {
    if (command === 'cfn-lint') events.push(`cfn-lint started on ${args.filter((arg) => arg.endsWith('.yaml')).join(' ')}`)
    return actual.spawn(command, args, options)
  }) as typeof actual.spawn
  return {...actual, spawn}
})

vi.mock('../../src/core/validate/run-validate.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/core/validate/run-validate.js')>()
  return {
    ...actual,
    validateProject: (input: Parameters<typeof actual.validateProject>[0]) => {
      events.push('built-in checks')
      return actual.validateProject(input)
    },
  }
})

const CONFIG = `environments:
  dev:
    account: "111111111111"
    region: eu-west-1
    tags: {Environment: dev, CostCenter: c, Owner: o, Service: s, DataClassification: d}
stages:
  - name: network
    stacks:
      - {id: vpc, template: templates/vpc.yaml}
`
const project = () => makeProject({'fintech.config.yaml': CONFIG, 'templates/vpc.yaml': VPC_TEMPLATE, 'templates/extra/queue.yaml': VPC_TEMPLATE, 'templates/data.yaml': undefined})
const LINT_FINDING = cfnLintMatch('templates/extra/queue.yaml', 9, 5, 'W3010', 'Do not hardcode')

describe('fintech validate with cfn-lint', () => {
  const saved = {isTTY: process.stderr.isTTY, ci: process.env.CI}
  beforeEach(() => {
    events.length = 0
    delete process.env.CI
  })
  afterEach(() => {
    process.stderr.isTTY = saved.isTTY
    if (saved.ci === undefined) delete process.env.CI
    else process.env.CI = saved.ci
  })

  it('starts one cfn-lint on every template before the built-in checks, and merges its findings', async () => {
    await withFakeCfnLint({stdout: JSON.stringify([LINT_FINDING]), exitCode: 4}, async () => {
      const run = await runCli(Validate, ['--config', project(), '--json'])
      expect(events).toEqual(['cfn-lint started on templates/extra/queue.yaml templates/vpc.yaml', 'built-in checks'])
      expect(run.json.cfnLint).toBe('ran')
      expect(run.json.findings).toContainEqual({file: 'templates/extra/queue.yaml', line: 9, column: 5, ruleId: 'W3010', severity: 'warning', message: 'Do not hardcode', source: 'cfn-lint'})
    })
  })

  it('shows a progress line on a terminal and clears it before the findings', async () => {
    process.stderr.isTTY = true
    await withFakeCfnLint({stdout: '[]'}, async () => {
      const run = await runCli(Validate, ['--config', project()])
      expect(run.stderr).toMatch(/^\r\u001B\[2KChecking 2 templates: built-in checks, cfn-lint alongside…\r\u001B\[2KBuilt-in checks done; cfn-lint on 2 templates… \d+ s/)
      expect(run.stderr.endsWith('\r\u001B[2K')).toBe(true)
    })
  })

  it('prints no progress in a pipe, under CI or with --json', async () => {
    await withFakeCfnLint({stdout: '[]'}, async () => {
      expect((await runCli(Validate, ['--config', project()])).stderr).toBe('')
      process.stderr.isTTY = true
      expect((await runCli(Validate, ['--config', project(), '--json'])).stderr).toBe('')
      process.env.CI = 'true'
      expect((await runCli(Validate, ['--config', project()])).stderr).toBe('')
    })
  })
})
