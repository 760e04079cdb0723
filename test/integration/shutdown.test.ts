/**
 * `fintech shutdown` against moto_server: an inventory made in the emulator (instances, Redis
 * nodes, an Auto Scaling group, a Fargate service with a scaling target, an Aurora cluster,
 * and things it must leave alone), stopped and started by the built CLI, checked in the
 * emulator after each run.
 */
import {ApplicationAutoScalingClient, DescribeScalableTargetsCommand, RegisterScalableTargetCommand} from '@aws-sdk/client-application-auto-scaling'
import {AutoScalingClient, CreateAutoScalingGroupCommand, CreateLaunchConfigurationCommand, DescribeAutoScalingGroupsCommand} from '@aws-sdk/client-auto-scaling'
import {CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, DescribeImagesCommand, RunInstancesCommand, StartInstancesCommand, StopInstancesCommand} from '@aws-sdk/client-ec2'
import {CreateClusterCommand, CreateServiceCommand, DescribeServicesCommand, ECSClient, RegisterTaskDefinitionCommand} from '@aws-sdk/client-ecs'
import {CreateDBClusterCommand, DescribeDBClustersCommand, RDSClient} from '@aws-sdk/client-rds'
import {CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client} from '@aws-sdk/client-s3'
import {createServer, request as httpRequest, type IncomingMessage} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {ACCOUNT, explain, readAudit, FIXTURE_CONFIG, instances, REGION, runCli, useMoto} from './moto.js'

// What a healthy Redis node prints for the probe the CLI sends through SSM Run Command.
const ctx = useMoto({FINTECH_MOTO_SSM_OUTPUT: 'master 10.0.2.11:6379\nPONG'})
const BUCKET = `fintech-artifacts-${ACCOUNT}-${REGION}`
const SERVICE_RESOURCE = 'service/fintech-dev/ledger'

let s3: S3Client
let ecs: ECSClient
let rds: RDSClient
let scaling: ApplicationAutoScalingClient
let autoScaling: AutoScalingClient

beforeAll(() => {
  const settings = {endpoint: ctx.moto.endpoint, region: REGION, credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}, forcePathStyle: true}
  s3 = new S3Client(settings)
  ecs = new ECSClient(settings)
  rds = new RDSClient(settings)
  scaling = new ApplicationAutoScalingClient(settings)
  autoScaling = new AutoScalingClient(settings)
})
afterAll(() => {
  for (const client of [s3, ecs, rds, scaling, autoScaling]) client?.destroy()
})

const tags = (values: Record<string, string>) => Object.entries(values).map(([Key, Value]) => ({Key, Value}))

interface Inventory {
  app: string
  redis: string[]
  handStopped: string
  prod: string
  keepAwake: string
}

async function launch(imageId: string, subnetId: string, instanceTags: Record<string, string>): Promise<string> {
  const {Instances} = await ctx.moto.ec2.send(
    new RunInstancesCommand({ImageId: imageId, MinCount: 1, MaxCount: 1, InstanceType: 't4g.small', SubnetId: subnetId, TagSpecifications: [{ResourceType: 'instance', Tags: tags(instanceTags)}]}),
  )
  return Instances![0]!.InstanceId!
}

