// `shutdown stop` then `shutdown start` of a big dev env, through the built command classes
// and the real src/aws adapters, against aws-sdk-client-mock'd SDK clients.
//
// The mocked account answers as AWS does where it shapes the number of calls: DescribeInstances
// pages of at most 1,000 and at most 1,000 named ids, DescribeInstanceStatus at most 100 named
// ids, ListServices pages of 100, DescribeServices at most 10 services, DescribeScalableTargets
// at most 50 ids and pages of 50, RDS pages of 100, S3 conditional writes. Started instances
// show pending once, then running; started clusters show starting once, then available. The
// Redis probe's SSM command succeeds at once. Every request is counted by kind.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createHash} from 'node:crypto'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {ApplicationAutoScalingClient, DescribeScalableTargetsCommand, RegisterScalableTargetCommand} from '@aws-sdk/client-application-auto-scaling'
import {AutoScalingClient, DescribeAutoScalingGroupsCommand} from '@aws-sdk/client-auto-scaling'
import {CloudFormationClient, DescribeStacksCommand} from '@aws-sdk/client-cloudformation'
import {DescribeInstanceStatusCommand, DescribeInstancesCommand, EC2Client, StartInstancesCommand, StopInstancesCommand} from '@aws-sdk/client-ec2'
import {DescribeServicesCommand, ECSClient, ListClustersCommand, ListServicesCommand, UpdateServiceCommand} from '@aws-sdk/client-ecs'
import {DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient, StartDBClusterCommand, StopDBClusterCommand} from '@aws-sdk/client-rds'
import {DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client} from '@aws-sdk/client-s3'
import {GetCommandInvocationCommand, SendCommandCommand, SSMClient} from '@aws-sdk/client-ssm'
import {GetCallerIdentityCommand, STSClient} from '@aws-sdk/client-sts'
import {Config} from '@oclif/core'
import {mockClient} from 'aws-sdk-client-mock'
import {runQuietly} from './run-quietly.js'

export const SIZE = {instances: 2000, redisNodes: 3, ecsClusters: 20, servicesPerCluster: 10, auroraClusters: 20, membersPerCluster: 2}

const ACCOUNT = '111111111111'
const REGION = 'eu-west-1'
const BUCKET = `fintech-artifacts-${ACCOUNT}-${REGION}`

/** A refusal shaped like the SDK's service exceptions, so the adapters read it the same way. */
const awsError = (name, message, status = 400) => Object.assign(new Error(message), {name, $fault: 'client', $metadata: {httpStatusCode: status}})
const page = (items, size, token) => {
  const start = token ? Number(token) : 0
  const end = start + size
  return {items: items.slice(start, end), next: end < items.length ? String(end) : undefined}
}
const tagList = (tags) => Object.entries(tags).map(([Key, Value]) => ({Key, Value}))
const instanceId = (n) => `i-0${n.toString(16).padStart(16, '0')}`

/** The dev env at scale: app instances (a quarter of them also found through a stack), a few Redis nodes, services with scaling targets, Aurora clusters. */
function bigAccount() {
  const instances = new Map()
  for (let n = 0; n < SIZE.instances; n++) {
    const redis = n < SIZE.redisNodes
    const tags = redis
      ? {Environment: 'dev', 'aws:cloudformation:stack-name': 'fintech-dev-data', 'fintech:redis-seed': n === 0 ? 'self' : '10.0.0.1'}
      : {Environment: 'dev', Name: `app-${n}`, ...(n % 4 === 0 ? {'aws:cloudformation:stack-name': 'fintech-dev-compute'} : {})}
    instances.set(instanceId(n), {id: instanceId(n), state: 'running', type: redis ? 'r7g.large' : 't4g.medium', tags})
  }
  const services = new Map()
  const targets = new Map()
  for (let c = 1; c <= SIZE.ecsClusters; c++) {
    const cluster = `fintech-dev-c${String(c).padStart(2, '0')}`
    for (let s = 1; s <= SIZE.servicesPerCluster; s++) {
      const name = `svc-${s}`
      services.set(`arn:aws:ecs:${REGION}:${ACCOUNT}:service/${cluster}/${name}`, {cluster, name, desired: 2, running: 2, tags: {Environment: 'dev'}})
      targets.set(`service/${cluster}/${name}`, {min: 1, max: 4, suspended: [false, false, false]})
    }
  }
  const clusters = new Map()
  for (let c = 1; c <= SIZE.auroraClusters; c++) {
    const id = `fintech-dev-db${String(c).padStart(2, '0')}`
    clusters.set(id, {id, status: 'available', tags: {Environment: 'dev'}})
  }
  return {instances, services, targets, clusters, objects: new Map()}
}

