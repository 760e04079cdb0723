import {CloudWatchLogsClient, DescribeLogGroupsCommand, ListTagsForResourceCommand, TagResourceCommand as LogsTagResourceCommand} from '@aws-sdk/client-cloudwatch-logs'
import {DynamoDBClient, ListTablesCommand, ListTagsOfResourceCommand} from '@aws-sdk/client-dynamodb'
import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2'
import {DescribeClustersCommand, DescribeServicesCommand, ECSClient, ListClustersCommand, ListServicesCommand} from '@aws-sdk/client-ecs'
import {DescribeLoadBalancersCommand, DescribeTagsCommand, DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client} from '@aws-sdk/client-elastic-load-balancing-v2'
import {GetResourcesCommand, ResourceGroupsTaggingAPIClient, TagResourcesCommand} from '@aws-sdk/client-resource-groups-tagging-api'
import {GetBucketLocationCommand, GetBucketTaggingCommand, ListBucketsCommand, PutBucketTaggingCommand, S3Client} from '@aws-sdk/client-s3'
import {mockClient} from 'aws-sdk-client-mock'
import {afterAll, beforeEach, describe, expect, it} from 'vitest'
import {createDynamoDbListing} from '../../src/aws/dynamodb.js'
import {createEc2Listing, tagEc2Resources} from '../../src/aws/ec2.js'
import {createEcsListing} from '../../src/aws/ecs.js'
import {createElbv2Listing} from '../../src/aws/elbv2.js'
import {createLogsListing} from '../../src/aws/logs.js'
import {createS3Listing, tagS3Buckets} from '../../src/aws/s3.js'
import {createTaggingApi} from '../../src/aws/tagging.js'
import {createTagWriter} from '../../src/cli/tag-writer.js'
import type {FoundResource, ResourceSource} from '../../src/core/tags/api.js'

const tagging = mockClient(ResourceGroupsTaggingAPIClient)
const ec2 = mockClient(EC2Client)
const s3 = mockClient(S3Client)
const logs = mockClient(CloudWatchLogsClient)
const elbv2 = mockClient(ElasticLoadBalancingV2Client)
const dynamodb = mockClient(DynamoDBClient)
const ecs = mockClient(ECSClient)
const mocks: Array<{reset(): unknown; restore(): unknown; onAnyCommand(): {rejects(error: Error): unknown}}> = [tagging, ec2, s3, logs, elbv2, dynamodb, ecs]

beforeEach(() => {
  for (const mock of mocks) {
    mock.reset()
    mock.onAnyCommand().rejects(new Error('not mocked'))
  }
  delete process.env.AWS_ENDPOINT_URL
})
afterAll(() => {
  for (const mock of mocks) mock.restore()
})

const TARGET = {region: 'eu-west-1'}
const ACCOUNT = '111111111111'
const awsError = (name: string, message: string, status = 400) => Object.assign(new Error(message), {name, $fault: 'client', $metadata: {httpStatusCode: status}})

async function drain(source: ResourceSource): Promise<FoundResource[][]> {
  const pages: FoundResource[][] = []
  for await (const page of source.pages()) pages.push(page)
  return pages
}