/** The dev env in small, plus a prod instance and an opted-out one that must stay running. */
async function createInventory(): Promise<Inventory> {
  const {ec2} = ctx.moto
  await s3.send(new CreateBucketCommand({Bucket: BUCKET}))
  const imageId = (await ec2.send(new DescribeImagesCommand({}))).Images![0]!.ImageId!
  const vpcId = (await ec2.send(new CreateVpcCommand({CidrBlock: '10.0.0.0/16'}))).Vpc!.VpcId!
  const subnetId = (await ec2.send(new CreateSubnetCommand({VpcId: vpcId, CidrBlock: '10.0.1.0/24'}))).Subnet!.SubnetId!
  const groupId = (await ec2.send(new CreateSecurityGroupCommand({GroupName: 'ledger', Description: 'ledger tasks', VpcId: vpcId}))).GroupId!

  const dev = {Environment: 'dev'}
  const inventory: Inventory = {
    app: await launch(imageId, subnetId, {...dev, Name: 'bastion'}),
    redis: [await launch(imageId, subnetId, {...dev, 'fintech:redis-seed': 'self'}), await launch(imageId, subnetId, {...dev, 'fintech:redis-seed': '10.0.2.11'})],
    handStopped: await launch(imageId, subnetId, {...dev, Name: 'stopped-by-hand'}),
    prod: await launch(imageId, subnetId, {Environment: 'prod', 'aws:cloudformation:stack-name': 'fintech-dev-servers'}),
    keepAwake: await launch(imageId, subnetId, {...dev, 'fintech:keep-awake': 'true'}),
  }
  await ec2.send(new StopInstancesCommand({InstanceIds: [inventory.handStopped]}))

  await autoScaling.send(new CreateLaunchConfigurationCommand({LaunchConfigurationName: 'workers', ImageId: imageId, InstanceType: 't4g.small'}))
  await autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: 'workers',
      LaunchConfigurationName: 'workers',
      MinSize: 1,
      MaxSize: 3,
      DesiredCapacity: 2,
      VPCZoneIdentifier: subnetId,
      Tags: [{Key: 'Environment', Value: 'dev', PropagateAtLaunch: true}],
    }),
  )

  await ecs.send(new CreateClusterCommand({clusterName: 'fintech-dev'}))
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'ledger',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '512',
      memory: '1024',
      containerDefinitions: [{name: 'ledger', image: 'ledger:1', essential: true}],
    }),
  )
  await ecs.send(
    new CreateServiceCommand({
      cluster: 'fintech-dev',
      serviceName: 'ledger',
      taskDefinition: 'ledger',
      desiredCount: 2,
      launchType: 'FARGATE',
      networkConfiguration: {awsvpcConfiguration: {subnets: [subnetId], securityGroups: [groupId]}},
      tags: [{key: 'Environment', value: 'dev'}],
    }),
  )
  await scaling.send(new RegisterScalableTargetCommand({ServiceNamespace: 'ecs', ResourceId: SERVICE_RESOURCE, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 2, MaxCapacity: 6}))
  await rds.send(new CreateDBClusterCommand({DBClusterIdentifier: 'ledger', Engine: 'aurora-postgresql', MasterUsername: 'ledger_admin', MasterUserPassword: 'not-a-real-secret-1', Tags: tags(dev)}))
  return inventory
}

async function states(): Promise<Record<string, string>> {
  return Object.fromEntries((await instances(ctx.moto)).map((instance) => [instance.InstanceId!, instance.State!.Name!]))
}
const group = async () => (await autoScaling.send(new DescribeAutoScalingGroupsCommand({AutoScalingGroupNames: ['workers']}))).AutoScalingGroups![0]!
const service = async () => (await ecs.send(new DescribeServicesCommand({cluster: 'fintech-dev', services: ['ledger']}))).services![0]!
const target = async () => (await scaling.send(new DescribeScalableTargetsCommand({ServiceNamespace: 'ecs', ResourceIds: [SERVICE_RESOURCE]}))).ScalableTargets![0]!
const cluster = async () => (await rds.send(new DescribeDBClustersCommand({DBClusterIdentifier: 'ledger'}))).DBClusters![0]!
const shutdownArgs = (action: string, ...extra: string[]) => ['shutdown', action, '--env', 'dev', '--config', FIXTURE_CONFIG, '--json', ...extra]
const shutdown = (action: string, ...extra: string[]) => ctx.run(shutdownArgs(action, ...extra))

interface Forwarded {
  method: string
  path: string
  ifNoneMatch?: string
  status: number
  /** moto answered, but the proxy cut the connection instead of passing the answer on. */
  dropped: boolean
}

/**
 * A pass-through proxy in front of moto that loses one answer: the first request `lose` picks
 * reaches moto and takes effect, then the connection is cut before the response, as a flaky
 * network or an overloaded proxy does. Records every request it forwarded.
 */
