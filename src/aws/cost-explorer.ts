import type {Metric} from '@aws-sdk/client-cost-explorer'
import {forecastMetric, type CostExplorerApi, type CostUsageQuery} from '../core/cost/api.js'
import {FintechError} from '../core/errors.js'
import type {CostAllocationApi, CostAllocationTag} from '../core/tags/api.js'
import {createClient, type AwsTarget} from './clients.js'
import {allPages, chunks} from './paging.js'
import {requestCounter} from './tagging.js'

/** Cost Explorer has one endpoint, in us-east-1, whatever region the envs use. */
export const COST_EXPLORER_REGION = 'us-east-1'

const amount = (value: string | undefined) => (value === undefined ? 0 : Number(value))

function filterOf(accounts: string[] | undefined) {
  return accounts && accounts.length > 0 ? {Dimensions: {Key: 'LINKED_ACCOUNT' as const, Values: accounts}} : undefined
}

/** Cost Explorer's own refusals, said in words an operator can act on; anything else as it came. */
async function explained<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request()
  } catch (error) {
    explain(error)
  }
}

function explain(error: unknown): never {
  const name = (error as {name?: string}).name
  const message = (error as Error).message
  if (name === 'AccessDeniedException') {
    throw new FintechError(`Cost Explorer refused the request: ${message}`, undefined, 'enable Cost Explorer in the payer account, and allow ce:GetCostAndUsage and ce:GetCostForecast to the caller')
  }
  if (name === 'DataUnavailableException') throw new FintechError(`Cost Explorer has no data for this request yet: ${message}`)
  if (name === 'BillExpirationException') throw new FintechError(`Cost Explorer no longer holds that period: ${message}`, undefined, 'choose a shorter --period')
  throw error
}

export async function createCostExplorerApi(target: AwsTarget): Promise<CostExplorerApi> {
  const ce = await import('@aws-sdk/client-cost-explorer')
  const client = createClient(ce.CostExplorerClient, {...target, region: COST_EXPLORER_REGION})

  return {
    async getCostAndUsage(query: CostUsageQuery, nextPageToken?: string) {
      const output = await explained(() =>
        client.send(
          new ce.GetCostAndUsageCommand({
            TimePeriod: {Start: query.start, End: query.end},
            Granularity: query.granularity,
            Metrics: [query.metric],
            ...(query.groupBy ? {GroupBy: [{Type: query.groupBy.type, Key: query.groupBy.key}]} : {}),
            ...(filterOf(query.accounts) ? {Filter: filterOf(query.accounts)} : {}),
            ...(nextPageToken ? {NextPageToken: nextPageToken} : {}),
          }),
        ),
      )
      return {
        buckets: (output.ResultsByTime ?? []).map((result) => {
          const total = result.Total?.[query.metric]
          const groups = (result.Groups ?? []).map((group) => ({key: group.Keys?.join('|') ?? '', amount: amount(group.Metrics?.[query.metric]?.Amount)}))
          return {
            start: result.TimePeriod?.Start ?? '',
            end: result.TimePeriod?.End ?? '',
            estimated: result.Estimated ?? false,
            ...(total?.Amount !== undefined ? {total: amount(total.Amount)} : {}),
            groups,
            unit: total?.Unit ?? result.Groups?.[0]?.Metrics?.[query.metric]?.Unit,
          }
        }),
        nextPageToken: output.NextPageToken || undefined,
      }
    },

    async getCostForecast(query) {
      const output = await explained(() =>
        client.send(
          new ce.GetCostForecastCommand({
            TimePeriod: {Start: query.start, End: query.end},
            Granularity: query.granularity,
            Metric: forecastMetric(query.metric) as Metric,
            PredictionIntervalLevel: query.predictionIntervalLevel,
            ...(filterOf(query.accounts) ? {Filter: filterOf(query.accounts)} : {}),
          }),
        ),
      )
      return {
        total: amount(output.Total?.Amount),
        unit: output.Total?.Unit ?? 'USD',
        periods: (output.ForecastResultsByTime ?? []).map((result) => {
          const mean = amount(result.MeanValue)
          return {
            start: result.TimePeriod?.Start ?? '',
            end: result.TimePeriod?.End ?? '',
            mean,
            lower: result.PredictionIntervalLowerBound === undefined ? mean : amount(result.PredictionIntervalLowerBound),
            upper: result.PredictionIntervalUpperBound === undefined ? mean : amount(result.PredictionIntervalUpperBound),
          }
        }),
      }
    },
  }
}

/** ListCostAllocationTags takes up to 100 keys a request. */
const KEYS_PER_LIST = 100

/** Cost Explorer's cost-allocation tags (user-defined) of the payer account; Cost Explorer lives in us-east-1. */
export async function createCostAllocationApi(target: AwsTarget): Promise<CostAllocationApi> {
  const ce = await import('@aws-sdk/client-cost-explorer')
  const client = createClient(ce.CostExplorerClient, {...target, region: COST_EXPLORER_REGION})
  const counter = requestCounter()
  return {
    requests: counter.sent,
    async listTags(keys) {
      const tags: CostAllocationTag[] = []
      for (const batch of chunks(keys, KEYS_PER_LIST)) {
        const pages = await allPages(
          (token) => counter.count(() => client.send(new ce.ListCostAllocationTagsCommand({TagKeys: batch, Type: 'UserDefined', MaxResults: 1000, NextToken: token}))),
          (page) => page.NextToken,
        )
        for (const tag of pages.flatMap((page) => page.CostAllocationTags ?? [])) {
          if (!tag.TagKey || !tag.Status) continue
          tags.push({key: tag.TagKey, status: tag.Status, type: tag.Type ?? 'UserDefined', ...(tag.LastUsedDate ? {lastUsedDate: tag.LastUsedDate} : {})})
        }
      }
      return tags
    },
    async activate(keys) {
      const {Errors} = await counter.count(() =>
        client.send(new ce.UpdateCostAllocationTagsStatusCommand({CostAllocationTagsStatus: keys.map((TagKey) => ({TagKey, Status: 'Active'}))})),
      )
      return (Errors ?? []).map((error) => ({key: error.TagKey ?? '', code: error.Code ?? 'Error', message: error.Message ?? 'no message'}))
    },
  }
}
