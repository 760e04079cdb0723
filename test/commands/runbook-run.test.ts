/**
 * `fintech runbook run` and `resume` as the on-call engineer types them, with the shipped
 * failover runbook, through the real AWS adapter against aws-sdk-client-mock'd RDS, CloudWatch,
 * ELBv2, ECS, CloudFormation and STS: the exact calls in order, state files, audit lines, exits.
 */
import {CloudFormationClient, DescribeStacksCommand} from '@aws-sdk/client-cloudformation'
import {CloudWatchClient, DescribeAlarmsCommand, GetMetricStatisticsCommand} from '@aws-sdk/client-cloudwatch'
import {CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand} from '@aws-sdk/client-cloudwatch-logs'
import {DescribeServiceDeploymentsCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, ListServiceDeploymentsCommand, StopServiceDeploymentCommand, UpdateServiceCommand} from '@aws-sdk/client-ecs'
import {DescribeTargetHealthCommand, ElasticLoadBalancingV2Client} from '@aws-sdk/client-elastic-load-balancing-v2'
import {DescribeDBClustersCommand, DescribeDBInstancesCommand, FailoverDBClusterCommand, ModifyDBClusterCommand, RDSClient} from '@aws-sdk/client-rds'
import {GetSecretValueCommand, SecretsManagerClient} from '@aws-sdk/client-secrets-manager'
import {GetParameterCommand, PutParameterCommand, SSMClient} from '@aws-sdk/client-ssm'
import {GetCallerIdentityCommand, STSClient} from '@aws-sdk/client-sts'
import {mockClient} from 'aws-sdk-client-mock'
import {existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {beforeEach, describe, expect, it} from 'vitest'
import RunbookResume from '../../src/commands/runbook/resume.js'
import RunbookRun from '../../src/commands/runbook/run.js'
import {makeProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'

const CONFIG = fileURLToPath(new URL('../../fintech.config.yaml', import.meta.url))
const mocks = {
  cfn: mockClient(CloudFormationClient),
  cloudwatch: mockClient(CloudWatchClient),
  logs: mockClient(CloudWatchLogsClient),
  ecs: mockClient(ECSClient),
  elbv2: mockClient(ElasticLoadBalancingV2Client),
  rds: mockClient(RDSClient),
  secrets: mockClient(SecretsManagerClient),
  ssm: mockClient(SSMClient),
  sts: mockClient(STSClient),
}

/** Every call to any mocked client, in the order they were sent. */
let sent: Array<{call: string; input: Record<string, any>}>
let runsDir: string
let auditFile: string

function answer<T>(service: keyof typeof mocks, command: new (input: any) => T, name: string, respond: (input: any) => unknown) {
  ;(mocks[service] as any).on(command).callsFake((input: Record<string, any>) => {
    sent.push({call: `${service}:${name}`, input})
    return respond(input)
  })
}

const DATA_OUTPUTS = {AuroraClusterId: 'fintech-dev-ledger'}
const COMPUTE_OUTPUTS = {
  ClusterName: 'fintech-dev',
  ServiceName: 'fintech-dev-ledger',
  TargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/fintech-dev-ledger/abc',
  LoadBalancerFullName: 'app/fintech-dev/123',
}

/** An Aurora cluster (writer db-1 in eu-west-1a, reader db-2 in eu-west-1b) whose writer flips on FailoverDBCluster. */
function platform(options: {lag?: number; alarms?: string[]; failover?: () => unknown; unhealthyTargets?: number; errors5xx?: number; account?: string} = {}) {
  let writer = 'db-1'
  answer('sts', GetCallerIdentityCommand, 'GetCallerIdentity', () => ({Account: options.account ?? '111111111111', Arn: `arn:aws:sts::${options.account ?? '111111111111'}:assumed-role/oncall/alice`}))
  answer('cfn', DescribeStacksCommand, 'DescribeStacks', ({StackName}) => {
    const outputs: Record<string, string> = StackName.endsWith('-data') ? DATA_OUTPUTS : StackName.endsWith('-compute') ? COMPUTE_OUTPUTS : {}
    return {Stacks: [{StackName, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({OutputKey, OutputValue}))}]}
  })
  answer('rds', DescribeDBClustersCommand, 'DescribeDBClusters', () => ({
    DBClusters: [{DBClusterIdentifier: 'fintech-dev-ledger', Status: 'available', DBClusterMembers: ['db-1', 'db-2'].map((id) => ({DBInstanceIdentifier: id, IsClusterWriter: id === writer}))}],
  }))
  // By identifier, or by a db-instance-id filter (the failover runbook's readers step).
  answer('rds', DescribeDBInstancesCommand, 'DescribeDBInstances', ({DBInstanceIdentifier, Filters}) => ({
    DBInstances: (DBInstanceIdentifier ? [DBInstanceIdentifier] : Filters[0].Values).map((id: string) => ({DBInstanceIdentifier: id, DBInstanceStatus: 'available', AvailabilityZone: id === 'db-1' ? 'eu-west-1a' : 'eu-west-1b'})),
  }))
  answer('rds', FailoverDBClusterCommand, 'FailoverDBCluster', (input) => {
    const refused = options.failover?.()
    if (refused) throw refused
    writer = input.TargetDBInstanceIdentifier
    return {DBCluster: {Status: 'failing-over'}}
  })
  answer('cloudwatch', GetMetricStatisticsCommand, 'GetMetricStatistics', ({MetricName}) =>
    MetricName === 'AuroraReplicaLag' ? {Datapoints: [{Maximum: options.lag ?? 12}]} : {Datapoints: options.errors5xx === undefined ? [] : [{Sum: options.errors5xx}]},
  )
  answer('cloudwatch', DescribeAlarmsCommand, 'DescribeAlarms', () => ({MetricAlarms: (options.alarms ?? []).map((AlarmName) => ({AlarmName, StateValue: 'ALARM'}))}))
  answer('elbv2', DescribeTargetHealthCommand, 'DescribeTargetHealth', () => ({
    TargetHealthDescriptions: [{TargetHealth: {State: 'healthy'}}, ...Array.from({length: options.unhealthyTargets ?? 0}, () => ({TargetHealth: {State: 'unhealthy'}}))],
  }))
  answer('ecs', DescribeServicesCommand, 'DescribeServices', () => ({services: [{serviceName: 'fintech-dev-ledger', taskDefinition: 'arn:aws:ecs:eu-west-1:111111111111:task-definition/fintech-dev-ledger:42', deployments: [{status: 'PRIMARY', rolloutState: 'COMPLETED'}]}]}))
  answer('ecs', UpdateServiceCommand, 'UpdateService', () => ({service: {serviceName: 'fintech-dev-ledger', desiredCount: 1}}))
}

const calls = () => sent.map((entry) => entry.call)
const auditLines = () => (existsSync(auditFile) ? readFileSync(auditFile, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line)) : [])

