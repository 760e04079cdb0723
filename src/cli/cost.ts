import {Flags} from '@oclif/core'
import type {AwsTarget} from '../aws/clients.js'
import {COST_METRICS, type CostMetric, type PriceListApi} from '../core/cost/api.js'
import {costCacheDir, ResponseCache, type CostAsker} from '../core/cost/cache.js'
import {CostExplorerSession} from '../core/cost/explorer.js'
import {utcDate} from '../core/cost/period.js'
import {PriceBook} from '../core/cost/prices.js'
import type {AccountEnv} from '../core/cost/report.js'
import type {Clock} from '../core/deploy/clock.js'
import type {LoadedConfig} from '../core/config/load.js'
import {selectEnvironment} from '../core/config/env.js'

/**
 * Glue shared by the `fintech cost` commands. They only read: no account guard (they may run
 * from the management account, which sees every linked account) and no audit line.
 */

export const costFlags = {
  metric: Flags.string({description: 'Cost Explorer metric', options: [...COST_METRICS], default: 'UnblendedCost'}),
  refresh: Flags.boolean({default: false, description: 'ask Cost Explorer again instead of using today\'s cached answers (and cache the new ones)'}),
}

/** The named envs (each is an account), or every env of the config when none is named. */
export function accountEnvs(loaded: LoadedConfig, names: string[] | undefined): AccountEnv[] {
  const chosen = names && names.length > 0 ? [...new Set(names)] : Object.keys(loaded.config.environments)
  return chosen.map((name) => ({name, account: selectEnvironment(loaded.config, name).account}))
}

export const allAccountEnvs = (loaded: LoadedConfig): AccountEnv[] =>
  Object.entries(loaded.config.environments).map(([name, env]) => ({name, account: env.account}))

/** Cost Explorer and the Price List API are global: us-east-1, as the one env's profile or --profile. */
export function globalTarget(loaded: LoadedConfig, envNames: string[] | undefined, flags: {profile?: string}): AwsTarget {
  const only = envNames && envNames.length === 1 ? loaded.config.environments[envNames[0]!] : undefined
  const profile = flags.profile ?? only?.profile
  return {region: 'us-east-1', ...(profile ? {profile} : {}), timeouts: loaded.config.aws}
}

/** Cost Explorer with the day's cache, keyed by the account the credentials belong to (STS, asked before the first query). */
export function openCostExplorer(target: AwsTarget, options: {refresh: boolean; clock: Clock}): CostExplorerSession {
  const cache = new ResponseCache(costCacheDir(), utcDate(options.clock.now()))
  const whoAsks = async (): Promise<CostAsker> => {
    const {createIdentityApi} = await import('../aws/sts.js')
    const {account} = await (await createIdentityApi(target)).whoAmI()
    return {account, endpoint: process.env.AWS_ENDPOINT_URL || 'AWS'}
  }
  return new CostExplorerSession(async () => (await import('../aws/cost-explorer.js')).createCostExplorerApi(target), cache, {...options, whoAsks})
}

/** The snapshot's prices for `region`; with `online`, the Price List API's first (created on first use). */
export function priceBook(region: string, online: {target: AwsTarget} | undefined): PriceBook {
  if (!online) return new PriceBook(region)
  let api: Promise<PriceListApi> | undefined
  const lazy: PriceListApi = {
    async onDemandHourly(...args) {
      api ??= import('../aws/pricing.js').then((module) => module.createPriceListApi(online.target))
      return (await api).onDemandHourly(...args)
    },
  }
  return new PriceBook(region, undefined, lazy)
}

export const metricOf = (flag: string) => flag as CostMetric
