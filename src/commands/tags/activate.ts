import {Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {tagsActivateCommand, type TagsActivateResult} from '../../cli/tags.js'
import {yesFlag} from '../../cli/flags.js'

export default class TagsActivate extends FintechCommand {
  static summary = 'Activate the required tags as cost-allocation tags in Cost Explorer (payer account).'

  static description = `Runs against the payer (management) account, where cost-allocation tags live: ListCostAllocationTags shows which required tags are already Active, Inactive, or not found yet (billing sees a key about a day after a resource first carries it), then UpdateCostAllocationTagsStatus activates the inactive ones, at most 20 keys a call. Active keys are left alone, so it can run every day. One audit line per key activated. In a protected env (the payer account usually is one) the env name must be typed at a terminal, or --yes given. Exit 3 when Cost Explorer refused some keys; keys not found yet are reported, not an error.`

  static examples = ['<%= config.bin %> tags activate --dry-run', '<%= config.bin %> tags activate', '<%= config.bin %> tags activate --env management --yes --json']

  static flags = {
    env: Flags.string({description: 'the env of the payer account (AWS Organizations management account)', default: 'management'}),
    'dry-run': Flags.boolean({default: false, description: 'show the status of each required tag; activate nothing'}),
    yes: yesFlag('skip the typed confirmation a protected env asks for'),
  }

  async run(): Promise<TagsActivateResult> {
    const {flags} = await this.parse(TagsActivate)
    return this.deliver(await tagsActivateCommand(this.readConfig(flags.config), flags))
  }
}
