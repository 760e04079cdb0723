import {Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {costEstimateCommand, PRICED_TYPES, type CostEstimate} from '../../cli/cost.js'

export default class CostEstimateCommand extends FintechCommand {
  static summary = 'Monthly cost of what a stage\'s templates would create in an env, at on-demand list prices.'

  static description = `The templates are evaluated as the env deploys them (its parameter file, conditions, defaults) and each resource billed by the hour or the month is priced from the bundled price snapshot, 730 hours a month: ${PRICED_TYPES.join(', ')}. Everything else is listed as not priced: no charge, or usage-based (requests, storage, data). No AWS call, unless --online asks the Price List API for the instance prices (falling back to the snapshot).`

  static examples = ['<%= config.bin %> cost estimate --env prod', '<%= config.bin %> cost estimate --env dev --stage data --details', '<%= config.bin %> cost estimate --env test --online --json']

  static flags = {
    env: Flags.string({description: 'environment from fintech.config.yaml', required: true}),
    stage: Flags.string({description: 'stage to estimate, or "all"', default: 'all'}),
    online: Flags.boolean({default: false, description: 'ask the Price List API (GetProducts, us-east-1) for instance prices; the snapshot fills any gap'}),
    details: Flags.boolean({default: false, description: 'list every resource that is not priced, with the reason'}),
  }

  async run(): Promise<CostEstimate> {
    const {flags} = await this.parse(CostEstimateCommand)
    return this.deliver(await costEstimateCommand(this.readConfig(flags.config), flags))
  }
}
