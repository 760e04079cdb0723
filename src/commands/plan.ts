import {Flags} from '@oclif/core'
import {FintechCommand} from '../cli/base-command.js'
import {planCommand, type PlanResult} from '../cli/plan.js'
import {stackFlags} from '../cli/flags.js'

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
    return this.deliver(await planCommand(this.readConfig(flags.config), flags, this.io()))
  }
}
