/**
 * The DR runbooks as the on-call engineer runs them: `region: recovery` sends every step's call
 * to the env's recovery region (only the account check and the parameters' stack outputs go to
 * the env's region), prod asks for the env name typed, and the report prints each step's budget.
 */
import {CloudFormationClient, DescribeStacksCommand} from '@aws-sdk/client-cloudformation'
import {CloudWatchClient, GetMetricStatisticsCommand} from '@aws-sdk/client-cloudwatch'
import {DescribeServicesCommand, ECSClient, UpdateServiceCommand} from '@aws-sdk/client-ecs'
import {DescribeTargetHealthCommand, ElasticLoadBalancingV2Client} from '@aws-sdk/client-elastic-load-balancing-v2'
import {DescribeDBClustersCommand, DescribeGlobalClustersCommand, RDSClient, SwitchoverGlobalClusterCommand} from '@aws-sdk/client-rds'
import {GetHealthCheckCommand, Route53Client, UpdateHealthCheckCommand} from '@aws-sdk/client-route-53'
import {GetCallerIdentityCommand, STSClient} from '@aws-sdk/client-sts'
import {mockClient} from 'aws-sdk-client-mock'
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {beforeEach, describe, expect, it} from 'vitest'
import RunbookExport from '../../src/commands/runbook/export.js'
import RunbookRun from '../../src/commands/runbook/run.js'
import RunbookShow from '../../src/commands/runbook/show.js'
import {runCli} from '../helpers/run-cli.js'
import {withTerminalTyping} from '../helpers/terminal.js'
import {isolateRunbookRuns} from '../helpers/runbook-fakes.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const PRIMARY_ARN = 'arn:aws:rds:eu-west-1:333333333333:cluster:fintech-prod-aurora'
const RECOVERY_ARN = 'arn:aws:rds:eu-west-2:333333333333:cluster:fintech-prod-aurora-recovery'

const mocks = {
  cfn: mockClient(CloudFormationClient),
  cloudwatch: mockClient(CloudWatchClient),
  ecs: mockClient(ECSClient),
  elbv2: mockClient(ElasticLoadBalancingV2Client),
  rds: mockClient(RDSClient),
  route53: mockClient(Route53Client),
  sts: mockClient(STSClient),
}

let sent: Array<{region: string; call: string; input: Record<string, any>}>

function answer(service: keyof typeof mocks, command: new (input: any) => unknown, name: string, respond: (input: any) => unknown) {
  ;(mocks[service] as any).on(command).callsFake(async (input: Record<string, any>, getClient: () => {config: {region: () => Promise<string>}}) => {
    sent.push({region: await getClient().config.region(), call: `${service}:${name}`, input})
    return respond(input)
  })
}

/** The repository's config with prod failing over to eu-west-2 (test has no recovery region), and the DR runbooks. */
function drProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fintech-dr-'))
  const shipped = readFileSync(join(ROOT, 'fintech.config.yaml'), 'utf8')
  const config = shipped.replace('    recovery:\n      region: us-east-1\n', '    recovery:\n      region: eu-west-2\n')
  if (config === shipped) throw new Error("fintech.config.yaml: prod's recovery region is no longer written as this test expects")
  writeFileSync(join(dir, 'fintech.config.yaml'), config)
  mkdirSync(join(dir, 'runbooks'))
  for (const name of ['dr-failover', 'dr-failover-unplanned', 'dr-failback']) writeFileSync(join(dir, 'runbooks', `${name}.yaml`), readFileSync(join(ROOT, 'runbooks', `${name}.yaml`), 'utf8'))
  return join(dir, 'fintech.config.yaml')
}

function platform() {
  let writer = PRIMARY_ARN
  answer('sts', GetCallerIdentityCommand, 'GetCallerIdentity', () => ({Account: '333333333333', Arn: 'arn:aws:sts::333333333333:assumed-role/oncall/alice'}))
  answer('cfn', DescribeStacksCommand, 'DescribeStacks', ({StackName}) => {
    const outputs: Record<string, Record<string, string>> = {
      'fintech-prod-compute': {PrimaryHealthCheckId: 'hc-primary'},
      'fintech-prod-data-recovery': {AuroraClusterId: 'fintech-prod-aurora-recovery'},
      'fintech-prod-compute-recovery': {ClusterName: 'fintech-prod-recovery', ServiceName: 'fintech-prod-ledger', TargetGroupArn: 'arn:tg-recovery'},
    }
    return {Stacks: [{StackName, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: Object.entries(outputs[StackName] ?? {}).map(([OutputKey, OutputValue]) => ({OutputKey, OutputValue}))}]}
  })
  answer('rds', DescribeGlobalClustersCommand, 'DescribeGlobalClusters', () => ({
    GlobalClusters: [{GlobalClusterIdentifier: 'fintech-prod-ledger-global', Status: 'available', GlobalClusterMembers: [PRIMARY_ARN, RECOVERY_ARN].map((arn) => ({DBClusterArn: arn, IsWriter: arn === writer}))}],
  }))
  answer('rds', DescribeDBClustersCommand, 'DescribeDBClusters', () => ({DBClusters: [{DBClusterArn: RECOVERY_ARN}]}))
  answer('rds', SwitchoverGlobalClusterCommand, 'SwitchoverGlobalCluster', () => {
    writer = RECOVERY_ARN
    return {GlobalCluster: {Status: 'switching-over'}}
  })
  answer('cloudwatch', GetMetricStatisticsCommand, 'GetMetricStatistics', () => ({Datapoints: [{Maximum: 300}]}))
  answer('ecs', UpdateServiceCommand, 'UpdateService', () => ({service: {desiredCount: 2}}))
  answer('ecs', DescribeServicesCommand, 'DescribeServices', () => ({services: [{runningCount: 2}]}))
  answer('elbv2', DescribeTargetHealthCommand, 'DescribeTargetHealth', () => ({TargetHealthDescriptions: [{TargetHealth: {State: 'healthy'}}, {TargetHealth: {State: 'healthy'}}]}))
  answer('route53', UpdateHealthCheckCommand, 'UpdateHealthCheck', () => ({HealthCheck: {}}))
  answer('route53', GetHealthCheckCommand, 'GetHealthCheck', () => ({HealthCheck: {HealthCheckConfig: {Inverted: true}}}))
}