beforeEach(() => {
  for (const mock of Object.values(mocks)) mock.reset()
  sent = []
  runsDir = mkdtempSync(join(tmpdir(), 'fintech-runs-'))
  process.env.FINTECH_RUNS_DIR = runsDir
  auditFile = join(mkdtempSync(join(tmpdir(), 'fintech-audit-')), 'audit.jsonl')
  process.env.FINTECH_AUDIT_LOG = auditFile
  delete process.env.AWS_ENDPOINT_URL
})

const FAILOVER = ['failover', '--env', 'dev', '--config', CONFIG, '--param', 'targetInstance=db-2']

/** The pre-checks, in the runbook's order, after the account check and the stack outputs. */
const PRE_CHECKS = [
  'sts:GetCallerIdentity',
  'cfn:DescribeStacks',
  'cfn:DescribeStacks',
  'rds:DescribeDBClusters',
  'rds:DescribeDBInstances',
  'rds:DescribeDBInstances',
  'cloudwatch:GetMetricStatistics',
  'rds:DescribeDBInstances',
  'cloudwatch:DescribeAlarms',
]

/** The failover, the waits for the new writer, and the ledger's target and 5xx checks after it. */
const FAILOVER_AND_CHECKS = [
  'rds:FailoverDBCluster',
  'rds:DescribeDBClusters',
  'rds:DescribeDBClusters',
  'elbv2:DescribeTargetHealth',
  'elbv2:DescribeTargetHealth',
  'cloudwatch:GetMetricStatistics',
]