async function answerLosingProxy(upstream: string, lose: (request: IncomingMessage) => boolean) {
  const forwarded: Forwarded[] = []
  let lost = false
  const server = createServer((incoming, outgoing) => {
    const body: Buffer[] = []
    incoming.on('data', (chunk: Buffer) => body.push(chunk))
    incoming.on('end', () => {
      const upstreamRequest = httpRequest(`${upstream}${incoming.url}`, {method: incoming.method, headers: incoming.headers}, (answer) => {
        const answerBody: Buffer[] = []
        answer.on('data', (chunk: Buffer) => answerBody.push(chunk))
        answer.on('end', () => {
          const drop = !lost && lose(incoming)
          lost ||= drop
          const ifNoneMatch = incoming.headers['if-none-match']
          forwarded.push({method: incoming.method!, path: incoming.url!.split('?')[0]!, ...(ifNoneMatch ? {ifNoneMatch} : {}), status: answer.statusCode!, dropped: drop})
          if (drop) return void incoming.socket.destroy()
          outgoing.writeHead(answer.statusCode!, answer.headers)
          outgoing.end(Buffer.concat(answerBody))
        })
      })
      upstreamRequest.on('error', (error) => outgoing.destroy(error))
      upstreamRequest.end(Buffer.concat(body))
    })
  })
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening))
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forwarded,
    close: () => new Promise<void>((closed) => server.close(() => closed()).closeAllConnections()),
  }
}

async function manifestKeys(): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({Bucket: BUCKET, Prefix: 'fintech/shutdown/dev/'}))
  return (listed.Contents ?? []).map((object) => object.Key!)
}
async function readObject(key: string): Promise<any> {
  return JSON.parse(await (await s3.send(new GetObjectCommand({Bucket: BUCKET, Key: key}))).Body!.transformToString())
}

