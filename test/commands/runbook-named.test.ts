/**
 * `fintech runbook NAME` as the on-call engineer types it: argv through oclif's own `run` (topic
 * words, the manifest, the command_not_found hook, the help class) of the built CLI, against
 * aws-sdk-client-mock'd STS and RDS, compared call for call and byte for byte with
 * `fintech runbook run NAME`. Needs `npm run build` (the shipped runbooks' commands are written then).
 */
import {DescribeDBInstancesCommand, FailoverDBClusterCommand, RDSClient} from '@aws-sdk/client-rds'
import {GetCallerIdentityCommand, STSClient} from '@aws-sdk/client-sts'
import {run} from '@oclif/core'
import {mockClient} from 'aws-sdk-client-mock'
import {existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {shippedRunbookCommandModules, writeShippedRunbookCommands} from '../../src/cli/shipped-runbook-commands.js'
import Validate from '../../src/commands/validate.js'
import {RUNBOOK_SUBCOMMANDS} from '../../src/core/runbook/load.js'
import {makeProject} from '../helpers/project.js'
import {WARM_CACHE} from '../helpers/runbook-fakes.js'
import {runCli} from '../helpers/run-cli.js'
import {isolateRunbookRuns} from '../helpers/runbook-fakes.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SHIPPED = readdirSync(join(ROOT, 'runbooks')).filter((file) => file.endsWith('.yaml')).map((file) => basename(file, '.yaml')).sort()
const titleOf = (name: string) => /^title: (.+)$/m.exec(readFileSync(join(ROOT, 'runbooks', `${name}.yaml`), 'utf8'))![1]!

const sts = mockClient(STSClient)
const rds = mockClient(RDSClient)
let sent: string[]

/** The project's own `failover` (a small one, so the comparison does not hang on the shipped runbook's steps) and a runbook only the project has. */
const PROJECT_FAILOVER = `name: failover
title: Fail the test cluster over
description: d
whenToUse: w
severity: sev1
envs: [dev, prod]
parameters:
  instance: {type: string, description: the reader to promote}
steps:
  - name: reader
    kind: assert
    service: rds
    api: DescribeDBInstances
    parameters: {DBInstanceIdentifier: '{{ params.instance }}'}
    selector: $.DBInstances[0].DBInstanceStatus
    expected: [available]
  - name: go
    kind: approve
    summary: Promote {{ params.instance }}?
  - name: failover
    kind: aws
    service: rds
    api: FailoverDBCluster
    parameters: {DBClusterIdentifier: ledger, TargetDBInstanceIdentifier: '{{ params.instance }}'}
prose: p
`

interface Typed {
  stdout: string
  stderr: string
  exitCode: number
}

/** `fintech ...argv` in-process through oclif's `run`, as bin/run.js runs it. */
async function typed(argv: string[], env: Record<string, string> = {}): Promise<Typed> {
  let stdout = ''
  let stderr = ''
  const writeOut = process.stdout.write.bind(process.stdout)
  const writeErr = process.stderr.write.bind(process.stderr)
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]))
  Object.assign(process.env, env)
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true)) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true)) as typeof process.stderr.write
  process.exitCode = undefined
  let exitCode = 0
  try {
    await run(argv, ROOT)
    exitCode = Number(process.exitCode ?? 0)
  } catch (error) {
    const exit = (error as {oclif?: {exit?: number}}).oclif?.exit
    if (exit === undefined) throw error
    exitCode = exit
    stderr += `${(error as Error).message}\n`
  } finally {
    process.stdout.write = writeOut
    process.stderr.write = writeErr
    process.exitCode = undefined
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
  }
  return {stdout, stderr, exitCode}
}

/** Run ids, state paths and clock times differ between two runs; everything else must not. */
const steady = (text: string) =>
  text
    .replace(/[a-z-]+-(dev|prod)-\d{8}T\d{6}Z-[0-9a-f]+/g, 'RUN_ID')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, 'TIME')
    .replace(/\b\d\d:\d\d:\d\d\b/g, 'TIME')
    .replace(/\d+(\.\d+)? ?m?s\b/g, 'DURATION')