describe('fintech runbook run failover', () => {
  it('pre-checks, fails over to the chosen reader, waits for it to be writer and checks the ledger recovered', async () => {
    platform()
    const run = await runCli(RunbookRun, [...FAILOVER, '--yes', '--json'])
    expect(run.exitCode).toBe(0)
    expect(calls()).toEqual([
      ...PRE_CHECKS,
      ...FAILOVER_AND_CHECKS,
      'ecs:DescribeServices',
      // The Redis status step: the data stack has no Sentinel outputs here, so it fails and the run goes on.
      'sts:GetCallerIdentity',
      'cfn:DescribeStacks',
    ])
    expect(sent.find((entry) => entry.call === 'rds:FailoverDBCluster')!.input).toEqual({DBClusterIdentifier: 'fintech-dev-ledger', TargetDBInstanceIdentifier: 'db-2'})
    expect(sent[1]!.input).toEqual({StackName: 'fintech-dev-data'})
    expect(sent[2]!.input).toEqual({StackName: 'fintech-dev-compute'})
    const lag = sent.find((entry) => entry.call === 'cloudwatch:GetMetricStatistics')!.input
    expect(lag).toMatchObject({Namespace: 'AWS/RDS', MetricName: 'AuroraReplicaLag', Dimensions: [{Name: 'DBInstanceIdentifier', Value: 'db-2'}], Period: 600, Statistics: ['Maximum']})
    expect(lag.EndTime.getTime() - lag.StartTime.getTime()).toBe(5 * 60_000)
    expect(sent.find((entry) => entry.call === 'cloudwatch:DescribeAlarms')!.input).toEqual({AlarmNamePrefix: 'fintech-dev-ledger-', StateValue: 'ALARM'})

    const {run: state, stateFile, auditFile: runAudit} = run.json
    expect(state).toMatchObject({runbook: 'failover', env: 'dev', status: 'succeeded', params: {environment: 'dev', clusterId: 'fintech-dev-ledger', targetInstance: 'db-2', maxReplicaLagMs: 100, service: 'fintech-dev-ledger', loadBalancer: 'app/fintech-dev/123'}})
    expect(state.steps['redis-sentinel']).toMatchObject({status: 'failed'})
    expect(state.steps.redeploy).toBeUndefined()
    expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toEqual(state)
    const perRun = readFileSync(runAudit, 'utf8').trim().split('\n').map((line) => JSON.parse(line))
    expect(perRun.filter((line) => line.result === 'started').map((line) => line.step)).toEqual(['failover'])
    expect(perRun.filter((line) => line.result !== 'started').map((line) => line.step)).toEqual(['cluster', 'one-writer', 'has-reader', 'writer-instance', 'readers', 'target', 'target-instance', 'target-in-other-az', 'lag-under-threshold', 'ledger-alarms', 'ledger-alarms-ok', 'approve', 'failover', 'target-is-writer', 'cluster-available', 'targets-healthy', 'targets-serving', 'some-target-serving', 'errors-5xx', 'errors-under-threshold', 'service-stable', 'redis-sentinel'])
    expect(perRun.every((line) => line.caller === 'arn:aws:sts::111111111111:assumed-role/oncall/alice')).toBe(true)
    expect(auditLines()).toEqual([
      expect.objectContaining({env: 'dev', action: 'runbook failover step failover', result: 'in-progress', resource: state.id}),
      expect.objectContaining({env: 'dev', action: 'runbook failover step failover', result: 'ok', resource: state.id}),
    ])
  })

  it('forces a new deployment of the ledger service when 5xx stay high after the failover, and waits for it', async () => {
    platform({errors5xx: 40})
    const run = await runCli(RunbookRun, [...FAILOVER, '--yes', '--json'])
    expect(run.exitCode).toBe(0)
    expect(calls().slice(PRE_CHECKS.length)).toEqual([
      ...FAILOVER_AND_CHECKS,
      'ecs:UpdateService',
      'ecs:DescribeServices',
      // As many healthy targets as the service wants, then the Redis status (no Sentinel outputs here: failed, recorded).
      'elbv2:DescribeTargetHealth',
      'sts:GetCallerIdentity',
      'cfn:DescribeStacks',
    ])
    expect(sent.find((entry) => entry.call === 'cloudwatch:GetMetricStatistics' && entry.input.MetricName === 'HTTPCode_Target_5XX_Count')!.input).toMatchObject({Period: 120, Statistics: ['Sum']})
    expect(sent.find((entry) => entry.call === 'ecs:UpdateService')!.input).toEqual({cluster: 'fintech-dev', service: 'fintech-dev-ledger', forceNewDeployment: true})
    expect(run.json.run.steps['errors-under-threshold']).toMatchObject({status: 'failed', detail: '40 is not lessThan 5'})
    expect(run.json.run.steps['service-stable']).toBeUndefined()
    expect(run.json.run.steps['redeploy-stable'].status).toBe('succeeded')
    expect(run.json.run.steps['redeployed-targets-healthy'].status).toBe('succeeded')
  })

  it('shows the approver the writer, the target, the AZs, the lag and the alarms, and stops on a refusal without a terminal', async () => {
    platform({alarms: ['fintech-dev-ledger-5xx']})
    const run = await runCli(RunbookRun, [...FAILOVER, '--json'])
    expect(run.exitCode).toBe(2)
    expect(calls()).toEqual(PRE_CHECKS)
    const state = run.json.run
    expect(state).toMatchObject({status: 'refused', next: 'approve'})
    expect(state.steps['ledger-alarms-ok']).toMatchObject({status: 'failed', detail: '1 is not equals 0'})
    expect(state.steps.approve.detail).toMatch(/^not approved: needs approval \(Fail fintech-dev-ledger over from db-1 \(eu-west-1a\) to db-2 \(eu-west-1b\), replica lag 12 ms, 1 ledger alarms in ALARM \(fintech-dev-ledger-5xx\)\. Writes fail for 30-60 s\.\) and there is no terminal to ask/)
    expect(auditLines()).toEqual([])
  })

  it('with no targetInstance, promotes the reader it picked: the available one with the least replica lag', async () => {
    platform()
    const run = await runCli(RunbookRun, ['failover', '--env', 'dev', '--config', CONFIG, '--yes', '--json'])
    expect(run.exitCode).toBe(0)
    expect(calls().slice(0, PRE_CHECKS.length)).toEqual(PRE_CHECKS)
    expect(sent.filter((entry) => entry.call === 'rds:DescribeDBInstances').map((entry) => entry.input)).toEqual([
      {DBInstanceIdentifier: 'db-1'},
      {Filters: [{Name: 'db-instance-id', Values: ['db-2']}]},
      {DBInstanceIdentifier: 'db-2'},
    ])
    expect(run.json.run.params.targetInstance).toBe('')
    expect(run.json.run.steps.target.outputs).toEqual({Instance: 'db-2', ReplicaLag: 12})
    expect(sent.find((entry) => entry.call === 'rds:FailoverDBCluster')!.input).toEqual({DBClusterIdentifier: 'fintech-dev-ledger', TargetDBInstanceIdentifier: 'db-2'})
  })

  it('stops before any change when the reader lags', async () => {
    platform({lag: 250})
    const run = await runCli(RunbookRun, [...FAILOVER, '--yes'])
    expect(run.exitCode).toBe(1)
    expect(calls()).toEqual(PRE_CHECKS.slice(0, 8))
    expect(run.stdout).toContain('✗ lag-under-threshold')
    expect(run.stdout).toContain('250 is not lessThan 100')
    expect(run.stdout).toMatch(/resume at lag-under-threshold: fintech runbook resume failover-dev-\d{8}T\d{6}Z-[0-9a-f]{4}/)
  })

  it('in prod needs the env name typed at a terminal: --yes does not approve, and nothing changes', async () => {
    platform({account: '333333333333'})
    const run = await runCli(RunbookRun, ['failover', '--env', 'prod', '--config', CONFIG, '--param', 'targetInstance=db-2', '--yes', '--json'])
    expect(run.exitCode).toBe(2)
    expect(run.json.run.steps.approve.detail).toBe('not approved: prod is protected: step approve needs the env\'s name typed at a terminal (--yes does not apply there)')
    expect(calls()).not.toContain('rds:FailoverDBCluster')
    expect(sent[1]!.input).toEqual({StackName: 'fintech-prod-data'})
  })

  it('keeps the state file and the run\'s audit log private (0600, in a folder made 0700), whatever the umask', async () => {
    platform()
    const nested = join(runsDir, 'state', 'runs')
    process.env.FINTECH_RUNS_DIR = nested
    const umask = process.umask(0)
    let run
    try {
      run = await runCli(RunbookRun, [...FAILOVER, '--yes', '--json'])
    } finally {
      process.umask(umask)
    }
    expect(run.exitCode).toBe(0)
    const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8)
    expect(readdirSync(nested).sort().map((name) => [name.replace(/-\d{8}T\d{6}Z-[0-9a-f]{4}/, '-<id>'), modeOf(join(nested, name))])).toEqual([
      ['failover-dev-<id>.audit.jsonl', '600'],
      ['failover-dev-<id>.json', '600'],
    ])
    expect([modeOf(nested), modeOf(join(runsDir, 'state'))]).toEqual(['700', '700'])
    expect(modeOf(auditFile)).toBe('600')
  })

  it('--dry-run makes only read-only calls, shows the failover it would send, and leaves no state file', async () => {
    platform()
    const run = await runCli(RunbookRun, [...FAILOVER, '--dry-run', '--json'])
    expect(run.exitCode).toBe(0)
    expect(calls()).toEqual(PRE_CHECKS)
    expect(run.json.run.steps.failover).toMatchObject({status: 'planned', detail: 'would run: rds:FailoverDBCluster {"DBClusterIdentifier":"fintech-dev-ledger","TargetDBInstanceIdentifier":"db-2"}'})
    expect(run.json.stateFile).toBeUndefined()
    expect(existsSync(join(runsDir, `${run.json.run.id}.json`))).toBe(false)
    expect(auditLines()).toEqual([])
  })

  it('prints the plan with the parameters filled, then each step with its result', async () => {
    platform()
    const run = await runCli(RunbookRun, [...FAILOVER, '--yes'])
    expect(run.stderr).toContain('Fail the Aurora ledger database over to a reader: runbook failover in dev, run failover-dev-')
    // The target is a pick step's output: the plan cannot know it before the run.
    expect(run.stderr).toContain('  13. failover [aws]  rds:FailoverDBCluster {"DBClusterIdentifier":"fintech-dev-ledger","TargetDBInstanceIdentifier":"{{ steps.target.outputs.Instance }}"}')
    expect(run.stderr).toMatch(/Z {2}failover {2}✓ cluster {2}\d+\.\d s {2}Writer=db-1 WriterCount=1 Readers=db-2 ReaderCount=1\n/)
    expect(run.stdout).toMatch(/^Runbook failover in dev succeeded after .*; 1 failed step let the run continue\n/)
  })
  it('--log-group copies every audit line of the run to a CloudWatch Logs stream named after it', async () => {
    platform({lag: 250})
    answer('logs', CreateLogStreamCommand, 'CreateLogStream', () => ({}))
    answer('logs', PutLogEventsCommand, 'PutLogEvents', () => ({}))
    const run = await runCli(RunbookRun, [...FAILOVER, '--yes', '--json', '--log-group', '/fintech/runbooks'])
    expect(run.exitCode).toBe(1)
    const id = run.json.run.id
    expect(sent.find((entry) => entry.call === 'logs:CreateLogStream')!.input).toEqual({logGroupName: '/fintech/runbooks', logStreamName: id})
    const events = sent.filter((entry) => entry.call === 'logs:PutLogEvents').map((entry) => JSON.parse(entry.input.logEvents[0].message))
    const perRun = readFileSync(run.json.auditFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line))
    expect(events).toEqual(perRun)
    expect(events.map((event) => `${event.step} ${event.result}`).at(-1)).toBe('lag-under-threshold failed')
  })
})

