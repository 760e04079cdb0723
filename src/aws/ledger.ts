import type {LedgerApi} from '../core/ledger/api.js'
import type {AwsTarget} from './clients.js'
import {createCloudWatchReader} from './cloudwatch.js'
import {createServiceReader} from './ecs.js'
import {createTargetHealthReader} from './elbv2.js'
import {createAuroraTopologyReader} from './rds.js'

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
