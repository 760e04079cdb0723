import {Flags, ux} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {withInterrupt} from '../../cli/aws-session.js'
import {favourLowMemory} from '../../cli/heap.js'
import {openTagsSession, readInventory, regionsOf, tagsFlags} from '../../cli/tags.js'
import {InterruptedError} from '../../core/deploy/clock.js'
import {ExitCode, FintechError} from '../../core/errors.js'
import {buildAuditReport, type AuditReport} from '../../core/tags/audit.js'
import {tagPolicyOf} from '../../core/tags/policy.js'
import {auditCsv, gapLines, renderAudit} from '../../ui/tags.js'

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
    const loaded = this.readConfig(flags.config)
    const regions = regionsOf(loaded, flags.env, flags.region)
    const policy = tagPolicyOf(loaded.config)
    const by = flags.by as 'resource' | 'owner'

    const report = await withInterrupt(async ({signal}) => {
      const session = await openTagsSession(loaded, flags.env, {regions, profile: flags.profile, signal})
      const inventory = await readInventory(session, policy, {concurrency: loaded.config.concurrency, note: (line) => this.note(line), signal})
      const pacing = {requestsPerSecond: session.rate, waitedMs: session.pacedMs()}
      return buildAuditReport(inventory, policy, {env: flags.env, account: session.account, regions, all: flags.all, pacing})
    }).catch((error: unknown) => {
      if (!(error instanceof InterruptedError)) throw error
      throw new FintechError('interrupted: the audit stopped before reading every source; nothing was changed', ExitCode.interrupted)
    })

    // CSV has no room for them: the gaps go to stderr so nobody mistakes the file for the whole account.
    if (flags.format === 'csv' && !this.jsonEnabled()) for (const line of gapLines(report.gaps).slice(1)) this.note(line)
    const exitCode = report.summary.nonCompliant > 0 ? ExitCode.failed : report.complete ? ExitCode.ok : ExitCode.partial
    const text = this.jsonEnabled() ? '' : flags.format === 'csv' ? auditCsv(report, by).trimEnd() : renderAudit(report, {by, limit: flags.limit})
    return this.deliver({text, exitCode, result: report})
  }
}
