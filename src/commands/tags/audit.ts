import {Flags, ux} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {favourLowMemory} from '../../cli/heap.js'
import {tagsAuditCommand, type AuditReport} from '../../cli/tags.js'
import {tagsFlags} from '../../cli/flags.js'

export default class TagsAudit extends FintechCommand {
  static summary = "Every resource of an env's account with its missing or invalid required tags; exit 1 when any is non-compliant."

  static description = `Reads the Resource Groups Tagging API (pages of 100, paced to FINTECH_TAGGING_TPS requests a second per region, 5 by default) and, because it never returns resources that were never tagged, also lists EC2 (instances, volumes, VPCs, subnets, security groups, route tables, internet and NAT gateways), RDS, ECS, DynamoDB, S3, ELBv2 and CloudWatch Logs through their own APIs, merged by ARN. A resource is compliant when it carries every tag of requiredTags with a non-empty value, one of tagging.allowedValues where the config lists them. Reports per resource, per owner (the Owner tag) and as a compliance percentage. Exit 0: every resource compliant; 1: some are not (a CI gate); 3: all compliant but a source failed, so the report may miss resources; 2: bad input. Read-only; the caller must be in the env's account.`

  static examples = [
    '<%= config.bin %> tags audit --env dev',
    '<%= config.bin %> tags audit --env prod --by owner',
    '<%= config.bin %> tags audit --env test --region eu-west-1 --format csv > test-tags.csv',
    '<%= config.bin %> tags audit --env dev --json',
  ]

  static flags = {
    ...tagsFlags,
    format: Flags.string({description: 'stdout format', options: ['table', 'csv'], default: 'table'}),
    by: Flags.string({description: 'list resources, or one line per owner (the Owner tag)', options: ['resource', 'owner'], default: 'resource'}),
    all: Flags.boolean({default: false, description: 'list compliant resources too, not only the non-compliant ones'}),
    limit: Flags.integer({description: 'resources shown in the table (0: all); CSV and --json always hold all', default: 50, min: 0}),
  }

  /** Plain JSON: oclif's colouring makes an object per token, hundreds of MB for a 100,000-resource report. */
  protected logJson(json: unknown): void {
    ux.stdout(JSON.stringify(json, null, 2))
  }

  async run(): Promise<AuditReport> {
    favourLowMemory()
    const {flags} = await this.parse(TagsAudit)
    return this.deliver(await tagsAuditCommand(this.readConfig(flags.config), flags, this.io()))
  }
}
