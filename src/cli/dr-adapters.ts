import {createCopyJobReader} from '../aws/backup.js'
import type {AwsTarget} from '../aws/clients.js'
import {createStackApi} from '../aws/cloudformation.js'
import {createMetricMaximumReader} from '../aws/cloudwatch.js'
import {createTableReplicaReader} from '../aws/dynamodb.js'
import {createGlobalClusterReader} from '../aws/rds.js'
import {createHealthCheckReader} from '../aws/route53.js'
import {createReplicationReader} from '../aws/s3.js'
import type {DrApi, DrRegionApi} from '../core/dr/api.js'

async function createRegionApi(target: AwsTarget): Promise<DrRegionApi> {
  const [stacks, global, metrics, tables, replication, copies] = await Promise.all([
    createStackApi(target),
    createGlobalClusterReader(target),
    createMetricMaximumReader(target),
    createTableReplicaReader(target),
    createReplicationReader(target),
    createCopyJobReader(target),
  ])
  return {stackOutputs: async (name) => (await stacks.describeStack(name))?.outputs, ...global, ...metrics, ...tables, ...replication, ...copies}
}

/** The DR status's reads: one set of clients per region of the env, one Route 53 client (a global service). */
export async function createDrApi(target: AwsTarget, regions: string[]): Promise<DrApi> {
  const apis = new Map(await Promise.all(regions.map(async (region) => [region, await createRegionApi({...target, region})] as const)))
  const {healthCheck} = await createHealthCheckReader(target)
  return {
    region(name) {
      const api = apis.get(name)
      if (!api) throw new Error(`${name} is neither of the env's regions (${regions.join(', ')})`)
      return api
    },
    healthCheck,
  }
}