function platform(status = 'available') {
  sts.on(GetCallerIdentityCommand).callsFake(() => {
    sent.push('sts:GetCallerIdentity')
    return {Account: '111111111111', Arn: 'arn:aws:sts::111111111111:assumed-role/oncall/alice'}
  })
  rds.on(DescribeDBInstancesCommand).callsFake(({DBInstanceIdentifier}) => {
    sent.push(`rds:DescribeDBInstances ${DBInstanceIdentifier}`)
    return {DBInstances: [{DBInstanceIdentifier, DBInstanceStatus: status}]}
  })
  rds.on(FailoverDBClusterCommand).callsFake(({TargetDBInstanceIdentifier}) => {
    sent.push(`rds:FailoverDBCluster ${TargetDBInstanceIdentifier}`)
    return {DBCluster: {Status: 'failing-over'}}
  })
}

/** Runs `fintech runbook NAME ...rest` and `fintech runbook run NAME ...rest` on the same platform, each from a fresh mock. */
async function bothWays(name: string, rest: string[], status?: string) {
  const outcomes = []
  for (const argv of [['runbook', name, ...rest], ['runbook', 'run', name, ...rest]]) {
    sts.reset()
    rds.reset()
    sent = []
    platform(status)
    const outcome = await typed(argv)
    outcomes.push({...outcome, stdout: steady(outcome.stdout), stderr: steady(outcome.stderr), calls: sent})
  }
  return {named: outcomes[0]!, run: outcomes[1]!}
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/commands/runbook/failover.js'))) throw new Error('no built CLI with the shipped runbooks\' commands: run `npm run build` first')
})

beforeEach(() => {
  isolateRunbookRuns()
})

