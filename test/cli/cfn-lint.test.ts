import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {runCfnLint} from '../../src/cli/cfn-lint.js'
import {cfnLintMatch, withFakeCfnLint} from '../helpers/fake-cfn-lint.js'
import {makeProject} from '../helpers/project.js'

const TEMPLATE = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Topic:\n    Type: AWS::SNS::Topic\n"

/** A project with these templates; returns its folder. */
const projectWith = (...files: string[]) => {
  const config = makeProject({'fintech.config.yaml': 'environments: {}\nstages: []\n', ...Object.fromEntries(files.map((file) => [file, TEMPLATE]))})
  return join(config, '..')
}

describe('runCfnLint', () => {
  it('lints every template in one cfn-lint run and files each finding under the template it names', async () => {
    const root = projectWith('templates/a.yaml', 'templates/b: c.yaml', 'templates/d.yaml')
    const matches = [
      cfnLintMatch('templates/b: c.yaml', 4, 7, 'E3002', "Additional properties are not allowed ('Foo' was unexpected) "),
      cfnLintMatch(join(root, 'templates/a.yaml'), 2, 1, 'W3005', 'Obsolete DependsOn'),
      cfnLintMatch('templates/d.yaml', 3, 3, 'I3011', 'no UpdateReplacePolicy'),
    ]
    await withFakeCfnLint({stdout: JSON.stringify(matches), exitCode: 6}, async (argvLog) => {
      const run = await runCfnLint(root, ['templates/a.yaml', 'templates/b: c.yaml', 'templates/d.yaml'])
      expect(readFileSync(argvLog, 'utf8')).toBe('--format json -- templates/a.yaml templates/b: c.yaml templates/d.yaml\n')
      expect(run).toEqual({
        available: true,
        findings: [
          {file: 'templates/b: c.yaml', line: 4, column: 7, ruleId: 'E3002', severity: 'error', message: "Additional properties are not allowed ('Foo' was unexpected)", source: 'cfn-lint'},
          {file: 'templates/a.yaml', line: 2, column: 1, ruleId: 'W3005', severity: 'warning', message: 'Obsolete DependsOn', source: 'cfn-lint'},
          {file: 'templates/d.yaml', line: 3, column: 3, ruleId: 'I3011', severity: 'warning', message: 'no UpdateReplacePolicy', source: 'cfn-lint'},
        ],
      })
    })
  })

  it('leaves a missing template out, so cfn-lint still lints the others', async () => {
    const root = projectWith('templates/a.yaml')
    await withFakeCfnLint({stdout: '[]'}, async (argvLog) => {
      const run = await runCfnLint(root, ['templates/a.yaml', 'templates/gone.yaml'])
      expect(readFileSync(argvLog, 'utf8')).toBe('--format json -- templates/a.yaml\n')
      expect(run).toEqual({available: true, findings: []})
    })
  })

  it('fails the check with cfn-lint\'s last words when its output is not its JSON list', async () => {
    const root = projectWith('templates/a.yaml')
    await withFakeCfnLint({stdout: 'Traceback (most recent call last):\nKeyError: Resources', exitCode: 1}, async () => {
      expect(await runCfnLint(root, ['templates/a.yaml'])).toEqual({
        available: true,
        findings: [{file: 'templates/a.yaml', line: 1, column: 1, ruleId: 'FT-LINT-001', severity: 'error', message: 'cfn-lint failed: KeyError: Resources', source: 'cfn-lint'}],
      })
    })
  })

  it('ends cfn-lint when the caller no longer needs it', async () => {
    const root = projectWith('templates/a.yaml')
    const notNeeded = new AbortController()
    await withFakeCfnLint({stdout: '[]'}, async () => {
      const run = runCfnLint(root, ['templates/a.yaml'], {signal: notNeeded.signal})
      notNeeded.abort()
      expect(await run).toEqual({available: true, findings: [expect.objectContaining({ruleId: 'FT-LINT-001', message: expect.stringMatching(/^cfn-lint failed: .*abort/i)})]})
    })
  })
})
