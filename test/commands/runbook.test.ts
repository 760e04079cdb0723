import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import RunbookExport from '../../src/commands/runbook/export.js'
import RunbookList from '../../src/commands/runbook/list.js'
import RunbookShow from '../../src/commands/runbook/show.js'
import Validate from '../../src/commands/validate.js'
import {makeProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'

const CONFIG = fileURLToPath(new URL('../../fintech.config.yaml', import.meta.url))

/** A runbook whose steps call what the AWS SDK does not have: the incident-night typos. */
const TYPOS = `name: typos
title: Typos
description: d
whenToUse: w
severity: sev1
envs: [dev]
parameters:
  clusterId: {type: string, description: the cluster}
steps:
  - name: cluster
    kind: assert
    service: rds
    api: DescribeDBClusterz
    parameters: {DBClusterIdentifier: '{{ params.clusterId }}'}
    selector: $.DBClusters[0].Status
    expected: [available]
  - name: failover
    kind: aws
    service: rds
    api: FailoverDBCluster
    parameters:
      DBClusterIdentifer: '{{ params.clusterId }}'
prose: p
`

describe('fintech runbook list', () => {
  it('lists the shipped runbooks with severity, envs and title', async () => {
    const run = await runCli(RunbookList, ['--config', CONFIG])
    expect(run.exitCode).toBe(0)
    const lines = run.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^NAME\s+SEVERITY\s+ENVS\s+TITLE$/)
    expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 3))).toEqual([
      ['dr-failback', 'sev2', 'test,prod'],
      ['dr-failover-unplanned', 'sev1', 'test,prod'],
      ['dr-failover', 'sev1', 'test,prod'],
      ['failover', 'sev1', 'dev,test,prod'],
      ['ledger-rollback', 'sev2', 'dev,test,prod'],
      ['ledger-scale', 'routine', 'dev,test,prod'],
      ['redis-failover', 'sev2', 'dev,test,prod'],
      ['restore-aurora-snapshot', 'sev3', 'dev,test'],
    ])
  })

  it('--json gives each runbook and no problems', async () => {
    const run = await runCli(RunbookList, ['--config', CONFIG, '--json'])
    expect(run.json.problems).toEqual([])
    expect(run.json.runbooks.find((runbook: {name: string}) => runbook.name === 'failover')).toEqual({name: 'failover', title: 'Fail the Aurora ledger database over to a reader', severity: 'sev1', envs: ['dev', 'test', 'prod'], file: 'runbooks/failover.yaml'})
  })

  it('leaves a broken file out and names its problem at file:line', async () => {
    const config = makeProject({'runbooks/broken.yaml': 'name: broken\ntitle: [\n'})
    const run = await runCli(RunbookList, ['--config', config, '--json'])
    expect(run.exitCode).toBe(0)
    expect(run.json.runbooks).toEqual([])
    expect(run.json.problems).toEqual([expect.objectContaining({kind: 'parse', file: 'runbooks/broken.yaml', line: 3})])
  })
})

