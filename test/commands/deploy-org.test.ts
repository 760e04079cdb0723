/**
 * `fintech deploy --stage foundation --org` and `fintech status --org` against a mocked
 * CloudFormation client (the real src/aws/stacksets.ts adapter): the exact StackSet requests,
 * the operation ids, what --dry-run and the account guard leave unsent, the per-account
 * summary and the exit codes. moto 5.2.1 ignores OperationId, OperationPreferences, CallAs and
 * AutoDeployment and completes every operation at once (test/integration/org.test.ts), so
 * those are checked here.
 */
import {
  CreateStackInstancesCommand,
  CreateStackSetCommand,
  DescribeStackSetCommand,
  DescribeStackSetOperationCommand,
  ListStackInstancesCommand,
  ListStackSetOperationResultsCommand,
  ListStackSetOperationsCommand,
  StopStackSetOperationCommand,
  UpdateStackSetCommand,
} from '@aws-sdk/client-cloudformation'
import {beforeEach, describe, expect, it} from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Status from '../../src/commands/status.js'
import {cfn, resetAws, sts} from '../helpers/aws-mocks.js'
import {BASELINE_TEMPLATE, DEV_TAGS, orgProject} from '../helpers/org-project.js'
import {makeProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'

/** A row of a cli-table3 table, cell by cell. */
const row = (...cells: string[]) => new RegExp(cells.map((cell) => cell.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s*│\\s*'))

const notFound = (name: string) => Object.assign(new Error(`StackSet ${name} not found`), {name: 'StackSetNotFoundException'})
const mutatingCalls = () => [
  ...cfn.commandCalls(CreateStackSetCommand),
  ...cfn.commandCalls(UpdateStackSetCommand),
  ...cfn.commandCalls(CreateStackInstancesCommand),
  ...cfn.commandCalls(StopStackSetOperationCommand),
]
const inputsOf = (command: typeof CreateStackSetCommand | typeof UpdateStackSetCommand | typeof CreateStackInstancesCommand): any[] =>
  cfn.commandCalls(command as typeof CreateStackSetCommand).map((call) => call.args[0].input)

/** Both StackSets absent; each operation runs once, then ends with the given per-account results. */
function freshOrganization(results: Record<string, {status: string; accounts: Array<{Account: string; Region: string; Status: string; StatusReason?: string}>}>) {
  cfn.on(DescribeStackSetCommand).callsFake((input) => Promise.reject(notFound(input.StackSetName)))
  cfn.on(CreateStackSetCommand).callsFake((input) => Promise.resolve({StackSetId: `${input.StackSetName}:1`}))
  cfn.on(CreateStackInstancesCommand).callsFake((input) => Promise.resolve({OperationId: input.OperationId}))
  const polled = new Map<string, number>()
  cfn.on(DescribeStackSetOperationCommand).callsFake((input) => {
    const times = (polled.get(input.OperationId) ?? 0) + 1
    polled.set(input.OperationId, times)
    const status = times === 1 ? 'RUNNING' : results[input.StackSetName]!.status
    return Promise.resolve({StackSetOperation: {OperationId: input.OperationId, Status: status}})
  })
  cfn.on(ListStackSetOperationResultsCommand).callsFake((input) => {
    const accounts = results[input.StackSetName]!.accounts
    const done = (polled.get(input.OperationId) ?? 0) > 1
    return Promise.resolve({Summaries: accounts.map((account) => (done ? account : {...account, Status: 'RUNNING', StatusReason: undefined}))})
  })
}

const SUCCEEDED_EVERYWHERE = {
  'fintech-baseline-dev': {
    status: 'SUCCEEDED',
    accounts: [
      {Account: '111111111111', Region: 'eu-west-1', Status: 'SUCCEEDED'},
      {Account: '111111111111', Region: 'us-east-1', Status: 'SUCCEEDED'},
    ],
  },
  'fintech-baseline-prod': {status: 'SUCCEEDED', accounts: [{Account: '333333333333', Region: 'eu-west-1', Status: 'SUCCEEDED'}]},
}

let audit: ReturnType<typeof resetAws>
beforeEach(() => {
  audit = resetAws('444444444444')
})

describe('fintech deploy --stage foundation --org', () => {
  it('creates each service-managed StackSet and its instances in the OUs, with the config\'s preferences, as the management account', async () => {
    freshOrganization(SUCCEEDED_EVERYWHERE)

    const run = await runCli(Deploy, ['--stage', 'foundation', '--org', '--yes', '--config', orgProject(), '--json'])

    expect(run.exitCode, run.stderr).toBe(0)
    const [devSet, prodSet] = inputsOf(CreateStackSetCommand)
    expect(devSet).toEqual({
      StackSetName: 'fintech-baseline-dev',
      Description: 'fintech foundation baseline for the accounts of ou-ab12-dev00001 (dev values)',
      TemplateBody: BASELINE_TEMPLATE,
      Parameters: [
        {ParameterKey: 'EnvironmentName', ParameterValue: 'dev'},
        {ParameterKey: 'BudgetUsd', ParameterValue: '500'},
      ],
      Tags: DEV_TAGS,
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
      AutoDeployment: {Enabled: true, RetainStacksOnAccountRemoval: false},
      PermissionModel: 'SERVICE_MANAGED',
      CallAs: 'SELF',
      ClientRequestToken: expect.stringMatching(/^fintech-create-[0-9a-f]{40}$/),
    })
    expect(prodSet).toMatchObject({
      StackSetName: 'fintech-baseline-prod',
      Parameters: [
        {ParameterKey: 'EnvironmentName', ParameterValue: 'prod'},
        {ParameterKey: 'BudgetUsd', ParameterValue: '20000'},
      ],
      AutoDeployment: {Enabled: true, RetainStacksOnAccountRemoval: true},
    })
    expect(inputsOf(CreateStackInstancesCommand)).toEqual([
      {
        StackSetName: 'fintech-baseline-dev',
        DeploymentTargets: {OrganizationalUnitIds: ['ou-ab12-dev00001']},
        Regions: ['eu-west-1', 'us-east-1'],
        OperationPreferences: {MaxConcurrentPercentage: 50, FailureTolerancePercentage: 10, RegionConcurrencyType: 'SEQUENTIAL', RegionOrder: ['eu-west-1', 'us-east-1']},
        OperationId: expect.stringMatching(/^fintech-instances-[0-9a-f]{40}$/),
        CallAs: 'SELF',
      },
      {
        StackSetName: 'fintech-baseline-prod',
        DeploymentTargets: {OrganizationalUnitIds: ['ou-ab12-prod0001', 'ou-ab12-prod0002']},
        Regions: ['eu-west-1'],
        OperationPreferences: {MaxConcurrentPercentage: 10, FailureTolerancePercentage: 0, RegionConcurrencyType: 'SEQUENTIAL', RegionOrder: ['eu-west-1']},
        OperationId: expect.stringMatching(/^fintech-instances-[0-9a-f]{40}$/),
        CallAs: 'SELF',
      },
    ])
    // Every read is made as the administrator too.
    expect(cfn.commandCalls(DescribeStackSetOperationCommand).every((call) => call.args[0].input.CallAs === 'SELF')).toBe(true)
    expect(run.json.runs.map((stackSet: any) => [stackSet.name, stackSet.steps.map((step: any) => step.outcome)])).toEqual([
      ['fintech-baseline-dev', ['created', 'succeeded']],
      ['fintech-baseline-prod', ['created', 'succeeded']],
    ])
    expect(run.json.approval).toBe('approved')
    expect(run.stderr).toMatch(/fintech-baseline-dev 111111111111 us-east-1 RUNNING\n/)
    expect(run.stderr).toMatch(/fintech-baseline-dev 111111111111 us-east-1 SUCCEEDED\n/)
    expect(audit.auditLines().map((line) => [line.env, line.action, line.stack, line.result, line.caller])).toEqual([
      ['management', 'CreateStackSet', 'fintech-baseline-dev', 'ok', 'arn:aws:sts::444444444444:assumed-role/platform/alice'],
      ['management', 'CreateStackInstances', 'fintech-baseline-dev', 'ok', 'arn:aws:sts::444444444444:assumed-role/platform/alice'],
      ['management', 'CreateStackSet', 'fintech-baseline-prod', 'ok', 'arn:aws:sts::444444444444:assumed-role/platform/alice'],
      ['management', 'CreateStackInstances', 'fintech-baseline-prod', 'ok', 'arn:aws:sts::444444444444:assumed-role/platform/alice'],
    ])
    expect(audit.auditLines()[1].detail).toBe('ou-ab12-dev00001 in eu-west-1, us-east-1: SUCCEEDED 2 succeeded, 0 failed, 0 cancelled of 2 account-regions')
  })

  it('sends the same OperationId and ClientRequestToken when the same plan is sent again, and a new one once the StackSet has a newer operation', async () => {
    const ids = async (lastOperation?: string) => {
      resetAws('444444444444')
      freshOrganization(SUCCEEDED_EVERYWHERE)
      if (lastOperation) {
        // The StackSet exists with no instance yet, and an ended operation behind it.
        cfn.on(DescribeStackSetCommand, {StackSetName: 'fintech-baseline-dev'}).resolves({StackSet: {StackSetName: 'fintech-baseline-dev', Status: 'ACTIVE', PermissionModel: 'SERVICE_MANAGED', TemplateBody: BASELINE_TEMPLATE, Parameters: [{ParameterKey: 'EnvironmentName', ParameterValue: 'dev'}, {ParameterKey: 'BudgetUsd', ParameterValue: '500'}], Tags: DEV_TAGS, AutoDeployment: {Enabled: true, RetainStacksOnAccountRemoval: false}}})
        cfn.on(ListStackInstancesCommand).resolves({Summaries: []})
        cfn.on(ListStackSetOperationsCommand).resolves({Summaries: [{OperationId: 'op-older', Action: 'CREATE', Status: 'SUCCEEDED', CreationTimestamp: new Date('2026-11-01T00:00:00Z')}, {OperationId: lastOperation, Action: 'CREATE', Status: 'FAILED', CreationTimestamp: new Date('2026-12-01T00:00:00Z')}]})
      }
      const run = await runCli(Deploy, ['--stage', 'foundation', '--org', '--yes', '--config', orgProject(), '--json'])
      expect(run.exitCode, run.stderr).toBe(0)
      return {tokens: inputsOf(CreateStackSetCommand).map((input) => input.ClientRequestToken), operations: inputsOf(CreateStackInstancesCommand).map((input) => input.OperationId)}
    }
    const first = await ids()
    const again = await ids()
    expect(again).toEqual(first)
    expect(new Set(first.operations).size).toBe(2)

    const afterFailed = await ids('op-earlier-1')
    const afterFailedAgain = await ids('op-earlier-1')
    const afterAnother = await ids('op-earlier-2')
    expect(afterFailed.operations).toEqual(afterFailedAgain.operations)
    expect(afterAnother.operations[0]).not.toBe(afterFailed.operations[0])
  })

  it('follows the operation it already sent when CloudFormation answers that the OperationId exists', async () => {
    freshOrganization(SUCCEEDED_EVERYWHERE)
    cfn.on(CreateStackInstancesCommand).rejects(Object.assign(new Error('The specified operation ID already exists'), {name: 'OperationIdAlreadyExistsException'}))

    const run = await runCli(Deploy, ['--stage', 'foundation', '--org', '--yes', '--config', orgProject(), '--json'])

    expect(run.exitCode, run.stderr).toBe(0)
    const sent = inputsOf(CreateStackInstancesCommand).map((input) => input.OperationId)
    const followed = [...new Set(cfn.commandCalls(DescribeStackSetOperationCommand).map((call) => call.args[0].input.OperationId))]
    expect(followed).toEqual(sent)
  })

  it('updates an existing StackSet where it has instances, creates the OU it misses, and shows the parameter change before', async () => {
    freshOrganization(SUCCEEDED_EVERYWHERE)
    cfn.on(DescribeStackSetCommand, {StackSetName: 'fintech-baseline-prod'}).resolves({
      StackSet: {
        StackSetName: 'fintech-baseline-prod',
        Status: 'ACTIVE',
        PermissionModel: 'SERVICE_MANAGED',
        TemplateBody: BASELINE_TEMPLATE,
        Parameters: [{ParameterKey: 'EnvironmentName', ParameterValue: 'prod'}, {ParameterKey: 'BudgetUsd', ParameterValue: '15000'}],
        Tags: DEV_TAGS.map((tag) => (tag.Key === 'Environment' ? {...tag, Value: 'prod'} : tag.Key === 'DataClassification' ? {...tag, Value: 'restricted'} : tag)),
        AutoDeployment: {Enabled: true, RetainStacksOnAccountRemoval: true},
      },
    })
    // Two pages: every page is read.
    cfn.on(ListStackInstancesCommand, {StackSetName: 'fintech-baseline-prod', NextToken: undefined}).resolves({
      Summaries: [{Account: '333333333333', Region: 'eu-west-1', OrganizationalUnitId: 'ou-ab12-prod0001', Status: 'CURRENT'}],
      NextToken: 'page-2',
    })
    cfn.on(ListStackInstancesCommand, {StackSetName: 'fintech-baseline-prod', NextToken: 'page-2'}).resolves({
      Summaries: [{Account: '555555555555', Region: 'us-west-2', OrganizationalUnitId: 'ou-ab12-old00001', Status: 'CURRENT'}],
    })
    cfn.on(ListStackSetOperationsCommand).resolves({Summaries: [{OperationId: 'op-1', Action: 'CREATE', Status: 'SUCCEEDED'}]})
    cfn.on(UpdateStackSetCommand).callsFake((input) => Promise.resolve({OperationId: input.OperationId}))
    const config = orgProject()

    const dryRun = await runCli(Deploy, ['--stage', 'foundation', '--org', '--dry-run', '--config', config])

    expect(dryRun.exitCode, dryRun.stderr).toBe(0)
    expect(mutatingCalls()).toEqual([])
    expect(dryRun.stdout).toContain('StackSet fintech-baseline-prod (stage foundation, prod values, administered from management): 2 stack instances')
    expect(dryRun.stdout).toContain('  parameter BudgetUsd: 15000 -> 20000')
    expect(dryRun.stdout).toContain('  left alone (not in the config): 555555555555 us-west-2 ou-ab12-old00001')
    expect(dryRun.stdout).toMatch(/ {2}update the StackSet for ou-ab12-prod0001 in eu-west-1 \(operation fintech-update-[0-9a-f]{40}\)/)
    expect(dryRun.stdout).toMatch(/ {2}create stack instances for ou-ab12-prod0002 in eu-west-1 \(operation fintech-instances-[0-9a-f]{40}\)/)
    expect(dryRun.stdout).toContain('Dry run: nothing was changed.')
    expect(audit.auditLines()).toEqual([])

    const run = await runCli(Deploy, ['--stage', 'foundation', '--org', '--yes', '--config', config, '--json'])

    expect(run.exitCode, run.stderr).toBe(0)
    expect(inputsOf(UpdateStackSetCommand)).toEqual([
      expect.objectContaining({
        StackSetName: 'fintech-baseline-prod',
        Parameters: [{ParameterKey: 'EnvironmentName', ParameterValue: 'prod'}, {ParameterKey: 'BudgetUsd', ParameterValue: '20000'}],
        DeploymentTargets: {OrganizationalUnitIds: ['ou-ab12-prod0001']},
        Regions: ['eu-west-1'],
        OperationPreferences: {MaxConcurrentPercentage: 10, FailureTolerancePercentage: 0, RegionConcurrencyType: 'SEQUENTIAL', RegionOrder: ['eu-west-1']},
        OperationId: expect.stringMatching(/^fintech-update-[0-9a-f]{40}$/),
        CallAs: 'SELF',
      }),
    ])
    expect(inputsOf(CreateStackInstancesCommand).filter((input) => input.StackSetName === 'fintech-baseline-prod')).toEqual([
      expect.objectContaining({DeploymentTargets: {OrganizationalUnitIds: ['ou-ab12-prod0002']}, Regions: ['eu-west-1']}),
    ])
    // The update was planned in the dry run under the same id.
    expect(dryRun.stdout).toContain(inputsOf(UpdateStackSetCommand)[0]!.OperationId)
  })

  it('refuses credentials of another account before any CloudFormation call', async () => {
    sts.reset()
    const {GetCallerIdentityCommand} = await import('@aws-sdk/client-sts')
    sts.on(GetCallerIdentityCommand).resolves({Account: '111111111111', Arn: 'arn:aws:sts::111111111111:assumed-role/platform/alice'})

    const run = await runCli(Deploy, ['--stage', 'foundation', '--org', '--yes', '--config', orgProject()])

    expect(run.exitCode).toBe(2)
    expect(run.stderr.replace(/\s+/g, ' ')).toContain('refusing to act on management: the credentials are for account 111111111111')
    expect(cfn.calls()).toEqual([])
    expect(audit.auditLines()).toEqual([])
  })

  it('asks for approval of the protected management env: without a terminal or --yes it changes nothing (exit 2)', async () => {
    freshOrganization(SUCCEEDED_EVERYWHERE)

    const run = await runCli(Deploy, ['--stage', 'foundation', '--org', '--config', orgProject()])

    expect(run.exitCode).toBe(2)
    expect(run.stderr.replace(/\s+/g, ' ')).toContain('deploy needs confirmation (the StackSet changes reach management, which is protected) and there is no terminal to ask: review with --dry-run, then re-run with --yes; nothing was changed')
    expect(mutatingCalls()).toEqual([])
  })

  it('stops at an account that fails beyond the tolerance: per-account summary, exit 3, later StackSets not started', async () => {
    freshOrganization({
      ...SUCCEEDED_EVERYWHERE,
      'fintech-baseline-dev': {
        status: 'FAILED',
        accounts: [
          {Account: '111111111111', Region: 'eu-west-1', Status: 'SUCCEEDED'},
          {Account: '121212121212', Region: 'eu-west-1', Status: 'FAILED', StatusReason: 'ResourceLogicalId:Topic, ResourceType:AWS::SNS::Topic, ResourceStatusReason:Topic already exists.'},
          {Account: '131313131313', Region: 'eu-west-1', Status: 'CANCELLED', StatusReason: 'Cancelled since failure tolerance has exceeded'},
        ],
      },
    })

    const run = await runCli(Deploy, ['--stage', 'foundation', '--org', '--yes', '--config', orgProject()])

    expect(run.exitCode).toBe(3)
    expect(run.stdout).toContain('Failed in 1 account-region: fintech-baseline-dev 121212121212 eu-west-1')
    expect(run.stdout).toMatch(row('fintech-baseline-dev', 'create-instances', 'failed', '121212121212', 'eu-west-1', 'FAILED', 'ResourceLogicalId:Topic'))
    expect(run.stdout).toMatch(row('fintech-baseline-prod', 'create-stack-set', 'not-started'))
    expect(inputsOf(CreateStackSetCommand).map((input) => input.StackSetName)).toEqual(['fintech-baseline-dev'])
    expect(audit.auditLines().map((line) => [line.action, line.stack, line.result])).toEqual([
      ['CreateStackSet', 'fintech-baseline-dev', 'ok'],
      ['CreateStackInstances', 'fintech-baseline-dev', 'failed'],
    ])
  })

  it('changes nothing while an operation of the StackSet is still running (exit 1)', async () => {
    freshOrganization(SUCCEEDED_EVERYWHERE)
    cfn.on(DescribeStackSetCommand, {StackSetName: 'fintech-baseline-dev'}).resolves({StackSet: {StackSetName: 'fintech-baseline-dev', Status: 'ACTIVE', PermissionModel: 'SERVICE_MANAGED', TemplateBody: 'old'}})
    cfn.on(ListStackInstancesCommand).resolves({Summaries: []})
    cfn.on(ListStackSetOperationsCommand).resolves({Summaries: [{OperationId: 'op-8', Action: 'UPDATE', Status: 'SUCCEEDED', CreationTimestamp: new Date('2026-12-02T00:00:00Z')}, {OperationId: 'op-7', Action: 'UPDATE', Status: 'RUNNING', CreationTimestamp: new Date('2026-12-01T00:00:00Z')}]})

    const run = await runCli(Deploy, ['--stage', 'foundation', '--org', '--yes', '--config', orgProject()])

    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain('refused: operation op-7 (UPDATE) is RUNNING on StackSet fintech-baseline-dev: wait for it to end (fintech status --org) and run again')
    expect(mutatingCalls()).toEqual([])
  })

  it('sends nothing when the config has no StackSet for the stage, or --env names another env', async () => {
    const noOrg = await runCli(Deploy, ['--stage', 'foundation', '--org', '--config', makeProject()])
    expect(noOrg.exitCode).toBe(2)
    expect(noOrg.stderr).toContain('has no organization.stackSets')

    const otherEnv = await runCli(Deploy, ['--stage', 'foundation', '--org', '--env', 'dev', '--config', orgProject()])
    expect(otherEnv.exitCode).toBe(2)
    expect(otherEnv.stderr.replace(/\s+/g, ' ')).toContain('--env dev --org: the StackSets are administered from management')
    expect(cfn.calls()).toEqual([])
    expect(sts.calls()).toEqual([])
  })
})

describe('fintech status --org', () => {
  it('lists every stack instance per account and region with the last drift verdict, as the administrator', async () => {
    cfn.on(DescribeStackSetCommand, {StackSetName: 'fintech-baseline-dev'}).rejects(notFound('fintech-baseline-dev'))
    cfn.on(DescribeStackSetCommand, {StackSetName: 'fintech-baseline-prod'}).resolves({StackSet: {StackSetName: 'fintech-baseline-prod', Status: 'ACTIVE', PermissionModel: 'SERVICE_MANAGED'}})
    cfn.on(ListStackInstancesCommand, {NextToken: undefined}).resolves({
      Summaries: [
        {
          Account: '333333333333',
          Region: 'eu-west-1',
          OrganizationalUnitId: 'ou-ab12-prod0001',
          Status: 'CURRENT',
          StackInstanceStatus: {DetailedStatus: 'SUCCEEDED'},
          DriftStatus: 'DRIFTED',
          LastDriftCheckTimestamp: new Date('2026-12-01T08:00:00Z'),
        },
      ],
      NextToken: 'next',
    })
    cfn.on(ListStackInstancesCommand, {NextToken: 'next'}).resolves({
      Summaries: [{Account: '343434343434', Region: 'eu-west-1', OrganizationalUnitId: 'ou-ab12-prod0002', Status: 'OUTDATED', StackInstanceStatus: {DetailedStatus: 'FAILED'}, StatusReason: 'Account is suspended'}],
    })
    cfn.on(ListStackSetOperationsCommand, {NextToken: undefined}).resolves({Summaries: [{OperationId: 'op-3', Action: 'UPDATE', Status: 'FAILED', CreationTimestamp: new Date('2026-12-02T00:00:00Z')}], NextToken: 'older'})
    cfn.on(ListStackSetOperationsCommand, {NextToken: 'older'}).resolves({Summaries: [{OperationId: 'op-2', Action: 'CREATE', Status: 'SUCCEEDED', CreationTimestamp: new Date('2026-11-02T00:00:00Z')}]})

    const text = await runCli(Status, ['--org', '--config', orgProject()])
    const json = await runCli(Status, ['--org', '--config', orgProject(), '--json'])

    expect(text.exitCode, text.stderr).toBe(0)
    expect(text.stdout).toContain('StackSet fintech-baseline-dev (dev values, administered from management): not deployed')
    expect(text.stdout).toContain('StackSet fintech-baseline-prod (prod values, administered from management); last operation op-3 UPDATE FAILED')
    expect(text.stdout).toMatch(row('333333333333', 'eu-west-1', 'ou-ab12-prod0001', 'CURRENT', 'SUCCEEDED', '', 'DRIFTED', '2026-12-01T08:00:00.000Z'))
    expect(text.stdout).toMatch(row('343434343434', 'eu-west-1', 'ou-ab12-prod0002', 'OUTDATED', 'FAILED', 'Account is suspended', 'NOT_CHECKED', '-'))
    expect(json.json.stackSets[1].instances).toHaveLength(2)
    expect(cfn.commandCalls(ListStackInstancesCommand).every((call) => call.args[0].input.CallAs === 'SELF')).toBe(true)
    expect(mutatingCalls()).toEqual([])
  })

  it('refuses --drift with --org (it would start an operation on each StackSet)', async () => {
    const run = await runCli(Status, ['--org', '--drift', '--config', orgProject()])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('--org --drift')
    expect(cfn.calls()).toEqual([])
  })
})
