import type {AuditSink} from '../audit/audit-log.js'
import {InputError} from '../errors.js'
import {COST_ALLOCATION_BATCH, type CostAllocationApi} from './api.js'

/**
 * Per required key: already-active; activated (or would-activate in a dry run); failed; or
 * not-found: billing has never seen the key on a resource, so Cost Explorer cannot activate it
 * yet (keys appear about a day after they are first applied).
 */
export type ActivationOutcome = 'already-active' | 'activated' | 'would-activate' | 'failed' | 'not-found'

export interface ActivationResult {
  key: string
  /** Status before the run: Active, Inactive, or NotFound when billing has not seen the key. */
  before: 'Active' | 'Inactive' | 'NotFound'
  result: ActivationOutcome
  lastUsedDate?: string
  error?: string
}

export interface ActivationRun {
  dryRun: boolean
  tags: ActivationResult[]
  /** Cost Explorer requests made (list pages and updates). */
  requests: number
}

/**
 * Activates the inactive ones among `keys` as cost-allocation tags, at most 20 keys a call;
 * active keys are left alone. `confirm`, when given, sees the keys about to be activated
 * before the first change; a refusal changes nothing.
 */
export async function activateCostAllocationTags(
  api: CostAllocationApi,
  keys: readonly string[],
  options: {dryRun: boolean; audit: AuditSink; envName: string; confirm?: (keys: string[]) => Promise<boolean>},
): Promise<ActivationRun> {
  const known = new Map((await api.listTags([...keys])).map((tag) => [tag.key, tag]))
  const results: ActivationResult[] = keys.map((key) => {
    const tag = known.get(key)
    if (!tag) return {key, before: 'NotFound', result: 'not-found'}
    const lastUsed = tag.lastUsedDate ? {lastUsedDate: tag.lastUsedDate} : {}
    if (tag.status === 'Active') return {key, before: 'Active', result: 'already-active', ...lastUsed}
    return {key, before: 'Inactive', result: options.dryRun ? 'would-activate' : 'activated', ...lastUsed}
  })
  if (!options.dryRun) {
    const toActivate = results.filter((entry) => entry.result === 'activated')
    if (toActivate.length > 0 && options.confirm && !(await options.confirm(toActivate.map((entry) => entry.key)))) {
      throw new InputError('not confirmed; no cost-allocation tag was activated')
    }
    for (let start = 0; start < toActivate.length; start += COST_ALLOCATION_BATCH) {
      const batch = toActivate.slice(start, start + COST_ALLOCATION_BATCH)
      let refused: Map<string, string>
      try {
        refused = new Map((await api.activate(batch.map((entry) => entry.key))).map((error) => [error.key, `${error.code}: ${error.message}`]))
      } catch (error) {
        const why = `${(error as {name?: string}).name ?? 'Error'}: ${(error as Error).message}`
        refused = new Map(batch.map((entry) => [entry.key, why]))
      }
      for (const entry of batch) {
        const error = refused.get(entry.key)
        if (error) Object.assign(entry, {result: 'failed', error})
        options.audit.record({
          env: options.envName,
          action: 'tags-activate',
          resource: `cost-allocation-tag:${entry.key}`,
          result: error ? 'failed' : 'ok',
          detail: error ?? 'Inactive → Active',
        })
      }
    }
  }
  return {dryRun: options.dryRun, tags: results, requests: api.requests()}
}