describe('fintech runbook show', () => {
  it('prints parameters, numbered steps with their options, and the prose', async () => {
    const run = await runCli(RunbookShow, ['failover', '--config', CONFIG])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('Fail the Aurora ledger database over to a reader (failover, sev1, envs dev, test, prod)')
    expect(run.stdout).toContain('  maxReplicaLagMs (number, default 100): ')
    expect(run.stdout).toContain('  targetInstance (string, default ): The reader to promote (fintech-<env>-aurora-<n>)')
    expect(run.stdout).toMatch(/^ {3}1\. cluster \[assert\]\n {6}rds:DescribeDBClusters \{"DBClusterIdentifier":"\{\{ params\.clusterId \}\}"\} \$\.DBClusters\[0\]\.Status must be available$/m)
    expect(run.stdout).toMatch(/^ {2}13\. failover \[aws\]\n {6}rds:FailoverDBCluster \{"DBClusterIdentifier":"\{\{ params\.clusterId \}\}","TargetDBInstanceIdentifier":"\{\{ steps\.target\.outputs\.Instance \}\}"\}$/m)
    expect(run.stdout).toContain('   6. target [pick]\n      of {{ steps.readers.outputs.Available }} ({{ params.targetInstance }} when given), the lowest by cloudwatch:GetMetricStatistics {"Namespace":"AWS/RDS","MetricName":"AuroraReplicaLag","Dimensions":[{"Name":"DBInstanceIdentifier","Value":"{{ item }}"}],')
    expect(run.stdout).toMatch(/targets-healthy \[wait\] \(timeout 300 s, on failure → redeploy\)/)
    expect(run.stdout).toMatch(/## Rolling back by hand\n/)
  })

  it('--json gives the parsed runbook with defaults filled in', async () => {
    const run = await runCli(RunbookShow, ['ledger-scale', '--config', CONFIG, '--json'])
    expect(run.json.steps.map((step: {name: string; kind: string}) => `${step.name}:${step.kind}`)).toEqual(['current:aws', 'min-not-above-desired:script', 'scaling-minimum:aws', 'desired-count:aws', 'stable:wait'])
    expect(run.json.steps[0]).toMatchObject({retries: 0, onFailure: 'abort'})
  })

  it('says which parameters and outputs are secret, in text and --json', async () => {
    const text = `name: rotate\ntitle: Rotate\ndescription: d\nwhenToUse: w\nseverity: sev3\nenvs: [dev]
parameters:
  apiKey: {type: string, description: the API key, secret: true}
steps:
  - name: current
    kind: aws
    service: secretsmanager
    api: GetSecretValue
    parameters: {SecretId: ledger/admin}
    outputs: {password: $.SecretString, version: $.VersionId}
  - name: status
    kind: aws
    service: rds
    api: DescribeDBClusters
    outputs: {endpoint: {selector: '$.DBClusters[0].Endpoint', secret: true}, status: '$.DBClusters[0].Status'}
  - name: same
    kind: script
    value: '{{ steps.current.outputs.password }}'
    notEquals: ''
    outputs: {value: $.value}
prose: p\n`
    const config = makeProject({'runbooks/rotate.yaml': text})
    const run = await runCli(RunbookShow, ['rotate', '--config', config])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('  apiKey (string, required, secret): the API key')
    expect(run.stdout).toContain('     outputs: password = $.SecretString (secret), version = $.VersionId (secret)')
    expect(run.stdout).toContain('     outputs: endpoint = $.DBClusters[0].Endpoint (secret), status = $.DBClusters[0].Status\n')
    expect(run.stdout).toContain('     outputs: value = $.value (secret)')
    const json = await runCli(RunbookShow, ['rotate', '--config', config, '--json'])
    expect(json.json.parameters.apiKey.secret).toBe(true)
    expect(json.json.steps[1].outputs.endpoint).toEqual({selector: '$.DBClusters[0].Endpoint', type: 'String', secret: true})
  })

  it('an unknown runbook is bad input: exit 2, the runbooks named', async () => {
    const run = await runCli(RunbookShow, ['failvoer', '--config', CONFIG])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('no runbook failvoer')
    expect(run.stdout).toBe('')
  })

  it('a runbook that calls what the AWS SDK does not have would fail: exit 2, each problem at file:line', async () => {
    const run = await runCli(RunbookShow, ['typos', '--config', makeProject({'runbooks/typos.yaml': TYPOS})])
    expect(run.exitCode).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain('runbook typos would fail:\n')
    expect(run.stderr).toContain('  runbooks/typos.yaml:13: step cluster: rds has no API DescribeDBClusterz (did you mean DescribeDBClusters?)\n')
    expect(run.stderr).toContain('  runbooks/typos.yaml:22: step failover: rds:FailoverDBCluster has no parameter DBClusterIdentifer (did you mean DBClusterIdentifier?)')
  })

  it('a runbook that calls one with such a typo would fail too, at the called file\'s line', async () => {
    const caller = TYPOS.replace('name: typos', 'name: caller').replace(/steps:[\s\S]*prose/, "steps:\n  - {name: call, kind: runbook, runbook: typos, parameters: {clusterId: c}}\nprose")
    const run = await runCli(RunbookShow, ['caller', '--config', makeProject({'runbooks/typos.yaml': TYPOS, 'runbooks/caller.yaml': caller})])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('runbooks/typos.yaml:13: step cluster: rds has no API DescribeDBClusterz')
  })

  it('a runbook whose file is broken is bad input at its line', async () => {
    const config = makeProject({'runbooks/broken.yaml': 'name: broken\ntitle: [\n'})
    const run = await runCli(RunbookShow, ['broken', '--config', config])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('runbooks/broken.yaml:3: ')
  })
})

describe('fintech runbook export --format ssm', () => {
  it('maps ledger-scale onto an SSM Automation 0.3 document', async () => {
    const run = await runCli(RunbookExport, ['ledger-scale', '--format', 'ssm', '--config', CONFIG])
    expect(run.exitCode).toBe(0)
    const document = JSON.parse(run.stdout)
    expect(document.schemaVersion).toBe('0.3')
    expect(document.assumeRole).toBe('{{ AutomationAssumeRole }}')
    expect(document.description).toMatch(/^# Scale the ledger service\n[\s\S]*## Rolling back by hand/)
    expect(Object.keys(document.parameters)).toEqual(['AutomationAssumeRole', 'ecsCluster', 'service', 'desiredCount', 'minCapacity'])
    expect(document.parameters.desiredCount).toEqual({type: 'Integer', description: 'The number of tasks to run now.'})
    expect(document.mainSteps.map((step: {name: string; action: string}) => `${step.name} ${step.action}`)).toEqual([
      'current aws:executeAwsApi',
      'min_not_above_desired aws:executeScript',
      'scaling_minimum aws:executeAwsApi',
      'desired_count aws:executeAwsApi',
      'stable aws:waitForAwsResourceProperty',
    ])
    expect(document.mainSteps[0]).toEqual({
      name: 'current',
      action: 'aws:executeAwsApi',
      inputs: {Service: 'ecs', Api: 'DescribeServices', cluster: '{{ ecsCluster }}', services: ['{{ service }}']},
      outputs: [{Name: 'DesiredCount', Selector: '$.services[0].desiredCount', Type: 'Integer'}],
    })
    expect(document.mainSteps[1].inputs).toMatchObject({Runtime: 'python3.11', Handler: 'check', InputPayload: {value: '{{ minCapacity }}', limit: '{{ desiredCount }}'}})
    expect(document.mainSteps[1].inputs.Script).toContain('if not (value <= limit):')
    expect(document.mainSteps[4]).toEqual({
      name: 'stable',
      action: 'aws:waitForAwsResourceProperty',
      timeoutSeconds: 900,
      inputs: {Service: 'ecs', Api: 'DescribeServices', cluster: '{{ ecsCluster }}', services: ['{{ service }}'], PropertySelector: '$.services[0].runningCount', DesiredValues: ['{{ desiredCount }}']},
    })
  })

  it('maps an approval step and writes YAML to --output', async () => {
    const output = join(mkdtempSync(join(tmpdir(), 'fintech-export-')), 'rollback.yaml')
    const run = await runCli(RunbookExport, ['ledger-rollback', '--format', 'ssm', '--output', output, '--config', CONFIG, '--json'])
    expect(run.exitCode).toBe(0)
    expect(run.json).toMatchObject({runbook: 'ledger-rollback', format: 'ssm', unmappable: [], output})
    const document = parse(readFileSync(output, 'utf8'))
    expect(document).toEqual(run.json.document)
    expect(document.parameters.Approvers).toEqual({type: 'StringList', description: 'IAM users or roles that may approve the approval steps.'})
    const approve = document.mainSteps.find((step: {name: string}) => step.name === 'approve')
    expect(approve).toEqual({name: 'approve', action: 'aws:approve', inputs: {Approvers: ['{{ Approvers }}'], MinRequiredApprovals: 1, Message: 'Roll {{ service }} back from {{ current.TaskDefinition }} (rollout {{ current.RolloutState }}) to {{ taskDefinition }}.'}})
    // The jump past the rollback of a deployment in progress, in SSM's spelling.
    expect(document.mainSteps.find((step: {name: string}) => step.name === 'deployment_in_progress').onFailure).toBe('step:known_good_named')
  })

  it('names the steps that do not map on stderr, writes nothing to stdout or --output and exits 1', async () => {
    const config = makeProject({
      'runbooks/local-only.yaml': 'name: local-only\ntitle: t\ndescription: d\nwhenToUse: w\nseverity: routine\nenvs: [dev]\nsteps:\n  - {name: here, kind: shell, command: date}\n  - {name: spliced, kind: shell, command: \'echo {{ params.msg }}\', instanceTag: {key: k, value: v}}\nparameters:\n  msg: {type: string, description: m}\nprose: p\n',
    })
    const output = join(mkdtempSync(join(tmpdir(), 'fintech-export-')), 'local-only.json')
    const run = await runCli(RunbookExport, ['local-only', '--format', 'ssm', '--output', output, '--config', config])
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain('local-only: 2 steps with no SSM Automation equivalent; no document written:')
    expect(run.stderr).toContain('  here [shell]: a shell step runs on instances in SSM: give it instanceTag {key, value}')
    expect(run.stderr).toContain('  spliced [shell]: the command splices {{ … }} into the script text, where a value becomes shell syntax: give the values in env and read "$NAME"')
    expect(() => readFileSync(output)).toThrow()
    const json = await runCli(RunbookExport, ['local-only', '--format', 'ssm', '--config', config, '--json'])
    expect(json.exitCode).toBe(1)
    expect(json.json.document).toBeUndefined()
    expect(json.json.unmappable.map((entry: {step: string}) => entry.step)).toEqual(['here', 'spliced'])
  })

  it.each(['failover', 'ledger-rollback', 'ledger-scale', 'redis-failover', 'restore-aurora-snapshot'])('exports the shipped runbook %s with exit 0', async (name) => {
    const run = await runCli(RunbookExport, [name, '--format', 'ssm', '--config', CONFIG])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout).schemaVersion).toBe('0.3')
  })

  it('refuses an unknown format and an unknown runbook with exit 2', async () => {
    expect((await runCli(RunbookExport, ['ledger-scale', '--format', 'cfn', '--config', CONFIG])).exitCode).toBe(2)
    const unknown = await runCli(RunbookExport, ['nope', '--format', 'ssm', '--config', CONFIG])
    expect(unknown.exitCode).toBe(2)
    expect(unknown.stderr).toContain('no runbook nope')
  })
})

