import {fileURLToPath} from 'node:url'
import {z} from 'zod'
import {readTextFile} from '../config/load.js'
import {FileError, InputError} from '../errors.js'
import type {InstanceFamily, PriceListApi} from './api.js'

/**
 * The bundled on-demand price snapshot: data/prices/on-demand.json, three levels above this
 * module both in src/core/cost and in dist/core/cost.
 */
export const SNAPSHOT_FILE = fileURLToPath(new URL('../../../data/prices/on-demand.json', import.meta.url))

const hourly = z.record(z.string(), z.number().nonnegative())

const regionPricesSchema = z.strictObject({
  location: z.string(),
  ec2: hourly,
  'aurora-postgresql': hourly,
  'elasticache-redis': hourly,
  fargate: z.strictObject({vcpuHour: z.number(), gbHour: z.number()}),
  natGatewayHour: z.number(),
  albHour: z.number(),
  interfaceEndpointHour: z.number(),
  publicIpv4Hour: z.number(),
  transitGatewayAttachmentHour: z.number(),
  ebsGbMonth: z.record(z.string(), z.number()),
  kmsKeyMonth: z.number(),
  secretMonth: z.number(),
  wafWebAclMonth: z.number(),
  wafRuleMonth: z.number(),
  alarmMetricMonth: z.number(),
  dashboardMonth: z.number(),
})
export type RegionPrices = z.output<typeof regionPricesSchema>

const snapshotSchema = z.object({
  snapshot: z.string(),
  currency: z.literal('USD'),
  hoursPerMonth: z.number().positive(),
  regions: z.record(z.string(), regionPricesSchema),
  elasticacheEquivalent: z.object({nodes: z.record(z.string(), z.string())}),
})
export type PriceSnapshot = z.output<typeof snapshotSchema>

let loaded: PriceSnapshot | undefined

export function loadPriceSnapshot(file: string = SNAPSHOT_FILE): PriceSnapshot {
  if (file === SNAPSHOT_FILE && loaded) return loaded
  let json: unknown
  try {
    json = JSON.parse(readTextFile(file, 'price snapshot'))
  } catch (error) {
    if (error instanceof InputError) throw error
    throw new FileError(file, `not valid JSON: ${(error as Error).message}`)
  }
  const parsed = snapshotSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new FileError(file, issue.message, undefined, issue.path.join('.'))
  }
  if (file === SNAPSHOT_FILE) loaded = parsed.data
  return parsed.data
}

export interface HourlyPrice {
  usd: number
  source: 'snapshot' | 'online'
}

/**
 * Prices of one region: the snapshot, and with `online` the Price List API first for
 * instance prices (each asked once per run). A failed or empty online answer falls back to
 * the snapshot and leaves a warning, so `--online` never makes a figure disappear.
 */
export class PriceBook {
  readonly regional: RegionPrices | undefined
  readonly warnings: string[] = []
  private readonly asked = new Map<string, Promise<HourlyPrice | undefined>>()

  constructor(
    readonly region: string,
    readonly snapshot: PriceSnapshot = loadPriceSnapshot(),
    private readonly online?: PriceListApi,
  ) {
    this.regional = snapshot.regions[region]
  }

  private readonly otherRegions = new Map<string, PriceBook>()

  /** The same book for another region (a recovery-region stack), sharing the snapshot and the online source. */
  inRegion(region: string): PriceBook {
    if (region === this.region) return this
    if (!this.otherRegions.has(region)) this.otherRegions.set(region, new PriceBook(region, this.snapshot, this.online))
    return this.otherRegions.get(region)!
  }

  /** Warnings of this book and of the other regions' books it made. */
  get allWarnings(): string[] {
    return [this, ...this.otherRegions.values()].flatMap((book) => [
      ...book.warnings,
      ...(book.regional ? [] : [`no price snapshot for ${book.region}: only instance prices from the Price List API (--online) can be used`]),
    ])
  }

  get hoursPerMonth(): number {
    return this.snapshot.hoursPerMonth
  }

  /** `snapshot 2026-11`, or `Price List API, snapshot 2026-11 as fallback`. */
  get source(): string {
    return this.online ? `Price List API (snapshot ${this.snapshot.snapshot} as fallback)` : `snapshot ${this.snapshot.snapshot}`
  }

  instanceHour(family: InstanceFamily, type: string): Promise<HourlyPrice | undefined> {
    const key = `${family}/${type}`
    if (!this.asked.has(key)) this.asked.set(key, this.lookUp(family, type))
    return this.asked.get(key)!
  }

  private async lookUp(family: InstanceFamily, type: string): Promise<HourlyPrice | undefined> {
    const fromSnapshot = this.regional?.[family][type]
    const snapshotPrice = fromSnapshot === undefined ? undefined : {usd: fromSnapshot, source: 'snapshot' as const}
    if (!this.online) return snapshotPrice
    try {
      const usd = await this.online.onDemandHourly(family, type, this.region, this.regional?.location)
      if (usd !== undefined) return {usd, source: 'online'}
      this.warnings.push(`the Price List API has no ${family} price for ${type} in ${this.region}${snapshotPrice ? '; used the snapshot' : ''}`)
    } catch (error) {
      this.warnings.push(`Price List API for ${type}: ${(error as Error).message}${snapshotPrice ? '; used the snapshot' : ''}`)
    }
    return snapshotPrice
  }

  /** The ElastiCache node type that stands in for a self-hosted Redis node of this EC2 type. */
  elastiCacheEquivalent(instanceType: string): string | undefined {
    return this.snapshot.elasticacheEquivalent.nodes[instanceType]
  }
}
