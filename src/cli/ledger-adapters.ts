import type {AwsTarget} from '../aws/clients.js'
import {createCloudWatchReader} from '../aws/cloudwatch.js'
import {createServiceReader} from '../aws/ecs.js'
import {createTargetHealthReader} from '../aws/elbv2.js'
import {createAuroraTopologyReader} from '../aws/rds.js'
import type {LedgerApi} from '../core/ledger/api.js'

/** The ledger status's reads, one client per service, kept for every refresh of --watch. */
export async function createLedgerApi(target: AwsTarget): Promise<LedgerApi> {
  const [service, targets, cloudwatch, aurora] = await Promise.all([
    createServiceReader(target),
    createTargetHealthReader(target),
    createCloudWatchReader(target),
    createAuroraTopologyReader(target),
  ])
  return {...service, ...targets, ...cloudwatch, ...aurora}
}
