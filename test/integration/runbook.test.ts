/**
 * `fintech runbook run failover` against moto_server: an Aurora cluster with a writer and
 * readers in other AZs (named as the data stage names them), the ledger's ECS service and
 * target group, the readers' replica lag in CloudWatch — all made in the emulator — then the
 * built CLI fails the cluster over and the writer is checked in the emulator.
 */
import {CloudWatchClient, PutMetricDataCommand} from '@aws-sdk/client-cloudwatch'
import {CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand} from '@aws-sdk/client-ec2'
import {CreateClusterCommand, CreateServiceCommand, ECSClient, RegisterTaskDefinitionCommand} from '@aws-sdk/client-ecs'
import {CreateTargetGroupCommand, ElasticLoadBalancingV2Client, RegisterTargetsCommand} from '@aws-sdk/client-elastic-load-balancing-v2'
import {CreateDBClusterCommand, CreateDBInstanceCommand, DescribeDBClustersCommand, RDSClient} from '@aws-sdk/client-rds'
import {CreateSecretCommand, SecretsManagerClient} from '@aws-sdk/client-secrets-manager'
import {GetParameterCommand, SSMClient} from '@aws-sdk/client-ssm'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {explain, REGION, repositoryProject, scratchDir, useMoto} from './moto.js'

const ctx = useMoto()
const scratch = scratchDir('fintech-it-runbook-')
let rds: RDSClient
let cloudwatch: CloudWatchClient
let ecs: ECSClient
let elbv2: ElasticLoadBalancingV2Client
let config: string

beforeAll(() => {
  const settings = {endpoint: ctx.moto.endpoint, region: REGION, credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}}
  rds = new RDSClient(settings)
  cloudwatch = new CloudWatchClient(settings)
  ecs = new ECSClient(settings)
  elbv2 = new ElasticLoadBalancingV2Client(settings)
  config = repositoryProject(scratch.dir)
  // Run state files go to the scratch folder, not the user's home (the CLI's XDG_STATE_HOME).
  process.env.XDG_STATE_HOME = join(scratch.dir, 'state')
})
afterAll(() => {
  for (const client of [rds, cloudwatch, ecs, elbv2]) client?.destroy()
  scratch.cleanup()
})

interface Platform {
  targetGroupArn: string
}

const WRITER = 'fintech-dev-aurora-1'
const ZONES = [`${REGION}a`, `${REGION}b`, `${REGION}c`]

/** The writer, then one reader per entry of `readerLags` (its AuroraReplicaLag in ms, or no datapoint), each in the next AZ. */
async function createPlatform(...readerLags: Array<number | undefined>): Promise<Platform> {
  await rds.send(new CreateDBClusterCommand({DBClusterIdentifier: 'fintech-dev-ledger', Engine: 'aurora-postgresql', MasterUsername: 'ledger_admin', MasterUserPassword: 'not-a-real-secret-1'}))
  for (let n = 0; n <= readerLags.length; n++) {
    await rds.send(new CreateDBInstanceCommand({DBInstanceIdentifier: `fintech-dev-aurora-${n + 1}`, DBClusterIdentifier: 'fintech-dev-ledger', Engine: 'aurora-postgresql', DBInstanceClass: 'db.r6g.large', AvailabilityZone: ZONES[n]}))
  }
  for (const [index, lag] of readerLags.entries()) {
    if (lag === undefined) continue
    // Half a minute old: moto 5.2.1 drops the milliseconds of EndTime and excludes it, so a
    // datapoint from the same second as the CLI's read would be missed.
    await cloudwatch.send(new PutMetricDataCommand({Namespace: 'AWS/RDS', MetricData: [{MetricName: 'AuroraReplicaLag', Dimensions: [{Name: 'DBInstanceIdentifier', Value: `fintech-dev-aurora-${index + 2}`}], Value: lag, Unit: 'Milliseconds', Timestamp: new Date(Date.now() - 30_000)}]}))
  }
  const {Vpc} = await ctx.moto.ec2.send(new CreateVpcCommand({CidrBlock: '10.20.0.0/16'}))
  const {Subnet} = await ctx.moto.ec2.send(new CreateSubnetCommand({VpcId: Vpc!.VpcId!, CidrBlock: '10.20.1.0/24'}))
  const {GroupId} = await ctx.moto.ec2.send(new CreateSecurityGroupCommand({GroupName: 'ledger', Description: 'ledger tasks', VpcId: Vpc!.VpcId!}))
  const {TargetGroups} = await elbv2.send(new CreateTargetGroupCommand({Name: 'fintech-dev-ledger', Protocol: 'HTTP', Port: 8080, VpcId: Vpc!.VpcId!, TargetType: 'ip'}))
  // One ledger task's address in the emulator's data (no traffic goes there); moto reports it healthy.
  await elbv2.send(new RegisterTargetsCommand({TargetGroupArn: TargetGroups![0]!.TargetGroupArn!, Targets: [{Id: '10.20.1.5', Port: 8080}]}))
  await ecs.send(new CreateClusterCommand({clusterName: 'fintech-dev'}))
  await ecs.send(new RegisterTaskDefinitionCommand({family: 'ledger', containerDefinitions: [{name: 'ledger', image: 'ledger:1', memory: 512}]}))
  await ecs.send(new CreateServiceCommand({cluster: 'fintech-dev', serviceName: 'fintech-dev-ledger', taskDefinition: 'ledger', desiredCount: 1, networkConfiguration: {awsvpcConfiguration: {subnets: [Subnet!.SubnetId!], securityGroups: [GroupId!]}}}))
  return {targetGroupArn: TargetGroups![0]!.TargetGroupArn!}
}