describe('fintech runbook NAME is fintech runbook run NAME', () => {
  const config = makeProject({'runbooks/failover.yaml': PROJECT_FAILOVER, 'runbooks/warm-cache.yaml': WARM_CACHE})

  it('a shipped runbook\'s name: the same calls, stdout, stderr and exit 0 when it succeeds', async () => {
    const {named, run: viaRun} = await bothWays('failover', ['--env', 'dev', '--config', config, '-p', 'instance=db-2', '--yes', '--json'])
    expect(named.exitCode).toBe(0)
    expect(named.calls).toEqual(['sts:GetCallerIdentity', 'rds:DescribeDBInstances db-2', 'rds:FailoverDBCluster db-2'])
    expect(JSON.parse(named.stdout).run).toMatchObject({runbook: 'failover', env: 'dev', status: 'succeeded'})
    expect(named).toEqual(viaRun)
  })

  it('an approval refused without a terminal: exit 2 both ways, and no failover', async () => {
    const {named, run: viaRun} = await bothWays('failover', ['--env', 'dev', '--config', config, '--param', 'instance=db-2'])
    expect(named.exitCode).toBe(2)
    expect(named.calls).toEqual(['sts:GetCallerIdentity', 'rds:DescribeDBInstances db-2'])
    expect(named.stdout).toContain('not approved: needs approval (Promote db-2?) and there is no terminal to ask')
    expect(named).toEqual(viaRun)
  })

  it('a protected env needs the env name typed: --yes does not approve, exit 2 both ways', async () => {
    const {named, run: viaRun} = await bothWays('failover', ['--env', 'prod', '--config', config, '--param', 'instance=db-2', '--yes'])
    expect(named.exitCode).toBe(2)
    expect(named.calls).not.toContain('rds:FailoverDBCluster db-2')
    expect(named).toEqual(viaRun)
  })

  it('a failed pre-check: exit 1 both ways', async () => {
    const {named, run: viaRun} = await bothWays('failover', ['--env', 'dev', '--config', config, '--param', 'instance=db-2', '--yes'], 'stopped')
    expect(named.exitCode).toBe(1)
    expect(named.calls).toEqual(['sts:GetCallerIdentity', 'rds:DescribeDBInstances db-2'])
    expect(named).toEqual(viaRun)
  })

  it('--dry-run shows the failover and sends only the reads', async () => {
    const {named, run: viaRun} = await bothWays('failover', ['--env', 'dev', '--config', config, '-p', 'instance=db-2', '--dry-run'])
    expect(named.exitCode).toBe(0)
    expect(named.calls).toEqual(['sts:GetCallerIdentity', 'rds:DescribeDBInstances db-2'])
    expect(named.stdout).toContain('FailoverDBCluster')
    expect(named).toEqual(viaRun)
  })

  it('bad input is the same error and exit 2: a missing parameter, an unknown flag, an unknown env', async () => {
    for (const rest of [['--env', 'dev', '--config', config], ['--env', 'dev', '--config', config, '--colour', 'red'], ['--env', 'qa', '--config', config]]) {
      const {named, run: viaRun} = await bothWays('failover', rest)
      expect(named.exitCode, rest.join(' ')).toBe(2)
      expect(named.calls).toEqual([])
      expect(named.stderr).not.toBe('')
      expect(named).toEqual(viaRun)
    }
  })

  it('a runbook only in the project\'s runbooks/ runs as fintech runbook NAME (the command_not_found hook)', async () => {
    const {named, run: viaRun} = await bothWays('warm-cache', ['--env', 'dev', '--config', config, '--json'])
    expect(named.exitCode).toBe(0)
    expect(named.calls).toEqual(['sts:GetCallerIdentity', 'rds:DescribeDBInstances db-2'])
    expect(JSON.parse(named.stdout).run.steps.reader.outputs).toEqual({status: 'available'})
    expect(named).toEqual(viaRun)
  })

  it('a runbook that is nowhere: exit 2 naming the runbooks there are; an unknown command stays unknown', async () => {
    const {named, run: viaRun} = await bothWays('nosuch', ['--env', 'dev', '--config', config])
    expect(named.exitCode).toBe(2)
    expect(named.stderr).toContain('no runbook nosuch')
    expect(named).toEqual(viaRun)
    const unknown = await typed(['teleport', '--env', 'dev'])
    expect(unknown.exitCode).toBe(2)
    expect(unknown.stderr).toContain('command teleport not found')
  })

  it('the subcommands keep working next to the runbooks: list, show, run, export, resume', async () => {
    const list = await typed(['runbook', 'list', '--config', config, '--json'])
    expect(list.exitCode).toBe(0)
    expect(JSON.parse(list.stdout).runbooks.map((runbook: {name: string}) => runbook.name)).toEqual(['failover', 'warm-cache'])
    const show = await typed(['runbook', 'show', 'warm-cache', '--config', config, '--json'])
    expect(show.exitCode).toBe(0)
    expect(JSON.parse(show.stdout).name).toBe('warm-cache')
    const exported = await typed(['runbook', 'export', 'warm-cache', '--format', 'ssm', '--config', config])
    expect(exported.exitCode).toBe(0)
    expect(exported.stdout).toContain('schemaVersion')
    const resume = await typed(['runbook', 'resume', 'warm-cache-dev-20261201T031502Z-7f3a', '--config', config])
    expect(resume.exitCode).toBe(2)
    expect(resume.stderr).not.toContain('not found')
  })
})

describe('help and shell completion list the runbooks', () => {
  it('fintech runbook --help lists the subcommands, then every shipped runbook with its title', async () => {
    const help = await typed(['runbook', '--help'], {FINTECH_CONFIG: join(ROOT, 'fintech.config.yaml')})
    expect(help.exitCode).toBe(0)
    const [commands, runbooks] = help.stdout.split(/^RUNBOOKS /m)
    for (const name of RUNBOOK_SUBCOMMANDS) expect(commands).toMatch(new RegExp(`^ {2}runbook ${name} `, 'm'))
    expect(runbooks!.split('\n')[0]).toBe('(fintech runbook NAME --env ENV runs one, as fintech runbook run NAME does)')
    const listed = [...runbooks!.matchAll(/^ {2}runbook (\S+) +(.+)$/gm)].map((match) => match[1])
    expect(listed).toEqual(SHIPPED)
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(`runbook failover ${titleOf('failover')}`)
  })

  it('fintech runbook --help also lists the runbooks only the project has, with their file', async () => {
    const config = makeProject({'runbooks/warm-cache.yaml': WARM_CACHE})
    const help = await typed(['runbook', '--help', '--config', config])
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('runbook warm-cache Read the reader\'s status (runbooks/warm-cache.yaml)')
  })

  it('fintech runbook failover --help shows the runbook\'s title and run\'s flags', async () => {
    const help = await typed(['runbook', 'failover', '--help'])
    expect(help.stdout.split('\n')[0]).toBe(titleOf('failover'))
    expect(help.stdout).toMatch(/\$ fintech runbook failover --env <value>/)
    for (const flag of ['--param=<value>', '--dry-run', '--yes', '--log-group=<value>', '--json']) expect(help.stdout).toContain(flag)
  })

  it('the autocomplete plugin completes every shipped runbook after fintech runbook, with its flags', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'fintech-completion-'))
    const created = await typed(['autocomplete', 'create'], {XDG_CACHE_HOME: cache})
    expect(created.exitCode).toBe(0)
    const bash = readFileSync(join(cache, 'fintech/autocomplete/functions/bash/fintech.bash'), 'utf8')
    const zsh = readFileSync(join(cache, 'fintech/autocomplete/functions/zsh/_fintech'), 'utf8')
    for (const name of SHIPPED) {
      expect(bash).toMatch(new RegExp(`^runbook:${name} .*--env .*--dry-run`, 'm'))
      expect(zsh).toContain(`"${name}[${titleOf(name)}]"`)
    }
  })
})

