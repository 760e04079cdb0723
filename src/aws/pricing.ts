import type {InstanceFamily, PriceListApi} from '../core/cost/api.js'
import {createClient, type AwsTarget} from './clients.js'
import {allPages} from './paging.js'

/** The Price List query API answers in us-east-1 (and a few other regions) for every region's prices. */
export const PRICING_REGION = 'us-east-1'

const SERVICE_CODES: Record<InstanceFamily, string> = {
  ec2: 'AmazonEC2',
  'aurora-postgresql': 'AmazonRDS',
  'elasticache-redis': 'AmazonElastiCache',
}

/** The product attributes that narrow a family's offers to the one the snapshot prices. */
const FAMILY_FILTERS: Record<InstanceFamily, Record<string, string>> = {
  ec2: {operatingSystem: 'Linux', tenancy: 'Shared', preInstalledSw: 'NA', capacitystatus: 'Used'},
  'aurora-postgresql': {databaseEngine: 'Aurora PostgreSQL'},
  'elasticache-redis': {cacheEngine: 'Redis'},
}

/** The filters of one GetProducts request: instance type and place (location name when known, else region code). */
export function productFilters(family: InstanceFamily, type: string, region: string, location?: string) {
  const attributes: Record<string, string> = {instanceType: type, ...(location ? {location} : {regionCode: region}), ...FAMILY_FILTERS[family]}
  return Object.entries(attributes).map(([Field, Value]) => ({Type: 'TERM_MATCH' as const, Field, Value}))
}

/**
 * The lowest on-demand hourly USD price among the products of a GetProducts answer. Each
 * item is a JSON document (product, terms.OnDemand.<offer>.priceDimensions.<rate>); more
 * than one matches when a family has variants the filters leave in (Aurora Standard and
 * I/O-Optimized instances), and the cheapest is the standard one.
 */
export function lowestHourlyPrice(priceList: unknown[]): number | undefined {
  let lowest: number | undefined
  for (const raw of priceList) {
    const document = (typeof raw === 'string' ? JSON.parse(raw) : raw) as {terms?: {OnDemand?: Record<string, {priceDimensions?: Record<string, {unit?: string; pricePerUnit?: {USD?: string}}>}>}}
    for (const offer of Object.values(document.terms?.OnDemand ?? {})) {
      for (const dimension of Object.values(offer.priceDimensions ?? {})) {
        const usd = Number(dimension.pricePerUnit?.USD)
        if (!/^hrs?$/i.test(dimension.unit ?? '') || !Number.isFinite(usd) || usd <= 0) continue
        lowest = lowest === undefined ? usd : Math.min(lowest, usd)
      }
    }
  }
  return lowest
}

export async function createPriceListApi(target: AwsTarget): Promise<PriceListApi> {
  const pricing = await import('@aws-sdk/client-pricing')
  const client = createClient(pricing.PricingClient, {...target, region: PRICING_REGION})
  return {
    async onDemandHourly(family, type, region, location) {
      const pages = await allPages(
        (NextToken) =>
          client.send(
            new pricing.GetProductsCommand({ServiceCode: SERVICE_CODES[family], Filters: productFilters(family, type, region, location), FormatVersion: 'aws_v1', MaxResults: 100, NextToken}),
          ),
        (page) => page.NextToken,
      )
      const products = pages.flatMap((page): unknown[] => {
        const list = page.PriceList as unknown
        return Array.isArray(list) ? list : []
      })
      return lowestHourlyPrice(products)
    },
  }
}
