import {Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {costForecastCommand, PREDICTION_INTERVAL_LEVEL, type CostForecastReport} from '../../cli/cost.js'
import {costFlags} from '../../cli/flags.js'

export default class CostForecastCommand extends FintechCommand {
  static summary = 'Forecast this month and the next, with the prediction interval (Cost Explorer).'

  static description = `This month is what it has cost so far (GetCostAndUsage, up to yesterday) plus GetCostForecast for the rest of it; next month is forecast whole. The interval is Cost Explorer's ${PREDICTION_INTERVAL_LEVEL}% prediction interval. Two requests ($0.02) on a cold cache, none on a warm one (answers are cached for the UTC day; --refresh asks again).`

  static examples = ['<%= config.bin %> cost forecast', '<%= config.bin %> cost forecast --env prod --json']

  static flags = {
    ...costFlags,
    env: Flags.string({description: 'env whose account to forecast (repeatable); every env of the config when left out', multiple: true}),
  }

  async run(): Promise<CostForecastReport> {
    const {flags} = await this.parse(CostForecastCommand)
    return this.deliver(await costForecastCommand(this.readConfig(flags.config), flags))
  }
}
