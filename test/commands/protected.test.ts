/**
 * "Protected" has one meaning: config/schema.ts resolves it once, and an env named prod (or
 * production) is protected even when its config leaves the flag out. Each mutating command is
 * run here against such a prod, with no terminal and no --yes: each refuses before its change.
 */
import {
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetStackPolicyCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation'
import {CostExplorerClient, ListCostAllocationTagsCommand, UpdateCostAllocationTagsStatusCommand} from '@aws-sdk/client-cost-explorer'
import {DescribeServicesCommand, ECSClient, UpdateServiceCommand} from '@aws-sdk/client-ecs'
import {mockClient} from 'aws-sdk-client-mock'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeEach, describe, expect, it} from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Destroy from '../../src/commands/destroy.js'
import RunbookRun from '../../src/commands/runbook/run.js'
import ShutdownStart from '../../src/commands/shutdown/start.js'
import ShutdownStop from '../../src/commands/shutdown/stop.js'
import TagsActivate from '../../src/commands/tags/activate.js'
import TagsFix from '../../src/commands/tags/fix.js'
import {loadConfig} from '../../src/core/config/load.js'
import {cfn, resetAws, s3, stack, sts} from '../helpers/aws-mocks.js'
import {CONFIG, DATA_TEMPLATE, makeProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'
import {withTerminalTyping} from '../helpers/terminal.js'

const PROD_ACCOUNT = '333333333333'
/** The test project's config with prod's `protected: true` left out. */
const UNFLAGGED = CONFIG.replace(/(  prod:\n(?:    .*\n)*?)    protected: true\n/, '$1')

const ce = mockClient(CostExplorerClient)
const ecs = mockClient(ECSClient)
afterAll(() => {
  ce.restore()
  ecs.restore()
})

let audit: ReturnType<typeof resetAws>
beforeEach(() => {
  audit = resetAws(PROD_ACCOUNT)
  ce.reset()
  ecs.reset()
  process.env.FINTECH_RUNS_DIR = mkdtempSync(join(tmpdir(), 'fintech-runs-'))
})

const project = (files: Record<string, string> = {}) => makeProject({'fintech.config.yaml': UNFLAGGED, ...files})

describe('the config decides "protected" once', () => {
  it('an env named prod or production is protected without the flag; others are not', () => {
    expect(UNFLAGGED).not.toMatch(/prod:\n(?: {4}.*\n)*? {4}protected/)
    const withProduction = UNFLAGGED.replace('stages:', `  production:\n    account: "555555555555"\n    region: eu-west-1\n    tags: {Environment: production, CostCenter: CC-1, Owner: platform, Service: ledger, DataClassification: restricted}\nstages:`)
    const {config} = loadConfig(project({'fintech.config.yaml': withProduction}))
    expect(Object.fromEntries(Object.entries(config.environments).map(([name, env]) => [name, env.protected]))).toEqual({dev: false, prod: true, production: true})
  })

  it('refuses "protected: false" on prod, naming the file and line', () => {
    const file = project({'fintech.config.yaml': CONFIG.replace(/(  prod:\n(?:    .*\n)*?    protected: )true/, '$1false')})
    expect(() => loadConfig(file)).toThrow(/fintech\.config\.yaml:12: environments\.prod\.protected: an environment named prod is always protected; remove "protected: false"/)
  })

  it('refuses a shutdown schedule on prod even without the flag', () => {
    const scheduled = UNFLAGGED.replace('    parameterFile: params/prod.yaml\n', '    parameterFile: params/prod.yaml\n    schedule: {timezone: Europe/London, stop: "20:00", start: "07:00"}\n')
    expect(() => loadConfig(project({'fintech.config.yaml': scheduled}))).toThrow(/environments\.prod\.schedule: a protected environment is never shut down/)
  })
})

describe('every mutating command treats an unflagged prod as protected', () => {
  it('deploy: the change set needs approval and is deleted unexecuted without it', async () => {
    const PROD = 'fintech-prod-data'
    cfn.on(DescribeStacksCommand, {StackName: 'fintech-prod-network'}).resolves(stack('fintech-prod-network', 'CREATE_COMPLETE', {Outputs: [{OutputKey: 'VpcId', OutputValue: 'vpc-9'}]}))
    cfn.on(DescribeStacksCommand, {StackName: PROD}).resolves(stack(PROD, 'UPDATE_COMPLETE'))
    cfn.on(GetTemplateCommand).resolves({TemplateBody: DATA_TEMPLATE})
    cfn.on(DescribeStackEventsCommand).resolves({StackEvents: []})
    cfn.on(GetStackPolicyCommand).resolves({})
    cfn.on(CreateChangeSetCommand).resolves({Id: 'arn:changeset/prod', StackId: 'arn:stack/prod'})
    cfn.on(DescribeChangeSetCommand).resolves({
      Status: 'CREATE_COMPLETE',
      ExecutionStatus: 'AVAILABLE',
      CreationTime: new Date(),
      Changes: [{Type: 'Resource', ResourceChange: {Action: 'Modify', LogicalResourceId: 'Sessions', ResourceType: 'AWS::DynamoDB::Table', Replacement: 'False', Scope: ['Tags'], Details: []}}],
    })
    const run = await runCli(Deploy, ['--stage', 'data', '--env', 'prod', '--config', project()])
    expect(run.exitCode).toBe(2)
    expect(run.stdout).toContain('prod is a protected environment')
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0)
    expect(cfn.commandCalls(DeleteChangeSetCommand)).toHaveLength(1)
  })

  it('destroy: refused before any AWS call', async () => {
    const run = await runCli(Destroy, ['--stage', 'all', '--env', 'prod', '--config', project(), '--yes'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('prod is a protected environment: fintech never destroys it')
    expect(sts.calls()).toHaveLength(0)
    expect(cfn.calls()).toHaveLength(0)
  })

  it('tags fix: refused without a terminal before any AWS call', async () => {
    const run = await runCli(TagsFix, ['--env', 'prod', '--region', 'eu-west-1', '--config', project()])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('tags fix needs confirmation (prod is protected) and there is no terminal to ask: review with --dry-run, then re-run with --yes; nothing was changed')
    expect(sts.calls()).toHaveLength(0)
  })

  it('shutdown stop and start: refused before any AWS call', async () => {
    for (const command of [ShutdownStop, ShutdownStart]) {
      const run = await runCli(command, ['--env', 'prod', '--config', project()])
      expect(run.exitCode).toBe(2)
      expect(run.stderr).toMatch(/prod is a protected environment \(\S+fintech\.config\.yaml line 9\): fintech shutdown never acts on it/)
    }
    expect(sts.calls()).toHaveLength(0)
    expect(s3.calls()).toHaveLength(0)
  })

  it('runbook run: the first change needs the env name typed at a terminal; --yes does not apply', async () => {
    const runbook = `name: scale-down
title: Scale the ledger down
description: Sets the ledger's desired count.
whenToUse: Tests.
severity: routine
envs: [dev, prod]
parameters:
  service: {type: string, description: The service.}
steps:
  - name: current
    kind: aws
    service: ecs
    api: DescribeServices
    parameters: {cluster: ledger, services: ['{{ params.service }}']}
  - name: desired-count
    kind: aws
    service: ecs
    api: UpdateService
    parameters: {cluster: ledger, service: '{{ params.service }}', desiredCount: 1}
prose: |
  Scales down.
`
    ecs.on(DescribeServicesCommand).resolves({services: [{serviceName: 'ledger', desiredCount: 2}]})
    ecs.on(UpdateServiceCommand).resolves({service: {serviceName: 'ledger'}})
    const run = await runCli(RunbookRun, ['scale-down', '--env', 'prod', '--config', project({'runbooks/scale-down.yaml': runbook}), '-p', 'service=ledger', '--yes', '--json'])
    expect(run.exitCode).toBe(2)
    expect(run.json.run.steps['desired-count'].detail).toBe("not approved: prod is protected: step desired-count needs the env's name typed at a terminal (--yes does not apply there)")
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0)
  })
})

describe('tags activate in a protected env', () => {
  beforeEach(() => {
    ce.on(ListCostAllocationTagsCommand).resolves({CostAllocationTags: [{TagKey: 'Owner', Type: 'UserDefined', Status: 'Inactive'}]})
    ce.on(UpdateCostAllocationTagsStatusCommand).resolves({Errors: []})
  })

  it('is refused without a terminal or --yes, before any AWS call', async () => {
    const run = await runCli(TagsActivate, ['--env', 'prod', '--config', project()])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('tags activate needs confirmation (prod is protected) and there is no terminal to ask: review with --dry-run, then re-run with --yes; nothing was changed')
    expect(sts.calls()).toHaveLength(0)
    expect(ce.calls()).toHaveLength(0)
  })

  it('asks at a terminal for the env name: a wrong answer activates nothing, the right one activates', async () => {
    const refused = await withTerminalTyping('yes', () => runCli(TagsActivate, ['--env', 'prod', '--config', project()]))
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toContain('This activates Owner as cost-allocation tags in prod (account 333333333333). Type "prod" to confirm:')
    expect(refused.stderr).toContain('not confirmed; no cost-allocation tag was activated')
    expect(ce.commandCalls(UpdateCostAllocationTagsStatusCommand)).toHaveLength(0)
    expect(audit.auditLines()).toEqual([])

    const confirmed = await withTerminalTyping('prod', () => runCli(TagsActivate, ['--env', 'prod', '--config', project(), '--json']))
    expect(confirmed.exitCode).toBe(0)
    expect(ce.commandCalls(UpdateCostAllocationTagsStatusCommand).map((call) => call.args[0].input)).toEqual([{CostAllocationTagsStatus: [{TagKey: 'Owner', Status: 'Active'}]}])
    expect(audit.auditLines().map((line) => [line.env, line.action, line.result])).toEqual([['prod', 'tags-activate', 'ok']])
  })

  it('goes ahead with --yes, and asks nothing in a dry run', async () => {
    const dry = await runCli(TagsActivate, ['--env', 'prod', '--config', project(), '--dry-run', '--json'])
    expect(dry.exitCode).toBe(0)
    expect(ce.commandCalls(UpdateCostAllocationTagsStatusCommand)).toHaveLength(0)
    const approved = await runCli(TagsActivate, ['--env', 'prod', '--config', project(), '--yes', '--json'])
    expect(approved.exitCode).toBe(0)
    expect(ce.commandCalls(UpdateCostAllocationTagsStatusCommand)).toHaveLength(1)
  })
})