describe('fintech runbook run ledger-rollback', () => {
  const DEPLOYMENT = 'arn:aws:ecs:eu-west-1:111111111111:service-deployment/fintech-dev/fintech-dev-ledger/abc'
  function deployments(inProgress: boolean) {
    platform()
    answer('ecs', ListServiceDeploymentsCommand, 'ListServiceDeployments', () => ({serviceDeployments: inProgress ? [{serviceDeploymentArn: DEPLOYMENT, status: 'IN_PROGRESS'}] : []}))
    answer('ecs', StopServiceDeploymentCommand, 'StopServiceDeployment', () => ({serviceDeploymentArn: DEPLOYMENT}))
    answer('ecs', DescribeServiceDeploymentsCommand, 'DescribeServiceDeployments', () => ({serviceDeployments: [{serviceDeploymentArn: DEPLOYMENT, status: 'ROLLBACK_SUCCESSFUL'}]}))
    answer('ecs', DescribeTaskDefinitionCommand, 'DescribeTaskDefinition', () => ({taskDefinition: {status: 'ACTIVE'}}))
  }
  const ROLLBACK = ['ledger-rollback', '--env', 'dev', '--config', CONFIG, '--yes', '--json']

  it('stops a deployment in progress with an ECS rollback and waits for it and for serving targets', async () => {
    deployments(true)
    const run = await runCli(RunbookRun, ROLLBACK)
    expect(run.exitCode).toBe(0)
    expect(calls()).toEqual(['sts:GetCallerIdentity', 'cfn:DescribeStacks', 'ecs:DescribeServices', 'ecs:ListServiceDeployments', 'ecs:StopServiceDeployment', 'ecs:DescribeServiceDeployments', 'elbv2:DescribeTargetHealth', 'elbv2:DescribeTargetHealth'])
    expect(sent.find((entry) => entry.call === 'ecs:ListServiceDeployments')!.input).toEqual({cluster: 'fintech-dev', service: 'fintech-dev-ledger', status: ['PENDING', 'IN_PROGRESS']})
    expect(sent.find((entry) => entry.call === 'ecs:StopServiceDeployment')!.input).toEqual({serviceDeploymentArn: DEPLOYMENT, stopType: 'ROLLBACK'})
    expect(run.json.run.steps.rollback).toBeUndefined()
  })

  it('with none in progress, returns the service to the named task definition', async () => {
    deployments(false)
    const run = await runCli(RunbookRun, [...ROLLBACK, '-p', 'taskDefinition=fintech-dev-ledger:41'])
    expect(run.exitCode).toBe(0)
    expect(calls().slice(3)).toEqual(['ecs:ListServiceDeployments', 'ecs:DescribeTaskDefinition', 'ecs:UpdateService', 'ecs:DescribeServices', 'elbv2:DescribeTargetHealth', 'elbv2:DescribeTargetHealth'])
    expect(sent.find((entry) => entry.call === 'ecs:UpdateService')!.input).toEqual({cluster: 'fintech-dev', service: 'fintech-dev-ledger', taskDefinition: 'fintech-dev-ledger:41'})
  })

  it('with none in progress and no task definition named, stops and says what to give, changing nothing', async () => {
    deployments(false)
    const run = await runCli(RunbookRun, ROLLBACK)
    expect(run.exitCode).toBe(1)
    expect(run.json.run.steps['known-good-named'].detail).toBe(' is not notEquals : no deployment is in progress: name the task definition to return to (--param taskDefinition=family:revision)')
    expect(calls()).not.toContain('ecs:UpdateService')
  })
})

