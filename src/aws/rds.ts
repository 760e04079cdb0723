import type {DBInstance} from '@aws-sdk/client-rds'
import type {AuroraCluster, DbInstance, RdsApi} from '../core/shutdown/api.js'
import {clientSettings, type AwsTarget} from './clients.js'
import {allPages} from './paging.js'
import {tagMap} from './tags.js'

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
  const client = new rds.RDSClient(clientSettings(target))

  async function listInstances(): Promise<DbInstance[]> {
    const pages = await allPages(
      (marker) => client.send(new rds.DescribeDBInstancesCommand({MaxRecords: 100, Marker: marker})),
      (page) => page.Marker,
    )
    return pages.flatMap((page) => (page.DBInstances ?? []).map(toDbInstance))
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
        }),
      )
    },

    listInstances,

    async stopCluster(id) {
      await client.send(new rds.StopDBClusterCommand({DBClusterIdentifier: id}))
    },
    async startCluster(id) {
      await client.send(new rds.StartDBClusterCommand({DBClusterIdentifier: id}))
    },
    async stopInstance(id) {
      await client.send(new rds.StopDBInstanceCommand({DBInstanceIdentifier: id}))
    },
    async startInstance(id) {
      await client.send(new rds.StartDBInstanceCommand({DBInstanceIdentifier: id}))
    },
  }
}