describe('shutdown against moto', {timeout: 120_000}, () => {
  let inventory: Inventory
  beforeEach(async () => {
    inventory = await createInventory()
  })

  it('stops the env, leaves prod and opted-out resources running, and start restores exactly the prior state', async () => {
    const before = await states()
    const asgInstances = (await group()).Instances!.map((instance) => instance.InstanceId!)
    expect(asgInstances).toHaveLength(2)

    const plan = await ctx.run(['shutdown', 'plan', '--env', 'dev', '--config', FIXTURE_CONFIG, '--json'])
    expect(plan.exitCode, explain(plan)).toBe(0)
    expect(await states()).toEqual(before)
    expect(await manifestKeys()).toEqual([])

    const stop = await shutdown('stop')
    expect(stop.exitCode, explain(stop)).toBe(0)
    const after = await states()
    for (const id of [inventory.app, ...inventory.redis, inventory.handStopped]) expect(after[id], id).toBe('stopped')
    expect(after[inventory.prod]).toBe('running')
    expect(after[inventory.keepAwake]).toBe('running')
    expect(await group()).toMatchObject({MinSize: 0, MaxSize: 0, DesiredCapacity: 0})
    expect((await service()).desiredCount).toBe(0)
    expect(await target()).toMatchObject({MinCapacity: 0, MaxCapacity: 6, SuspendedState: {DynamicScalingInSuspended: true, DynamicScalingOutSuspended: true, ScheduledScalingSuspended: true}})
    expect((await cluster()).Status).toBe('stopped')
    // The ASG's own instances are the group's business: stop never names them.
    expect(stop.json.results.map((result: {id: string}) => result.id)).not.toContain(asgInstances[0])
    expect(stop.json.skipped).toEqual(
      expect.arrayContaining([
        {kind: 'ec2-instance', id: inventory.prod, reason: 'tagged Environment=prod: never touched'},
        {kind: 'ec2-instance', id: inventory.keepAwake, reason: 'fintech:keep-awake=true'},
      ]),
    )

    const [key] = await manifestKeys().then((keys) => keys.filter((candidate) => candidate.includes('/manifests/')))
    const manifest = await readObject(key!)
    expect(manifest.status).toBe('stopped')
    expect(manifest.resources.find((entry: {id: string}) => entry.id === inventory.handStopped).prior).toEqual({state: 'stopped'})
    expect(manifest.resources.find((entry: {kind: string}) => entry.kind === 'auto-scaling-group').prior).toEqual({min: 1, max: 3, desired: 2})
    expect(manifest.resources.find((entry: {kind: string}) => entry.kind === 'ecs-service').prior).toEqual({
      desiredCount: 2,
      scaling: {resourceId: SERVICE_RESOURCE, min: 2, max: 6, suspended: {dynamicScalingIn: false, dynamicScalingOut: false, scheduled: false}},
    })
    expect(stop.audit.filter((line) => line.action === 'shutdown-stop-ec2-instance').map((line) => (line as {resource?: string}).resource).sort()).toEqual([inventory.app, ...inventory.redis].sort())

    const status = await shutdown('status')
    expect(status.exitCode, explain(status)).toBe(0)
    expect(status.json.manifest).toMatchObject({key, status: 'stopped'})
    expect(status.json.lock).toBeUndefined()
    const awaiting = Object.fromEntries(status.json.resources.map((resource: {id: string; awaitsStart: boolean}) => [resource.id, resource.awaitsStart]))
    expect(awaiting).toMatchObject({[inventory.app]: true, [inventory.redis[0]!]: true, [inventory.handStopped]: false, ledger: true, workers: true})

    const start = await shutdown('start')
    expect(start.exitCode, explain(start)).toBe(0)
    const restored = await states()
    for (const id of [inventory.app, ...inventory.redis, inventory.prod, inventory.keepAwake]) expect(restored[id], id).toBe('running')
    expect(restored[inventory.handStopped]).toBe('stopped')
    expect(await group()).toMatchObject({MinSize: 1, MaxSize: 3, DesiredCapacity: 2})
    expect((await service()).desiredCount).toBe(2)
    expect(await target()).toMatchObject({MinCapacity: 2, MaxCapacity: 6, SuspendedState: {DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false}})
    expect((await cluster()).Status).toBe('available')
    expect((await readObject(key!)).status).toBe('started')
    expect(start.stderr).toContain('Redis master reachable: 10.0.2.11:6379')

    // A second start has no open period: nothing to do.
    const again = await shutdown('start')
    expect(again.exitCode, explain(again)).toBe(0)
    expect(again.json.nothingToDo).toBe('no open shutdown period for dev: nothing was stopped, so nothing is started')
  })

  it('labels each resource by what start will do, on a second stop and on start, and start does it', async () => {
    const first = await shutdown('stop')
    expect(first.exitCode, explain(first)).toBe(0)
    const again = await shutdown('stop')
    expect(again.exitCode, explain(again)).toBe(0)
    const labelOf = (run: {json?: any}, id: string) => run.json.results.find((result: {id: string}) => result.id === id)
    expect(labelOf(again, inventory.app)).toMatchObject({op: 'none', result: 'unchanged', current: 'stopped', detail: 'already stopped; start brings it back in the morning'})
    expect(labelOf(again, inventory.handStopped)).toMatchObject({op: 'none', result: 'unchanged', current: 'stopped', detail: 'already stopped; stays stopped in the morning'})

    // During the night someone starts the instance that was stopped before it.
    await ctx.moto.ec2.send(new StartInstancesCommand({InstanceIds: [inventory.handStopped]}))
    const status = await shutdown('status')
    expect(status.exitCode, explain(status)).toBe(0)
    expect(status.json.resources.find((resource: {id: string}) => resource.id === inventory.handStopped)).toMatchObject({
      now: 'running',
      awaitsStart: false,
      note: 'was stopped before the night and started by hand since; start leaves it running',
    })

    const start = await shutdown('start')
    expect(start.exitCode, explain(start)).toBe(0)
    expect(labelOf(start, inventory.handStopped)).toMatchObject({op: 'none', result: 'unchanged', current: 'running', detail: 'was stopped before the night and started by hand since; start leaves it running'})
    const after = await states()
    for (const id of [inventory.app, ...inventory.redis, inventory.handStopped]) expect(after[id], id).toBe('running')
  })

  it('lets one of two concurrent runs in; the other exits 1 and changes nothing', async () => {
    const stop = await shutdown('stop')
    expect(stop.exitCode, explain(stop)).toBe(0)
    const runs = await Promise.all([shutdown('start'), shutdown('start')])
    const codes = runs.map((run) => run.exitCode).sort()
    expect(codes, runs.map(explain).join('\n')).toEqual([0, 1])
    const loser = runs.find((run) => run.exitCode === 1)!
    // With --json, oclif prints the error as JSON on stdout.
    expect(loser.json.error.message).toMatch(/another fintech shutdown run holds the lock of dev: start run \S+ by arn:aws:sts::123456789012:\S+ since \S+ \(expires \S+\); nothing was done/)
    // Both runs write to this test's one audit log: once both are done, exactly one start run is in it.
    expect(readAudit(ctx.auditLog).filter((line) => line.action === 'shutdown-start')).toHaveLength(1)
    const manifest = await readObject((await manifestKeys()).find((key) => key.includes('/manifests/'))!)
    expect(manifest.runs.map((run: {command: string}) => run.command)).toEqual(['stop', 'start'])
    expect(manifest.status).toBe('started')
    expect(await manifestKeys()).not.toContain('fintech/shutdown/dev/lock.json')
  })

  it('does nothing while another run holds the lock', async () => {
    const since = new Date()
    const holder = {runId: 'other-run', command: 'stop', by: 'arn:aws:sts::123456789012:assumed-role/scheduler/task', since: since.toISOString(), expires: new Date(since.getTime() + 3_600_000).toISOString()}
    await s3.send(new PutObjectCommand({Bucket: BUCKET, Key: 'fintech/shutdown/dev/lock.json', Body: JSON.stringify(holder)}))
    const before = await states()
    const stop = await shutdown('stop')
    expect(stop.exitCode, explain(stop)).toBe(1)
    expect(stop.json.error.message).toContain('another fintech shutdown run holds the lock of dev: stop run other-run by arn:aws:sts::123456789012:assumed-role/scheduler/task')
    expect(await states()).toEqual(before)
    expect((await service()).desiredCount).toBe(2)
    expect(await manifestKeys()).toEqual(['fintech/shutdown/dev/lock.json'])
    expect((await readObject('fintech/shutdown/dev/lock.json')).runId).toBe('other-run')
  })

  it('goes on when the answer to its lock write is lost: the retried write meets its own lock, which it recognises, and releases it at the end', async () => {
    const lockPath = `/${BUCKET}/fintech/shutdown/dev/lock.json`
    const proxy = await answerLosingProxy(ctx.moto.endpoint, (request) => request.method === 'PUT' && request.url!.split('?')[0] === lockPath)
    try {
      const stop = await runCli(proxy, shutdownArgs('stop'), ctx.auditLog)
      expect(stop.exitCode, explain(stop)).toBe(0)
      // The create landed and its answer was lost; the SDK's retry of it was refused by its own lock.
      expect(proxy.forwarded.filter((request) => request.path === lockPath)).toEqual([
        {method: 'PUT', path: lockPath, ifNoneMatch: '*', status: 200, dropped: true},
        {method: 'PUT', path: lockPath, ifNoneMatch: '*', status: 412, dropped: false},
        {method: 'GET', path: lockPath, status: 200, dropped: false},
        // The first heartbeat, then the release.
        {method: 'GET', path: lockPath, status: 200, dropped: false},
        {method: 'PUT', path: lockPath, status: 200, dropped: false},
        {method: 'GET', path: lockPath, status: 200, dropped: false},
        {method: 'DELETE', path: lockPath, status: 204, dropped: false},
      ])
    } finally {
      await proxy.close()
    }
    const after = await states()
    for (const id of [inventory.app, ...inventory.redis]) expect(after[id], id).toBe('stopped')
    expect((await service()).desiredCount).toBe(0)
    expect((await cluster()).Status).toBe('stopped')
    expect(await manifestKeys()).not.toContain('fintech/shutdown/dev/lock.json')
    const manifest = await readObject((await manifestKeys()).find((key) => key.includes('/manifests/'))!)
    expect(manifest).toMatchObject({status: 'stopped', runs: [{command: 'stop'}]})

    // The next run is not locked out.
    const start = await shutdown('start')
    expect(start.exitCode, explain(start)).toBe(0)
  })

  it('refuses a damaged manifest with exit 2 and changes nothing', async () => {
    const stop = await shutdown('stop')
    expect(stop.exitCode, explain(stop)).toBe(0)
    const key = (await manifestKeys()).find((candidate) => candidate.includes('/manifests/'))!
    await s3.send(new PutObjectCommand({Bucket: BUCKET, Key: key, Body: '{"version": 1, "env": "dev"'}))
    const before = await states()
    const start = await shutdown('start')
    expect(start.exitCode, explain(start)).toBe(2)
    expect(start.json.error.message).toContain(`${key}: not valid JSON`)
    expect(await states()).toEqual(before)
    expect((await service()).desiredCount).toBe(0)
    expect(await manifestKeys()).not.toContain('fintech/shutdown/dev/lock.json')
  })
})
