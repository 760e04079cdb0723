import type {CostAllocationApi, CostAllocationTag} from '../core/tags/api.js'
import {createClient, type AwsTarget} from './clients.js'
import {COST_EXPLORER_REGION} from './cost-explorer.js'
import {chunks} from './paging.js'
import {requestCounter} from './resource-tags.js'

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
        let token: string | undefined
        do {
          const page = await counter.count(() =>
            client.send(new ce.ListCostAllocationTagsCommand({TagKeys: batch, Type: 'UserDefined', MaxResults: 1000, NextToken: token})),
          )
          token = page.NextToken || undefined
          for (const tag of page.CostAllocationTags ?? []) {
            if (!tag.TagKey || !tag.Status) continue
            tags.push({key: tag.TagKey, status: tag.Status, type: tag.Type ?? 'UserDefined', ...(tag.LastUsedDate ? {lastUsedDate: tag.LastUsedDate} : {})})
          }
        } while (token)
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
