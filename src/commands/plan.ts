import {Flags} from '@oclif/core'
import {FintechCommand} from '../cli/base-command.js'
import {deployFlow, type DeployFlowResult} from '../cli/deploy-flow.js'
import {estimateEnvironment, type CostEstimate} from '../core/cost/estimate.js'
import {PriceBook} from '../core/cost/prices.js'
import {planEnvironment} from '../core/stages/plan.js'
import {selectStages} from '../core/stages/select.js'
import {renderStageEstimates} from '../ui/cost.js'
import {stackFlags} from './deploy.js'

/** What the planned stages would cost a month (`fintech cost estimate` has the items). */
export interface PlanEstimate {
  currency: CostEstimate['currency']
  prices: string
  monthlyUsd: number
  stages: Array<{name: string; monthlyUsd: number}>
}

export type PlanResult = DeployFlowResult & {estimate: PlanEstimate}

export default class Plan extends FintechCommand {
  static summary = 'Show what a deploy would change, without changing anything.'

  static description = `With credentials, each stack's change set is created, shown and deleted. With --offline (or when no credentials are found) the templates are checked, parameters resolved (outputs of other stacks shown as placeholders) and resources listed, with no AWS call. Either way the plan ends with each stage's monthly cost at on-demand list prices from the bundled snapshot (\`fintech cost estimate\` itemises it).`

  static examples = ['<%= config.bin %> plan --stage all --env dev --offline', '<%= config.bin %> plan --stage compute --env test']

  static flags = {
    ...stackFlags,
    stage: Flags.string({description: 'stage to plan, or "all"', default: 'all'}),
  }

  async run(): Promise<PlanResult> {
    const {flags} = await this.parse(Plan)
    const loaded = this.readConfig(flags.config)
    const target = this.awsTarget(loaded, flags.env, flags)
    const outcome = await deployFlow(loaded, {
      stage: flags.stage,
      env: flags.env,
      dryRun: true,
      offline: flags.offline,
      yes: false,
      allowReplacement: false,
      force: false,
      concurrency: flags.concurrency,
      json: this.jsonEnabled(),
      target,
    })
    const estimate = await estimateEnvironment(planEnvironment(loaded, flags.env, selectStages(loaded.config, flags.stage)), new PriceBook(target.region))
    const summary: PlanEstimate = {
      currency: estimate.currency,
      prices: estimate.prices,
      monthlyUsd: estimate.monthlyUsd,
      stages: estimate.stages.map((stage) => ({name: stage.name, monthlyUsd: stage.monthlyUsd})),
    }
    return this.deliver({...outcome, text: `${outcome.text}\n\n${renderStageEstimates(estimate)}`, result: {...outcome.result, estimate: summary}})
  }
}
