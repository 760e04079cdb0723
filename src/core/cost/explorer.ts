import type {Clock} from '../clock.js'
import type {CostBucket, CostExplorerApi, CostUsageQuery, ForecastQuery, ForecastResult} from './api.js'
import type {CostAsker, ResponseCache} from './cache.js'

/** What Cost Explorer charges per API request, in USD. */
export const PRICE_PER_REQUEST_USD = 0.01

/** The Cost Explorer requests one command made, for its footer and `--json`. */
export interface CostExplorerUsage {
  requests: number
  costUsd: number
  /** Answers read from the day's cache instead of Cost Explorer. */
  fromCache: number
  /** When the cached answers were fetched, earliest first. */
  cachedAt: string[]
}

/**
 * Cost Explorer as the commands use it: every page followed, every request counted, and
 * answers kept for the day unless `refresh` (which fetches again and rewrites the cache).
 * Answers are kept per caller account (`whoAsks`, asked once per session): credentials of
 * another account never get this account's figures. The Cost Explorer API is created on the
 * first request, so a fully cached run never loads its SDK.
 */
export class CostExplorerSession {
  private requests = 0
  private readonly hits: string[] = []
  private api?: Promise<CostExplorerApi>
  private asker?: Promise<CostAsker>

  constructor(
    private readonly connect: () => Promise<CostExplorerApi>,
    private readonly cache: ResponseCache,
    private readonly options: {refresh: boolean; clock: Clock; whoAsks: () => Promise<CostAsker>},
  ) {}

  private client(): Promise<CostExplorerApi> {
    this.api ??= this.connect()
    return this.api
  }

  private async cached<T>(request: unknown, fetch: () => Promise<T>): Promise<T> {
    this.asker ??= this.options.whoAsks()
    const asker = await this.asker
    if (!this.options.refresh) {
      const hit = this.cache.get<T>(asker, request)
      if (hit) {
        this.hits.push(hit.fetchedAt)
        return hit.value
      }
    }
    const value = await fetch()
    this.cache.put(asker, request, value, this.options.clock.now())
    return value
  }

  /** Every bucket of a GetCostAndUsage query, pages merged (a page may continue a bucket's groups). */
  costAndUsage(query: CostUsageQuery): Promise<CostBucket[]> {
    return this.cached({operation: 'GetCostAndUsage', query}, async () => {
      const api = await this.client()
      const byStart = new Map<string, CostBucket>()
      let token: string | undefined
      do {
        this.requests++
        const page = await api.getCostAndUsage(query, token)
        for (const bucket of page.buckets) {
          const known = byStart.get(bucket.start)
          if (!known) {
            byStart.set(bucket.start, {...bucket, groups: [...bucket.groups]})
            continue
          }
          known.groups.push(...bucket.groups)
          known.estimated ||= bucket.estimated
          if (bucket.total !== undefined) known.total = (known.total ?? 0) + bucket.total
          known.unit ??= bucket.unit
        }
        token = page.nextPageToken
      } while (token)
      return [...byStart.values()].sort((a, b) => (a.start < b.start ? -1 : 1))
    })
  }

  forecast(query: ForecastQuery): Promise<ForecastResult> {
    return this.cached({operation: 'GetCostForecast', query}, async () => {
      const api = await this.client()
      this.requests++
      return api.getCostForecast(query)
    })
  }

  usage(): CostExplorerUsage {
    return {
      requests: this.requests,
      costUsd: Math.round(this.requests * PRICE_PER_REQUEST_USD * 100) / 100,
      fromCache: this.hits.length,
      cachedAt: [...this.hits].sort(),
    }
  }
}