describe('Tagging API', () => {
  it('follows every page of 100, pacing each request, and yields each page as it comes', async () => {
    const mapping = (id: number) => ({ResourceARN: `arn:aws:sns:eu-west-1:${ACCOUNT}:topic-${id}`, Tags: [{Key: 'Owner', Value: `team-${id}`}]})
    tagging
      .on(GetResourcesCommand, {PaginationToken: undefined})
      .resolves({ResourceTagMappingList: [mapping(1), mapping(2)], PaginationToken: 't1'})
      .on(GetResourcesCommand, {PaginationToken: 't1'})
      .resolves({ResourceTagMappingList: [], PaginationToken: 't2'})
      .on(GetResourcesCommand, {PaginationToken: 't2'})
      .resolves({ResourceTagMappingList: [mapping(3)], PaginationToken: ''})
    const events: string[] = []
    const api = await createTaggingApi(TARGET, async () => void events.push('pace'))
    for await (const page of api.source.pages()) events.push(`page of ${page.length}`)

    expect(events).toEqual(['pace', 'page of 2', 'pace', 'page of 0', 'pace', 'page of 1'])
    expect(tagging.commandCalls(GetResourcesCommand).map((call) => call.args[0].input)).toEqual([
      {ResourcesPerPage: 100},
      {ResourcesPerPage: 100, PaginationToken: 't1'},
      {ResourcesPerPage: 100, PaginationToken: 't2'},
    ])
    expect(api.source.requests()).toBe(3)
  })

  it("reads FailedResourcesMap per ARN", async () => {
    tagging.on(TagResourcesCommand).resolves({
      FailedResourcesMap: {
        'arn:aws:s3:::reports': {StatusCode: 400, ErrorCode: 'InvalidParameterException', ErrorMessage: 'not supported'},
        'arn:aws:sns:eu-west-1:111111111111:alarms': {StatusCode: 500, ErrorMessage: 'internal'},
      },
    })
    let paced = 0
    const api = await createTaggingApi(TARGET, async () => void (paced += 1))
    const failures = await api.tagResources(['arn:aws:s3:::reports', 'arn:aws:sns:eu-west-1:111111111111:alarms', 'arn:aws:sqs:eu-west-1:111111111111:q'], {Owner: 'a'})
    expect(tagging.commandCalls(TagResourcesCommand)[0]!.args[0].input).toEqual({
      ResourceARNList: ['arn:aws:s3:::reports', 'arn:aws:sns:eu-west-1:111111111111:alarms', 'arn:aws:sqs:eu-west-1:111111111111:q'],
      Tags: {Owner: 'a'},
    })
    expect(paced).toBe(1)
    expect(failures).toEqual(
      new Map([
        ['arn:aws:s3:::reports', {code: 'InvalidParameterException', message: 'not supported'}],
        ['arn:aws:sns:eu-west-1:111111111111:alarms', {code: 'HTTP 500', message: 'internal'}],
      ]),
    )
  })
})

