import {
  DeleteStackCommand,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackEventsCommand,
  DescribeStackResourceDriftsCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation'
import {beforeEach, describe, expect, it} from 'vitest'
import Destroy from '../../src/commands/destroy.js'
import Status from '../../src/commands/status.js'
import {cfn, notFound, resetAws, stack, stackId} from '../helpers/aws-mocks.js'
import {DATA_TEMPLATE, VPC_TEMPLATE, makeProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'

const NETWORK = 'fintech-dev-network'
const DATA = 'fintech-dev-data'

let audit: ReturnType<typeof resetAws>
beforeEach(() => {
  audit = resetAws()
})

describe('fintech status', () => {
  it('shows each stack of the env with status, last update and drift', async () => {
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).resolves(
      stack(NETWORK, 'UPDATE_COMPLETE', {LastUpdatedTime: new Date('2026-11-20T10:00:00Z'), DriftInformation: {StackDriftStatus: 'IN_SYNC'}, EnableTerminationProtection: true}),
    )
    cfn.on(DescribeStacksCommand, {StackName: DATA}).rejects(notFound(DATA))

    const run = await runCli(Status, ['--env', 'dev', '--config', makeProject(), '--json'])

    expect(run.exitCode).toBe(0)
    expect(run.json.envs[0].stages).toEqual([
      {name: 'network', stacks: [{id: 'vpc', stackName: NETWORK, region: 'eu-west-1', status: 'UPDATE_COMPLETE', lastUpdated: '2026-11-20T10:00:00.000Z', drift: 'IN_SYNC', terminationProtection: true}]},
      {name: 'data', stacks: [{id: 'db', stackName: DATA, region: 'eu-west-1', status: 'NOT_DEPLOYED', drift: '-', terminationProtection: false}]},
    ])
  })

  it('--drift runs drift detection and lists drifted resources', async () => {
    cfn.on(DescribeStacksCommand).resolves(stack(NETWORK, 'CREATE_COMPLETE'))
    cfn.on(DetectStackDriftCommand).resolves({StackDriftDetectionId: 'd-1'})
    cfn.on(DescribeStackDriftDetectionStatusCommand)
      .resolvesOnce({StackId: 's', StackDriftDetectionId: 'd-1', DetectionStatus: 'DETECTION_IN_PROGRESS', Timestamp: new Date()})
      .resolves({StackId: 's', StackDriftDetectionId: 'd-1', DetectionStatus: 'DETECTION_COMPLETE', StackDriftStatus: 'DRIFTED', Timestamp: new Date()})
    cfn.on(DescribeStackResourceDriftsCommand).resolves({
      StackResourceDrifts: [
        {
          StackId: 's', LogicalResourceId: 'Vpc', ResourceType: 'AWS::EC2::VPC', StackResourceDriftStatus: 'MODIFIED', Timestamp: new Date(),
          PropertyDifferences: [{PropertyPath: '/EnableDnsSupport', ExpectedValue: 'true', ActualValue: 'false', DifferenceType: 'NOT_EQUAL'}],
        },
      ],
    })

    const run = await runCli(Status, ['--env', 'dev', '--config', makeProject(), '--drift'])

    expect(run.exitCode).toBe(0)
    expect(cfn.commandCalls(DescribeStackResourceDriftsCommand)[0]!.args[0].input.StackResourceDriftStatusFilters).toEqual(['MODIFIED', 'DELETED'])
    expect(run.stdout).toContain('Vpc (AWS::EC2::VPC) MODIFIED')
    expect(run.stdout).toContain('/EnableDnsSupport: NOT_EQUAL (expected true, actual false)')
  })
})

describe('fintech destroy', () => {
  const deployed = () => {
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).resolves(stack(NETWORK, 'CREATE_COMPLETE'))
    cfn.on(DescribeStacksCommand, {StackName: DATA}).resolves(stack(DATA, 'CREATE_COMPLETE'))
    cfn.on(DescribeStacksCommand, {StackName: stackId(NETWORK)}).resolves(stack(NETWORK, 'DELETE_COMPLETE'))
    cfn.on(DescribeStacksCommand, {StackName: stackId(DATA)}).resolves(stack(DATA, 'DELETE_COMPLETE'))
    cfn.on(DescribeStackEventsCommand).resolves({StackEvents: []})
    cfn.on(GetTemplateCommand, {StackName: stackId(NETWORK)}).resolves({TemplateBody: VPC_TEMPLATE})
    cfn.on(GetTemplateCommand, {StackName: stackId(DATA)}).resolves({TemplateBody: DATA_TEMPLATE})
  }

  it('deletes the last stage first, reports what DeletionPolicy keeps, and audits each deletion', async () => {
    deployed()
    const run = await runCli(Destroy, ['--stage', 'all', '--env', 'dev', '--config', makeProject(), '--yes', '--json'])

    expect(run.exitCode).toBe(0)
    expect(cfn.commandCalls(DeleteStackCommand).map((call) => call.args[0].input.StackName)).toEqual([stackId(DATA), stackId(NETWORK)])
    expect(run.json.stacks.map((entry: {stackName: string; outcome: string; kept: string[]}) => [entry.stackName, entry.outcome, entry.kept])).toEqual([
      [DATA, 'deleted', ['Sessions (AWS::DynamoDB::Table, Retain)']],
      [NETWORK, 'deleted', []],
    ])
    expect(audit.auditLines().map((line) => [line.stack, line.action, line.result])).toEqual([
      [DATA, 'delete-stack', 'ok'],
      [NETWORK, 'delete-stack', 'ok'],
    ])
  })

  it('is refused for a protected env, without any AWS call', async () => {
    const run = await runCli(Destroy, ['--stage', 'all', '--env', 'prod', '--config', makeProject(), '--yes'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('prod is a protected environment')
    expect(cfn.calls()).toHaveLength(0)
  })

  it('needs --yes without a terminal', async () => {
    deployed()
    const run = await runCli(Destroy, ['--stage', 'all', '--env', 'dev', '--config', makeProject()])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('re-run with --yes')
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0)
  })

  it('refuses a stage while a later stage is still deployed', async () => {
    deployed()
    const run = await runCli(Destroy, ['--stage', 'network', '--env', 'dev', '--config', makeProject(), '--yes'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('later stages are still deployed in dev: fintech-dev-data')
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0)
  })

  it('judges data loss on the deployed template: a Retain added only locally protects nothing', async () => {
    deployed()
    cfn.on(GetTemplateCommand, {StackName: stackId(DATA)}).resolves({TemplateBody: DATA_TEMPLATE.replace('    DeletionPolicy: Retain\n', '')})
    const config = makeProject()

    const refused = await runCli(Destroy, ['--stage', 'all', '--env', 'dev', '--config', config, '--yes'])
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toContain('fintech-dev-data: Sessions (AWS::DynamoDB::Table)')
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0)

    const allowed = await runCli(Destroy, ['--stage', 'all', '--env', 'dev', '--config', config, '--yes', '--allow-data-loss'])
    expect(allowed.exitCode).toBe(0)
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(2)
  })

  it('--dry-run lists the stacks it would delete and deletes nothing', async () => {
    deployed()
    const run = await runCli(Destroy, ['--stage', 'all', '--env', 'dev', '--config', makeProject(), '--dry-run', '--json'])
    expect(run.exitCode).toBe(0)
    expect(run.json.stacks.map((entry: {outcome: string}) => entry.outcome)).toEqual(['planned', 'planned'])
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0)
  })

  it('never deletes a stack with termination protection, and stops there', async () => {
    deployed()
    cfn.on(DescribeStacksCommand, {StackName: DATA}).resolves(stack(DATA, 'CREATE_COMPLETE', {EnableTerminationProtection: true}))
    const run = await runCli(Destroy, ['--stage', 'all', '--env', 'dev', '--config', makeProject(), '--yes', '--json'])
    expect(run.exitCode).toBe(1)
    expect(run.json.stacks.map((entry: {outcome: string}) => entry.outcome)).toEqual(['failed', 'skipped'])
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0)
  })
})
