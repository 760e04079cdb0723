import {DescribeStacksCommand, type Output} from '@aws-sdk/client-cloudformation'
import {CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, type MetricDataResult} from '@aws-sdk/client-cloudwatch'
import {DescribeServicesCommand, ECSClient, type Service} from '@aws-sdk/client-ecs'
import {DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, type TargetHealthDescription} from '@aws-sdk/client-elastic-load-balancing-v2'
import {DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient} from '@aws-sdk/client-rds'
import {GetCallerIdentityCommand} from '@aws-sdk/client-sts'
import {mockClient} from 'aws-sdk-client-mock'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import LedgerStatus from '../../src/commands/ledger/status.js'
import {cfn, notFound, resetAws, stack, sts} from '../helpers/aws-mocks.js'
import {CONFIG, makeProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'

const ecs = mockClient(ECSClient)
const elbv2 = mockClient(ElasticLoadBalancingV2Client)
const cloudwatch = mockClient(CloudWatchClient)
const rds = mockClient(RDSClient)

const NOW = new Date('2026-11-22T10:15:42Z')
const WINDOW_START = Date.parse('2026-11-22T10:00:00Z')

const COMPUTE_STACK = 'fintech-dev-compute'
const DATA_STACK = 'fintech-dev-data'
const LOAD_BALANCER = 'app/fintech-dev/50dc6c495c0c9188'
const TARGET_GROUP = 'targetgroup/fintech-dev-ledger/6d0ecf831eec9f09'
const TARGET_GROUP_ARN = `arn:aws:elasticloadbalancing:eu-west-1:111111111111:${TARGET_GROUP}`
const ALARMS = ['fintech-dev-ledger-5xx-rate', 'fintech-dev-ledger-p99-latency', 'fintech-dev-aurora-replica-lag']
const TASK_DEFINITION = 'arn:aws:ecs:eu-west-1:111111111111:task-definition/fintech-dev-ledger:42'

const DATA_TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Resources:
  AuroraCluster:
    Type: AWS::RDS::DBCluster
    Properties: {Engine: aurora-postgresql}
Outputs:
  AuroraClusterId:
    Value: !Ref AuroraCluster
`

const COMPUTE_TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  AuroraClusterId:
    Type: String
Resources:
  Cluster:
    Type: AWS::ECS::Cluster
Outputs:
  ClusterName: {Value: !Ref Cluster}
  ServiceName: {Value: ledger}
  LoadBalancerFullName: {Value: alb}
  TargetGroupArn: {Value: tg}
  TargetGroupFullName: {Value: tg}
  AlarmNames: {Value: alarms}
`

const LEDGER_STAGES = `stages:
  - name: data
    stacks:
      - id: database
        template: templates/data.yaml
  - name: compute
    stacks:
      - id: ledger
        template: templates/compute.yaml
        parameters:
          AuroraClusterId: {stackOutput: database.AuroraClusterId}
`

/** The test project's config with the data and compute stages instead of its own. */
function ledgerProject(stages = LEDGER_STAGES): string {
  return makeProject({
    'fintech.config.yaml': `${CONFIG.slice(0, CONFIG.indexOf('stages:'))}${stages}`,
    'templates/data.yaml': DATA_TEMPLATE,
    'templates/compute.yaml': COMPUTE_TEMPLATE,
  })
}

const outputs = (values: Record<string, string>): Output[] => Object.entries(values).map(([OutputKey, OutputValue]) => ({OutputKey, OutputValue}))

function service(extra: Partial<Service> = {}): Service {
  return {
    serviceName: 'fintech-dev-ledger',
    status: 'ACTIVE',
    desiredCount: 2,
    runningCount: 2,
    pendingCount: 0,
    taskDefinition: TASK_DEFINITION,
    deployments: [{id: 'ecs-svc/1', status: 'PRIMARY', taskDefinition: TASK_DEFINITION, desiredCount: 2, runningCount: 2, pendingCount: 0, failedTasks: 0, rolloutState: 'COMPLETED'}],
    ...extra,
  }
}

const target = (id: string, zone: string, State: 'healthy' | 'unhealthy', reason?: {Reason: 'Target.ResponseCodeMismatch'; Description: string}): TargetHealthDescription => ({
  Target: {Id: id, Port: 8080, AvailabilityZone: zone},
  HealthCheckPort: '8080',
  TargetHealth: {State, ...reason},
})

/** One series of GetMetricData: a value per minute of the window, none where `undefined`. */
function result(id: string, values: Array<number | undefined>): MetricDataResult {
  const points = values.flatMap((value, index) => (value === undefined ? [] : [{at: new Date(WINDOW_START + index * 60_000), value}]))
  return {Id: id, StatusCode: 'Complete', Timestamps: points.map((point) => point.at), Values: points.map((point) => point.value)}
}

const every = (value: number) => Array<number>(15).fill(value)

const calmMetrics = (): MetricDataResult[] => [result('requests', every(1200)), result('target5xx', []), result('elb5xx', []), result('p50', every(0.018)), result('p99', every(0.09)), result('lag0', every(12))]

/** dev's ledger, healthy: every client answers as AWS would. */
function healthyLedger(stackNames = {compute: COMPUTE_STACK, data: DATA_STACK}) {
  cfn.on(DescribeStacksCommand, {StackName: stackNames.compute}).resolves(
    stack(stackNames.compute, 'UPDATE_COMPLETE', {
      Outputs: outputs({
        ClusterName: 'fintech-dev',
        ServiceName: 'fintech-dev-ledger',
        LoadBalancerFullName: LOAD_BALANCER,
        TargetGroupArn: TARGET_GROUP_ARN,
        TargetGroupFullName: TARGET_GROUP,
        AlarmNames: ALARMS.join(','),
        DashboardName: 'fintech-dev-ledger',
      }),
    }),
  )
  cfn.on(DescribeStacksCommand, {StackName: stackNames.data}).resolves(stack(stackNames.data, 'UPDATE_COMPLETE', {Outputs: outputs({AuroraClusterId: 'fintech-dev-aurora'})}))
  ecs.on(DescribeServicesCommand).resolves({services: [service()], failures: []})
  elbv2.on(DescribeTargetHealthCommand).resolves({TargetHealthDescriptions: [target('10.0.10.5', 'eu-west-1a', 'healthy'), target('10.0.11.6', 'eu-west-1b', 'healthy')]})
  cloudwatch.on(GetMetricDataCommand).resolves({MetricDataResults: calmMetrics()})
  cloudwatch.on(DescribeAlarmsCommand).resolves({MetricAlarms: [], CompositeAlarms: []})
  rds.on(DescribeDBClustersCommand).resolves({
    DBClusters: [
      {
        DBClusterIdentifier: 'fintech-dev-aurora',
        Status: 'available',
        DBClusterMembers: [
          {DBInstanceIdentifier: 'fintech-dev-aurora-1', IsClusterWriter: true},
          {DBInstanceIdentifier: 'fintech-dev-aurora-2', IsClusterWriter: false},
        ],
      },
    ],
  })
  rds.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [
      {DBInstanceIdentifier: 'fintech-dev-aurora-1', DBInstanceStatus: 'available', AvailabilityZone: 'eu-west-1a', DBInstanceClass: 'db.r6g.large'},
      {DBInstanceIdentifier: 'fintech-dev-aurora-2', DBInstanceStatus: 'available', AvailabilityZone: 'eu-west-1b', DBInstanceClass: 'db.r6g.large'},
    ],
  })
}