describe('EC2 listing', () => {
  it('lists every kind with its tags, leaves out shared VPC parts, and builds ARNs in the account', async () => {
    ec2.on(DescribeInstancesCommand, {NextToken: undefined}).resolves({
      Reservations: [
        {OwnerId: ACCOUNT, Instances: [{InstanceId: 'i-1', Tags: [{Key: 'Owner', Value: 'a'}]}]},
        {OwnerId: '999999999999', Instances: [{InstanceId: 'i-shared'}]},
      ],
      NextToken: 'n',
    })
    ec2.on(DescribeInstancesCommand, {NextToken: 'n'}).resolves({Reservations: [{OwnerId: ACCOUNT, Instances: [{InstanceId: 'i-2'}]}]})
    ec2.on(DescribeVolumesCommand).resolves({Volumes: [{VolumeId: 'vol-1'}]})
    ec2.on(DescribeVpcsCommand).resolves({Vpcs: [{VpcId: 'vpc-1', OwnerId: ACCOUNT}]})
    ec2.on(DescribeSubnetsCommand).resolves({Subnets: [{SubnetId: 'subnet-1', OwnerId: ACCOUNT}, {SubnetId: 'subnet-shared', OwnerId: '999999999999'}]})
    ec2.on(DescribeSecurityGroupsCommand).resolves({SecurityGroups: [{GroupId: 'sg-1', OwnerId: ACCOUNT}]})
    ec2.on(DescribeRouteTablesCommand).resolves({RouteTables: [{RouteTableId: 'rtb-1', OwnerId: ACCOUNT}]})
    ec2.on(DescribeInternetGatewaysCommand).resolves({InternetGateways: [{InternetGatewayId: 'igw-1', OwnerId: ACCOUNT}]})
    ec2.on(DescribeNatGatewaysCommand).resolves({NatGateways: [{NatGatewayId: 'nat-1'}]})

    const source = await createEc2Listing(TARGET, ACCOUNT)
    const found = (await drain(source)).flat()
    expect(found.map((resource) => resource.arn)).toEqual(
      ['instance/i-1', 'instance/i-2', 'volume/vol-1', 'vpc/vpc-1', 'subnet/subnet-1', 'security-group/sg-1', 'route-table/rtb-1', 'internet-gateway/igw-1', 'natgateway/nat-1'].map(
        (path) => `arn:aws:ec2:eu-west-1:${ACCOUNT}:${path}`,
      ),
    )
    expect(found[0]!.tags).toEqual({Owner: 'a'})
    expect(found[1]!.tags).toEqual({})
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]!.args[0].input.Filters).toEqual([
      {Name: 'instance-state-name', Values: ['pending', 'running', 'shutting-down', 'stopping', 'stopped']},
    ])
    expect(ec2.commandCalls(DescribeNatGatewaysCommand)[0]!.args[0].input.Filter).toEqual([{Name: 'state', Values: ['pending', 'available', 'failed']}])
    expect(source.requests()).toBe(9)
  })

  it('tags by id with CreateTags, and one id at a time when EC2 refuses the call', async () => {
    ec2.on(CreateTagsCommand).callsFake((input) => {
      if (input.Resources.includes('vol-gone')) throw awsError('InvalidVolume.NotFound', "The volume 'vol-gone' does not exist.")
      return {}
    })
    const arns = ['vol-1', 'vol-gone', 'vpc-1'].map((id) => `arn:aws:ec2:eu-west-1:${ACCOUNT}:${id.startsWith('vol') ? 'volume' : 'vpc'}/${id}`)
    const results = await tagEc2Resources(TARGET, arns, {Owner: 'a'})
    expect(ec2.commandCalls(CreateTagsCommand).map((call) => call.args[0].input.Resources)).toEqual([['vol-1', 'vol-gone', 'vpc-1'], ['vol-1'], ['vol-gone'], ['vpc-1']])
    expect(ec2.commandCalls(CreateTagsCommand)[0]!.args[0].input.Tags).toEqual([{Key: 'Owner', Value: 'a'}])
    expect(results.get(arns[0]!)).toEqual({via: 'ec2:CreateTags'})
    expect(results.get(arns[1]!)).toEqual({via: 'ec2:CreateTags', failure: {code: 'InvalidVolume.NotFound', message: "The volume 'vol-gone' does not exist."}})
    expect(results.get(arns[2]!)).toEqual({via: 'ec2:CreateTags'})
  })
})