describe('the shipped runbooks\' commands, as the build writes them', () => {
  it('one module per runbook under runbooks/, fixing its name and showing its title', () => {
    const modules = shippedRunbookCommandModules(ROOT)
    // Modules come in the order of the files' names, where dr-failover-unplanned.yaml sorts before dr-failover.yaml.
    expect(modules.map((module) => module.name).sort()).toEqual(SHIPPED)
    expect(modules.find((module) => module.name === 'failover')!.source).toContain(`export default namedRunbookCommand({"name":"failover","title":${JSON.stringify(titleOf('failover'))}`)
  })

  it('refuses to replace a command that is already there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fintech-commands-'))
    writeFileSync(join(dir, 'ledger-scale.js'), '// another command\n')
    expect(() => writeShippedRunbookCommands(ROOT, dir)).toThrow(`runbooks/ledger-scale.yaml would replace the command in ${join(dir, 'ledger-scale.js')}`)
    expect(readdirSync(dir)).toEqual(['ledger-scale.js'])
  })
})

describe('a runbook named like a subcommand', () => {
  const named = (name: string) => `name: ${name}\ntitle: t\ndescription: d\nwhenToUse: w\nseverity: sev3\nenvs: [dev]\nsteps:\n  - {name: a, kind: approve, summary: s}\nprose: p\n`

  it('the subcommands are the command files under src/commands/runbook', () => {
    const files = readdirSync(join(ROOT, 'src/commands/runbook')).map((file) => basename(file, '.ts')).sort()
    expect([...RUNBOOK_SUBCOMMANDS].sort()).toEqual(files)
  })

  for (const name of RUNBOOK_SUBCOMMANDS) {
    it(`validate refuses one called ${name}, at its name line (FT-RUNBOOK-002, exit 1)`, async () => {
      const config = makeProject({[`runbooks/${name}.yaml`]: named(name)})
      const validate = await runCli(Validate, ['--config', config, '--no-cfn-lint', '--json'])
      expect(validate.exitCode).toBe(1)
      const findings = validate.json.findings.filter((finding: {ruleId: string}) => finding.ruleId.startsWith('FT-RUNBOOK'))
      expect(findings).toEqual([
        expect.objectContaining({
          ruleId: 'FT-RUNBOOK-002',
          file: `runbooks/${name}.yaml`,
          line: 1,
          message: `a runbook cannot be called ${name}: fintech runbook ${name} is a subcommand (export, list, resume, run, show are taken), so the runbook could never run as fintech runbook ${name}`,
        }),
      ])
    })
  }

  it('is left out of the runbooks, and runbook run names its file and line', async () => {
    const config = makeProject({'runbooks/show.yaml': named('show')})
    const list = await typed(['runbook', 'list', '--config', config, '--json'])
    expect(JSON.parse(list.stdout)).toMatchObject({runbooks: [], problems: [{file: 'runbooks/show.yaml', line: 1}]})
    const ran = await typed(['runbook', 'run', 'show', '--env', 'dev', '--config', config])
    expect(ran.exitCode).toBe(2)
    expect(ran.stderr).toContain('runbooks/show.yaml:1: a runbook cannot be called show')
  })
})
