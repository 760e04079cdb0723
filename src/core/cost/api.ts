/**
 * The AWS services the cost commands need, as the core sees them. src/aws implements them;
 * tests hand the core fakes.
 */

/** Cost Explorer metrics a report can show (GetCostAndUsage names them like this). */
export const COST_METRICS = ['UnblendedCost', 'AmortizedCost', 'NetUnblendedCost', 'NetAmortizedCost', 'BlendedCost'] as const
export type CostMetric = (typeof COST_METRICS)[number]

/** GetCostForecast spells the same metrics in upper snake case. */
export const forecastMetric = (metric: CostMetric): string => metric.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()

export interface CostGroupBy {
  type: 'DIMENSION' | 'TAG'
  key: string
}

/** One GetCostAndUsage request, without its page token. Dates are UTC, `end` exclusive. */
export interface CostUsageQuery {
  start: string
  end: string
  granularity: 'DAILY' | 'MONTHLY'
  metric: CostMetric
  groupBy?: CostGroupBy
  /** Only these linked accounts (Dimensions LINKED_ACCOUNT); every account the caller sees when left out. */
  accounts?: string[]
}

/** One time bucket of a GetCostAndUsage answer. */
export interface CostBucket {
  start: string
  end: string
  /** Cost Explorer's own flag: the figures of recent days may still change. */
  estimated: boolean
  /** Set when the query has no grouping. */
  total?: number
  groups: Array<{key: string; amount: number}>
  unit?: string
}

export interface CostUsagePage {
  buckets: CostBucket[]
  nextPageToken?: string
}

export interface ForecastQuery {
  start: string
  end: string
  granularity: 'MONTHLY'
  metric: CostMetric
  accounts?: string[]
  /** Width of the prediction interval, in percent (51-99). */
  predictionIntervalLevel: number
}

export interface ForecastPeriod {
  start: string
  end: string
  mean: number
  lower: number
  upper: number
}

export interface ForecastResult {
  total: number
  unit: string
  periods: ForecastPeriod[]
}

export interface CostExplorerApi {
  /** One page of GetCostAndUsage; the caller follows `nextPageToken` (and counts the requests). */
  getCostAndUsage(query: CostUsageQuery, nextPageToken?: string): Promise<CostUsagePage>
  getCostForecast(query: ForecastQuery): Promise<ForecastResult>
}

/** Instance families the Price List API is asked about with `--online`. */
export type InstanceFamily = 'ec2' | 'aurora-postgresql' | 'elasticache-redis'

export interface PriceListApi {
  /**
   * The on-demand hourly price in USD of an instance type in a region (Linux, shared tenancy
   * for EC2; Aurora Standard for Aurora; Redis OSS for ElastiCache); undefined when the Price
   * List has no such product.
   */
  onDemandHourly(family: InstanceFamily, type: string, region: string, location?: string): Promise<number | undefined>
}

/** CPU units and memory of an ECS task definition (task level, as Fargate bills them). */
export interface TaskSize {
  cpuUnits: number
  memoryMiB: number
}

export interface TaskDefinitionApi {
  taskSize(taskDefinition: string): Promise<TaskSize | undefined>
}
