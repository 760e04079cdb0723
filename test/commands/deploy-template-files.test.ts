/**
 * Templates and parameter files are read only when they are regular files inside the project
 * and at most CloudFormation's 1 MB: anything else is refused (exit 2) at the config line that
 * names it, before any AWS call, and without blocking on a FIFO or reading a device.
 */
import {mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Validate from '../../src/commands/validate.js'
import {cfn, resetAws, s3, sts} from '../helpers/aws-mocks.js'
import {fedFifo} from '../helpers/fifo.js'
import {CONFIG, DATA_TEMPLATE, makeProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'

/** The config line that names the data stage's template, and the env's parameter file. */
const lineOf = (text: string) => CONFIG.split('\n').findIndex((line) => line.includes(text)) + 1
const DATA_TEMPLATE_LINE = lineOf('template: templates/data.yaml')

let stops: Array<() => void>
let cleanups: string[]
beforeEach(() => {
  resetAws()
  stops = []
  cleanups = []
})
afterEach(() => {
  for (const stop of stops) stop()
  for (const dir of cleanups) rmSync(dir, {recursive: true, force: true})
})

const deploy = (config: string, ...extra: string[]) => runCli(Deploy, ['--stage', 'all', '--env', 'dev', '--config', config, '--yes', ...extra])
const noAwsCall = () => expect([...cfn.calls(), ...sts.calls(), ...s3.calls()]).toEqual([])
/** oclif wraps long messages: read them as one line. */
const oneLine = (text: string) => text.replaceAll('›', ' ').replace(/\s+/g, ' ')

/** A project whose data template is replaced by whatever `place` puts at its path. */
function projectWith(place: (path: string) => void): string {
  const config = makeProject({'templates/data.yaml': undefined})
  place(join(dirname(config), 'templates/data.yaml'))
  return config
}

describe('template files', () => {
  it('refuses a template that is a symlink to /dev/zero, at its config line, without reading it', async () => {
    const config = projectWith((path) => symlinkSync('/dev/zero', path))
    const run = await deploy(config)

    expect(run.exitCode).toBe(2)
    expect(oneLine(run.stderr)).toContain(
      `${config}:${DATA_TEMPLATE_LINE}: stages[1].stacks[0].template: templates/data.yaml: the template resolves to /dev/zero, outside the project`,
    )
    noAwsCall()
  })

  it('refuses a template outside the project, and says so in --json too', async () => {
    const elsewhere = realpathSync(mkdtempSync(join(tmpdir(), 'fintech-elsewhere-')))
    cleanups.push(elsewhere)
    writeFileSync(join(elsewhere, 'data.yaml'), DATA_TEMPLATE)
    const config = makeProject({'fintech.config.yaml': CONFIG.replace('templates/data.yaml', join(elsewhere, 'data.yaml'))})
    const run = await deploy(config, '--json')

    expect(run.exitCode).toBe(2)
    expect(run.json.error.message).toContain(`${join(elsewhere, 'data.yaml')}: the template resolves to ${join(elsewhere, 'data.yaml')}, outside the project`)
    noAwsCall()
  })

  it('refuses a FIFO template without blocking on it', async () => {
    const config = projectWith((path) => stops.push(fedFifo(path, DATA_TEMPLATE).stop))
    const run = await deploy(config)

    expect(run.exitCode).toBe(2)
    expect(oneLine(run.stderr)).toContain(`${config}:${DATA_TEMPLATE_LINE}: stages[1].stacks[0].template: templates/data.yaml: the template is a FIFO; only regular files are read`)
    noAwsCall()
  })

  it('refuses a template over 1 MB before creating the artifact bucket or uploading: no AWS call at all', async () => {
    const large = `${DATA_TEMPLATE}Metadata:\n  Padding: ${'x'.repeat(1_100_000)}\n`
    const config = makeProject({'templates/data.yaml': large})
    const run = await deploy(config)

    expect(run.exitCode).toBe(2)
    expect(oneLine(run.stderr)).toContain(`templates/data.yaml: the template is ${Buffer.byteLength(large)} bytes; at most 1048576 are read (CloudFormation's template limit)`)
    noAwsCall()
  })

  it('validate refuses a FIFO template with exit 2 instead of reporting it as a finding, and never hands it to cfn-lint', async () => {
    const config = projectWith((path) => stops.push(fedFifo(path, DATA_TEMPLATE).stop))
    const run = await runCli(Validate, ['--config', config])

    expect(run.exitCode).toBe(2)
    expect(oneLine(run.stderr)).toContain(`${config}:${DATA_TEMPLATE_LINE}: stages[1].stacks[0].template: templates/data.yaml: the template is a FIFO`)
  })
})

describe('parameter files', () => {
  it('refuses a parameter file outside the project, at the env\'s parameterFile line, in deploy and validate', async () => {
    const elsewhere = realpathSync(mkdtempSync(join(tmpdir(), 'fintech-elsewhere-')))
    cleanups.push(elsewhere)
    writeFileSync(join(elsewhere, 'dev.yaml'), 'Cidr: 10.1.0.0/16\n')
    const config = makeProject({'fintech.config.yaml': CONFIG.replace('parameterFile: params/dev.yaml', `parameterFile: ${join(elsewhere, 'dev.yaml')}`)})
    const line = CONFIG.split('\n').findIndex((text) => text.includes('parameterFile: params/dev.yaml')) + 1

    const run = await deploy(config)
    expect(run.exitCode).toBe(2)
    expect(oneLine(run.stderr)).toContain(`${config}:${line}: environments.dev.parameterFile: ${join(elsewhere, 'dev.yaml')}: the parameter file resolves to`)
    noAwsCall()

    const validate = await runCli(Validate, ['--config', config, '--no-cfn-lint'])
    expect(validate.exitCode).toBe(2)
    expect(oneLine(validate.stderr)).toContain(`${config}:${line}: environments.dev.parameterFile:`)
  })
})
