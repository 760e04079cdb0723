import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {loadRunbooks, parseRunbook} from '../../../src/core/runbook/load.js'
import {exportSsm, type SsmDocument} from '../../../src/core/runbook/ssm.js'
import {RUN_COMMAND_SUCCEEDS, runHandler} from '../../helpers/ssm-script.js'

/** The Python in the exported aws:executeScript steps: it compiles, and does what the step says when run (boto3 stood in for). */

const REPO = fileURLToPath(new URL('../../..', import.meta.url))

const built = (steps: string) => {
  const read = parseRunbook(`name: built\ntitle: t\ndescription: d\nwhenToUse: w\nseverity: routine\nenvs: [dev, prod]\nparameters:\n  msg: {type: string, allowEmpty: true, description: m}\nsteps:\n${steps}prose: p\n`, 'runbooks/built.yaml')
  expect(read.problems).toEqual([])
  const exported = exportSsm(read.runbook!)
  expect(exported.unmappable).toEqual([])
  return exported.document!
}

const everyScriptKind = () =>
  built(`  - {name: clocked, kind: aws, service: cloudwatch, api: GetMetricStatistics, parameters: {StartTime: '{{ time.minus5m }}', EndTime: '{{ time.now }}'}, outputs: {Sum: {selector: '$.Datapoints[0].Sum', type: Integer, default: 0}}}
  - {name: check, kind: script, value: '{{ steps.clocked.outputs.Sum }}', lessThan: 5}
  - {name: greet, kind: shell, command: 'printf "%s\\n" "$MSG"', env: {MSG: '{{ params.msg }}'}, instanceTag: {key: role, value: web}}
  - {name: sentinel, kind: redis, operation: status, instanceTag: {key: role, value: redis}}
  - {name: move, kind: redis, operation: failover, instanceTag: {key: role, value: redis}}
`)

const scripts = (document: SsmDocument) => document.mainSteps.filter((step) => step.action === 'aws:executeScript').map((step) => ({step: step.name, script: (step.inputs as {Script: string}).Script}))

describe('every Python script in every exported document', () => {
  const shipped = [...loadRunbooks(REPO, ['dev', 'test', 'prod']).runbooks.values()].map((runbook) => ({name: runbook.name, document: exportSsm(runbook).document!}))
  const all = [...shipped, {name: 'built', document: everyScriptKind()}].flatMap(({name, document}) => scripts(document).map((entry) => ({...entry, name})))

  it('covers the clock, the API call, the check, the Run Command runner and the pick (the shipped failover\'s target)', () => {
    expect(new Set(all.map((entry) => entry.script.match(/^def (\w+)\(events, context\):$/m)?.[1]))).toEqual(new Set(['clock', 'call', 'check', 'run', 'pick']))
  })

  it.each(all.map((entry) => [`${entry.name} ${entry.step}`, entry.script] as const))('%s compiles with python3 and holds no {{ for SSM to fill', (_, script) => {
    const compiled = spawnSync('python3', ['-c', 'import sys; compile(sys.stdin.read(), "executeScript", "exec")'], {input: script, encoding: 'utf8'})
    expect(compiled.stderr).toBe('')
    expect(compiled.status).toBe(0)
    expect(script).not.toContain('{{')
  })
})

describe('the scripts run', () => {
  const document = everyScriptKind()
  const step = (name: string) => document.mainSteps.find((candidate) => candidate.name === name)!

  it('the clock gives now and five minutes before as ISO instants with milliseconds, like the CLI', () => {
    const {result} = runHandler(step('clocked_clock'), {})
    expect(Object.keys(result).sort()).toEqual(['minus5m', 'now'])
    expect(result.now).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(Date.parse(result.now) - Date.parse(result.minus5m)).toBe(5 * 60_000)
  })

  it('the API call applies the output default when the selector matches nothing, and the typed value when it does', () => {
    const values = {'clocked_clock.minus5m': '2026-01-01T00:00:00.000Z', 'clocked_clock.now': '2026-01-01T00:05:00.000Z'}
    const none = runHandler(step('clocked'), values, {'cloudwatch.get_metric_statistics': {Datapoints: []}})
    expect(none.result).toEqual({Sum: 0})
    expect(none.calls).toEqual([{service: 'cloudwatch', method: 'get_metric_statistics', request: {StartTime: '2026-01-01T00:00:00.000Z', EndTime: '2026-01-01T00:05:00.000Z'}}])
    expect(runHandler(step('clocked'), values, {'cloudwatch.get_metric_statistics': {Datapoints: [{Sum: 3.0}]}}).result).toEqual({Sum: 3})
  })

  it('the runner targets the tag and the Environment tag, and fails when an instance fails', () => {
    const run = runHandler(step('greet'), {msg: 'hello', Environment: 'prod'}, RUN_COMMAND_SUCCEEDS, {pollSeconds: 0})
    expect(run.error).toBeUndefined()
    expect(run.result).toEqual({stdout: 'i-0aaa: done', exitCode: 0})
    const sent = run.calls.find((call) => call.method === 'send_command')!.request
    expect(sent.Targets).toEqual([{Key: 'tag:role', Values: ['web']}, {Key: 'tag:Environment', Values: ['prod']}])
    const failed = runHandler(step('greet'), {msg: 'hello', Environment: 'prod'}, {...RUN_COMMAND_SUCCEEDS, 'ssm.list_command_invocations': [{CommandInvocations: [{InstanceId: 'i-0aaa', Status: 'Failed', StatusDetails: 'Failed', CommandPlugins: [{Output: 'boom'}]}]}]}, {pollSeconds: 0})
    expect(failed.error).toBe('i-0aaa: Failed Failed\ni-0aaa: boom')
  })

  // Every quoting context a script may read the value in, and values that break out of each if spliced.
  const HOSTILE = ['$(touch PWNED)', '`touch PWNED`', "'; touch PWNED; '", '"; touch PWNED; "', 'x\nEOF\ntouch PWNED\n', '{{ssm:/fintech/secret}}', '\\"$(touch PWNED)\\"', '$((1+1)) ${HOME} *']
  const CONTEXTS = ['printf "%s|" "$MSG"', "printf '%s|' \"$MSG\"", 'cat <<EOF\n$MSG|\nEOF', 'sh -c \'printf "%s|" "$0"\' "$MSG"', 'eval printf "%s\\|" \'"$MSG"\'']

  it.each(HOSTILE)('a hostile value %j reaches the command as data in every quoting context, and nothing runs', (value) => {
    const sent = runHandler(step('greet'), {msg: value, Environment: 'dev'}, RUN_COMMAND_SUCCEEDS, {pollSeconds: 0}).calls.find((call) => call.method === 'send_command')!.request
    const exports = (sent.Parameters.commands[0] as string).split('printf "%s\\n" "$MSG"')[0]!
    expect(exports).not.toContain(value.trim() || '\u0000')
    expect(exports).not.toContain('{{')
    const dir = mkdtempSync(join(tmpdir(), 'fintech-hostile-'))
    for (const context of CONTEXTS) {
      const run = spawnSync('bash', ['-c', `${exports}${context}`], {cwd: dir, encoding: 'utf8', env: {PATH: process.env.PATH, HOME: '/nonexistent'}})
      expect(run.status, run.stderr).toBe(0)
      expect(run.stdout.replace(/\n$/, ''), context).toBe(`${value}|`)
      expect(existsSync(join(dir, 'PWNED')), context).toBe(false)
    }
  })
})
