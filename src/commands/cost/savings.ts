import {Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {costSavingsCommand, type SavingsReport} from '../../cli/cost.js'
import {costFlags} from '../../cli/flags.js'

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
    return this.deliver(await costSavingsCommand(this.readConfig(flags.config), flags))
  }
}