describe('S3 listing', () => {
  it("keeps the buckets of the audited regions, asking GetBucketLocation only where ListBuckets gives no region", async () => {
    s3.on(ListBucketsCommand, {ContinuationToken: undefined})
      .resolves({Buckets: [{Name: 'eu-bucket', BucketRegion: 'eu-west-1'}, {Name: 'old-bucket'}], ContinuationToken: 'c'})
      .on(ListBucketsCommand, {ContinuationToken: 'c'})
      .resolves({Buckets: [{Name: 'us-bucket'}, {Name: 'far-bucket', BucketRegion: 'ap-southeast-2'}]})
    s3.on(GetBucketLocationCommand, {Bucket: 'old-bucket'}).resolves({LocationConstraint: 'EU'})
    s3.on(GetBucketLocationCommand, {Bucket: 'us-bucket'}).resolves({})
    const source = await createS3Listing(TARGET, ['eu-west-1', 'us-east-1'])
    const found = (await drain(source)).flat()
    expect(found).toEqual([
      {arn: 'arn:aws:s3:::eu-bucket', region: 'eu-west-1'},
      {arn: 'arn:aws:s3:::old-bucket', region: 'eu-west-1'},
      {arn: 'arn:aws:s3:::us-bucket', region: 'us-east-1'},
    ])
    expect(s3.commandCalls(GetBucketLocationCommand).map((call) => call.args[0].input.Bucket)).toEqual(['old-bucket', 'us-bucket'])
  })

  it('reads a bucket without a tag set as untagged, and leaves out one deleted meanwhile', async () => {
    s3.on(ListBucketsCommand).resolves({Buckets: [{Name: 'a', BucketRegion: 'eu-west-1'}, {Name: 'b', BucketRegion: 'eu-west-1'}, {Name: 'c', BucketRegion: 'eu-west-1'}]})
    s3.on(GetBucketTaggingCommand, {Bucket: 'a'}).resolves({TagSet: [{Key: 'Owner', Value: 'x'}]})
    s3.on(GetBucketTaggingCommand, {Bucket: 'b'}).rejects(awsError('NoSuchTagSet', 'The TagSet does not exist', 404))
    s3.on(GetBucketTaggingCommand, {Bucket: 'c'}).rejects(awsError('NoSuchBucket', 'The specified bucket does not exist', 404))
    const source = await createS3Listing(TARGET, ['eu-west-1'])
    await drain(source)
    const tags = await source.tagsOf!(['arn:aws:s3:::a', 'arn:aws:s3:::b', 'arn:aws:s3:::c'])
    expect(tags).toEqual(new Map([['arn:aws:s3:::a', {Owner: 'x'}], ['arn:aws:s3:::b', {}]]))
  })

  it('keeps the tags in place when it writes a bucket (PutBucketTagging replaces the whole set)', async () => {
    s3.on(GetBucketTaggingCommand, {Bucket: 'a'}).resolves({TagSet: [{Key: 'Name', Value: 'reports'}, {Key: 'Owner', Value: 'old'}]})
    s3.on(GetBucketTaggingCommand, {Bucket: 'b'}).rejects(awsError('NoSuchTagSet', 'The TagSet does not exist', 404))
    s3.on(PutBucketTaggingCommand).resolves({})
    const results = await tagS3Buckets(TARGET, ['arn:aws:s3:::a', 'arn:aws:s3:::b'], {Owner: 'new', Service: 'x'})
    const puts = Object.fromEntries(s3.commandCalls(PutBucketTaggingCommand).map((call) => [call.args[0].input.Bucket, call.args[0].input.Tagging!.TagSet]))
    expect(puts).toEqual({
      a: [
        {Key: 'Name', Value: 'reports'},
        {Key: 'Owner', Value: 'new'},
        {Key: 'Service', Value: 'x'},
      ],
      b: [
        {Key: 'Owner', Value: 'new'},
        {Key: 'Service', Value: 'x'},
      ],
    })
    expect([...results.values()]).toEqual([{via: 's3:PutBucketTagging'}, {via: 's3:PutBucketTagging'}])
  })
})