const writerOf = async () => (await rds.send(new DescribeDBClustersCommand({DBClusterIdentifier: 'fintech-dev-ledger'}))).DBClusters![0]!.DBClusterMembers!.find((member) => member.IsClusterWriter)?.DBInstanceIdentifier

const failover = (platform: Platform, ...extra: string[]) => [
  'runbook', 'run', 'failover', '--env', 'dev', '--config', config, '--json',
  '--param', 'clusterId=fintech-dev-ledger', '--param', 'ecsCluster=fintech-dev',
  '--param', 'service=fintech-dev-ledger', '--param', `targetGroupArn=${platform.targetGroupArn}`, '--param', 'loadBalancer=app/fintech-dev/1',
  ...extra,
]

describe('fintech runbook run failover against moto_server', {timeout: 90_000}, () => {
  it('fails the cluster over to the reader given: it becomes the writer in the emulator, and the run says succeeded', async () => {
    const platform = await createPlatform(8)
    expect(await writerOf()).toBe(WRITER)
    const run = await ctx.run(failover(platform, '--param', 'targetInstance=fintech-dev-aurora-2', '--yes'))
    expect(run.exitCode, explain(run)).toBe(0)
    expect(await writerOf()).toBe('fintech-dev-aurora-2')
    const state = run.json.run
    expect(state.status).toBe('succeeded')
    expect(state.steps.cluster.outputs).toEqual({Writer: WRITER, WriterCount: 1, Readers: ['fintech-dev-aurora-2'], ReaderCount: 1})
    expect(state.steps.target.outputs).toEqual({Instance: 'fintech-dev-aurora-2', ReplicaLag: 8})
    expect(state.steps['target-is-writer'].status).toBe('succeeded')
    expect(state.steps['targets-serving'].outputs).toEqual({Healthy: 1})
    // No data stack in the emulator: the Redis check fails, is recorded, and ends the run.
    expect(state.steps['redis-sentinel'].status).toBe('failed')
    expect(state.steps.redeploy).toBeUndefined()
    expect(run.audit.map((line) => [line.action, line.result])).toEqual([
      ['runbook failover step failover', 'in-progress'],
      ['runbook failover step failover', 'ok'],
    ])
  })

  it('with no target given, picks the available reader with the least lag: the dry run shows the failover to it, the run makes it', async () => {
    // aurora-2 lags, aurora-3 is in sync, aurora-4 has no datapoint (its lag is unknown: never picked).
    const platform = await createPlatform(40, 8, undefined)
    const dry = await ctx.run(failover(platform, '--dry-run'))
    expect(dry.exitCode, explain(dry)).toBe(0)
    expect(dry.json.run.steps.target).toMatchObject({status: 'succeeded', outputs: {Instance: 'fintech-dev-aurora-3', ReplicaLag: 8}})
    expect(dry.json.run.steps.failover).toMatchObject({status: 'planned', detail: 'would run: rds:FailoverDBCluster {"DBClusterIdentifier":"fintech-dev-ledger","TargetDBInstanceIdentifier":"fintech-dev-aurora-3"}'})
    expect(await writerOf()).toBe(WRITER)
    const real = await ctx.run(failover(platform, '--yes'))
    expect(real.exitCode, explain(real)).toBe(0)
    expect(await writerOf()).toBe('fintech-dev-aurora-3')
  })

  it('with no reader, stops at the has-reader pre-check and says so, changing nothing', async () => {
    const platform = await createPlatform()
    for (const mode of ['--dry-run', '--yes']) {
      const run = await ctx.run(failover(platform, mode))
      expect(run.exitCode, explain(run)).toBe(1)
      expect(run.json.run).toMatchObject({status: 'failed', next: 'has-reader'})
      expect(run.json.run.steps['has-reader'].detail).toBe("0 is not greaterThan 0: no reader to fail over to (the data stage's AuroraReaderCount is 0 in this env)")
      expect(run.audit).toEqual([])
    }
    expect(await writerOf()).toBe(WRITER)
  })

  it('a dry run leaves the writer where it is; a lagging reader stops the run before the failover', async () => {
    const platform = await createPlatform(500)
    const dry = await ctx.run(failover(platform, '--dry-run'))
    expect(dry.exitCode, explain(dry)).toBe(1)
    expect(dry.json.run.steps['lag-under-threshold']).toMatchObject({status: 'failed', detail: '500 is not lessThan 100'})
    const real = await ctx.run(failover(platform, '--yes'))
    expect(real.exitCode, explain(real)).toBe(1)
    expect(real.json.run).toMatchObject({status: 'failed', next: 'lag-under-threshold'})
    expect(await writerOf()).toBe(WRITER)
    expect(real.audit).toEqual([])
  })

  it('fintech runbook failover, as typed during an incident, is runbook run failover: the same dry run, then the failover', async () => {
    const platform = await createPlatform(8)
    const typed = (...extra: string[]) => failover(platform, ...extra).filter((arg, position) => !(position === 1 && arg === 'run'))
    const steady = (run: {exitCode: number | null; json?: any}) => ({exitCode: run.exitCode, steps: Object.fromEntries(Object.entries(run.json.run.steps).map(([name, step]: [string, any]) => [name, {status: step.status, outputs: step.outputs}]))})
    const dry = await ctx.run(typed('--dry-run'))
    expect(dry.exitCode, explain(dry)).toBe(0)
    expect(steady(dry)).toEqual(steady(await ctx.run(failover(platform, '--dry-run'))))
    expect(dry.json.run.steps.target.outputs).toEqual({Instance: 'fintech-dev-aurora-2', ReplicaLag: 8})
    expect(await writerOf()).toBe(WRITER)
    const real = await ctx.run(typed('--yes'))
    expect(real.json.run.steps['target-is-writer'].status, explain(real)).toBe('succeeded')
    expect(await writerOf()).toBe('fintech-dev-aurora-2')
    expect(real.audit.map((line) => line.action)).toEqual(['runbook failover step failover', 'runbook failover step failover'])
  })
})

