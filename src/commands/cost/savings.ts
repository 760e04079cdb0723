import {Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {costFlags, globalTarget, metricOf, openCostExplorer, priceBook} from '../../cli/cost.js'
import type {TaskDefinitionApi} from '../../core/cost/api.js'
import {parsePeriod, utcDate} from '../../core/cost/period.js'
import {buildSavings, type SavingsReport} from '../../core/cost/savings.js'
import {systemClock} from '../../core/deploy/clock.js'
import {ExitCode, FintechError} from '../../core/errors.js'
import {stateBucketOf} from '../../core/shutdown/scope.js'
import {planEnvironment, type EnvironmentPlan} from '../../core/stages/plan.js'
import {selectEnvironment} from '../../core/config/env.js'
import {renderSavings} from '../../ui/cost.js'

export default class CostSavingsCommand extends FintechCommand {
  static summary = 'What the shutdown schedule saved: stopped hours × prices, Cost Explorer before and after, Redis against ElastiCache.'

  static description = `Stopped hours come from the env's shutdown manifests in the state bucket (each resource's stop and start times), priced at on-demand list prices from the bundled snapshot (--online: the Price List API first); ECS services are priced by their task definition's CPU and memory (DescribeTaskDefinition). Beside them, Cost Explorer's daily average cost of the env's account over --compare-days full days before the first shutdown night and after it (one request, cached for the day). Last, the self-hosted Redis tier of the env's templates against the same number of equivalent ElastiCache nodes, which cannot be stopped. Read-only.`

  static examples = ['<%= config.bin %> cost savings --env dev', '<%= config.bin %> cost savings --env test --period 3m --compare-days 30 --json']

  static flags = {
    ...costFlags,
    env: Flags.string({description: 'environment from fintech.config.yaml', required: true}),
    period: Flags.string({description: 'window the stopped hours are counted in: Nd, Nm or mtd (as in cost report)', default: '30d'}),
    'compare-days': Flags.integer({description: 'days of Cost Explorer averages before and after the first shutdown night', default: 14, min: 1, max: 90}),
    online: Flags.boolean({default: false, description: 'ask the Price List API (GetProducts, us-east-1) for instance prices; the snapshot fills any gap'}),
  }

  async run(): Promise<SavingsReport> {
    const {flags} = await this.parse(CostSavingsCommand)
    const loaded = this.readConfig(flags.config)
    const env = selectEnvironment(loaded.config, flags.env)
    const now = systemClock.now()
    const today = utcDate(now)
    const window = parsePeriod(flags.period, today).current
    const target = this.awsTarget(loaded, flags.env, flags)
    const bucket = stateBucketOf(loaded.config, flags.env)
    const global = globalTarget(loaded, [flags.env], flags)

    const warnings: string[] = []
    let plan: EnvironmentPlan | undefined
    try {
      plan = planEnvironment(loaded, flags.env, loaded.config.stages)
    } catch (error) {
      if (!(error instanceof FintechError)) throw error
      warnings.push(`Redis comparison skipped: ${error.message}`)
    }

    let taskApi: Promise<TaskDefinitionApi> | undefined
    const tasks: TaskDefinitionApi = {
      async taskSize(taskDefinition) {
        taskApi ??= import('../../aws/ecs-task-definitions.js').then((module) => module.createTaskDefinitionApi(target))
        return (await taskApi).taskSize(taskDefinition)
      },
    }
    const {createStateStore} = await import('../../aws/state-store.js')
    const report = await buildSavings(
      {
        store: await createStateStore(target, bucket, env.account),
        tasks,
        session: openCostExplorer(global, {refresh: flags.refresh, clock: systemClock}),
        book: priceBook(target.region, flags.online ? {target: global} : undefined),
        plan,
        now,
      },
      {env: {name: flags.env, account: env.account}, region: target.region, bucket, window, compareDays: flags['compare-days'], metric: metricOf(flags.metric), today},
    )
    report.warnings.push(...warnings)
    return this.deliver({text: renderSavings(report), exitCode: ExitCode.ok, result: report})
  }
}
