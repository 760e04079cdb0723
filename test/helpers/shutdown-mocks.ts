/**
 * A small AWS account behind aws-sdk-client-mock, for the `fintech shutdown` commands: every
 * SDK client the shutdown adapters build answers from the state below and changes it the way
 * AWS does (StopInstances refused for an instance in the wrong state, an instance EC2 takes
 * back to stopped after a start, S3 conditional writes, DescribeServices at most 10 at a
 * time, pages of 1,000 instances…). Unlike test/helpers/fake-account.ts, which fakes the
 * core's interfaces, this goes through the real src/aws adapters and records the exact SDK
 * requests they send.
 */
import {ApplicationAutoScalingClient, DescribeScalableTargetsCommand, RegisterScalableTargetCommand, type DescribeScalableTargetsCommandInput} from '@aws-sdk/client-application-auto-scaling'
import {AutoScalingClient, DescribeAutoScalingGroupsCommand, UpdateAutoScalingGroupCommand, type DescribeAutoScalingGroupsCommandInput} from '@aws-sdk/client-auto-scaling'
import {DescribeStacksCommand} from '@aws-sdk/client-cloudformation'
import {
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  EC2Client,
  EC2ServiceException,
  StartInstancesCommand,
  StopInstancesCommand,
  type DescribeInstancesCommandInput,
  type Instance,
} from '@aws-sdk/client-ec2'
import {DescribeServicesCommand, ECSClient, ECSServiceException, ListClustersCommand, ListServicesCommand, UpdateServiceCommand, type DescribeServicesCommandInput, type ListServicesCommandInput, type Service} from '@aws-sdk/client-ecs'
import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
  RDSServiceException,
  StartDBClusterCommand,
  StopDBClusterCommand,
} from '@aws-sdk/client-rds'
import {DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException} from '@aws-sdk/client-s3'
import {GetCommandInvocationCommand, SendCommandCommand, SSMClient} from '@aws-sdk/client-ssm'
import {mockClient} from 'aws-sdk-client-mock'
import {createHash} from 'node:crypto'
import {cfn, resetAws, s3, sts} from './aws-mocks.js'

export const ACCOUNT = '111111111111'
export const REGION = 'eu-west-1'
export const STATE_BUCKET = `fintech-artifacts-${ACCOUNT}-${REGION}`
export const LOCK_KEY = 'fintech/shutdown/dev/lock.json'
export const REDIS_MASTER_NAME = 'fintech-dev-redis'

export const ec2 = mockClient(EC2Client)
export const autoScaling = mockClient(AutoScalingClient)
export const ecs = mockClient(ECSClient)
export const scaling = mockClient(ApplicationAutoScalingClient)
export const rds = mockClient(RDSClient)
export const ssm = mockClient(SSMClient)

/** What this file does with any of the mocks, whichever client it stands for. */
interface AnyMock {
  reset(): void
  resetHistory(): void
  onAnyCommand(): {rejects(error: Error): unknown}
  calls(): Array<{callId: number; args: unknown[]; thisValue: unknown}>
}
const ALL_MOCKS = [sts, cfn, s3, ec2, autoScaling, ecs, scaling, rds, ssm] as unknown as AnyMock[]
const SERVICE_MOCKS = [ec2, autoScaling, ecs, scaling, rds, ssm] as unknown as AnyMock[]

/** Requests that change something in the account (the probe's SendCommand runs a read-only script). */
export const MUTATING = new Set([
  'PutObject',
  'DeleteObject',
  'StopInstances',
  'StartInstances',
  'UpdateAutoScalingGroup',
  'UpdateService',
  'RegisterScalableTarget',
  'StopDBCluster',
  'StartDBCluster',
  'StopDBInstance',
  'StartDBInstance',
])

export type Tags = Record<string, string>

export interface FakeInstance {
  id: string
  state: 'pending' | 'running' | 'stopping' | 'stopped' | 'terminated'
  type: string
  tags: Tags
  reason?: {Code: string; Message: string}
}