describe('fintech validate and runbooks', () => {
  it('reports runbook problems as FT-RUNBOOK findings at file:line, lists the files, exits 1', async () => {
    const config = makeProject({'runbooks/broken.yaml': 'name: broken\ntitle: [\n', 'runbooks/loose.yaml': 'name: loose\ntitle: t\ndescription: d\nwhenToUse: w\nseverity: sev2\nenvs: [dev, qa]\nsteps:\n  - {name: a, kind: teleport}\nprose: p\n'})
    const run = await runCli(Validate, ['--config', config, '--no-cfn-lint', '--json'])
    expect(run.exitCode).toBe(1)
    expect(run.json.files).toEqual(expect.arrayContaining(['runbooks/broken.yaml', 'runbooks/loose.yaml']))
    const runbookFindings = run.json.findings.filter((finding: {ruleId: string}) => finding.ruleId.startsWith('FT-RUNBOOK'))
    expect(runbookFindings.map((finding: {file: string; line: number; ruleId: string}) => `${finding.file}:${finding.line} ${finding.ruleId}`)).toEqual(['runbooks/broken.yaml:3 FT-RUNBOOK-001', 'runbooks/loose.yaml:8 FT-RUNBOOK-002'])
  })

  it('checks each AWS step against the SDK models offline: FT-RUNBOOK-004 at the line of the typo, exit 1', async () => {
    const run = await runCli(Validate, ['--config', makeProject({'runbooks/typos.yaml': TYPOS}), '--no-cfn-lint', '--json'])
    expect(run.exitCode).toBe(1)
    const runbookFindings = run.json.findings.filter((finding: {ruleId: string}) => finding.ruleId.startsWith('FT-RUNBOOK'))
    expect(runbookFindings.map((finding: {file: string; line: number; ruleId: string; message: string}) => `${finding.file}:${finding.line} ${finding.ruleId} ${finding.message}`)).toEqual([
      'runbooks/typos.yaml:13 FT-RUNBOOK-004 step cluster: rds has no API DescribeDBClusterz (did you mean DescribeDBClusters?)',
      'runbooks/typos.yaml:22 FT-RUNBOOK-004 step failover: rds:FailoverDBCluster has no parameter DBClusterIdentifer (did you mean DBClusterIdentifier?)',
    ])
  })

  it('passes the shipped runbooks', async () => {
    const run = await runCli(Validate, ['--config', CONFIG, '--no-cfn-lint', '--json'])
    expect(run.json.findings.filter((finding: {ruleId: string}) => finding.ruleId.startsWith('FT-RUNBOOK'))).toEqual([])
  })

  it('--rules lists the runbook rules', async () => {
    const run = await runCli(Validate, ['--rules', '--json'])
    expect(run.json.rules.filter((rule: {id: string}) => rule.id.startsWith('FT-RUNBOOK')).map((rule: {id: string}) => rule.id)).toEqual(['FT-RUNBOOK-001', 'FT-RUNBOOK-002', 'FT-RUNBOOK-003', 'FT-RUNBOOK-004', 'FT-RUNBOOK-005'])
  })

  it('warns (FT-RUNBOOK-005, a warning, not an error) where a shell command has a value written into it, at its line', async () => {
    const config = makeProject({'runbooks/promote.yaml': 'name: promote\ntitle: t\ndescription: d\nwhenToUse: w\nseverity: sev2\nenvs: [dev]\nparameters:\n  target: {type: string, description: t}\nsteps:\n  - name: promote\n    kind: shell\n    command: |\n      promote {{ params.target }}\nprose: p\n'})
    const run = await runCli(Validate, ['--config', config, '--no-cfn-lint', '--json'])
    expect(run.json.findings.filter((finding: {ruleId: string}) => finding.ruleId.startsWith('FT-RUNBOOK'))).toEqual([
      {file: 'runbooks/promote.yaml', line: 13, column: 1, ruleId: 'FT-RUNBOOK-005', severity: 'warning', message: `step promote: {{ params.target }} is written into the command; a value reaches a script only as an environment variable: move it to env (env: {VALUE: '{{ params.target }}'}) and read it as "$VALUE"`, source: 'fintech'},
    ])
  })
})
