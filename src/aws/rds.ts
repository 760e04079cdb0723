import type {DBInstance} from '@aws-sdk/client-rds'
import type {DrRegionApi} from '../core/dr/api.js'
import type {LedgerApi} from '../core/ledger/api.js'
import type {AuroraCluster, DbInstance, RdsApi} from '../core/shutdown/api.js'
import type {ResourceSource, ServiceTagging, Tags} from '../core/tags/api.js'
import {afterResend, createClient, type AwsTarget} from './clients.js'
import {allPages, eachPage} from './paging.js'
import {requestCounter, tagMap, tagOneByOne} from './tagging.js'

function toDbInstance(instance: DBInstance): DbInstance {
  return {
    id: instance.DBInstanceIdentifier ?? '',
    arn: instance.DBInstanceArn ?? '',
    status: instance.DBInstanceStatus ?? '',
    engine: instance.Engine ?? '',
    instanceClass: instance.DBInstanceClass ?? '',
    tags: tagMap(instance.TagList),
    ...(instance.DBClusterIdentifier ? {clusterId: instance.DBClusterIdentifier} : {}),
  }
}

export async function createRdsApi(target: AwsTarget): Promise<RdsApi> {
  const rds = await import('@aws-sdk/client-rds')
  const client = createClient(rds.RDSClient, target)

  async function listInstances(): Promise<DbInstance[]> {
    const pages = await allPages(
      (marker) => client.send(new rds.DescribeDBInstancesCommand({MaxRecords: 100, Marker: marker})),
      (page) => page.Marker,
    )
    return pages.flatMap((page) => (page.DBInstances ?? []).map(toDbInstance))
  }

  const clusterStatus = async (id: string) => (await client.send(new rds.DescribeDBClustersCommand({DBClusterIdentifier: id}))).DBClusters?.[0]?.Status
  const instanceStatus = async (id: string) => (await client.send(new rds.DescribeDBInstancesCommand({DBInstanceIdentifier: id}))).DBInstances?.[0]?.DBInstanceStatus

  /**
   * Stop and start take no token, and a re-send after the first attempt took effect is refused
   * as the wrong state (`refusal`): when the status is already on the way to where it was sent
   * (`bound`), the first attempt sent it there.
   */
  async function changeState(change: () => Promise<unknown>, refusal: string, bound: string[], status: () => Promise<string | undefined>): Promise<void> {
    try {
      await change()
    } catch (error) {
      if ((error as {name?: string}).name !== refusal || !afterResend(error)) throw error
      if (!bound.includes((await status()) ?? '')) throw error
    }
  }

  return {
    async listClusters() {
      const pages = await allPages(
        (marker) => client.send(new rds.DescribeDBClustersCommand({MaxRecords: 100, Marker: marker})),
        (page) => page.Marker,
      )
      // DescribeDBClusters also answers for Neptune and DocumentDB clusters, which this tool does not stop.
      const clusters = pages.flatMap((page) => page.DBClusters ?? []).filter((cluster) => cluster.Engine?.startsWith('aurora'))
      if (clusters.length === 0) return []
      const classesByCluster = new Map<string, string[]>()
      for (const instance of await listInstances()) {
        if (!instance.clusterId) continue
        classesByCluster.set(instance.clusterId, [...(classesByCluster.get(instance.clusterId) ?? []), instance.instanceClass])
      }
      return clusters.map(
        (cluster): AuroraCluster => ({
          id: cluster.DBClusterIdentifier ?? '',
          arn: cluster.DBClusterArn ?? '',
          status: cluster.Status ?? '',
          engine: cluster.Engine ?? '',
          tags: tagMap(cluster.TagList),
          memberClasses: classesByCluster.get(cluster.DBClusterIdentifier ?? '') ?? [],
          ...(cluster.GlobalClusterIdentifier ? {globalClusterId: cluster.GlobalClusterIdentifier} : {}),
        }),
      )
    },

    listInstances,

    stopCluster: (id) =>
      changeState(() => client.send(new rds.StopDBClusterCommand({DBClusterIdentifier: id})), 'InvalidDBClusterStateFault', ['stopping', 'stopped'], () => clusterStatus(id)),
    startCluster: (id) =>
      changeState(() => client.send(new rds.StartDBClusterCommand({DBClusterIdentifier: id})), 'InvalidDBClusterStateFault', ['starting', 'available'], () => clusterStatus(id)),
    stopInstance: (id) =>
      changeState(() => client.send(new rds.StopDBInstanceCommand({DBInstanceIdentifier: id})), 'InvalidDBInstanceStateFault', ['stopping', 'stopped'], () => instanceStatus(id)),
    startInstance: (id) =>
      changeState(() => client.send(new rds.StartDBInstanceCommand({DBInstanceIdentifier: id})), 'InvalidDBInstanceStateFault', ['starting', 'available'], () => instanceStatus(id)),
  }
}