export interface FakeGroup {
  name: string
  min: number
  max: number
  desired: number
  tags: Tags
}

export interface FakeService {
  clusterName: string
  name: string
  desired: number
  running: number
  taskDefinition: string
  tags: Tags
}

export interface FakeTarget {
  min: number
  max: number
  suspended: {in: boolean; out: boolean; scheduled: boolean}
}

export interface FakeDbCluster {
  id: string
  status: string
  tags: Tags
  memberClasses: string[]
  /** The Aurora global database it is a member of; RDS refuses to stop such a cluster. */
  globalClusterId?: string
}

export class FakeAws {
  /** The region whose resources these are: a client of another region does not see them. */
  constructor(readonly region = REGION) {}

  readonly instances = new Map<string, FakeInstance>()
  readonly groups = new Map<string, FakeGroup>()
  /** By service ARN. */
  readonly services = new Map<string, FakeService>()
  /** Application Auto Scaling targets by resource id (service/<cluster>/<service>). */
  readonly targets = new Map<string, FakeTarget>()
  readonly clusters = new Map<string, FakeDbCluster>()
  /** The state bucket's objects. */
  readonly objects = new Map<string, {body: string; etag: string}>()
  /** Instances StopInstances refuses: EC2 then refuses the whole call, naming the instance. */
  readonly refuseStop = new Set<string>()
  /** Instances EC2 takes back to stopped after a start (an encrypted volume whose KMS key has no grant). */
  readonly failLaunch = new Set<string>()
  /** Set to make every request to this region fail with it (an endpoint down, access denied there). */
  outage?: Error
  /** What the Redis probe prints on the node. */
  redisOutput = 'master 10.0.0.1:6379\nPONG'
  /** Outputs of the data stack, which name the Redis master. */
  dataStackOutputs: Tags = {RedisMasterName: REDIS_MASTER_NAME}

  object(key: string): any {
    const stored = this.objects.get(key)
    return stored && JSON.parse(stored.body)
  }
}

export const clusterArn = (name: string, region = REGION) => `arn:aws:ecs:${region}:${ACCOUNT}:cluster/${name}`
export const serviceArn = (cluster: string, name: string, region = REGION) => `arn:aws:ecs:${region}:${ACCOUNT}:service/${cluster}/${name}`

const ec2Error = (name: string, message: string) => new EC2ServiceException({name, message, $fault: 'client', $metadata: {httpStatusCode: 400}})
const s3Error = (name: string, status: number, message: string) => new S3ServiceException({name, message, $fault: 'client', $metadata: {httpStatusCode: status}})
const tagList = (tags: Tags) => Object.entries(tags).map(([Key, Value]) => ({Key, Value}))
const etagOf = (body: string) => `"${createHash('md5').update(body).digest('hex')}"`

/** One page of `items` after `token` (an offset), at most `size` long. */
function page<T>(items: T[], size: number, token: string | undefined): {items: T[]; next?: string} {
  const start = token ? Number(token) : 0
  const end = start + size
  return {items: items.slice(start, end), ...(end < items.length ? {next: String(end)} : {})}
}

function matchesFilters(instance: FakeInstance, filters: {Name?: string; Values?: string[]}[] = []): boolean {
  return filters.every((filter) => {
    const values = filter.Values ?? []
    if (filter.Name === 'instance-state-name') return values.includes(instance.state)
    if (filter.Name?.startsWith('tag:')) return values.includes(instance.tags[filter.Name.slice(4)] ?? '\u0000')
    throw new Error(`filter ${filter.Name} is not faked`)
  })
}

function toSdkInstance(instance: FakeInstance): Instance {
  return {
    InstanceId: instance.id,
    InstanceType: instance.type as Instance['InstanceType'],
    State: {Name: instance.state, Code: {pending: 0, running: 16, stopping: 64, stopped: 80, terminated: 48}[instance.state]},
    Tags: tagList(instance.tags),
    ...(instance.reason ? {StateReason: instance.reason} : {}),
  }
}