describe('fintech runbook run with a secret against moto_server', {timeout: 90_000}, () => {
  const SECRET = 'moto-ledger-api-key-4c1d'
  const RUNBOOK = `name: publish-api-key
title: Publish the ledger API key
description: d
whenToUse: w
severity: sev3
envs: [dev]
steps:
  - name: read
    kind: aws
    service: secretsmanager
    api: GetSecretValue
    parameters: {SecretId: ledger/api-key}
    outputs:
      key: $.SecretString
  - name: publish
    kind: aws
    service: ssm
    api: PutParameter
    parameters: {Name: /ledger/api-key, Value: '{{ steps.read.outputs.key }}', Type: SecureString, Overwrite: true}
prose: p
`

  it('puts the secret where the runbook says, and it is in none of the run\'s output, state or audit files', async () => {
    const settings = {endpoint: ctx.moto.endpoint, region: REGION, credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}}
    const secrets = new SecretsManagerClient(settings)
    const ssm = new SSMClient(settings)
    try {
      await secrets.send(new CreateSecretCommand({Name: 'ledger/api-key', SecretString: SECRET}))
      writeFileSync(join(scratch.dir, 'runbooks', 'publish-api-key.yaml'), RUNBOOK)
      const run = await ctx.run(['runbook', 'run', 'publish-api-key', '--env', 'dev', '--config', config, '--json', '--yes'])
      expect(run.exitCode, explain(run)).toBe(0)
      expect((await ssm.send(new GetParameterCommand({Name: '/ledger/api-key', WithDecryption: true}))).Parameter!.Value).toBe(SECRET)
      expect(run.json.run.steps.read.outputs).toEqual({key: '[redacted]'})
      const runs = join(scratch.dir, 'state', 'fintech', 'runs')
      const files = readdirSync(runs).filter((name) => name.startsWith(run.json.run.id)).map((name) => readFileSync(join(runs, name), 'utf8'))
      expect(files).toHaveLength(2)
      for (const text of [run.stdout, run.stderr, JSON.stringify(run.audit), ...files]) expect(text).not.toContain(SECRET)
    } finally {
      secrets.destroy()
      ssm.destroy()
    }
  })
})