/** What must come back exactly after stop then start. */
const snapshot = (account) =>
  JSON.stringify({
    instances: [...account.instances.values()].map((instance) => instance.state),
    services: [...account.services.values()].map((service) => service.desired),
    targets: [...account.targets.values()],
    clusters: [...account.clusters.values()].map((cluster) => cluster.status),
  })

function installMocks(account) {
  const mocks = {
    sts: mockClient(STSClient),
    cfn: mockClient(CloudFormationClient),
    s3: mockClient(S3Client),
    ec2: mockClient(EC2Client),
    autoScaling: mockClient(AutoScalingClient),
    ecs: mockClient(ECSClient),
    scaling: mockClient(ApplicationAutoScalingClient),
    rds: mockClient(RDSClient),
    ssm: mockClient(SSMClient),
  }
  for (const mock of Object.values(mocks)) mock.onAnyCommand().rejects(new Error('not mocked by bench/shutdown.js'))
  const {sts, cfn, s3, ec2, autoScaling, ecs, scaling, rds, ssm} = mocks

  sts.on(GetCallerIdentityCommand).resolves({Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/bench`, UserId: 'BENCH'})
  cfn.on(DescribeStacksCommand).callsFake((input) => ({
    Stacks: [{StackName: input.StackName, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: [{OutputKey: 'RedisMasterName', OutputValue: 'fintech-dev-redis'}]}],
  }))

  const etag = (body) => `"${createHash('md5').update(body).digest('hex')}"`
  s3.on(PutObjectCommand).callsFake((input) => {
    const current = account.objects.get(input.Key)
    if ((input.IfNoneMatch === '*' && current) || (input.IfMatch !== undefined && current?.etag !== input.IfMatch)) throw awsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412)
    account.objects.set(input.Key, {body: String(input.Body), etag: etag(String(input.Body))})
    return {ETag: etag(String(input.Body))}
  })
  s3.on(GetObjectCommand).callsFake((input) => {
    const stored = account.objects.get(input.Key)
    if (!stored) throw awsError('NoSuchKey', 'The specified key does not exist.', 404)
    return {Body: {transformToString: async () => stored.body}, ETag: stored.etag}
  })
  s3.on(ListObjectsV2Command).callsFake((input) => {
    const {items, next} = page([...account.objects.keys()].filter((key) => key.startsWith(input.Prefix)).sort(), 1000, input.ContinuationToken)
    return {Contents: items.map((Key) => ({Key})), IsTruncated: next !== undefined, NextContinuationToken: next}
  })
  s3.on(DeleteObjectCommand).callsFake((input) => {
    account.objects.delete(input.Key)
    return {}
  })

  const sdkInstance = (instance) => ({InstanceId: instance.id, InstanceType: instance.type, State: {Name: instance.state}, Tags: tagList(instance.tags)})
  /** A started instance shows pending once, then running. */
  const settle = (instances) => {
    for (const instance of instances) if (instance.state === 'pending') instance.state = 'running'
  }
  ec2.on(DescribeInstancesCommand).callsFake((input) => {
    if (input.InstanceIds) {
      if (input.InstanceIds.length > 1000) throw awsError('InvalidParameterValue', 'at most 1000 instance ids')
      const found = input.InstanceIds.map((id) => account.instances.get(id))
      const answer = {Reservations: found.map((instance) => ({Instances: [sdkInstance(instance)]}))}
      settle(found)
      return answer
    }
    const [tag, states] = input.Filters
    const key = tag.Name.slice('tag:'.length)
    const matching = [...account.instances.values()].filter((instance) => tag.Values.includes(instance.tags[key]) && states.Values.includes(instance.state))
    const {items, next} = page(matching, Math.min(input.MaxResults ?? 1000, 1000), input.NextToken)
    const answer = {Reservations: items.map((instance) => ({Instances: [sdkInstance(instance)]})), NextToken: next}
    settle(items)
    return answer
  })
  ec2.on(StopInstancesCommand).callsFake((input) => {
    for (const id of input.InstanceIds) account.instances.get(id).state = 'stopped'
    return {StoppingInstances: input.InstanceIds.map((InstanceId) => ({InstanceId, CurrentState: {Name: 'stopping'}}))}
  })
  ec2.on(StartInstancesCommand).callsFake((input) => {
    for (const id of input.InstanceIds) account.instances.get(id).state = 'pending'
    return {StartingInstances: input.InstanceIds.map((InstanceId) => ({InstanceId, CurrentState: {Name: 'pending'}}))}
  })
  ec2.on(DescribeInstanceStatusCommand).callsFake((input) => {
    if (input.InstanceIds.length > 100) throw awsError('InvalidParameterValue', 'at most 100 instance ids')
    return {
      InstanceStatuses: input.InstanceIds.map((id) => {
        const status = {Status: account.instances.get(id).state === 'running' ? 'ok' : 'not-applicable'}
        return {InstanceId: id, InstanceState: {Name: account.instances.get(id).state}, SystemStatus: status, InstanceStatus: status}
      }),
    }
  })

  autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({AutoScalingGroups: []})

  const clusterArn = (name) => `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${name}`
  const sdkService = (arn, service) => ({
    serviceArn: arn,
    serviceName: service.name,
    clusterArn: clusterArn(service.cluster),
    status: 'ACTIVE',
    desiredCount: service.desired,
    runningCount: service.running,
    deployments: [{status: 'PRIMARY'}],
    taskDefinition: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${service.name}:1`,
    tags: Object.entries(service.tags).map(([key, value]) => ({key, value})),
  })
  ecs.on(ListClustersCommand).callsFake((input) => {
    const names = [...new Set([...account.services.values()].map((service) => service.cluster))]
    const {items, next} = page(names.map(clusterArn), Math.min(input.maxResults ?? 100, 100), input.nextToken)
    return {clusterArns: items, nextToken: next}
  })
  ecs.on(ListServicesCommand).callsFake((input) => {
    const cluster = input.cluster.split('/').pop()
    const arns = [...account.services.entries()].filter(([, service]) => service.cluster === cluster).map(([arn]) => arn)
    const {items, next} = page(arns, Math.min(input.maxResults ?? 10, 100), input.nextToken)
    return {serviceArns: items, nextToken: next}
  })
  ecs.on(DescribeServicesCommand).callsFake((input) => {
    if (input.services.length > 10) throw awsError('InvalidParameterException', 'services can have at most 10 items.')
    return {services: input.services.map((arn) => sdkService(arn, account.services.get(arn))), failures: []}
  })
  ecs.on(UpdateServiceCommand).callsFake((input) => {
    const service = account.services.get(input.service)
    service.desired = input.desiredCount
    service.running = input.desiredCount
    return {service: sdkService(input.service, service)}
  })

  scaling.on(DescribeScalableTargetsCommand).callsFake((input) => {
    if (input.ResourceIds.length > 50) throw awsError('ValidationException', 'at most 50 resource ids')
    const ids = input.ResourceIds.filter((id) => account.targets.has(id))
    const {items, next} = page(ids, Math.min(input.MaxResults ?? 50, 50), input.NextToken)
    return {
      ScalableTargets: items.map((id) => {
        const {min, max, suspended} = account.targets.get(id)
        return {
          ServiceNamespace: 'ecs',
          ResourceId: id,
          ScalableDimension: 'ecs:service:DesiredCount',
          MinCapacity: min,
          MaxCapacity: max,
          SuspendedState: {DynamicScalingInSuspended: suspended[0], DynamicScalingOutSuspended: suspended[1], ScheduledScalingSuspended: suspended[2]},
        }
      }),
      NextToken: next,
    }
  })
  scaling.on(RegisterScalableTargetCommand).callsFake((input) => {
    const state = input.SuspendedState
    account.targets.set(input.ResourceId, {
      min: input.MinCapacity,
      max: input.MaxCapacity,
      suspended: [state.DynamicScalingInSuspended, state.DynamicScalingOutSuspended, state.ScheduledScalingSuspended],
    })
    return {}
  })

  rds.on(DescribeDBClustersCommand).callsFake((input) => {
    const {items, next} = page([...account.clusters.values()], Math.min(input.MaxRecords ?? 100, 100), input.Marker)
    const answer = {
      DBClusters: items.map((cluster) => ({DBClusterIdentifier: cluster.id, DBClusterArn: `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:${cluster.id}`, Status: cluster.status, Engine: 'aurora-postgresql', TagList: tagList(cluster.tags)})),
      Marker: next,
    }
    for (const cluster of items) if (cluster.status === 'starting') cluster.status = 'available'
    return answer
  })
  rds.on(DescribeDBInstancesCommand).callsFake((input) => {
    const members = [...account.clusters.values()].flatMap((cluster) =>
      Array.from({length: SIZE.membersPerCluster}, (_, index) => ({
        DBInstanceIdentifier: `${cluster.id}-${index + 1}`,
        DBInstanceStatus: cluster.status,
        DBInstanceClass: 'db.r6g.large',
        Engine: 'aurora-postgresql',
        DBClusterIdentifier: cluster.id,
        TagList: tagList(cluster.tags),
      })),
    )
    const {items, next} = page(members, Math.min(input.MaxRecords ?? 100, 100), input.Marker)
    return {DBInstances: items, Marker: next}
  })
  rds.on(StopDBClusterCommand).callsFake((input) => {
    account.clusters.get(input.DBClusterIdentifier).status = 'stopped'
    return {DBCluster: {DBClusterIdentifier: input.DBClusterIdentifier, Status: 'stopping'}}
  })
  rds.on(StartDBClusterCommand).callsFake((input) => {
    account.clusters.get(input.DBClusterIdentifier).status = 'starting'
    return {DBCluster: {DBClusterIdentifier: input.DBClusterIdentifier, Status: 'starting'}}
  })

  ssm.on(SendCommandCommand).resolves({Command: {CommandId: 'bench-probe'}})
  ssm.on(GetCommandInvocationCommand).resolves({Status: 'Success', StandardOutputContent: 'master 10.0.0.1:6379\nPONG\n', StandardErrorContent: ''})
  return mocks
}

