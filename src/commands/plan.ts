import {Flags} from '@oclif/core'
import {FintechCommand} from '../cli/base-command.js'
import {deployFlow, type DeployFlowResult} from '../cli/deploy-flow.js'
import {stackFlags} from './deploy.js'

export default class Plan extends FintechCommand {
  static summary = 'Show what a deploy would change, without changing anything.'

  static description = `With credentials, each stack's change set is created, shown and deleted. With --offline (or when no credentials are found) the templates are checked, parameters resolved (outputs of other stacks shown as placeholders) and resources listed, with no AWS call.`

  static examples = ['<%= config.bin %> plan --stage all --env dev --offline', '<%= config.bin %> plan --stage compute --env test']

  static flags = {
    ...stackFlags,
    stage: Flags.string({description: 'stage to plan, or "all"', default: 'all'}),
  }

  async run(): Promise<DeployFlowResult> {
    const {flags} = await this.parse(Plan)
    const loaded = this.readConfig(flags.config)
    return this.deliver(
      await deployFlow(loaded, {
        stage: flags.stage,
        env: flags.env,
        dryRun: true,
        offline: flags.offline,
        yes: false,
        allowReplacement: false,
        force: false,
        concurrency: flags.concurrency,
        json: this.jsonEnabled(),
        target: this.awsTarget(loaded, flags.env, flags),
      }),
    )
  }
}
