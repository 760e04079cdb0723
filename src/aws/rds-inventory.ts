import type {ResourceSource, ServiceTagging, Tags} from '../core/tags/api.js'
import {createClient, type AwsTarget} from './clients.js'
import {requestCounter, tagOneByOne} from './resource-tags.js'
import {tagMap} from './tags.js'

/** RDS clusters (Aurora among them) and DB instances, tagged or not, with their tags. */
export async function createRdsListing(target: AwsTarget): Promise<ResourceSource> {
  const rds = await import('@aws-sdk/client-rds')
  const client = createClient(rds.RDSClient, target)
  const counter = requestCounter()
  return {
    name: 'rds',
    region: target.region,
    requests: counter.sent,
    async *pages() {
      let marker: string | undefined
      do {
        const page = await counter.count(() => client.send(new rds.DescribeDBClustersCommand({MaxRecords: 100, Marker: marker})))
        marker = page.Marker || undefined
        yield (page.DBClusters ?? []).flatMap((cluster) => (cluster.DBClusterArn ? [{arn: cluster.DBClusterArn, tags: tagMap(cluster.TagList)}] : []))
      } while (marker)
      do {
        const page = await counter.count(() => client.send(new rds.DescribeDBInstancesCommand({MaxRecords: 100, Marker: marker})))
        marker = page.Marker || undefined
        yield (page.DBInstances ?? []).flatMap((instance) => (instance.DBInstanceArn ? [{arn: instance.DBInstanceArn, tags: tagMap(instance.TagList)}] : []))
      } while (marker)
    },
  }
}

/** rds:AddTagsToResource, one resource a call, for RDS resources TagResources refused. */
export async function tagRdsResources(target: AwsTarget, arns: string[], tags: Tags): Promise<Map<string, ServiceTagging>> {
  const rds = await import('@aws-sdk/client-rds')
  const client = createClient(rds.RDSClient, target)
  const tagList = Object.entries(tags).map(([Key, Value]) => ({Key, Value}))
  return tagOneByOne(arns, 'rds:AddTagsToResource', (arn) => client.send(new rds.AddTagsToResourceCommand({ResourceName: arn, Tags: tagList})))
}