beforeEach(() => {
  for (const mock of Object.values(mocks)) mock.reset()
  sent = []
  isolateRunbookRuns()
})

describe('fintech runbook run dr-failover', () => {
  it('calls AWS in the recovery region, after the env name is typed, and reports each step against its budget', async () => {
    platform()
    const run = await withTerminalTyping('prod', () => runCli(RunbookRun, ['dr-failover', '--env', 'prod', '--config', drProject()]))
    expect(run.exitCode).toBe(0)
    expect(sent.map(({region, call}) => `${region} ${call}`)).toEqual([
      // The account check and the parameter read from the primary compute stack: the env's region.
      'eu-west-1 sts:GetCallerIdentity',
      'eu-west-1 cfn:DescribeStacks',
      // Every step: the recovery region.
      'eu-west-2 rds:DescribeGlobalClusters',
      'eu-west-2 cfn:DescribeStacks',
      'eu-west-2 rds:DescribeDBClusters',
      'eu-west-2 cfn:DescribeStacks',
      'eu-west-2 cloudwatch:GetMetricStatistics',
      'eu-west-2 rds:SwitchoverGlobalCluster',
      'eu-west-2 rds:DescribeGlobalClusters',
      'eu-west-2 rds:DescribeGlobalClusters',
      'eu-west-2 ecs:UpdateService',
      'eu-west-2 ecs:DescribeServices',
      'eu-west-2 elbv2:DescribeTargetHealth',
      'eu-west-2 route53:UpdateHealthCheck',
      'eu-west-2 route53:GetHealthCheck',
    ])
    expect(sent[1]!.input).toEqual({StackName: 'fintech-prod-compute'})
    expect(sent.find((entry) => entry.call === 'rds:SwitchoverGlobalCluster')!.input).toEqual({GlobalClusterIdentifier: 'fintech-prod-ledger-global', TargetDbClusterIdentifier: RECOVERY_ARN})
    expect(sent.find((entry) => entry.call === 'ecs:UpdateService')!.input).toEqual({cluster: 'fintech-prod-recovery', service: 'fintech-prod-ledger', desiredCount: 2})
    expect(run.stderr).toMatch(/ 1\. global-cluster \[assert\] \(budget 15 s\)/)
    expect(run.stderr).toMatch(/10\. switchover \[aws\] \(budget 30 s\)/)
    expect(run.stdout).toMatch(/✓ switchover {2}\d+\.\d s {2}\[budget 30 s\]/)
    expect(run.stdout).toMatch(/^RTO budget: the budgeted steps took \d+\.\d s of 1350 s$/m)
  })

  it('refuses, exit 2 before any AWS call, in an env without a recovery region, naming the config key', async () => {
    platform()
    const run = await runCli(RunbookRun, ['dr-failover', '--env', 'test', '--config', drProject()])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/runbook dr-failover calls AWS in the env's recovery region \(region: recovery\), but \S+fintech\.config\.yaml: environments\.test\.recovery is not set/)
    expect(sent).toEqual([])
  })

  it('a dry run reads in the recovery region up to the switchover and changes nothing', async () => {
    platform()
    const run = await runCli(RunbookRun, ['dr-failover', '--env', 'prod', '--config', drProject(), '--dry-run', '--json'])
    expect(run.exitCode).toBe(0)
    expect(sent.map((entry) => entry.call)).not.toContain('rds:SwitchoverGlobalCluster')
    expect(sent.slice(2).every((entry) => entry.region === 'eu-west-2')).toBe(true)
    expect(run.json.run.steps.switchover.status).toBe('planned')
  })
})

describe('fintech runbook show and export of the DR runbooks', () => {
  it('show prints where the steps call AWS, each step\'s budget and their sum', async () => {
    const run = await runCli(RunbookShow, ['dr-failover', '--config', drProject()])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain("Runs in the env's recovery region (environments.<env>.recovery.region): every AWS call goes there.")
    expect(run.stdout).toContain('RTO budget: 1350 s (22.5 min), the sum of the steps\' budgets')
    expect(run.stdout).toMatch(/^ {3}1\. global-cluster \[assert\] \(budget 15 s\)$/m)
    expect(run.stdout).toMatch(/^ {2}17\. primary-drained \[assert\] \(budget 15 s\)$/m)
  })

  it('export says to start the automation in the recovery region, and maps every step', async () => {
    const run = await runCli(RunbookExport, ['dr-failover-unplanned', '--format', 'ssm', '--config', drProject()])
    expect(run.exitCode).toBe(0)
    const document = JSON.parse(run.stdout)
    expect(document.description).toContain("**Start this automation in the env's recovery region**")
    const failover = document.mainSteps.find((step: {name: string}) => step.name === 'failover')
    expect(failover).toEqual({name: 'failover', action: 'aws:executeAwsApi', inputs: {Service: 'rds', Api: 'FailoverGlobalCluster', GlobalClusterIdentifier: 'fintech-{{ environment }}-ledger-global', TargetDbClusterIdentifier: '{{ recovery_cluster.Arn }}', AllowDataLoss: true}})
  })
})
