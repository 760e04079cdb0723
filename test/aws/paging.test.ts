import {
  CloudFormationClient,
  DescribeStackEventsCommand,
  DescribeStackResourceDriftsCommand,
  ListStackSetOperationResultsCommand,
  ListStackSetOperationsCommand,
} from '@aws-sdk/client-cloudformation'
import {CostExplorerClient, ListCostAllocationTagsCommand} from '@aws-sdk/client-cost-explorer'
import {DynamoDBClient, ListTagsOfResourceCommand} from '@aws-sdk/client-dynamodb'
import {DescribeLoadBalancersCommand, DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client} from '@aws-sdk/client-elastic-load-balancing-v2'
import {CloudWatchLogsClient, DescribeLogGroupsCommand} from '@aws-sdk/client-cloudwatch-logs'
import {GetResourcesCommand, ResourceGroupsTaggingAPIClient} from '@aws-sdk/client-resource-groups-tagging-api'
import {mockClient} from 'aws-sdk-client-mock'
import {afterAll, beforeEach, describe, expect, it} from 'vitest'
import {createStackApi} from '../../src/aws/cloudformation.js'
import {createCostAllocationApi} from '../../src/aws/cost-explorer.js'
import {createDynamoDbListing} from '../../src/aws/dynamodb.js'
import {createElbv2Listing} from '../../src/aws/elbv2.js'
import {createLogsListing} from '../../src/aws/logs.js'
import {allPages, eachPage} from '../../src/aws/paging.js'
import {createStackSetApi} from '../../src/aws/stacksets.js'
import {createTaggingApi} from '../../src/aws/tagging.js'
import type {FoundResource, ResourceSource} from '../../src/core/tags/api.js'

/** A list of three pages, `a` → `b` → `c`, that records the token of every request. */
function threePages() {
  const tokens: (string | undefined)[] = []
  const next: Record<string, string | undefined> = {first: 'b', b: 'c', c: ''}
  const read = async (token: string | undefined) => {
    tokens.push(token)
    return {name: token ?? 'a', next: next[token ?? 'first']}
  }
  return {tokens, read, nextToken: (page: {next?: string}) => page.next}
}

describe('eachPage and allPages', () => {
  it('follow the tokens to the end, each request carrying the token of the page before, and take an empty token as the end', async () => {
    const list = threePages()
    expect((await allPages(list.read, list.nextToken)).map((page) => page.name)).toEqual(['a', 'b', 'c'])
    expect(list.tokens).toEqual([undefined, 'b', 'c'])
  })

  it('read a page only when the caller asks for it: stopping early sends no further request', async () => {
    const list = threePages()
    const pages = eachPage(list.read, list.nextToken)
    expect((await pages.next()).value).toMatchObject({name: 'a'})
    expect(list.tokens).toEqual([undefined])
    for await (const page of pages) if (page.name === 'b') break
    expect(list.tokens).toEqual([undefined, 'b'])
  })
})

const TARGET = {region: 'eu-west-1'}
const cfn = mockClient(CloudFormationClient)
const ce = mockClient(CostExplorerClient)
const dynamodb = mockClient(DynamoDBClient)
const elbv2 = mockClient(ElasticLoadBalancingV2Client)
const logs = mockClient(CloudWatchLogsClient)
const tagging = mockClient(ResourceGroupsTaggingAPIClient)
/** As sinon stubs of several clients: each one's own command types do not matter to resetting it. */
const mocks: Array<{reset(): void; restore(): void; onAnyCommand(): {rejects(error: Error): unknown}}> = [cfn, ce, dynamodb, elbv2, logs, tagging]

beforeEach(() => {
  for (const mock of mocks) {
    mock.reset()
    mock.onAnyCommand().rejects(new Error('not mocked'))
  }
})
afterAll(() => {
  for (const mock of mocks) mock.restore()
})

async function drain(source: ResourceSource): Promise<FoundResource[][]> {
  const pages: FoundResource[][] = []
  for await (const page of source.pages()) pages.push(page)
  return pages
}