/** A mocked SDK client, for the region it was built for. */
type ClientOf = () => {config: {region: () => Promise<string>}}
/** The part of the account in a client's region. */
type InRegion = (getClient: ClientOf) => Promise<FakeAws>

/**
 * Resets every SDK mock and makes them answer from `account` (its region) and `elsewhere`
 * (other regions of the same account): a client answers from its own region's part only, an
 * empty one in any other region, as AWS does. STS answers as `callerAccount`; the state bucket
 * and the data stack are `account`'s. Any request not faked here fails, so an unexpected call
 * shows up as an error.
 */
export function mockAccount(account: FakeAws, callerAccount = ACCOUNT, elsewhere: FakeAws[] = []): ReturnType<typeof resetAws> {
  const byRegion = new Map([account, ...elsewhere].map((part) => [part.region, part]))
  const inRegion: InRegion = async (getClient) => {
    const region = await getClient().config.region()
    if (!byRegion.has(region)) byRegion.set(region, new FakeAws(region))
    const part = byRegion.get(region)!
    if (part.outage) throw part.outage
    return part
  }
  for (const mock of SERVICE_MOCKS) mock.reset()
  const audit = resetAws(callerAccount)
  for (const mock of [cfn, s3, ...SERVICE_MOCKS] as AnyMock[]) mock.onAnyCommand().rejects(new Error('not faked by test/helpers/shutdown-mocks.ts'))

  cfn.on(DescribeStacksCommand, {StackName: 'fintech-dev-data'}).callsFake(() => ({
    Stacks: [
      {
        StackName: 'fintech-dev-data',
        StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/fintech-dev-data/1`,
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date('2026-11-01T00:00:00Z'),
        Outputs: Object.entries(account.dataStackOutputs).map(([OutputKey, OutputValue]) => ({OutputKey, OutputValue})),
      },
    ],
  }))

  fakeStateBucket(account)
  fakeEc2(inRegion)
  fakeAutoScaling(inRegion)
  fakeEcs(inRegion)
  fakeRds(inRegion)

  ssm.on(SendCommandCommand).resolves({Command: {CommandId: 'c0ffee00-0000-4000-8000-000000000001'}})
  ssm.on(GetCommandInvocationCommand).callsFake(async (input, getClient) => ({
    CommandId: input.CommandId,
    InstanceId: input.InstanceId,
    Status: 'Success',
    StatusDetails: 'Success',
    StandardOutputContent: `${(await inRegion(getClient)).redisOutput}\n`,
    StandardErrorContent: '',
  }))
  return audit
}

function fakeStateBucket(account: FakeAws): void {
  const checkBucket = (input: {Bucket?: string; ExpectedBucketOwner?: string}) => {
    if (input.Bucket !== STATE_BUCKET) throw s3Error('NoSuchBucket', 404, 'The specified bucket does not exist')
    if (input.ExpectedBucketOwner !== ACCOUNT) throw s3Error('AccessDenied', 403, 'Access Denied')
  }
  s3.on(PutObjectCommand).callsFake((input) => {
    checkBucket(input)
    const key = input.Key!
    const current = account.objects.get(key)
    if (input.IfNoneMatch === '*' && current) throw s3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold')
    if (input.IfMatch !== undefined && !current) throw s3Error('NoSuchKey', 404, 'The specified key does not exist.')
    if (input.IfMatch !== undefined && current!.etag !== input.IfMatch) throw s3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold')
    const body = String(input.Body)
    account.objects.set(key, {body, etag: etagOf(body)})
    return {ETag: etagOf(body)}
  })
  s3.on(GetObjectCommand).callsFake((input) => {
    checkBucket(input)
    const stored = account.objects.get(input.Key!)
    if (!stored) throw s3Error('NoSuchKey', 404, 'The specified key does not exist.')
    return {Body: {transformToString: async () => stored.body} as never, ETag: stored.etag}
  })
  s3.on(ListObjectsV2Command).callsFake((input) => {
    checkBucket(input)
    const keys = [...account.objects.keys()].filter((key) => key.startsWith(input.Prefix ?? '')).sort()
    const {items, next} = page(keys, input.MaxKeys ?? 1000, input.ContinuationToken)
    return {Contents: items.map((Key) => ({Key})), KeyCount: items.length, IsTruncated: next !== undefined, ...(next ? {NextContinuationToken: next} : {})}
  })
  s3.on(DeleteObjectCommand).callsFake((input) => {
    checkBucket(input)
    account.objects.delete(input.Key!)
    return {}
  })
}

function fakeEc2(inRegion: InRegion): void {
  /** Instances EC2 is still starting: a describe shows them pending, the next one running (or stopped again). */
  const settle = (account: FakeAws, ids: string[]) => {
    for (const id of ids) {
      const instance = account.instances.get(id)!
      if (instance.state !== 'pending') continue
      if (account.failLaunch.has(id)) {
        instance.state = 'stopped'
        instance.reason = {Code: 'Client.InternalError', Message: 'Client.InternalError: Client error on launch'}
      } else {
        instance.state = 'running'
        delete instance.reason
      }
    }
  }

  ec2.on(DescribeInstancesCommand).callsFake(async (input: DescribeInstancesCommandInput, getClient) => {
    const account = await inRegion(getClient)
    if (input.InstanceIds) {
      if (input.MaxResults !== undefined) throw ec2Error('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults')
      const unknown = input.InstanceIds.filter((id) => !account.instances.has(id))
      if (unknown.length > 0) throw ec2Error('InvalidInstanceID.NotFound', `The instance IDs '${unknown.join(', ')}' do not exist`)
      const found = input.InstanceIds.map((id) => account.instances.get(id)!)
      const answer = {Reservations: found.map((instance) => ({Instances: [toSdkInstance(instance)]}))}
      settle(account, input.InstanceIds)
      return answer
    }
    const matching = [...account.instances.values()].filter((instance) => matchesFilters(instance, input.Filters))
    const {items, next} = page(matching, Math.min(input.MaxResults ?? 1000, 1000), input.NextToken)
    const answer = {Reservations: items.map((instance) => ({Instances: [toSdkInstance(instance)]})), ...(next ? {NextToken: next} : {})}
    settle(account, items.map((instance) => instance.id))
    return answer
  })

  const changeState = (account: FakeAws, ids: string[], verb: 'stop' | 'start') => {
    const unknown = ids.filter((id) => !account.instances.has(id))
    if (unknown.length > 0) throw ec2Error('InvalidInstanceID.NotFound', `The instance IDs '${unknown.join(', ')}' do not exist`)
    const refused = verb === 'stop' ? ids.find((id) => account.refuseStop.has(id)) : undefined
    if (refused) throw ec2Error('IncorrectInstanceState', `The instance '${refused}' is not in a state from which it can be stopped.`)
    return ids.map((id) => {
      const instance = account.instances.get(id)!
      const previous = toSdkInstance(instance).State
      if (verb === 'stop') {
        instance.state = 'stopped'
        instance.reason = {Code: 'Client.UserInitiatedShutdown', Message: 'Client.UserInitiatedShutdown: User initiated shutdown'}
      } else if (instance.state === 'stopped') {
        instance.state = 'pending'
      }
      return {InstanceId: id, PreviousState: previous, CurrentState: {Name: verb === 'stop' ? ('stopping' as const) : ('pending' as const)}}
    })
  }
  ec2.on(StopInstancesCommand).callsFake(async (input, getClient) => ({StoppingInstances: changeState(await inRegion(getClient), input.InstanceIds!, 'stop')}))
  ec2.on(StartInstancesCommand).callsFake(async (input, getClient) => ({StartingInstances: changeState(await inRegion(getClient), input.InstanceIds!, 'start')}))

  ec2.on(DescribeInstanceStatusCommand).callsFake(async (input, getClient) => {
    const account = await inRegion(getClient)
    const ids: string[] = input.InstanceIds!
    if (ids.length > 100) throw ec2Error('InvalidParameterValue', 'at most 100 instance ids')
    return {
      InstanceStatuses: ids.map((id) => {
        const running = account.instances.get(id)!.state === 'running'
        const status = {Status: running ? ('ok' as const) : ('not-applicable' as const)}
        return {InstanceId: id, InstanceState: {Name: account.instances.get(id)!.state}, SystemStatus: status, InstanceStatus: status}
      }),
    }
  })
}

function fakeAutoScaling(inRegion: InRegion): void {
  autoScaling.on(DescribeAutoScalingGroupsCommand).callsFake(async (input: DescribeAutoScalingGroupsCommandInput, getClient) => {
    const account = await inRegion(getClient)
    const groups = [...account.groups.values()].filter(
      (group) =>
        (!input.AutoScalingGroupNames || input.AutoScalingGroupNames.includes(group.name)) &&
        (input.Filters ?? []).every((filter) => filter.Name?.startsWith('tag:') && filter.Values!.includes(group.tags[filter.Name.slice(4)] ?? '\u0000')),
    )
    const {items, next} = page(groups, Math.min(input.MaxRecords ?? 50, 100), input.NextToken)
    return {
      AutoScalingGroups: items.map((group) => ({
        AutoScalingGroupName: group.name,
        MinSize: group.min,
        MaxSize: group.max,
        DesiredCapacity: group.desired,
        DefaultCooldown: 300,
        AvailabilityZones: [`${account.region}a`],
        HealthCheckType: 'EC2',
        CreatedTime: new Date('2026-11-01T00:00:00Z'),
        Tags: Object.entries(group.tags).map(([Key, Value]) => ({Key, Value, ResourceId: group.name, ResourceType: 'auto-scaling-group', PropagateAtLaunch: true})),
        Instances: [],
      })),
      ...(next ? {NextToken: next} : {}),
    }
  })
  autoScaling.on(UpdateAutoScalingGroupCommand).callsFake(async (input, getClient) => {
    const account = await inRegion(getClient)
    const group = account.groups.get(input.AutoScalingGroupName!)
    if (!group) throw new Error(`AutoScalingGroup name not found - ${input.AutoScalingGroupName}`)
    Object.assign(group, {min: input.MinSize ?? group.min, max: input.MaxSize ?? group.max, desired: input.DesiredCapacity ?? group.desired})
    return {}
  })
}

function fakeEcs(inRegion: InRegion): void {
  const ecsError = (name: string, message: string) => new ECSServiceException({name, message, $fault: 'client', $metadata: {httpStatusCode: 400}})
  const clusterNames = (account: FakeAws) => [...new Set([...account.services.values()].map((service) => service.clusterName))].sort()
  const clusterNameOf = (cluster: string) => cluster.split('/').pop()!
  const toSdkService = (account: FakeAws, arn: string, service: FakeService): Service => ({
    serviceArn: arn,
    serviceName: service.name,
    clusterArn: clusterArn(service.clusterName, account.region),
    status: 'ACTIVE',
    desiredCount: service.desired,
    runningCount: service.running,
    pendingCount: 0,
    taskDefinition: service.taskDefinition,
    deployments: [{id: 'ecs-svc/1', status: 'PRIMARY', desiredCount: service.desired, runningCount: service.running}],
    tags: Object.entries(service.tags).map(([key, value]) => ({key, value})),
  })

  ecs.on(ListClustersCommand).callsFake(async (input, getClient) => {
    const account = await inRegion(getClient)
    const {items, next} = page(clusterNames(account).map((name) => clusterArn(name, account.region)), input.maxResults ?? 100, input.nextToken)
    return {clusterArns: items, ...(next ? {nextToken: next} : {})}
  })
  ecs.on(ListServicesCommand).callsFake(async (input: ListServicesCommandInput, getClient) => {
    const account = await inRegion(getClient)
    const arns = [...account.services.entries()].filter(([, service]) => service.clusterName === clusterNameOf(input.cluster!)).map(([arn]) => arn)
    const {items, next} = page(arns, input.maxResults ?? 10, input.nextToken)
    return {serviceArns: items, ...(next ? {nextToken: next} : {})}
  })
  ecs.on(DescribeServicesCommand).callsFake(async (input: DescribeServicesCommandInput, getClient) => {
    const account = await inRegion(getClient)
    if (input.services!.length > 10) throw ecsError('InvalidParameterException', 'services can have at most 10 items.')
    const found = input.services!.flatMap((arn) => {
      const service = account.services.get(arn)
      return service && service.clusterName === clusterNameOf(input.cluster!) ? [toSdkService(account, arn, service)] : []
    })
    const missing = input.services!.filter((arn) => !account.services.has(arn))
    return {
      services: found.map((service) => (input.include?.includes('TAGS') ? service : {...service, tags: undefined})),
      failures: missing.map((arn) => ({arn, reason: 'MISSING'})),
    }
  })
  ecs.on(UpdateServiceCommand).callsFake(async (input, getClient) => {
    const account = await inRegion(getClient)
    const service = account.services.get(input.service!)
    if (!service || service.clusterName !== clusterNameOf(input.cluster!)) throw ecsError('ServiceNotFoundException', 'Service not found.')
    // The tasks follow the new count by the time anyone looks.
    service.desired = input.desiredCount ?? service.desired
    service.running = service.desired
    return {service: toSdkService(account, input.service!, service)}
  })

  scaling.on(DescribeScalableTargetsCommand).callsFake(async (input: DescribeScalableTargetsCommandInput, getClient) => {
    const account = await inRegion(getClient)
    if ((input.ResourceIds?.length ?? 0) > 50) throw new Error('ResourceIds: at most 50')
    const ids = (input.ResourceIds ?? [...account.targets.keys()]).filter((id) => account.targets.has(id))
    const {items, next} = page(ids, input.MaxResults ?? 50, input.NextToken)
    return {
      ScalableTargets: items.map((id) => {
        const target = account.targets.get(id)!
        return {
          ServiceNamespace: 'ecs' as const,
          ResourceId: id,
          ScalableDimension: 'ecs:service:DesiredCount' as const,
          MinCapacity: target.min,
          MaxCapacity: target.max,
          RoleARN: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService`,
          CreationTime: new Date('2026-11-01T00:00:00Z'),
          SuspendedState: {DynamicScalingInSuspended: target.suspended.in, DynamicScalingOutSuspended: target.suspended.out, ScheduledScalingSuspended: target.suspended.scheduled},
        }
      }),
      ...(next ? {NextToken: next} : {}),
    }
  })
  scaling.on(RegisterScalableTargetCommand).callsFake(async (input, getClient) => {
    const account = await inRegion(getClient)
    const target = account.targets.get(input.ResourceId!)
    if (!target) throw new Error(`no scalable target ${input.ResourceId}`)
    const suspended = input.SuspendedState
    Object.assign(target, {
      min: input.MinCapacity ?? target.min,
      max: input.MaxCapacity ?? target.max,
      suspended: {
        in: suspended?.DynamicScalingInSuspended ?? target.suspended.in,
        out: suspended?.DynamicScalingOutSuspended ?? target.suspended.out,
        scheduled: suspended?.ScheduledScalingSuspended ?? target.suspended.scheduled,
      },
    })
    return {}
  })
}