/** The first item of a Describe answer, or undefined when AWS answers with `missingFault` instead. */
const firstOrMissing = <T>(answer: Promise<T[] | undefined>, missingFault: string): Promise<T | undefined> =>
  answer.then((items) => items?.[0]).catch((error: unknown) => {
    if ((error as {name?: string}).name === missingFault) return undefined
    throw error
  })

/** A cluster's writer and readers (DBClusterMembers), each with its instance's status, AZ and class. */
export async function createAuroraTopologyReader(target: AwsTarget): Promise<Pick<LedgerApi, 'describeCluster'>> {
  const rds = await import('@aws-sdk/client-rds')
  const client = createClient(rds.RDSClient, target)
  return {
    async describeCluster(clusterId) {
      const cluster = await firstOrMissing(
        client.send(new rds.DescribeDBClustersCommand({DBClusterIdentifier: clusterId})).then(({DBClusters}) => DBClusters),
        'DBClusterNotFoundFault',
      )
      if (!cluster) return undefined
      const pages = await allPages(
        (marker) => client.send(new rds.DescribeDBInstancesCommand({Filters: [{Name: 'db-cluster-id', Values: [clusterId]}], MaxRecords: 100, Marker: marker})),
        (page) => page.Marker,
      )
      const instances = new Map(pages.flatMap((page) => page.DBInstances ?? []).map((instance) => [instance.DBInstanceIdentifier ?? '', instance]))
      return {
        id: cluster.DBClusterIdentifier ?? clusterId,
        status: cluster.Status ?? '',
        members: (cluster.DBClusterMembers ?? []).map((member) => {
          const instance = instances.get(member.DBInstanceIdentifier ?? '')
          return {
            id: member.DBInstanceIdentifier ?? '',
            writer: member.IsClusterWriter ?? false,
            ...(instance?.DBInstanceStatus ? {status: instance.DBInstanceStatus} : {}),
            ...(instance?.AvailabilityZone ? {availabilityZone: instance.AvailabilityZone} : {}),
            ...(instance?.DBInstanceClass ? {instanceClass: instance.DBInstanceClass} : {}),
          }
        }),
      }
    },
  }
}

/** An Aurora global database's status and member clusters (DescribeGlobalClusters). */
export async function createGlobalClusterReader(target: AwsTarget): Promise<Pick<DrRegionApi, 'describeGlobalCluster'>> {
  const rds = await import('@aws-sdk/client-rds')
  const client = createClient(rds.RDSClient, target)
  return {
    async describeGlobalCluster(id) {
      const cluster = await firstOrMissing(
        client.send(new rds.DescribeGlobalClustersCommand({GlobalClusterIdentifier: id})).then(({GlobalClusters}) => GlobalClusters),
        'GlobalClusterNotFoundFault',
      )
      if (!cluster) return undefined
      return {
        id: cluster.GlobalClusterIdentifier ?? id,
        status: cluster.Status ?? '',
        members: (cluster.GlobalClusterMembers ?? []).map((member) => ({clusterArn: member.DBClusterArn ?? '', writer: member.IsWriter ?? false})),
      }
    },
  }
}

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
      const clusterPages = eachPage(
        (marker) => counter.count(() => client.send(new rds.DescribeDBClustersCommand({MaxRecords: 100, Marker: marker}))),
        (page) => page.Marker,
      )
      for await (const page of clusterPages) {
        yield (page.DBClusters ?? []).flatMap((cluster) => (cluster.DBClusterArn ? [{arn: cluster.DBClusterArn, tags: tagMap(cluster.TagList)}] : []))
      }
      const instancePages = eachPage(
        (marker) => counter.count(() => client.send(new rds.DescribeDBInstancesCommand({MaxRecords: 100, Marker: marker}))),
        (page) => page.Marker,
      )
      for await (const page of instancePages) {
        yield (page.DBInstances ?? []).flatMap((instance) => (instance.DBInstanceArn ? [{arn: instance.DBInstanceArn, tags: tagMap(instance.TagList)}] : []))
      }
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
