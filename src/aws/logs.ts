import type {ResourceSource, ServiceTagging, Tags} from '../core/tags/api.js'
import {createClient, type AwsTarget} from './clients.js'
import {eachPage} from './paging.js'
import {requestCounter, tagOneByOne, tagsOneByOne} from './tagging.js'

/**
 * CloudWatch Logs log groups, tagged or not. DescribeLogGroups carries no tags: they are read
 * per group, only where needed. The ARN is the one without the trailing `:*`, as tagging takes it.
 */
export async function createLogsListing(target: AwsTarget): Promise<ResourceSource> {
  const logs = await import('@aws-sdk/client-cloudwatch-logs')
  const client = createClient(logs.CloudWatchLogsClient, target)
  const counter = requestCounter()
  return {
    name: 'logs',
    region: target.region,
    requests: counter.sent,
    async *pages() {
      const pages = eachPage(
        (token) => counter.count(() => client.send(new logs.DescribeLogGroupsCommand({limit: 50, nextToken: token}))),
        (page) => page.nextToken,
      )
      for await (const page of pages) {
        yield (page.logGroups ?? []).flatMap((group) => {
          const arn = group.logGroupArn ?? group.arn?.replace(/:\*$/, '')
          return arn ? [{arn}] : []
        })
      }
    },
    tagsOf: (arns) =>
      tagsOneByOne(arns, async (arn) => (await counter.count(() => client.send(new logs.ListTagsForResourceCommand({resourceArn: arn})))).tags ?? {}),
  }
}

/** logs:TagResource, one log group a call, for groups TagResources refused. */
export async function tagLogGroups(target: AwsTarget, arns: string[], tags: Tags): Promise<Map<string, ServiceTagging>> {
  const logs = await import('@aws-sdk/client-cloudwatch-logs')
  const client = createClient(logs.CloudWatchLogsClient, target)
  return tagOneByOne(arns, 'logs:TagResource', (arn) => client.send(new logs.TagResourceCommand({resourceArn: arn, tags})))
}

/** A run's audit lines in CloudWatch Logs: one stream per run, one event per line, sent as it happens. */
export async function createRunLogWriter(target: AwsTarget, group: string, stream: string): Promise<{record(line: Record<string, unknown>): Promise<void>}> {
  const logs = await import('@aws-sdk/client-cloudwatch-logs')
  const client = createClient(logs.CloudWatchLogsClient, target)
  try {
    await client.send(new logs.CreateLogStreamCommand({logGroupName: group, logStreamName: stream}))
  } catch (error) {
    // A resumed run writes on to its stream.
    if ((error as {name?: string}).name !== 'ResourceAlreadyExistsException') throw error
  }
  return {
    async record(line) {
      await client.send(new logs.PutLogEventsCommand({logGroupName: group, logStreamName: stream, logEvents: [{timestamp: Date.now(), message: JSON.stringify(line)}]}))
    },
  }
}
