/**
 * The dev env of the shutdown tests, made in moto: instances (an app server, two Redis nodes,
 * one stopped by hand, a prod-tagged one inside a dev stack, an opted-out one), an Auto Scaling
 * group, a Fargate service with a scaling target, an Aurora cluster, and the state bucket.
 * Shared by test/integration/shutdown.test.ts and the fault-injection suite.
 */
import {ApplicationAutoScalingClient, DescribeScalableTargetsCommand, RegisterScalableTargetCommand} from '@aws-sdk/client-application-auto-scaling'
import {AutoScalingClient, CreateAutoScalingGroupCommand, CreateLaunchConfigurationCommand, DescribeAutoScalingGroupsCommand} from '@aws-sdk/client-auto-scaling'
import {CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, DescribeImagesCommand, RunInstancesCommand, StopInstancesCommand} from '@aws-sdk/client-ec2'
import {CreateClusterCommand, CreateServiceCommand, DescribeServicesCommand, ECSClient, RegisterTaskDefinitionCommand} from '@aws-sdk/client-ecs'
import {CreateDBClusterCommand, DescribeDBClustersCommand, RDSClient} from '@aws-sdk/client-rds'
import {CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client} from '@aws-sdk/client-s3'
import {afterAll, beforeAll} from 'vitest'
import {ACCOUNT, instances, REGION, type Moto} from './moto.js'

/** What a healthy Redis node prints for the probe the CLI sends through SSM Run Command (see test/moto/). */
export const REDIS_PROBE_OUTPUT = 'master 10.0.2.11:6379\nPONG'
export const BUCKET = `fintech-artifacts-${ACCOUNT}-${REGION}`
export const SERVICE_RESOURCE = 'service/fintech-dev/ledger'
export const LOCK_KEY = 'fintech/shutdown/dev/lock.json'

export interface Inventory {
  app: string
  redis: string[]
  handStopped: string
  prod: string
  keepAwake: string
}

const tags = (values: Record<string, string>) => Object.entries(values).map(([Key, Value]) => ({Key, Value}))

/** SDK clients pointed at the test file's moto (created in beforeAll), and what the tests make and read with them. */
export function useShutdownInventory(ctx: {moto: Moto}) {
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

  async function launch(imageId: string, subnetId: string, instanceTags: Record<string, string>): Promise<string> {
    const {Instances} = await ctx.moto.ec2.send(
      new RunInstancesCommand({ImageId: imageId, MinCount: 1, MaxCount: 1, InstanceType: 't4g.small', SubnetId: subnetId, TagSpecifications: [{ResourceType: 'instance', Tags: tags(instanceTags)}]}),
    )
    return Instances![0]!.InstanceId!
  }

  const inventory = {
    get s3() {
      return s3
    },

    /** The dev env in small, plus a prod instance and an opted-out one that must stay running. */
    async create(): Promise<Inventory> {
      const {ec2} = ctx.moto
      await s3.send(new CreateBucketCommand({Bucket: BUCKET}))
      const imageId = (await ec2.send(new DescribeImagesCommand({}))).Images![0]!.ImageId!
      const vpcId = (await ec2.send(new CreateVpcCommand({CidrBlock: '10.0.0.0/16'}))).Vpc!.VpcId!
      const subnetId = (await ec2.send(new CreateSubnetCommand({VpcId: vpcId, CidrBlock: '10.0.1.0/24'}))).Subnet!.SubnetId!
      const groupId = (await ec2.send(new CreateSecurityGroupCommand({GroupName: 'ledger', Description: 'ledger tasks', VpcId: vpcId}))).GroupId!

      const dev = {Environment: 'dev'}
      const made: Inventory = {
        app: await launch(imageId, subnetId, {...dev, Name: 'bastion'}),
        redis: [await launch(imageId, subnetId, {...dev, 'fintech:redis-seed': 'self'}), await launch(imageId, subnetId, {...dev, 'fintech:redis-seed': '10.0.2.11'})],
        handStopped: await launch(imageId, subnetId, {...dev, Name: 'stopped-by-hand'}),
        prod: await launch(imageId, subnetId, {Environment: 'prod', 'aws:cloudformation:stack-name': 'fintech-dev-servers'}),
        keepAwake: await launch(imageId, subnetId, {...dev, 'fintech:keep-awake': 'true'}),
      }
      await ec2.send(new StopInstancesCommand({InstanceIds: [made.handStopped]}))

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
      return made
    },

    /** Every instance's state, by id. */
    async states(): Promise<Record<string, string>> {
      return Object.fromEntries((await instances(ctx.moto)).map((instance) => [instance.InstanceId!, instance.State!.Name!]))
    },
    group: async () => (await autoScaling.send(new DescribeAutoScalingGroupsCommand({AutoScalingGroupNames: ['workers']}))).AutoScalingGroups![0]!,
    service: async () => (await ecs.send(new DescribeServicesCommand({cluster: 'fintech-dev', services: ['ledger']}))).services![0]!,
    target: async () => (await scaling.send(new DescribeScalableTargetsCommand({ServiceNamespace: 'ecs', ResourceIds: [SERVICE_RESOURCE]}))).ScalableTargets![0]!,
    cluster: async () => (await rds.send(new DescribeDBClustersCommand({DBClusterIdentifier: 'ledger'}))).DBClusters![0]!,

    async manifestKeys(): Promise<string[]> {
      const listed = await s3.send(new ListObjectsV2Command({Bucket: BUCKET, Prefix: 'fintech/shutdown/dev/'}))
      return (listed.Contents ?? []).map((object) => object.Key!)
    },
    async readObject(key: string): Promise<any> {
      return JSON.parse(await (await s3.send(new GetObjectCommand({Bucket: BUCKET, Key: key}))).Body!.transformToString())
    },

    /**
     * What a shutdown run changes, with instances named by their role rather than their id, so
     * that two inventories made in turn compare: each instance's state, how many of the group's
     * instances are in each state, the group, the service, its scaling target, the cluster.
     */
    async snapshot(made: Inventory) {
      const states = await inventory.states()
      const roles: Record<string, string> = {app: made.app, redis0: made.redis[0]!, redis1: made.redis[1]!, handStopped: made.handStopped, prod: made.prod, keepAwake: made.keepAwake}
      const known = new Set(Object.values(roles))
      const groupInstances: Record<string, number> = {}
      // A group scaled to zero and back has new instances; the ones it ended stay listed a while as terminated.
      for (const [id, state] of Object.entries(states)) if (!known.has(id) && state !== 'terminated') groupInstances[state] = (groupInstances[state] ?? 0) + 1
      const group = await inventory.group()
      const service = await inventory.service()
      const target = await inventory.target()
      return {
        instances: Object.fromEntries(Object.entries(roles).map(([role, id]) => [role, states[id]])),
        groupInstances,
        group: {min: group.MinSize, max: group.MaxSize, desired: group.DesiredCapacity},
        service: {desired: service.desiredCount},
        // A target never suspended has no SuspendedState; one resumed says false three times: the same.
        target: {
          min: target.MinCapacity,
          max: target.MaxCapacity,
          suspended: [target.SuspendedState?.DynamicScalingInSuspended, target.SuspendedState?.DynamicScalingOutSuspended, target.SuspendedState?.ScheduledScalingSuspended].map(Boolean),
        },
        cluster: (await inventory.cluster()).Status,
      }
    },
  }
  return inventory
}