describe('fintech runbook resume', () => {
  it('continues a failed run at the failed step, with the earlier outputs, and never repeats a finished step', async () => {
    let refuse = true
    platform({failover: () => (refuse ? Object.assign(new Error('DB cluster is not in available state'), {name: 'InvalidDBClusterStateFault'}) : undefined)})
    const first = await runCli(RunbookRun, [...FAILOVER, '--yes', '--json'])
    expect(first.exitCode).toBe(1)
    expect(first.json.run).toMatchObject({status: 'failed', next: 'failover'})
    expect(first.json.run.steps.failover.detail).toBe('InvalidDBClusterStateFault: DB cluster is not in available state')

    refuse = false
    sent = []
    const resumed = await runCli(RunbookResume, [first.json.run.id, '--config', CONFIG, '--yes', '--json'])
    expect(resumed.exitCode).toBe(0)
    expect(calls().slice(0, 4)).toEqual(['sts:GetCallerIdentity', 'rds:FailoverDBCluster', 'rds:DescribeDBClusters', 'rds:DescribeDBClusters'])
    expect(calls()).not.toContain('rds:DescribeDBInstances')
    expect(resumed.json.run.status).toBe('succeeded')
    expect(resumed.json.run.steps.cluster.outputs).toEqual(first.json.run.steps.cluster.outputs)
    expect(auditLines().map((line) => `${line.action} ${line.result}`)).toEqual([
      'runbook failover step failover in-progress',
      'runbook failover step failover failed',
      'runbook failover resumed at failover ok',
      'runbook failover step failover in-progress',
      'runbook failover step failover ok',
    ])
  })

  it('--from starts at another step', async () => {
    platform({lag: 250})
    const first = await runCli(RunbookRun, [...FAILOVER, '--yes', '--json'])
    sent = []
    const resumed = await runCli(RunbookResume, [first.json.run.id, '--config', CONFIG, '--from', 'ledger-alarms', '--yes', '--json'])
    expect(resumed.exitCode).toBe(0)
    expect(calls()[1]).toBe('cloudwatch:DescribeAlarms')
  })

  it('asks before running again a change that was interrupted while it ran', async () => {
    platform()
    const first = await runCli(RunbookRun, [...FAILOVER, '--yes', '--json'])
    const file = first.json.stateFile
    const state = JSON.parse(readFileSync(file, 'utf8'))
    // As the state file is when the CLI died inside FailoverDBCluster.
    Object.assign(state, {status: 'running', next: 'failover'})
    state.steps.failover = {status: 'running', attempts: 1, outputs: {}}
    writeFileSync(file, JSON.stringify(state))
    sent = []
    const refused = await runCli(RunbookResume, [state.id, '--config', CONFIG])
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toContain('step failover not run again: needs approval (Step failover was interrupted while it ran: its change may already have been made.')
    expect(calls()).not.toContain('rds:FailoverDBCluster')
  })

  it('refuses a run another live process holds, and takes over one whose process is gone', async () => {
    platform({lag: 250})
    const first = await runCli(RunbookRun, [...FAILOVER, '--yes', '--json'])
    const lock = join(runsDir, `${first.json.run.id}.lock`)
    writeFileSync(lock, JSON.stringify({pid: process.pid, host: hostname(), since: '2026-12-01T03:00:00Z'}))
    const held = await runCli(RunbookResume, [first.json.run.id, '--config', CONFIG, '--yes'])
    expect(held.exitCode).toBe(2)
    expect(held.stderr).toContain(`run ${first.json.run.id} is being run by process ${process.pid} on ${hostname()} since 2026-12-01T03:00:00Z`)
    writeFileSync(lock, JSON.stringify({pid: 2 ** 22 + 7, host: hostname(), since: '2026-12-01T03:00:00Z'}))
    const taken = await runCli(RunbookResume, [first.json.run.id, '--config', CONFIG, '--yes', '--json'])
    expect(taken.json.run.status).toBe('failed')
    expect(existsSync(lock)).toBe(false)
  })

  it('audits nothing and calls nothing for a resume refused because another process holds the run', async () => {
    platform({lag: 250})
    const first = await runCli(RunbookRun, [...FAILOVER, '--yes', '--json'])
    const perRun = readFileSync(first.json.auditFile, 'utf8')
    writeFileSync(join(runsDir, `${first.json.run.id}.lock`), JSON.stringify({pid: process.pid, host: hostname(), since: '2026-12-01T03:00:00Z'}))
    sent = []
    const held = await runCli(RunbookResume, [first.json.run.id, '--config', CONFIG, '--yes'])
    expect(held.exitCode).toBe(2)
    expect(held.stderr).toContain(`run ${first.json.run.id} is being run by process ${process.pid}`)
    expect(auditLines()).toEqual([])
    expect(readFileSync(first.json.auditFile, 'utf8')).toBe(perRun)
    expect(calls()).toEqual([])
  })

  it('audits a resume once it holds the run, as it starts, naming who started the run', async () => {
    platform({lag: 250})
    const first = await runCli(RunbookRun, [...FAILOVER, '--yes', '--json'])
    const resumed = await runCli(RunbookResume, [first.json.run.id, '--config', CONFIG, '--yes', '--json'])
    expect(resumed.exitCode).toBe(1)
    expect(auditLines()).toEqual([expect.objectContaining({env: 'dev', action: 'runbook failover resumed at lag-under-threshold', resource: first.json.run.id, result: 'ok', detail: 'started by arn:aws:sts::111111111111:assumed-role/oncall/alice'})])
  })

  it('refuses a run that succeeded, an unknown id and a broken state file (exit 2)', async () => {
    platform()
    const done = await runCli(RunbookRun, [...FAILOVER, '--yes', '--json'])
    expect((await runCli(RunbookResume, [done.json.run.id, '--config', CONFIG])).stderr).toContain(`run ${done.json.run.id} succeeded: nothing to resume`)
    const unknown = await runCli(RunbookResume, ['failover-dev-20260101T000000Z-0000', '--config', CONFIG])
    expect(unknown.exitCode).toBe(2)
    expect(unknown.stderr).toContain(`no run failover-dev-20260101T000000Z-0000 in ${runsDir}`)
    writeFileSync(join(runsDir, 'broken.json'), '{"id": "broken", "steps": ')
    const broken = await runCli(RunbookResume, ['broken', '--config', CONFIG])
    expect(broken.exitCode).toBe(2)
    expect(broken.stderr).toContain(`${join(runsDir, 'broken.json')}: not a run state file`)
  })
})