/** The same ledger mid-incident: a rollout the circuit breaker stopped, a task short, a target failing its checks, 5xx, the alarm firing. */
function unhealthyLedger() {
  healthyLedger()
  ecs.on(DescribeServicesCommand).resolves({
    services: [
      service({
        runningCount: 1,
        pendingCount: 1,
        deployments: [
          {id: 'ecs-svc/2', status: 'PRIMARY', taskDefinition: TASK_DEFINITION, desiredCount: 2, runningCount: 1, pendingCount: 1, failedTasks: 0, rolloutState: 'IN_PROGRESS'},
          {
            id: 'ecs-svc/3', status: 'ACTIVE', taskDefinition: TASK_DEFINITION.replace(':42', ':43'), desiredCount: 0, runningCount: 0, pendingCount: 0, failedTasks: 4,
            rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
          },
        ],
      }),
    ],
  })
  elbv2.on(DescribeTargetHealthCommand).resolves({
    TargetHealthDescriptions: [
      target('10.0.10.5', 'eu-west-1a', 'healthy'),
      target('10.0.11.6', 'eu-west-1b', 'unhealthy', {Reason: 'Target.ResponseCodeMismatch', Description: 'Health checks failed with these codes: [500]'}),
    ],
  })
  cloudwatch.on(GetMetricDataCommand).resolves({
    MetricDataResults: [...calmMetrics().filter((series) => series.Id !== 'target5xx'), result('target5xx', [...every(0).slice(0, 12), 60, 84, 96])],
  })
  cloudwatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [{AlarmName: 'fintech-dev-ledger-5xx-rate', StateValue: 'ALARM', StateReason: 'Threshold Crossed: 3 out of the last 5 datapoints were greater than the threshold (1.0).', StateUpdatedTimestamp: new Date('2026-11-22T10:14:05Z')}],
  })
}

