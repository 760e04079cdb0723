import {Flags, ux} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {withInterrupt} from '../../cli/aws-session.js'
import {openTagsSession, readInventory, regionsOf, tagsFlags} from '../../cli/tags.js'
import {InterruptedError} from '../../core/deploy/clock.js'
import {ExitCode, FintechError, InputError} from '../../core/errors.js'
import {selectEnvironment} from '../../core/stages/select.js'
import {applyFix, planFix, ruleKeys, validateRules, type FixPlan, type FixResult} from '../../core/tags/fix.js'
import type {InventoryGap} from '../../core/tags/inventory.js'
import {tagPolicyOf} from '../../core/tags/policy.js'
import {gapLines, renderFixPlan, renderFixRun} from '../../ui/tags.js'
import {typedConfirmation} from '../../ui/typed-confirmation.js'
import {yesFlag} from '../../cli/flags.js'

export interface TagsFixResult {
  env: string
  account: string
  regions: string[]
  dryRun: boolean
  plan: FixPlan
  /** Per resource of the plan: tagged (and through which call), failed (and why), or not-run; absent in a dry run. */
  results?: FixResult[]
  summary: {planned: number; tagged: number; failed: number; notRun: number; unresolved: number; batches: number}
  gaps: InventoryGap[]
}

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
    const loaded = this.readConfig(flags.config)
    const env = selectEnvironment(loaded.config, flags.env)
    const regions = regionsOf(loaded, flags.env, flags.region)
    const policy = tagPolicyOf(loaded.config)
    const {rules} = loaded.config.tagging
    validateRules(policy, rules, loaded)
    const dryRun = flags['dry-run']
    const mustConfirm = env.protected && !dryRun && !flags.yes
    if (mustConfirm && !process.stdin.isTTY) {
      throw new InputError(`${flags.env} is protected: tags fix needs the env name typed at a terminal, and there is none`, 'review with --dry-run, then re-run with --yes')
    }

    return withInterrupt(async ({signal}) => {
      const session = await openTagsSession(loaded, flags.env, {regions, profile: flags.profile, signal})
      const inventory = await readInventory(session, policy, {concurrency: loaded.config.concurrency, extraKeys: ruleKeys(rules), note: (line) => this.note(line), signal})
      const plan = await planFix(inventory.records.values(), {
        policy,
        rules,
        envTags: env.tags,
        envName: flags.env,
        stackTags: session.stackTags,
        overwrite: flags.overwrite,
      })
      inventory.records.clear()
      const base = {env: flags.env, account: session.account, regions, dryRun, plan, gaps: inventory.gaps}
      const planned = plan.resources.length
      const summaryOf = (results: FixResult[] = [], batches = 0) => ({
        planned,
        tagged: results.filter((result) => result.result === 'tagged').length,
        failed: results.filter((result) => result.result === 'failed').length,
        notRun: results.filter((result) => result.result === 'not-run').length,
        unresolved: plan.unresolved.length,
        batches,
      })
      const planText = [renderFixPlan(plan, {env: flags.env, dryRun, limit: flags.limit}), ...gapLines(inventory.gaps)].join('\n')

      if (dryRun || planned === 0) {
        const text = this.jsonEnabled() ? '' : planned === 0 && !dryRun ? `${planText}\nNothing to write.` : planText
        return this.deliver({text, exitCode: ExitCode.ok, result: {...base, summary: summaryOf()}})
      }
      if (!this.jsonEnabled()) this.log(planText)
      if (mustConfirm) {
        const confirmed = await typedConfirmation(`This writes tags on ${planned} resources in ${flags.env}.`, flags.env, process.stdin, process.stderr)
        if (!confirmed) throw new InputError('not confirmed; no tag was written')
      }
      const run = await applyFix(plan, {
        writer: session.writer,
        audit: session.audit,
        envName: flags.env,
        signal,
        progress: (line) => this.note(`${new Date().toISOString()} ${line}`),
      })
      const summary = summaryOf(run.results, run.batches)
      const exitCode = run.interrupted ? ExitCode.interrupted : summary.failed > 0 ? ExitCode.partial : ExitCode.ok
      return this.deliver({text: this.jsonEnabled() ? '' : `\n${renderFixRun(run)}`, exitCode, result: {...base, results: run.results, summary}})
    }).catch((error: unknown) => {
      if (!(error instanceof InterruptedError)) throw error
      throw new FintechError('interrupted before any tag was written; nothing was changed', ExitCode.interrupted)
    })
  }
}