describe('fintech runbook run and resume: secrets', () => {
  const PASSWORD = 'hunter2-ledger-admin'
  const TOKEN = 'sig-token-7f3a9c'
  const API_KEY = 'KEY-SECRET-0001'
  const SECRETS = [PASSWORD, TOKEN, API_KEY]
  const ROTATE = `name: rotate
title: Rotate the ledger database password
description: d
whenToUse: w
severity: sev3
envs: [dev]
parameters:
  apiKey: {type: string, description: The ledger API key, secret: true}
steps:
  - name: current
    kind: aws
    service: secretsmanager
    api: GetSecretValue
    parameters: {SecretId: ledger/admin}
    outputs:
      password: $.SecretString
  - name: signing-token
    kind: aws
    service: ssm
    api: GetParameter
    parameters: {Name: /ledger/signing-token}
    outputs:
      token: {selector: $.Parameter.Value, secret: true}
  - name: rotate
    kind: aws
    service: rds
    api: ModifyDBCluster
    parameters: {DBClusterIdentifier: fintech-dev-ledger, MasterUserPassword: '{{ steps.current.outputs.password }}', ApplyImmediately: true}
  - name: publish
    kind: aws
    service: ssm
    api: PutParameter
    parameters: {Name: /ledger/api, Value: '{{ steps.signing-token.outputs.token }}:{{ params.apiKey }}', Type: SecureString, Overwrite: true}
prose: p
`

  function secretsPlatform(rotate: (input: any) => unknown = () => ({DBCluster: {Status: 'modifying'}})) {
    platform()
    answer('secrets', GetSecretValueCommand, 'GetSecretValue', () => ({ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:ledger/admin', SecretString: PASSWORD, VersionId: 'v-1'}))
    answer('ssm', GetParameterCommand, 'GetParameter', () => ({Parameter: {Name: '/ledger/signing-token', Value: TOKEN}}))
    answer('rds', ModifyDBClusterCommand, 'ModifyDBCluster', rotate)
    answer('ssm', PutParameterCommand, 'PutParameter', () => ({Version: 2}))
    answer('logs', CreateLogStreamCommand, 'CreateLogStream', () => ({}))
    answer('logs', PutLogEventsCommand, 'PutLogEvents', () => ({}))
  }

  /** Everything the run left to read: its output, the state file, the run's and the env's audit, the CloudWatch copy. */
  function everythingWritten(...runs: Array<{stdout: string; stderr: string}>): string {
    const files = readdirSync(runsDir).map((name) => readFileSync(join(runsDir, name), 'utf8'))
    const cloudWatch = sent.filter((entry) => entry.call === 'logs:PutLogEvents').map((entry) => JSON.stringify(entry.input))
    return [...runs.flatMap((run) => [run.stdout, run.stderr]), ...files, existsSync(auditFile) ? readFileSync(auditFile, 'utf8') : '', ...cloudWatch].join('\n')
  }

  it('hands the secrets to the steps that use them and writes them nowhere: stdout, stderr, state, audit, CloudWatch', async () => {
    secretsPlatform()
    const config = makeProject({'runbooks/rotate.yaml': ROTATE})
    const argv = ['rotate', '--env', 'dev', '--config', config, '-p', `apiKey=${API_KEY}`, '--yes', '--log-group', '/fintech/runbooks']
    const text = await runCli(RunbookRun, argv)
    const json = await runCli(RunbookRun, [...argv, '--json'])
    expect([text.exitCode, json.exitCode]).toEqual([0, 0])
    const rotated = sent.filter((entry) => entry.call === 'rds:ModifyDBCluster').map((entry) => entry.input)
    expect(rotated).toEqual(Array.from({length: 2}, () => ({DBClusterIdentifier: 'fintech-dev-ledger', MasterUserPassword: PASSWORD, ApplyImmediately: true})))
    expect(sent.filter((entry) => entry.call === 'ssm:PutParameter').map((entry) => entry.input.Value)).toEqual([`${TOKEN}:${API_KEY}`, `${TOKEN}:${API_KEY}`])

    expect(json.json.run.params).toEqual({apiKey: '[redacted]'})
    expect(json.json.run.steps.current.outputs).toEqual({password: '[redacted]'})
    expect(json.json.run.steps['signing-token'].outputs).toEqual({token: '[redacted]'})
    expect(text.stderr).toContain('  parameters: apiKey=[redacted]')
    expect(text.stderr).toContain('   3. rotate [aws]  rds:ModifyDBCluster {"DBClusterIdentifier":"fintech-dev-ledger","MasterUserPassword":"{{ steps.current.outputs.password }}","ApplyImmediately":true}')
    expect(text.stdout).toMatch(/✓ current {2}\d+\.\d s {2}password=\[redacted\]\n/)
    expect(auditLines().map((line) => `${line.action} ${line.result} ${line.detail}`)).toContain('runbook rotate step rotate ok rds:ModifyDBCluster {"DBClusterIdentifier":"fintech-dev-ledger","MasterUserPassword":"{{ steps.current.outputs.password }}","ApplyImmediately":true}')
    expect(sent.filter((entry) => entry.call === 'logs:PutLogEvents').length).toBeGreaterThan(0)
    const written = everythingWritten(text, json)
    for (const secret of SECRETS) expect(written).not.toContain(secret)
  })

  it('leaves a secret out of an AWS error, and a resume reads the secrets again for the steps that need them', async () => {
    let refuse = true
    secretsPlatform((input) => {
      if (refuse) throw Object.assign(new Error(`The parameter MasterUserPassword '${input.MasterUserPassword}' is not a valid password`), {name: 'InvalidParameterValue', $metadata: {httpStatusCode: 400}})
      return {DBCluster: {Status: 'modifying'}}
    })
    const config = makeProject({'runbooks/rotate.yaml': ROTATE})
    const first = await runCli(RunbookRun, ['rotate', '--env', 'dev', '--config', config, '-p', `apiKey=${API_KEY}`, '--yes', '--json'])
    expect(first.exitCode).toBe(1)
    expect(first.json.run.steps.rotate.detail).toBe("InvalidParameterValue: The parameter MasterUserPassword '[redacted]' is not a valid password")

    refuse = false
    sent = []
    const id = first.json.run.id
    const withoutKey = await runCli(RunbookResume, [id, '--config', config, '--yes'])
    expect(withoutKey.exitCode).toBe(2)
    expect(withoutKey.stderr).toContain('runbook rotate needs a parameter: apiKey (The ledger API key)')
    const notSecret = await runCli(RunbookResume, [id, '--config', config, '-p', `apiKey=${API_KEY}`, '-p', 'region=eu-west-2', '--yes'])
    expect(notSecret.exitCode).toBe(2)
    expect(notSecret.stderr).toContain('--param region: a resume is given only the secret parameters its state file does not keep (apiKey); the others stay as the run began')
    expect(sent).toEqual([])

    const resumed = await runCli(RunbookResume, [id, '--config', config, '-p', `apiKey=${API_KEY}`, '--yes', '--json'])
    expect(resumed.exitCode).toBe(0)
    expect(calls()).toEqual(['sts:GetCallerIdentity', 'secrets:GetSecretValue', 'ssm:GetParameter', 'rds:ModifyDBCluster', 'ssm:PutParameter'])
    expect(sent[3]!.input.MasterUserPassword).toBe(PASSWORD)
    expect(sent[4]!.input.Value).toBe(`${TOKEN}:${API_KEY}`)
    expect(resumed.json.run.status).toBe('succeeded')
    const written = everythingWritten(first, withoutKey, notSecret, resumed)
    for (const secret of SECRETS) expect(written).not.toContain(secret)
  })

  it('refuses a resume that needs a secret only a changing step gave, before any call, and --from that step runs it again', async () => {
    platform()
    let refuse = true
    answer('ssm', PutParameterCommand, 'PutParameter', () => {
      if (refuse) throw Object.assign(new Error('Rate exceeded'), {name: 'ThrottlingException', $metadata: {httpStatusCode: 400}})
      return {Version: 1}
    })
    const text = `name: mint\ntitle: t\ndescription: d\nwhenToUse: w\nseverity: sev3\nenvs: [dev]\nsteps:
  - name: mint
    kind: shell
    command: printf 'tok-%s' $((7 * 191))
    outputs:
      token: {selector: $.stdout, secret: true}
  - name: publish
    kind: aws
    service: ssm
    api: PutParameter
    parameters: {Name: /ledger/token, Value: '{{ steps.mint.outputs.token }}', Type: SecureString}
prose: p\n`
    const config = makeProject({'runbooks/mint.yaml': text})
    const first = await runCli(RunbookRun, ['mint', '--env', 'dev', '--config', config, '--yes', '--json'])
    expect(first.exitCode).toBe(1)
    expect(first.json.run.steps.mint.outputs).toEqual({token: '[redacted]'})

    refuse = false
    sent = []
    const audited = auditLines()
    const refused = await runCli(RunbookResume, [first.json.run.id, '--config', config, '--yes'])
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toContain(`run ${first.json.run.id} cannot resume at publish: step publish needs output token of step mint, which changes something. The output is secret, so the state file does not keep it, and a resume does not run that step again by itself`)
    expect(sent).toEqual([])
    expect(auditLines()).toEqual(audited)

    const again = await runCli(RunbookResume, [first.json.run.id, '--config', config, '--from', 'mint', '--yes', '--json'])
    expect(again.exitCode).toBe(0)
    expect(sent.find((entry) => entry.call === 'ssm:PutParameter')!.input.Value).toBe('tok-1337')
    expect(everythingWritten(first, refused, again)).not.toContain('tok-1337')
  })
})

describe('fintech runbook run: bad input changes nothing (exit 2, no AWS call)', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['an unknown runbook', ['nope', '--env', 'dev', '--config', CONFIG], /no runbook nope/],
    ['a missing parameter', ['ledger-scale', '--env', 'dev', '--config', CONFIG, '--param', 'minCapacity=2'], /runbook ledger-scale needs a parameter: desiredCount \(The number of tasks to run now/],
    ['an unknown parameter', [...FAILOVER, '--param', 'colour=red'], /--param colour: runbook failover has no such parameter/],
    ['a parameter of the wrong type', [...FAILOVER, '--param', 'maxReplicaLagMs=fast'], /--param maxReplicaLagMs=fast: maxReplicaLagMs is a number/],
    ['a --param without =', [...FAILOVER, '--param', 'targetInstance'], /--param targetInstance: write it as --param NAME=VALUE/],
    ['an env the runbook does not allow', ['restore-aurora-snapshot', '--env', 'prod', '--config', CONFIG], /runbook restore-aurora-snapshot may run in dev, test, not in prod \(runbooks\/restore-aurora-snapshot\.yaml, envs\)/],
    ['an unknown env', ['failover', '--env', 'staging', '--config', CONFIG, '--param', 'targetInstance=db-2'], /staging/],
  ]
  for (const [what, argv, message] of cases) {
    it(what, async () => {
      platform()
      const run = await runCli(RunbookRun, argv)
      expect(run.exitCode).toBe(2)
      expect(run.stderr).toMatch(message)
      expect(sent).toEqual([])
    })
  }

  it('a runbook file that does not parse, at its line', async () => {
    platform()
    const config = makeProject({'runbooks/broken.yaml': 'name: broken\ntitle: [\n'})
    const run = await runCli(RunbookRun, ['broken', '--env', 'dev', '--config', config])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/runbooks\/broken\.yaml:3: /)
    expect(sent).toEqual([])
  })

  it('an API the SDK does not have, even in a step after the change', async () => {
    platform()
    const text = `name: typo\ntitle: t\ndescription: d\nwhenToUse: w\nseverity: sev3\nenvs: [dev]\nsteps:\n  - name: scale\n    kind: aws\n    service: ecs\n    api: UpdateService\n  - name: check\n    kind: aws\n    service: ecs\n    api: DescribeServicez\n  - name: other\n    kind: aws\n    service: ecz\n    api: ListTasks\nprose: p\n`
    const run = await runCli(RunbookRun, ['typo', '--env', 'dev', '--config', makeProject({'runbooks/typo.yaml': text})])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('runbook typo calls what the AWS SDK does not have:\n  runbooks/typo.yaml:15: step check: ecs has no API DescribeServicez (did you mean DescribeServices?)\n  runbooks/typo.yaml:18: step other: fintech cannot call service ecz (did you mean ec2?)')
    expect(calls()).toEqual(['sts:GetCallerIdentity'])
  })

  it('a parameter name the API does not have, which the SDK would leave out of the request without a word', async () => {
    platform()
    const text = `name: typo\ntitle: t\ndescription: d\nwhenToUse: w\nseverity: sev3\nenvs: [dev]\nsteps:\n  - name: cluster\n    kind: aws\n    service: rds\n    api: DescribeDBClusters\n    parameters: {DBClusterIdentifer: fintech-dev-ledger}\nprose: p\n`
    const run = await runCli(RunbookRun, ['typo', '--env', 'dev', '--config', makeProject({'runbooks/typo.yaml': text})])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('  runbooks/typo.yaml:12: step cluster: rds:DescribeDBClusters has no parameter DBClusterIdentifer (did you mean DBClusterIdentifier?)')
    expect(calls()).toEqual(['sts:GetCallerIdentity'])
  })

  it('an API or parameter the SDK does not have in a pick step\'s by call', async () => {
    platform()
    const pick = (name: string, by: string) => `  - name: ${name}\n    kind: pick\n    items: [a, b]\n    order: lowest\n    by: {${by}, selector: '$.Datapoints[0].Maximum'}\n`
    const text = `name: typo\ntitle: t\ndescription: d\nwhenToUse: w\nseverity: sev3\nenvs: [dev]\nsteps:\n${pick('best', "service: cloudwatch, api: GetMetricStatisticz, parameters: {Namespace: '{{ item }}'}")}${pick('other', "service: cloudwatch, api: GetMetricStatistics, parameters: {Namespac: '{{ item }}'}")}prose: p\n`
    const run = await runCli(RunbookRun, ['typo', '--env', 'dev', '--config', makeProject({'runbooks/typo.yaml': text})])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('runbook typo calls what the AWS SDK does not have:\n  runbooks/typo.yaml:12: step best: cloudwatch has no API GetMetricStatisticz (did you mean GetMetricStatistics?)\n  runbooks/typo.yaml:17: step other: cloudwatch:GetMetricStatistics has no parameter Namespac (did you mean Namespace?)')
    expect(calls()).toEqual(['sts:GetCallerIdentity'])
  })

  it('a bad step kind, at its line', async () => {
    platform()
    const text = 'name: odd\ntitle: t\ndescription: d\nwhenToUse: w\nseverity: sev3\nenvs: [dev]\nsteps:\n  - name: pray\n    kind: pray\nprose: p\n'
    const run = await runCli(RunbookRun, ['odd', '--env', 'dev', '--config', makeProject({'runbooks/odd.yaml': text})])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('runbooks/odd.yaml:9: unknown step kind "pray"')
    expect(sent).toEqual([])
  })
})