describe('listings whose tags are read apart', () => {
  it('Logs: ARNs without the trailing :*, tags read only for the groups asked', async () => {
    logs.on(DescribeLogGroupsCommand, {nextToken: undefined})
      .resolves({logGroups: [{logGroupName: '/a', arn: `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/a:*`}], nextToken: 'n'})
      .on(DescribeLogGroupsCommand, {nextToken: 'n'})
      .resolves({logGroups: [{logGroupName: '/b', arn: `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/b:*`, logGroupArn: `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/b`}]})
    logs.on(ListTagsForResourceCommand).resolves({tags: {Owner: 'x'}})
    const source = await createLogsListing(TARGET)
    expect((await drain(source)).flat().map((resource) => resource.arn)).toEqual([`arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/a`, `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/b`])
    await source.tagsOf!([`arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/b`])
    expect(logs.commandCalls(ListTagsForResourceCommand).map((call) => call.args[0].input)).toEqual([{resourceArn: `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/b`}])
    expect(source.requests()).toBe(3)
  })

  it('ELBv2: load balancers and target groups, tags 20 ARNs a call, one by one when one of them is gone', async () => {
    const lb = (index: number) => `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:loadbalancer/app/lb-${index}/x`
    elbv2.on(DescribeLoadBalancersCommand).resolves({LoadBalancers: Array.from({length: 25}, (_, index) => ({LoadBalancerArn: lb(index)}))})
    elbv2.on(DescribeTargetGroupsCommand).resolves({TargetGroups: [{TargetGroupArn: `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:targetgroup/tg/y`}]})
    elbv2.on(DescribeTagsCommand).callsFake((input) => {
      if (input.ResourceArns.includes(lb(24))) throw awsError('LoadBalancerNotFoundException', 'One or more load balancers not found')
      return {TagDescriptions: input.ResourceArns.map((ResourceArn: string) => ({ResourceArn, Tags: [{Key: 'Owner', Value: 'x'}]}))}
    })
    const source = await createElbv2Listing(TARGET)
    const arns = (await drain(source)).flat().map((resource) => resource.arn)
    expect(arns).toHaveLength(26)
    const tags = await source.tagsOf!(arns)
    expect(elbv2.commandCalls(DescribeTagsCommand).map((call) => call.args[0].input.ResourceArns!.length)).toEqual([20, 6, 1, 1, 1, 1, 1, 1])
    expect(tags.size).toBe(25)
    expect(tags.has(lb(24))).toBe(false)
  })

  it('DynamoDB: every page of table names, ARNs in the account', async () => {
    dynamodb.on(ListTablesCommand, {ExclusiveStartTableName: undefined}).resolves({TableNames: ['a'], LastEvaluatedTableName: 'a'})
    dynamodb.on(ListTablesCommand, {ExclusiveStartTableName: 'a'}).resolves({TableNames: ['b']})
    dynamodb.on(ListTagsOfResourceCommand).resolves({Tags: [{Key: 'Owner', Value: 'x'}]})
    const source = await createDynamoDbListing(TARGET, ACCOUNT)
    expect((await drain(source)).flat()).toEqual([{arn: `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/a`}, {arn: `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/b`}])
    expect(await source.tagsOf!([`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/b`])).toEqual(new Map([[`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/b`, {Owner: 'x'}]]))
  })

  it('ECS: clusters and their services with tags, at most 10 services a DescribeServices', async () => {
    const cluster = `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/fintech-dev`
    const service = (index: number) => `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/fintech-dev/svc-${index}`
    ecs.on(ListClustersCommand).resolves({clusterArns: [cluster]})
    ecs.on(DescribeClustersCommand).resolves({clusters: [{clusterArn: cluster, tags: [{key: 'Owner', value: 'x'}]}]})
    ecs.on(ListServicesCommand).resolves({serviceArns: Array.from({length: 12}, (_, index) => service(index))})
    ecs.on(DescribeServicesCommand).callsFake((input) => ({services: input.services.map((serviceArn: string) => ({serviceArn}))}))
    const found = (await drain(await createEcsListing(TARGET))).flat()
    expect(found[0]).toEqual({arn: cluster, tags: {Owner: 'x'}})
    expect(found).toHaveLength(13)
    expect(ecs.commandCalls(DescribeClustersCommand)[0]!.args[0].input).toEqual({clusters: [cluster], include: ['TAGS']})
    expect(ecs.commandCalls(DescribeServicesCommand).map((call) => [call.args[0].input.services!.length, call.args[0].input.include])).toEqual([
      [10, ['TAGS']],
      [2, ['TAGS']],
    ])
  })
})

describe('tag writer', () => {
  it("falls back per service, and says so for a service it has no call for", async () => {
    logs.on(LogsTagResourceCommand).resolves({})
    const writer = createTagWriter((region) => ({region}), async () => {
      throw new Error('not used')
    })
    const results = await writer.tagThroughService('eu-west-1', [`arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/a`, `arn:aws:sns:eu-west-1:${ACCOUNT}:alarms`], {Owner: 'x'})
    expect(logs.commandCalls(LogsTagResourceCommand)[0]!.args[0].input).toEqual({resourceArn: `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/a`, tags: {Owner: 'x'}})
    expect(results).toEqual(
      new Map([
        [`arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/a`, {via: 'logs:TagResource'}],
        [`arn:aws:sns:eu-west-1:${ACCOUNT}:alarms`, {via: 'none', failure: {code: 'Unsupported', message: 'fintech has no sns tagging call to fall back to'}}],
      ]),
    )
  })
})