function fakeRds(inRegion: InRegion): void {
  const rdsError = (name: string, message: string) => new RDSServiceException({name, message, $fault: 'client', $metadata: {httpStatusCode: 400}})
  rds.on(DescribeDBClustersCommand).callsFake(async (input, getClient) => {
    const account = await inRegion(getClient)
    const arnOf = (id: string) => `arn:aws:rds:${account.region}:${ACCOUNT}:cluster:${id}`
    const clusters = [...account.clusters.values()]
    const {items, next} = page(clusters, input.MaxRecords ?? 100, input.Marker)
    const answer = {
      DBClusters: items.map((cluster) => ({
        DBClusterIdentifier: cluster.id,
        DBClusterArn: arnOf(cluster.id),
        Status: cluster.status,
        Engine: 'aurora-postgresql',
        TagList: tagList(cluster.tags),
        ...(cluster.globalClusterId ? {GlobalClusterIdentifier: cluster.globalClusterId} : {}),
      })),
      ...(next ? {Marker: next} : {}),
    }
    // A cluster AWS is starting shows as starting once, then available.
    for (const cluster of items) if (cluster.status === 'starting') cluster.status = 'available'
    return answer
  })
  rds.on(DescribeDBInstancesCommand).callsFake(async (input, getClient) => {
    const account = await inRegion(getClient)
    const members = [...account.clusters.values()].flatMap((cluster) =>
      cluster.memberClasses.map((instanceClass, index) => ({
        DBInstanceIdentifier: `${cluster.id}-${index + 1}`,
        DBInstanceArn: `arn:aws:rds:${account.region}:${ACCOUNT}:db:${cluster.id}-${index + 1}`,
        DBInstanceStatus: cluster.status,
        DBInstanceClass: instanceClass,
        Engine: 'aurora-postgresql',
        DBClusterIdentifier: cluster.id,
        TagList: tagList(cluster.tags),
      })),
    )
    const {items, next} = page(members, input.MaxRecords ?? 100, input.Marker)
    return {DBInstances: items, ...(next ? {Marker: next} : {})}
  })
  rds.on(StopDBClusterCommand).callsFake(async (input, getClient) => {
    const account = await inRegion(getClient)
    const cluster = account.clusters.get(input.DBClusterIdentifier!)
    if (!cluster) throw rdsError('DBClusterNotFoundFault', `DBCluster ${input.DBClusterIdentifier} not found.`)
    if (cluster.status !== 'available') throw rdsError('InvalidDBClusterStateFault', `DbCluster ${cluster.id} is in ${cluster.status} state but expected it to be one of available.`)
    cluster.status = 'stopped'
    return {DBCluster: {DBClusterIdentifier: cluster.id, Status: 'stopping'}}
  })
  rds.on(StartDBClusterCommand).callsFake(async (input, getClient) => {
    const account = await inRegion(getClient)
    const cluster = account.clusters.get(input.DBClusterIdentifier!)
    if (!cluster) throw rdsError('DBClusterNotFoundFault', `DBCluster ${input.DBClusterIdentifier} not found.`)
    if (cluster.status !== 'stopped') throw rdsError('InvalidDBClusterStateFault', `DbCluster ${cluster.id} is in ${cluster.status} state but expected it to be one of stopped.`)
    cluster.status = 'starting'
    return {DBCluster: {DBClusterIdentifier: cluster.id, Status: 'starting'}}
  })
}