/**
 * @returns {{size: typeof SIZE, runs: Array<{action: string, resources: number, byCommand: Map<string, number>, total: number, largestInstanceBatch: number, cpuMs: number, wallMs: number}>, peakRssMb: number, baselineRssMb: number, maxRssMb: number}}
 *   Requests by kind, CPU and wall time of each run, RSS before and at its peak while they ran
 *   (sampled every 5 ms) and the process's maximum; throws when a run fails or start does not
 *   restore exactly what stop found.
 */
export async function measureShutdown(repoRoot) {
  const dir = mkdtempSync(join(tmpdir(), 'fintech-bench-shutdown-'))
  // The repo's config, with waits between polls of 1-2 ms so the figures are the CLI's own work.
  const configPath = join(dir, 'fintech.config.yaml')
  writeFileSync(configPath, `${readFileSync(join(repoRoot, 'fintech.config.yaml'), 'utf8')}\npolling: {initialMs: 1, maxMs: 2}\n`)
  const saved = {audit: process.env.FINTECH_AUDIT_LOG, exitCode: process.exitCode}
  process.env.FINTECH_AUDIT_LOG = join(dir, 'audit.jsonl')

  const account = bigAccount()
  const before = snapshot(account)
  const mocks = installMocks(account)
  let peakRss = 0
  const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss))
  try {
    const config = await Config.load(repoRoot)
    const commands = {stop: (await import('../dist/commands/shutdown/stop.js')).default, start: (await import('../dist/commands/shutdown/start.js')).default}
    const baselineRss = process.memoryUsage().rss
    const runs = []
    for (const action of ['stop', 'start']) {
      for (const mock of Object.values(mocks)) mock.resetHistory()
      const sampler = setInterval(sample, 5)
      const cpu = process.cpuUsage()
      const started = performance.now()
      process.exitCode = undefined
      const {result, printed} = await runQuietly(() => commands[action].run(['--env', 'dev', '--config', configPath, '--json'], config))
      const wallMs = performance.now() - started
      const used = process.cpuUsage(cpu)
      clearInterval(sampler)
      sample()
      const exitCode = Number(process.exitCode ?? 0)
      const notDone = (result?.results ?? []).filter((entry) => entry.result !== 'done')
      if (!result || exitCode !== 0 || notDone.length > 0) {
        throw new Error(`shutdown ${action} exited ${exitCode} with ${notDone.length} resource(s) not done\n${printed.trim().slice(-3000)}`)
      }
      const byCommand = new Map()
      let largestInstanceBatch = 0
      for (const call of Object.values(mocks).flatMap((mock) => mock.calls())) {
        const name = call.args[0].constructor.name.replace(/Command$/, '')
        byCommand.set(name, (byCommand.get(name) ?? 0) + 1)
        if (name === 'StopInstances' || name === 'StartInstances') largestInstanceBatch = Math.max(largestInstanceBatch, call.args[0].input.InstanceIds.length)
      }
      runs.push({
        action,
        resources: result.results.length,
        byCommand,
        total: [...byCommand.values()].reduce((sum, count) => sum + count, 0),
        largestInstanceBatch,
        cpuMs: (used.user + used.system) / 1000,
        wallMs,
      })
    }
    if (snapshot(account) !== before) throw new Error('shutdown start did not restore exactly what stop found')
    return {size: SIZE, runs, peakRssMb: peakRss / 2 ** 20, baselineRssMb: baselineRss / 2 ** 20, maxRssMb: process.resourceUsage().maxRSS / 1024}
  } finally {
    for (const mock of Object.values(mocks)) mock.restore()
    process.exitCode = saved.exitCode
    if (saved.audit === undefined) delete process.env.FINTECH_AUDIT_LOG
    else process.env.FINTECH_AUDIT_LOG = saved.audit
    rmSync(dir, {recursive: true, force: true})
  }
}
