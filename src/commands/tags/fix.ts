import {Flags, ux} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {tagsFixCommand, type TagsFixResult} from '../../cli/tags.js'
import {tagsFlags, yesFlag} from '../../cli/flags.js'

export default class TagsFix extends FintechCommand {
  static summary = "Fill missing required tags from the owning stack's tags or the config's tagging rules; plan first."

  static description = `Reads the same inventory as \`tags audit\`, then plans each missing required tag: the value of the resource's CloudFormation stack (aws:cloudformation:stack-id/-name tag → DescribeStacks) when it is valid, else the first tagging.rules entry that matches the resource and sets the tag, else, for Environment, the env itself. A value in place is never replaced without --overwrite; with it, empty and not-allowed values are replaced from the same sources, and valid ones only where the owning stack says otherwise (rules and the env are defaults, never overriding a valid value). Prints the plan (resource, tag, old → new, source), then writes it with TagResources, at most 20 ARNs a call, resources getting the same tags sharing calls; what TagResources refuses is retried through the owning service's own call (ec2:CreateTags, s3:PutBucketTagging, elasticloadbalancing:AddTags, ...). One audit line per resource. A protected env (prod) needs --yes or the env name typed at a terminal. Exit 3 when some resources failed (listed); 2 on bad input, before anything changes.`

  static examples = [
    '<%= config.bin %> tags fix --env dev --dry-run',
    '<%= config.bin %> tags fix --env dev',
    '<%= config.bin %> tags fix --env prod --overwrite --yes --json',
  ]

  static flags = {
    ...tagsFlags,
    'dry-run': Flags.boolean({default: false, description: 'print the plan; write nothing'}),
    overwrite: Flags.boolean({default: false, description: "also replace empty and not-allowed values, and valid ones that differ from the owning stack's"}),
    yes: yesFlag('skip the typed confirmation a protected env asks for'),
    limit: Flags.integer({description: 'resources shown in the plan (0: all); --json always holds all', default: 50, min: 0}),
  }

  /** Plain JSON: oclif's colouring makes an object per token, hundreds of MB for a 100,000-resource report. */
  protected logJson(json: unknown): void {
    ux.stdout(JSON.stringify(json, null, 2))
  }

  async run(): Promise<TagsFixResult> {
    const {flags} = await this.parse(TagsFix)
    return this.deliver(await tagsFixCommand(this.readConfig(flags.config), flags, this.io()))
  }
}
