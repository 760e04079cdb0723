import {resolveEnv, type TargetFlags} from '../core/config/env.js'
import type {LoadedConfig} from '../core/config/load.js'
import {estimateEnvironment, type CostEstimate} from '../core/cost/estimate.js'
import {PriceBook} from '../core/cost/prices.js'
import {planEnvironment} from '../core/stages/plan.js'
import {selectStages} from '../core/stages/select.js'
import {renderStageEstimates} from '../ui/cost.js'
import type {CommandIO, Outcome} from './command-io.js'
import {deployFlow, type DeployFlowResult} from './deploy.js'

/** What the planned stages would cost a month (`fintech cost estimate` has the items). */
export interface PlanEstimate {
  currency: CostEstimate['currency']
  prices: string
  monthlyUsd: number
  stages: Array<{name: string; monthlyUsd: number}>
}

export type PlanResult = DeployFlowResult & {estimate: PlanEstimate}

/** `fintech plan`: a deploy's dry run, ending with each stage's monthly cost. */
export async function planCommand(loaded: LoadedConfig, flags: TargetFlags & {stage: string; env: string; offline: boolean; concurrency?: number}, io: CommandIO): Promise<Outcome<PlanResult>> {
  const env = resolveEnv(loaded, flags.env, flags)
  const outcome = await deployFlow(loaded, {
    stage: flags.stage,
    env,
    dryRun: true,
    offline: flags.offline,
    yes: false,
    allowReplacement: false,
    force: false,
    concurrency: flags.concurrency,
    json: io.json,
  })
  const estimate = await estimateEnvironment(planEnvironment(loaded, env, selectStages(loaded.config, flags.stage)), new PriceBook(env.target.region))
  const summary: PlanEstimate = {
    currency: estimate.currency,
    prices: estimate.prices,
    monthlyUsd: estimate.monthlyUsd,
    stages: estimate.stages.map((stage) => ({name: stage.name, monthlyUsd: stage.monthlyUsd})),
  }
  return {...outcome, text: `${outcome.text}\n\n${renderStageEstimates(estimate)}`, result: {...outcome.result, estimate: summary}}
}