export interface SentRequest {
  /** The SDK command's name without "Command", e.g. StopInstances. */
  command: string
  input: any
}

/** Every request any mocked client received, in the order they were sent. */
export function sentRequests(): SentRequest[] {
  return ALL_MOCKS.flatMap((mock) => mock.calls())
    .sort((a, b) => a.callId - b.callId)
    .map((call) => {
      const command = call.args[0] as {constructor: {name: string}; input: unknown}
      return {command: command.constructor.name.replace(/Command$/, ''), input: command.input}
    })
}

/** Every request any mocked client received, in order, with the region of the client it was sent with. */
export async function sentRequestsByRegion(): Promise<Array<SentRequest & {region: string}>> {
  const calls = ALL_MOCKS.flatMap((mock) => mock.calls()).sort((a, b) => a.callId - b.callId)
  return Promise.all(
    calls.map(async (call) => {
      const command = call.args[0] as {constructor: {name: string}; input: unknown}
      const client = call.thisValue as {config: {region: () => Promise<string>}}
      return {region: await client.config.region(), command: command.constructor.name.replace(/Command$/, ''), input: command.input}
    }),
  )
}

export const requestsOf = (command: string) => sentRequests().filter((request) => request.command === command).map((request) => request.input)
export const mutatingRequests = () => sentRequests().filter((request) => MUTATING.has(request.command))

/** Forgets the requests recorded so far, keeping every mock's answers. */
export function forgetRequests(): void {
  for (const mock of ALL_MOCKS) mock.resetHistory()
}
