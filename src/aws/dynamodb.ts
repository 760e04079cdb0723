import type {ResourceSource, ServiceTagging, Tags} from '../core/tags/api.js'
import type {DrRegionApi} from '../core/dr/api.js'
import {partitionOf} from '../core/tags/policy.js'
import {createClient, type AwsTarget} from './clients.js'
import {allPages, eachPage} from './paging.js'
import {requestCounter, tagMap, tagOneByOne, tagsOneByOne} from './tagging.js'

/** DynamoDB tables, tagged or not. ListTables carries no tags: they are read per table, only where needed. */
export async function createDynamoDbListing(target: AwsTarget, account: string): Promise<ResourceSource> {
  const dynamodb = await import('@aws-sdk/client-dynamodb')
  const client = createClient(dynamodb.DynamoDBClient, target)
  const counter = requestCounter()
  const arnOf = (table: string) => `arn:${partitionOf(target.region)}:dynamodb:${target.region}:${account}:table/${table}`
  return {
    name: 'dynamodb',
    region: target.region,
    requests: counter.sent,
    async *pages() {
      const pages = eachPage(
        (start) => counter.count(() => client.send(new dynamodb.ListTablesCommand({Limit: 100, ExclusiveStartTableName: start}))),
        (page) => page.LastEvaluatedTableName,
      )
      for await (const page of pages) yield (page.TableNames ?? []).map((table) => ({arn: arnOf(table)}))
    },
    tagsOf: (arns) =>
      tagsOneByOne(arns, async (arn) => {
        const pages = await allPages(
          (token) => counter.count(() => client.send(new dynamodb.ListTagsOfResourceCommand({ResourceArn: arn, NextToken: token}))),
          (page) => page.NextToken,
        )
        return tagMap(pages.flatMap((page) => page.Tags ?? []))
      }),
  }
}

/** dynamodb:TagResource, one table a call, for tables TagResources refused. */
export async function tagDynamoDbTables(target: AwsTarget, arns: string[], tags: Tags): Promise<Map<string, ServiceTagging>> {
  const dynamodb = await import('@aws-sdk/client-dynamodb')
  const client = createClient(dynamodb.DynamoDBClient, target)
  const tagList = Object.entries(tags).map(([Key, Value]) => ({Key, Value}))
  return tagOneByOne(arns, 'dynamodb:TagResource', (arn) => client.send(new dynamodb.TagResourceCommand({ResourceArn: arn, Tags: tagList})))
}

/** A table's global-table replicas (DescribeTable Replicas); undefined when the table does not exist. */
export async function createTableReplicaReader(target: AwsTarget): Promise<Pick<DrRegionApi, 'tableReplicas'>> {
  const dynamodb = await import('@aws-sdk/client-dynamodb')
  const client = createClient(dynamodb.DynamoDBClient, target)
  return {
    async tableReplicas(table) {
      const described = await client.send(new dynamodb.DescribeTableCommand({TableName: table})).catch((error: unknown) => {
        if ((error as {name?: string}).name === 'ResourceNotFoundException') return undefined
        throw error
      })
      if (!described) return undefined
      return (described.Table?.Replicas ?? []).map((replica) => ({region: replica.RegionName ?? '', status: replica.ReplicaStatus ?? ''}))
    },
  }
}
