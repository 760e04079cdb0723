import {BackupClient, ListCopyJobsCommand} from '@aws-sdk/client-backup'
import {DescribeStacksCommand, type Output} from '@aws-sdk/client-cloudformation'
import {CloudWatchClient, GetMetricStatisticsCommand} from '@aws-sdk/client-cloudwatch'
import {DescribeTableCommand, DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {DescribeGlobalClustersCommand, RDSClient} from '@aws-sdk/client-rds'
import {GetHealthCheckCommand, GetHealthCheckStatusCommand, Route53Client} from '@aws-sdk/client-route-53'
import {GetBucketReplicationCommand} from '@aws-sdk/client-s3'
import {GetCallerIdentityCommand} from '@aws-sdk/client-sts'
import {mockClient} from 'aws-sdk-client-mock'
import {fileURLToPath} from 'node:url'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import DrStatus from '../../src/commands/dr/status.js'
import {cfn, resetAws, s3, stack, sts} from '../helpers/aws-mocks.js'
import {makeDrProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'

// moto 5.2.1 has no Backup ListCopyJobs, no Route 53 GetHealthCheckStatus observations and no
// Aurora global lag metrics of its own, so the whole read is covered here with exact requests.
const rds = mockClient(RDSClient)
const cloudwatch = mockClient(CloudWatchClient)
const dynamodb = mockClient(DynamoDBClient)
const backup = mockClient(BackupClient)
const route53 = mockClient(Route53Client)

const NOW = new Date('2026-12-04T12:00:00Z')
const FIVE_MINUTES_AGO = new Date('2026-12-04T11:55:00Z')
const SEVEN_DAYS_AGO = new Date('2026-11-27T12:00:00Z')
const PRIMARY = 'eu-west-1'
const RECOVERY = 'eu-west-2'
const ACCOUNT = '333333333333'

/** The test project with prod failing over to eu-west-2 and dev without a recovery region. */
const drProject = () => makeDrProject(RECOVERY)

const outputs = (values: Record<string, string>): Output[] => Object.entries(values).map(([OutputKey, OutputValue]) => ({OutputKey, OutputValue}))
const clusterArn = (region: string, id: string) => `arn:aws:rds:${region}:${ACCOUNT}:cluster:${id}`
const SUCCESS = 'Success: HTTP Status Code 200, OK'
const FAILURE = 'Failure: HTTP Status Code 503, Service Unavailable'

interface World {
  computeOutputs: Record<string, string>
  rpoLagMs?: number
  replicationLagMs: number
  replicaStatus: string
  primaryObservations: string[]
  lastCopy?: Date
  tableError?: Error
}

function healthyWorld(): World {
  return {
    computeOutputs: {PrimaryHealthCheckId: 'hc-primary', RecoveryHealthCheckId: 'hc-recovery', FailoverRecordName: 'api.bank.example', HostedZoneId: 'Z1'},
    rpoLagMs: 900,
    replicationLagMs: 180,
    replicaStatus: 'ACTIVE',
    primaryObservations: [SUCCESS, SUCCESS, SUCCESS, SUCCESS],
    lastCopy: new Date('2026-12-04T03:10:00Z'),
  }
}

/** Every call the status makes, with the region of the client it went through. */
let calls: Array<{region: string; api: string; input: unknown}>

function answer(world: World) {
  const record = async (api: string, input: unknown, getClient: () => {config: {region: () => Promise<string>}}) => {
    calls.push({region: await getClient().config.region(), api, input})
  }
  cfn.on(DescribeStacksCommand).callsFake(async (input, getClient) => {
    await record('DescribeStacks', input, getClient)
    const byName: Record<string, Record<string, string>> = {
      'fintech-prod-foundation': {ArtifactBucketName: 'fintech-prod-artifacts'},
      'fintech-prod-data': {SessionsTableName: 'fintech-prod-sessions', RedisBackupBucketName: 'fintech-prod-redis-backups', AuroraClusterId: 'fintech-prod-aurora'},
      'fintech-prod-compute': world.computeOutputs,
    }
    return stack(input.StackName, 'UPDATE_COMPLETE', {Outputs: outputs(byName[input.StackName]!)})
  })
  rds.on(DescribeGlobalClustersCommand).callsFake(async (input, getClient) => {
    await record('DescribeGlobalClusters', input, getClient)
    return {
      GlobalClusters: [
        {
          GlobalClusterIdentifier: 'fintech-prod-ledger-global',
          Status: 'available',
          GlobalClusterMembers: [
            {DBClusterArn: clusterArn(PRIMARY, 'fintech-prod-aurora'), IsWriter: true},
            {DBClusterArn: clusterArn(RECOVERY, 'fintech-prod-aurora-recovery'), IsWriter: false},
          ],
        },
      ],
    }
  })
  cloudwatch.on(GetMetricStatisticsCommand).callsFake(async (input, getClient) => {
    await record('GetMetricStatistics', input, getClient)
    const value = {AuroraGlobalDBRPOLag: world.rpoLagMs, AuroraGlobalDBReplicationLag: world.replicationLagMs, OperationsPendingReplication: 3, ReplicationLatency: 12}[input.MetricName as string]
    return {Datapoints: value === undefined ? [] : [{Timestamp: FIVE_MINUTES_AGO, Maximum: value / 2}, {Timestamp: NOW, Maximum: value}]}
  })
  dynamodb.on(DescribeTableCommand).callsFake(async (input, getClient) => {
    await record('DescribeTable', input, getClient)
    if (world.tableError) throw world.tableError
    return {Table: {TableName: input.TableName, Replicas: [{RegionName: RECOVERY, ReplicaStatus: world.replicaStatus}]}}
  })
  s3.on(GetBucketReplicationCommand).callsFake(async (input, getClient) => {
    await record('GetBucketReplication', input, getClient)
    return {
      ReplicationConfiguration: {
        Role: 'arn:aws:iam::333333333333:role/replication',
        Rules: [{ID: 'to-recovery', Status: 'Enabled', Destination: {Bucket: `arn:aws:s3:::${input.Bucket}-recovery`, Metrics: {Status: 'Enabled'}}}],
      },
    }
  })
  backup.on(ListCopyJobsCommand).callsFake(async (input, getClient) => {
    await record('ListCopyJobs', input, getClient)
    const old = {CopyJobId: 'copy-old', CompletionDate: new Date('2026-11-30T03:10:00Z'), SourceBackupVaultArn: `arn:aws:backup:${PRIMARY}:${ACCOUNT}:backup-vault:fintech-prod-vault`}
    return {CopyJobs: world.lastCopy ? [old, {...old, CopyJobId: 'copy-new', CompletionDate: world.lastCopy}] : []}
  })
  route53.on(GetHealthCheckCommand).callsFake(async (input, getClient) => {
    await record('GetHealthCheck', input, getClient)
    return {HealthCheck: {Id: input.HealthCheckId, CallerReference: 'x', HealthCheckVersion: 1, HealthCheckConfig: {Type: 'HTTPS', Inverted: false}}}
  })
  route53.on(GetHealthCheckStatusCommand).callsFake(async (input, getClient) => {
    await record('GetHealthCheckStatus', input, getClient)
    const observations = input.HealthCheckId === 'hc-primary' ? world.primaryObservations : [SUCCESS, SUCCESS, SUCCESS]
    return {HealthCheckObservations: observations.map((Status, index) => ({Region: 'eu-west-1', IPAddress: `15.177.0.${index}`, StatusReport: {Status}}))}
  })
}

const dr = (...args: string[]) => runCli(DrStatus, ['--config', drProject(), ...args])

beforeEach(() => {
  resetAws(ACCOUNT)
  for (const mock of [rds, cloudwatch, dynamodb, backup, route53]) mock.reset()
  calls = []
  vi.useFakeTimers({now: NOW, toFake: ['Date']})
})

afterEach(() => {
  vi.useRealTimers()
})

describe('fintech dr status', () => {
  it('reads every source in the right region and exits 0 when everything is in bounds', async () => {
    answer(healthyWorld())
    const run = await dr('--env', 'prod', '--json')
    expect(run.exitCode).toBe(0)
    const lagQuery = (MetricName: string) => ({
      region: RECOVERY,
      api: 'GetMetricStatistics',
      input: {Namespace: 'AWS/RDS', MetricName, Dimensions: [{Name: 'DBClusterIdentifier', Value: 'fintech-prod-aurora-recovery'}], StartTime: FIVE_MINUTES_AGO, EndTime: NOW, Period: 60, Statistics: ['Maximum']},
    })
    const s3Query = (bucket: string, MetricName: string) => ({
      region: PRIMARY,
      api: 'GetMetricStatistics',
      input: {
        Namespace: 'AWS/S3',
        MetricName,
        Dimensions: [{Name: 'SourceBucket', Value: bucket}, {Name: 'DestinationBucket', Value: `${bucket}-recovery`}, {Name: 'RuleId', Value: 'to-recovery'}],
        StartTime: FIVE_MINUTES_AGO,
        EndTime: NOW,
        Period: 60,
        Statistics: ['Maximum'],
      },
    })
    const sorted = (list: typeof calls) => [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
    expect(sorted(calls)).toEqual(
      sorted([
        {region: PRIMARY, api: 'DescribeStacks', input: {StackName: 'fintech-prod-foundation'}},
        {region: PRIMARY, api: 'DescribeStacks', input: {StackName: 'fintech-prod-data'}},
        {region: PRIMARY, api: 'DescribeStacks', input: {StackName: 'fintech-prod-compute'}},
        {region: PRIMARY, api: 'DescribeGlobalClusters', input: {GlobalClusterIdentifier: 'fintech-prod-ledger-global'}},
        lagQuery('AuroraGlobalDBReplicationLag'),
        lagQuery('AuroraGlobalDBRPOLag'),
        {region: PRIMARY, api: 'DescribeTable', input: {TableName: 'fintech-prod-sessions'}},
        {region: PRIMARY, api: 'GetBucketReplication', input: {Bucket: 'fintech-prod-artifacts'}},
        {region: PRIMARY, api: 'GetBucketReplication', input: {Bucket: 'fintech-prod-redis-backups'}},
        s3Query('fintech-prod-artifacts', 'OperationsPendingReplication'),
        s3Query('fintech-prod-artifacts', 'ReplicationLatency'),
        s3Query('fintech-prod-redis-backups', 'OperationsPendingReplication'),
        s3Query('fintech-prod-redis-backups', 'ReplicationLatency'),
        {
          region: PRIMARY,
          api: 'ListCopyJobs',
          input: {ByDestinationVaultArn: `arn:aws:backup:${RECOVERY}:${ACCOUNT}:backup-vault:fintech-prod-vault-recovery`, ByState: 'COMPLETED', ByCreatedAfter: SEVEN_DAYS_AGO, MaxResults: 100, NextToken: undefined},
        },
        {region: PRIMARY, api: 'GetHealthCheck', input: {HealthCheckId: 'hc-primary'}},
        {region: PRIMARY, api: 'GetHealthCheckStatus', input: {HealthCheckId: 'hc-primary'}},
        {region: PRIMARY, api: 'GetHealthCheck', input: {HealthCheckId: 'hc-recovery'}},
        {region: PRIMARY, api: 'GetHealthCheckStatus', input: {HealthCheckId: 'hc-recovery'}},
      ]),
    )
    expect(run.json).toMatchObject({
      env: 'prod',
      primaryRegion: PRIMARY,
      recoveryRegion: RECOVERY,
      rpoSeconds: 60,
      rtoMinutes: 30,
      state: 'ok',
      aurora: {state: 'ok', writerRegion: PRIMARY, secondaryRegion: RECOVERY, secondaryClusterId: 'fintech-prod-aurora-recovery', replicationLagMs: 180, rpoLagMs: 900, problems: []},
      dynamodb: {state: 'ok', table: 'fintech-prod-sessions', replicas: [{region: RECOVERY, status: 'ACTIVE'}]},
      buckets: [
        {state: 'ok', bucket: 'fintech-prod-artifacts', source: 'fintech-prod-foundation.ArtifactBucketName', destinationBucket: 'fintech-prod-artifacts-recovery', pendingOperations: 3, latencySeconds: 12},
        {state: 'ok', bucket: 'fintech-prod-redis-backups', destinationBucket: 'fintech-prod-redis-backups-recovery'},
      ],
      backup: {state: 'ok', destinationVault: 'fintech-prod-vault-recovery', lastCopyJobId: 'copy-new', lastCopyCompletedAt: '2026-12-04T03:10:00.000Z', ageHours: 8.8},
      health: [
        {role: 'primary', region: PRIMARY, state: 'ok', endpointHealthy: true, healthyCheckers: 4, checkers: 4},
        {role: 'recovery', region: RECOVERY, state: 'ok', endpointHealthy: true},
      ],
      serving: {state: 'ok', dnsRegion: PRIMARY, writerRegion: PRIMARY},
    })
  })

  it('prints one line per check and the verdict', async () => {
    answer(healthyWorld())
    const run = await dr('--env', 'prod')
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('DR of prod: eu-west-1 -> eu-west-2, RPO 60 s, RTO 30 min, checked 2026-12-04T12:00:00.000Z')
    expect(run.stdout).toContain('ok  Aurora global fintech-prod-ledger-global: available, writer fintech-prod-aurora (eu-west-1), secondary fintech-prod-aurora-recovery (eu-west-2), replication lag 180 ms, RPO lag 900 ms')
    expect(run.stdout).toContain('ok  Serving: traffic eu-west-1, Aurora writer eu-west-1')
    expect(run.stdout.trim().split('\n').at(-1)).toBe('DR in bounds')
  })

  it('exits 1 when the RPO lag of the secondary exceeds recovery.rpoSeconds', async () => {
    answer({...healthyWorld(), rpoLagMs: 75_000})
    const run = await dr('--env', 'prod', '--json')
    expect(run.exitCode).toBe(1)
    expect(run.json.state).toBe('out-of-bounds')
    expect(run.json.aurora.problems).toEqual([
      {state: 'out-of-bounds', message: 'RPO lag of fintech-prod-aurora-recovery (eu-west-2) reached 75000 ms in the last 5 minutes, over the RPO of 60 s'},
    ])
  })

  it('exits 3 when the lag has no datapoint and nothing else is wrong', async () => {
    answer({...healthyWorld(), rpoLagMs: undefined})
    const run = await dr('--env', 'prod', '--json')
    expect(run.exitCode).toBe(3)
    expect(run.json.aurora.problems).toEqual([{state: 'unreadable', message: 'no AuroraGlobalDBRPOLag datapoint for fintech-prod-aurora-recovery (eu-west-2) in the last 5 minutes'}])
  })

  it('exits 1 when the DynamoDB replica in the recovery region is not ACTIVE', async () => {
    answer({...healthyWorld(), replicaStatus: 'INACCESSIBLE_ENCRYPTION_CREDENTIALS'})
    const run = await dr('--env', 'prod')
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain('OUT DynamoDB fintech-prod-sessions: eu-west-2 INACCESSIBLE_ENCRYPTION_CREDENTIALS')
    expect(run.stdout).toContain('out of bounds: the eu-west-2 replica of fintech-prod-sessions is INACCESSIBLE_ENCRYPTION_CREDENTIALS, not ACTIVE')
    expect(run.stdout.trim().split('\n').at(-1)).toBe('DR OUT OF BOUNDS (exit 1)')
  })

  it('exits 1 when the primary endpoint is unhealthy, and says traffic and writer are apart', async () => {
    answer({...healthyWorld(), primaryObservations: [FAILURE, FAILURE, FAILURE, FAILURE, FAILURE, FAILURE, SUCCESS]})
    const run = await dr('--env', 'prod', '--json')
    expect(run.exitCode).toBe(1)
    expect(run.json.health[0]).toMatchObject({
      state: 'out-of-bounds',
      endpointHealthy: false,
      healthyCheckers: 1,
      checkers: 7,
      problems: [{state: 'out-of-bounds', message: 'the primary endpoint in eu-west-1 is unhealthy: 1 of 7 Route 53 checkers succeed (health check hc-primary)'}],
    })
    expect(run.json.serving).toMatchObject({
      dnsRegion: RECOVERY,
      writerRegion: PRIMARY,
      problems: [{state: 'out-of-bounds', message: 'Route 53 sends traffic to eu-west-2 but the Aurora writer is in eu-west-1: writes fail there'}],
    })
  })

  it('exits 1 when no copy reached the recovery vault in 24 hours', async () => {
    answer({...healthyWorld(), lastCopy: new Date('2026-12-03T11:00:00Z')})
    const run = await dr('--env', 'prod', '--json')
    expect(run.exitCode).toBe(1)
    expect(run.json.backup.problems).toEqual([{state: 'out-of-bounds', message: 'the last copy into fintech-prod-vault-recovery completed 25 h ago, over 24 h'}])
  })

  it('exits 3 naming the stack and output when the compute stack has no health check outputs, and reports the rest', async () => {
    answer({...healthyWorld(), computeOutputs: {FailoverRecordName: 'api.bank.example'}})
    const run = await dr('--env', 'prod', '--json')
    expect(run.exitCode).toBe(3)
    expect(run.json.health.map((check: {problems: unknown}) => check.problems)).toEqual([
      [{state: 'unreadable', message: 'the stack fintech-prod-compute has no output PrimaryHealthCheckId'}],
      [{state: 'unreadable', message: 'the stack fintech-prod-compute has no output RecoveryHealthCheckId'}],
    ])
    expect(run.json.serving.problems).toEqual([{state: 'unreadable', message: 'which region Route 53 serves is unknown: a health check could not be read'}])
    expect(run.json.aurora.state).toBe('ok')
    expect(calls.filter((call) => call.api.startsWith('GetHealthCheck'))).toEqual([])
  })

  it('exits 3 when a source stays throttled, naming the call, and still reports the others', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {name: 'ThrottlingException', $metadata: {httpStatusCode: 400, attempts: 8}})
    answer({...healthyWorld(), tableError: throttled})
    const run = await dr('--env', 'prod', '--json')
    expect(run.exitCode).toBe(3)
    expect(run.json.dynamodb).toMatchObject({state: 'unreadable', table: 'fintech-prod-sessions', problems: [{state: 'unreadable', message: expect.stringContaining('Rate exceeded')}]})
    expect(run.json.aurora.state).toBe('ok')
    expect(run.json.backup.state).toBe('ok')
  })

  it('refuses an env without a recovery region, exit 2, naming the config key, before any AWS call', async () => {
    answer(healthyWorld())
    const run = await dr('--env', 'dev')
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/fintech\.config\.yaml: environments\.dev\.recovery is not set, so dev has no recovery region to report on/)
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(0)
    expect(calls).toEqual([])
  })

  it('with the shipped config, reads the primary-region stacks that sit beside prod\'s recovery stacks, the health checks from the compute stack', async () => {
    answer(healthyWorld())
    const shipped = fileURLToPath(new URL('../../fintech.config.yaml', import.meta.url))

    const run = await runCli(DrStatus, ['--config', shipped, '--env', 'prod', '--json'])

    expect(run.stderr).not.toContain('needs exactly one')
    expect(calls.filter((call) => call.api === 'DescribeStacks').map((call) => [call.region, (call.input as {StackName: string}).StackName]).sort()).toEqual([
      [PRIMARY, 'fintech-prod-compute'],
      [PRIMARY, 'fintech-prod-data'],
      [PRIMARY, 'fintech-prod-foundation'],
    ])
    expect(run.json.health.map((check: {role: string; region: string; healthCheckId: string}) => [check.role, check.region, check.healthCheckId])).toEqual([
      ['primary', PRIMARY, 'hc-primary'],
      ['recovery', 'us-east-1', 'hc-recovery'],
    ])
  })
})