describe('listings converted to the paging helper read every page, with the same requests', () => {
  it('StackSet operations and operation results', async () => {
    cfn.on(ListStackSetOperationsCommand, {NextToken: undefined}).resolves({Summaries: [{OperationId: 'op-1', Action: 'CREATE', Status: 'SUCCEEDED'}], NextToken: 'ops-2'})
    cfn.on(ListStackSetOperationsCommand, {NextToken: 'ops-2'}).resolves({Summaries: [{OperationId: 'op-2', Action: 'UPDATE', Status: 'RUNNING'}]})
    cfn.on(ListStackSetOperationResultsCommand, {NextToken: undefined}).resolves({Summaries: [{Account: '111111111111', Region: 'eu-west-1', Status: 'SUCCEEDED'}], NextToken: 'results-2'})
    cfn.on(ListStackSetOperationResultsCommand, {NextToken: 'results-2'}).resolves({Summaries: [{Account: '222222222222', Region: 'eu-west-1', Status: 'FAILED', StatusReason: 'denied'}]})
    const api = await createStackSetApi(TARGET, 'SELF')

    expect((await api.operations('baseline')).map((operation) => [operation.id, operation.status])).toEqual([
      ['op-1', 'SUCCEEDED'],
      ['op-2', 'RUNNING'],
    ])
    expect((await api.operationResults('baseline', 'op-2')).map((result) => [result.account, result.status, result.reason])).toEqual([
      ['111111111111', 'SUCCEEDED', undefined],
      ['222222222222', 'FAILED', 'denied'],
    ])
    expect(cfn.commandCalls(ListStackSetOperationResultsCommand).map((call) => call.args[0].input)).toEqual([
      {StackSetName: 'baseline', OperationId: 'op-2', CallAs: 'SELF', NextToken: undefined},
      {StackSetName: 'baseline', OperationId: 'op-2', CallAs: 'SELF', NextToken: 'results-2'},
    ])
  })

  it('stack resource drifts', async () => {
    cfn.on(DescribeStackResourceDriftsCommand, {NextToken: undefined}).resolves({
      StackResourceDrifts: [{LogicalResourceId: 'Bucket', ResourceType: 'AWS::S3::Bucket', StackResourceDriftStatus: 'MODIFIED', PropertyDifferences: []}],
      NextToken: 'drifts-2',
    } as never)
    cfn.on(DescribeStackResourceDriftsCommand, {NextToken: 'drifts-2'}).resolves({
      StackResourceDrifts: [{LogicalResourceId: 'Queue', ResourceType: 'AWS::SQS::Queue', StackResourceDriftStatus: 'DELETED'}],
    } as never)
    const drifts = await (await createStackApi(TARGET)).resourceDrifts('fintech-dev-data')
    expect(drifts.map((drift) => [drift.logicalId, drift.driftStatus])).toEqual([
      ['Bucket', 'MODIFIED'],
      ['Queue', 'DELETED'],
    ])
    expect(cfn.commandCalls(DescribeStackResourceDriftsCommand).map((call) => call.args[0].input.NextToken)).toEqual([undefined, 'drifts-2'])
  })

  it('stack events stop at the first event already seen, without reading the next page', async () => {
    const since = new Date('2026-12-01T10:00:00Z')
    const event = (id: string, minute: number) => ({EventId: id, StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/fintech-dev-data/1', StackName: 'fintech-dev-data', Timestamp: new Date(`2026-12-01T10:${String(minute).padStart(2, '0')}:00Z`)})
    cfn.on(DescribeStackEventsCommand, {NextToken: undefined}).resolves({StackEvents: [event('e3', 3)], NextToken: 'events-2'})
    cfn.on(DescribeStackEventsCommand, {NextToken: 'events-2'}).resolves({StackEvents: [event('e2', 2), event('e1', 1)], NextToken: 'events-3'})
    const fresh = await (await createStackApi(TARGET)).eventsSince('fintech-dev-data', since, new Set(['e1']))
    expect(fresh.map((found) => found.eventId)).toEqual(['e2', 'e3'])
    expect(cfn.commandCalls(DescribeStackEventsCommand).map((call) => call.args[0].input.NextToken)).toEqual([undefined, 'events-2'])
  })

  it('cost-allocation tags, every page of each batch of keys, counted', async () => {
    ce.on(ListCostAllocationTagsCommand, {NextToken: undefined}).resolves({CostAllocationTags: [{TagKey: 'Owner', Status: 'Active', Type: 'UserDefined'}], NextToken: 'tags-2'})
    ce.on(ListCostAllocationTagsCommand, {NextToken: 'tags-2'}).resolves({CostAllocationTags: [{TagKey: 'CostCenter', Status: 'Inactive', Type: 'UserDefined'}]})
    const api = await createCostAllocationApi(TARGET)
    expect(await api.listTags(['Owner', 'CostCenter'])).toEqual([
      {key: 'Owner', status: 'Active', type: 'UserDefined'},
      {key: 'CostCenter', status: 'Inactive', type: 'UserDefined'},
    ])
    expect(api.requests()).toBe(2)
  })

  it("a DynamoDB table's tags over several pages, counted", async () => {
    const table = 'arn:aws:dynamodb:eu-west-1:111111111111:table/ledger'
    dynamodb.on(ListTagsOfResourceCommand, {NextToken: undefined}).resolves({Tags: [{Key: 'Owner', Value: 'payments'}], NextToken: 'tags-2'})
    dynamodb.on(ListTagsOfResourceCommand, {NextToken: 'tags-2'}).resolves({Tags: [{Key: 'Environment', Value: 'dev'}]})
    const source = await createDynamoDbListing(TARGET, '111111111111')
    expect(await source.tagsOf!([table])).toEqual(new Map([[table, {Owner: 'payments', Environment: 'dev'}]]))
    expect(source.requests()).toBe(2)
  })

  it('load balancers then target groups, each followed through NextMarker', async () => {
    elbv2.on(DescribeLoadBalancersCommand, {Marker: undefined}).resolves({LoadBalancers: [{LoadBalancerArn: 'lb-1'}], NextMarker: 'lb-page-2'})
    elbv2.on(DescribeLoadBalancersCommand, {Marker: 'lb-page-2'}).resolves({LoadBalancers: [{LoadBalancerArn: 'lb-2'}]})
    elbv2.on(DescribeTargetGroupsCommand, {Marker: undefined}).resolves({TargetGroups: [{TargetGroupArn: 'tg-1'}], NextMarker: 'tg-page-2'})
    elbv2.on(DescribeTargetGroupsCommand, {Marker: 'tg-page-2'}).resolves({TargetGroups: [{TargetGroupArn: 'tg-2'}]})
    const source = await createElbv2Listing(TARGET)
    expect(await drain(source)).toEqual([[{arn: 'lb-1'}], [{arn: 'lb-2'}], [{arn: 'tg-1'}], [{arn: 'tg-2'}]])
    expect(elbv2.commandCalls(DescribeTargetGroupsCommand).map((call) => call.args[0].input)).toEqual([
      {PageSize: 400, Marker: undefined},
      {PageSize: 400, Marker: 'tg-page-2'},
    ])
    expect(source.requests()).toBe(4)
  })

  it('log groups followed through nextToken', async () => {
    logs.on(DescribeLogGroupsCommand, {nextToken: undefined}).resolves({logGroups: [{logGroupName: 'a', arn: 'arn:aws:logs:eu-west-1:111111111111:log-group:a:*'}], nextToken: 'logs-2'})
    logs.on(DescribeLogGroupsCommand, {nextToken: 'logs-2'}).resolves({logGroups: [{logGroupName: 'b', logGroupArn: 'arn:aws:logs:eu-west-1:111111111111:log-group:b'}]})
    expect((await drain(await createLogsListing(TARGET))).flat()).toEqual([
      {arn: 'arn:aws:logs:eu-west-1:111111111111:log-group:a'},
      {arn: 'arn:aws:logs:eu-west-1:111111111111:log-group:b'},
    ])
  })

  it('the Tagging API yields each page before asking for the next: a reader that stops after one page sends one request', async () => {
    tagging.on(GetResourcesCommand, {PaginationToken: undefined}).resolves({ResourceTagMappingList: [{ResourceARN: 'arn:1', Tags: [{Key: 'Owner', Value: 'x'}]}], PaginationToken: 'page-2'})
    tagging.on(GetResourcesCommand, {PaginationToken: 'page-2'}).resolves({ResourceTagMappingList: [{ResourceARN: 'arn:2'}]})
    const paces: number[] = []
    const api = await createTaggingApi(TARGET, async () => void paces.push(paces.length))
    for await (const page of api.source.pages()) {
      expect(page).toEqual([{arn: 'arn:1', tags: {Owner: 'x'}}])
      break
    }
    expect(tagging.commandCalls(GetResourcesCommand).map((call) => call.args[0].input)).toEqual([{ResourcesPerPage: 100}])
    expect(paces).toHaveLength(1)
    expect(await drain(api.source)).toEqual([[{arn: 'arn:1', tags: {Owner: 'x'}}], [{arn: 'arn:2', tags: {}}]])
    expect(api.source.requests()).toBe(3)
  })
})