const allCalls = () => [...cfn.calls(), ...sts.calls(), ...ecs.calls(), ...elbv2.calls(), ...cloudwatch.calls(), ...rds.calls()]
const inputOf = <T>(calls: Array<{args: [{input: T}]}>) => calls.map((call) => call.args[0].input)

beforeEach(() => {
  resetAws()
  for (const mock of [ecs, elbv2, cloudwatch, rds]) mock.reset()
  vi.useFakeTimers({toFake: ['Date']})
  vi.setSystemTime(NOW)
})

afterEach(() => {
  vi.useRealTimers()
})

describe('fintech ledger status', () => {
  it('a healthy ledger exits 0, read with exactly these requests', async () => {
    healthyLedger()
    const run = await runCli(LedgerStatus, ['--env', 'dev', '--config', ledgerProject()])

    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('Ledger dev: healthy at 2026-11-22T10:15:42Z')
    expect(run.stdout).toContain('Service fintech-dev-ledger (cluster fintech-dev): ACTIVE, 2/2 running, 0 pending, steady')
    expect(run.stdout).toContain('Targets: 2 of 2 healthy')
    expect(run.stdout).toMatch(/requests\/s\s+20\.0 {2}█{15}\n/)
    expect(run.stdout).toMatch(/p99\s+90 ms/)
    expect(run.stdout).toMatch(/reader {2}fintech-dev-aurora-2 {2}eu-west-1b {2}available {2}lag 12 ms/)
    expect(run.stdout).toContain('Alarms in ALARM: none')
    expect(run.stdout).not.toContain('Problems')

    expect(inputOf(cfn.commandCalls(DescribeStacksCommand)).map((input) => input.StackName).sort()).toEqual([COMPUTE_STACK, DATA_STACK])
    expect(inputOf(ecs.commandCalls(DescribeServicesCommand))).toEqual([{cluster: 'fintech-dev', services: ['fintech-dev-ledger']}])
    expect(inputOf(elbv2.commandCalls(DescribeTargetHealthCommand))).toEqual([{TargetGroupArn: TARGET_GROUP_ARN}])
    expect(inputOf(rds.commandCalls(DescribeDBClustersCommand))).toEqual([{DBClusterIdentifier: 'fintech-dev-aurora'}])
    expect(inputOf(rds.commandCalls(DescribeDBInstancesCommand))).toEqual([{Filters: [{Name: 'db-cluster-id', Values: ['fintech-dev-aurora']}], MaxRecords: 100, Marker: undefined}])
    expect(inputOf(cloudwatch.commandCalls(DescribeAlarmsCommand))).toEqual([
      {AlarmNames: ALARMS, StateValue: 'ALARM', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 100, NextToken: undefined},
    ])

    const metricRequests = inputOf(cloudwatch.commandCalls(GetMetricDataCommand))
    expect(metricRequests).toHaveLength(1)
    const targetGroup = [
      {Name: 'LoadBalancer', Value: LOAD_BALANCER},
      {Name: 'TargetGroup', Value: TARGET_GROUP},
    ]
    const query = (Id: string, Namespace: string, MetricName: string, Dimensions: Array<{Name: string; Value: string}>, Stat: string) => ({
      Id,
      ReturnData: true,
      MetricStat: {Metric: {Namespace, MetricName, Dimensions}, Period: 60, Stat},
    })
    expect(metricRequests[0]).toEqual({
      StartTime: new Date('2026-11-22T10:00:00Z'),
      EndTime: new Date('2026-11-22T10:15:00Z'),
      ScanBy: 'TimestampAscending',
      NextToken: undefined,
      MetricDataQueries: [
        query('requests', 'AWS/ApplicationELB', 'RequestCount', targetGroup, 'Sum'),
        query('target5xx', 'AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count', targetGroup, 'Sum'),
        query('elb5xx', 'AWS/ApplicationELB', 'HTTPCode_ELB_5XX_Count', [{Name: 'LoadBalancer', Value: LOAD_BALANCER}], 'Sum'),
        query('p50', 'AWS/ApplicationELB', 'TargetResponseTime', targetGroup, 'p50'),
        query('p99', 'AWS/ApplicationELB', 'TargetResponseTime', targetGroup, 'p99'),
        query('lag0', 'AWS/RDS', 'AuroraReplicaLag', [{Name: 'DBInstanceIdentifier', Value: 'fintech-dev-aurora-2'}], 'Maximum'),
      ],
    })
  })

  it('an unhealthy ledger exits 1 and names each problem', async () => {
    unhealthyLedger()
    const run = await runCli(LedgerStatus, ['--env', 'dev', '--config', ledgerProject()])

    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain('Ledger dev: UNHEALTHY')
    expect(run.stdout).toContain('1/2 running, 1 pending, rollout FAILED')
    expect(run.stdout).toMatch(/ACTIVE {3}fintech-dev-ledger:43 {2}0\/0 running .*4 failed tasks {2}FAILED: ECS deployment circuit breaker/)
    expect(run.stdout).toMatch(/5xx rate\s+8% {2} {12}▅██\n/)
    expect(run.stdout.slice(run.stdout.indexOf('Problems:'))).toBe(
      [
        'Problems:',
        '  ! 1 of 2 tasks are running (1 pending)',
        '  ! the rollout of fintech-dev-ledger:43 failed: ECS deployment circuit breaker: tasks failed to start.',
        '  ! target 10.0.11.6:8080 in eu-west-1b is unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes: [500])',
        '  ! 5xx rate 8% in the minute from 10:14 UTC is above 1%',
        '  ! alarm fintech-dev-ledger-5xx-rate is in ALARM: Threshold Crossed: 3 out of the last 5 datapoints were greater than the threshold (1.0).',
        '',
      ].join('\n'),
    )
  })

  it('--max-5xx-percent moves the 5xx threshold', async () => {
    unhealthyLedger()
    const run = await runCli(LedgerStatus, ['--env', 'dev', '--config', ledgerProject(), '--max-5xx-percent', '9.5', '--json'])
    expect(run.json.thresholds.maxErrorRate).toBe(0.095)
    expect(run.json.problems.some((problem: string) => problem.startsWith('5xx rate'))).toBe(false)

    const refused = await runCli(LedgerStatus, ['--env', 'dev', '--config', ledgerProject(), '--max-5xx-percent', 'lots'])
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toContain('expected a percentage from 0 to 100, got "lots"')
  })

  it('--json prints the LedgerStatus object', async () => {
    unhealthyLedger()
    const run = await runCli(LedgerStatus, ['--env', 'dev', '--config', ledgerProject(), '--json'])

    expect(run.exitCode).toBe(1)
    expect(Object.keys(run.json)).toEqual(['env', 'at', 'healthy', 'problems', 'stacks', 'service', 'targets', 'traffic', 'aurora', 'alarms', 'thresholds'])
    expect(run.json).toMatchObject({
      env: 'dev',
      at: '2026-11-22T10:15:42.000Z',
      healthy: false,
      stacks: {compute: COMPUTE_STACK, data: DATA_STACK},
      service: {cluster: 'fintech-dev', name: 'fintech-dev-ledger', status: 'ACTIVE', desired: 2, running: 1, pending: 1, rollout: 'failed'},
      targets: {targetGroupArn: TARGET_GROUP_ARN, healthy: 1, unhealthy: 1, total: 2},
      aurora: {clusterId: 'fintech-dev-aurora', status: 'available', writer: {id: 'fintech-dev-aurora-1', writer: true, availabilityZone: 'eu-west-1a'}, maxLagMs: 12},
      alarms: [{name: 'fintech-dev-ledger-5xx-rate', since: '2026-11-22T10:14:05.000Z'}],
      thresholds: {maxErrorRate: 0.01, maxP99Ms: 500, maxReplicaLagMs: 1000},
    })
    expect(run.json.problems).toHaveLength(5)
    expect(run.json.service.deployments[1]).toEqual({
      id: 'ecs-svc/3', status: 'ACTIVE', taskDefinition: TASK_DEFINITION.replace(':42', ':43'), desired: 0, running: 0, pending: 0, failedTasks: 4,
      rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
    })
    expect(run.json.targets.members[1]).toEqual({id: '10.0.11.6', port: 8080, availabilityZone: 'eu-west-1b', state: 'unhealthy', reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [500]'})
    expect(run.json.traffic.window).toEqual({start: '2026-11-22T10:00:00.000Z', end: '2026-11-22T10:15:00.000Z', periodSeconds: 60})
    expect(run.json.traffic.minutes).toHaveLength(15)
    expect(run.json.traffic.requestsPerSecond).toEqual({current: 20, series: every(20)})
    expect(run.json.traffic.errorRate).toEqual({current: 0.08, series: [...every(0).slice(0, 12), 0.05, 0.07, 0.08]})
    expect(run.json.traffic.p50Ms).toEqual({current: 18, series: every(18)})
    expect(run.json.aurora.readers).toEqual([
      {id: 'fintech-dev-aurora-2', writer: false, status: 'available', availabilityZone: 'eu-west-1b', instanceClass: 'db.r6g.large', lagMs: 12, lagSeries: every(12)},
    ])
  })

  it('reads every page of GetMetricData and DescribeAlarms, a series split over pages included', async () => {
    healthyLedger()
    const requests = result('requests', every(600))
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({MetricDataResults: [{...requests, Timestamps: requests.Timestamps!.slice(0, 10), Values: requests.Values!.slice(0, 10), StatusCode: 'PartialData'}], NextToken: 'page-2'})
      .resolves({MetricDataResults: [{...requests, Timestamps: requests.Timestamps!.slice(10), Values: requests.Values!.slice(10)}, result('p99', every(0.6))]})
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({MetricAlarms: [], NextToken: 'alarms-2'})
      .resolves({MetricAlarms: [{AlarmName: 'fintech-dev-ledger-p99-latency', StateValue: 'ALARM', StateReason: 'Threshold Crossed'}]})

    const run = await runCli(LedgerStatus, ['--env', 'dev', '--config', ledgerProject(), '--json'])

    expect(inputOf(cloudwatch.commandCalls(GetMetricDataCommand)).map((input) => input.NextToken)).toEqual([undefined, 'page-2'])
    expect(inputOf(cloudwatch.commandCalls(DescribeAlarmsCommand)).map((input) => input.NextToken)).toEqual([undefined, 'alarms-2'])
    expect(run.json.traffic.requestsPerSecond.series).toEqual(every(10))
    expect(run.json.problems).toEqual(['p99 latency 600 ms in the minute from 10:14 UTC is above 500 ms', 'alarm fintech-dev-ledger-p99-latency is in ALARM: Threshold Crossed'])
    expect(run.exitCode).toBe(1)
  })

  it('finds stacks the config renames, by the compute template\'s outputs and the AuroraClusterId wiring', async () => {
    healthyLedger({compute: 'ledger-dev', data: 'aurora-dev'})
    const renamed = LEDGER_STAGES.replace('      - id: ledger\n', '      - id: ledger\n        stackName: ledger-dev\n').replace('      - id: database\n', '      - id: database\n        stackName: aurora-dev\n')

    const run = await runCli(LedgerStatus, ['--env', 'dev', '--config', ledgerProject(renamed), '--json'])

    expect(run.exitCode).toBe(0)
    expect(run.json.stacks).toEqual({compute: 'ledger-dev', data: 'aurora-dev'})
  })

  it('a compute stack not deployed fails naming the deploy command, before asking ECS or CloudWatch', async () => {
    healthyLedger()
    cfn.on(DescribeStacksCommand, {StackName: COMPUTE_STACK}).rejects(notFound(COMPUTE_STACK))
    const run = await runCli(LedgerStatus, ['--env', 'dev', '--config', ledgerProject()])

    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain('the compute stack fintech-dev-compute of dev does not exist: deploy it first (fintech deploy --stage compute --env dev)')
    expect([...ecs.calls(), ...elbv2.calls(), ...cloudwatch.calls(), ...rds.calls()]).toHaveLength(0)
  })

  it('a service ECS does not know, or an Aurora cluster RDS does not know, fails naming the stack that points at it', async () => {
    healthyLedger()
    ecs.on(DescribeServicesCommand).resolves({services: [], failures: [{arn: 'fintech-dev-ledger', reason: 'MISSING'}]})
    const noService = await runCli(LedgerStatus, ['--env', 'dev', '--config', ledgerProject()])
    expect(noService.exitCode).toBe(1)
    expect(noService.stderr).toContain('ECS has no service fintech-dev-ledger in cluster fintech-dev (outputs of fintech-dev-compute)')

    healthyLedger()
    rds.on(DescribeDBClustersCommand).rejects(Object.assign(new Error('DBCluster fintech-dev-aurora not found.'), {name: 'DBClusterNotFoundFault'}))
    const noCluster = await runCli(LedgerStatus, ['--env', 'dev', '--config', ledgerProject()])
    expect(noCluster.exitCode).toBe(1)
    expect(noCluster.stderr).toContain('the Aurora cluster fintech-dev-aurora (output AuroraClusterId of fintech-dev-data) does not exist')
  })

  it('an unknown env exits 2 before any AWS call', async () => {
    healthyLedger()
    const run = await runCli(LedgerStatus, ['--env', 'qa', '--config', ledgerProject()])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('unknown environment "qa" (--env): use one of dev, prod')
    expect(allCalls()).toHaveLength(0)
  })

  it('a config whose ledger stack takes no AuroraClusterId from a stack exits 2 before any AWS call', async () => {
    healthyLedger()
    const run = await runCli(LedgerStatus, ['--env', 'dev', '--config', ledgerProject(LEDGER_STAGES.replace('{stackOutput: database.AuroraClusterId}', 'fintech-dev-aurora'))])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('stack ledger of dev takes no parameter from another stack\'s AuroraClusterId output')
    expect(allCalls()).toHaveLength(0)
  })

  it('credentials for another account exit 2 with no call but STS', async () => {
    healthyLedger()
    sts.on(GetCallerIdentityCommand).resolves({Account: '333333333333', Arn: 'arn:aws:sts::333333333333:assumed-role/platform/alice'})
    const run = await runCli(LedgerStatus, ['--env', 'dev', '--config', ledgerProject()])

    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('the credentials are for account 333333333333')
    expect(allCalls().map((call) => call.args[0].constructor.name)).toEqual(['GetCallerIdentityCommand'])
  })

  describe('--watch', () => {
    /** Ctrl-C while the second refresh reads: it is still shown, then the watch ends. */
    function interruptOnSecondRead() {
      let reads = 0
      cloudwatch.on(GetMetricDataCommand).callsFake(async () => {
        reads += 1
        if (reads === 2) process.emit('SIGINT')
        return {MetricDataResults: reads === 1 ? calmMetrics() : [...calmMetrics().filter((series) => series.Id !== 'target5xx'), result('target5xx', every(120))]}
      })
    }

    it('without a terminal prints a plain snapshot per refresh until Ctrl-C, and exits with the last one\'s health', async () => {
      healthyLedger()
      interruptOnSecondRead()
      const run = await runCli(LedgerStatus, ['--env', 'dev', '--config', ledgerProject(), '--watch', '--interval', '1'])

      const snapshots = run.stdout.split(/\n\n(?=Ledger dev)/)
      expect(snapshots).toHaveLength(2)
      expect(snapshots[0]).toMatch(/^Ledger dev: healthy/)
      expect(snapshots[1]).toMatch(/^Ledger dev: UNHEALTHY/)
      expect(snapshots[1]).toContain('! 5xx rate 10% in the minute from 10:14 UTC is above 1%')
      expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(2)
      // The stacks and the account are read once, not on every refresh.
      expect(cfn.commandCalls(DescribeStacksCommand)).toHaveLength(2)
      expect(sts.calls()).toHaveLength(1)
      expect(run.exitCode).toBe(1)
      expect(process.listenerCount('SIGINT')).toBe(0)
    })

    it('with --json prints one LedgerStatus per line, one line per refresh', async () => {
      healthyLedger()
      interruptOnSecondRead()
      const run = await runCli(LedgerStatus, ['--env', 'dev', '--config', ledgerProject(), '--watch', '--interval', '1', '--json'])

      expect(run.jsonLines?.map((line) => line.healthy)).toEqual([true, false])
      expect(run.stdout.trim().split('\n')).toHaveLength(2)
      expect(run.exitCode).toBe(1)
    })
  })
})
