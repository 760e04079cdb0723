import {Flags} from '@oclif/core'
import {FintechCommand} from '../cli/base-command.js'
import {deployCommand, type DeployFlowResult} from '../cli/deploy.js'
import type {OrgDeployResult} from '../cli/org.js'
import {stackFlags, yesFlag} from '../cli/flags.js'

export default class Deploy extends FintechCommand {
  static summary = 'Deploy stages of the platform through reviewed change sets.'

  static description = `Stages run in the config's order; a stage refuses to start while a stage before it is not deployed in the env. Each stack gets a change set that is shown before it runs. Replacing or removing a stateful resource needs --allow-replacement; widening IAM or security groups, recreating a failed stack and anything in a protected env need approval (a prompt on a terminal, --yes elsewhere). Unchanged stacks are skipped without a change set.`

  static examples = [
    '<%= config.bin %> deploy --stage networking --env test',
    '<%= config.bin %> deploy --stage all --env dev --dry-run --offline',
    '<%= config.bin %> deploy --stage data --env prod --allow-replacement',
    '<%= config.bin %> deploy --stage foundation --org --dry-run',
  ]

  static flags = {
    ...stackFlags,
    env: Flags.string({description: 'environment from fintech.config.yaml; with --org, the StackSets\' administrator env (organization.administrator) or left out'}),
    org: Flags.boolean({
      default: false,
      description: 'roll the stage out to every account of the organization.stackSets OUs through service-managed StackSets, from the administrator account',
      exclusive: ['offline', 'concurrency', 'allow-replacement', 'force'],
    }),
    'dry-run': Flags.boolean({default: false, description: 'create each change set, show it and delete it; change nothing'}),
    yes: yesFlag('approve change sets that need approval without asking'),
    'allow-replacement': Flags.boolean({default: false, description: 'allow change sets that replace or remove stateful resources'}),
    force: Flags.boolean({default: false, description: 'create a change set even when template, parameters and tags are unchanged'}),
  }

  async run(): Promise<DeployFlowResult | OrgDeployResult> {
    const {flags} = await this.parse(Deploy)
    return this.deliver(await deployCommand(this.readConfig(flags.config), flags, this.io()))
  }
}
