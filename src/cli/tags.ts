import {GLOBAL_REGION} from '../core/tags/api.js'
import type {AwsTarget} from '../aws/clients.js'
import type {TaggingApi} from '../aws/tagging.js'
import type {AuditSink} from '../core/audit/audit-log.js'
import type {LoadedConfig} from '../core/config/load.js'
import type {CallerIdentity, StackApi} from '../core/deploy/api.js'
import {InterruptedError, systemClock} from '../core/clock.js'
import {ExitCode, FintechError, InputError} from '../core/errors.js'
import {resolveEnv, type ResolvedEnv} from '../core/config/env.js'
import {activateCostAllocationTags, type ActivationRun} from '../core/tags/activate.js'
import type {ResourceSource, StackTagsReader, TagWriter} from '../core/tags/api.js'
import {buildAuditReport, type AuditReport} from '../core/tags/audit.js'
import {applyFix, planFix, ruleKeys, validateRules, type FixPlan, type FixResult} from '../core/tags/fix.js'
import {collectInventory, type Inventory, type InventoryGap} from '../core/tags/inventory.js'
import {TAGGING_RATE_VARIABLE, taggingRate, TokenBucket} from '../core/tags/pacing.js'
import {relevantKeys, tagPolicyOf, type TagPolicy} from '../core/tags/policy.js'
import {auditCsv, gapLines, renderActivation, renderAudit, renderFixPlan, renderFixRun} from '../ui/tags.js'
import {progressLines, requireConfirmationPossible, timestamped, typedConfirmation} from '../ui/terminal.js'
import {openGuardedSession, withInterrupt} from './aws-session.js'
import type {CommandIO, Outcome} from './command-io.js'
import {createTagWriter} from './tag-writer.js'

export type {AuditReport} from '../core/tags/audit.js'

/**
 * Glue shared by `fintech tags audit` and `fix`: the regions of a run, the account guard, the
 * Tagging API paced per region, the service listings, and the readers and writers fix needs.
 */

/** Global resources (CloudFront, and what the Tagging API reports for IAM) are listed in us-east-1. */

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/


/** The regions a run covers: the --region flags, else the env's region plus us-east-1. */
function regionsOf(env: ResolvedEnv, flagged: string[] | undefined): string[] {
  const regions = flagged && flagged.length > 0 ? flagged : [env.region, GLOBAL_REGION]
  for (const region of regions) if (!REGION.test(region)) throw new InputError(`--region ${region}: not an AWS region such as eu-west-1`)
  return [...new Set(regions)]
}

export interface TagsSession {
  caller: CallerIdentity
  audit: AuditSink
  account: string
  regions: string[]
  /** Tagging API requests a second per region (FINTECH_TAGGING_TPS). */
  rate: number
  sources: ResourceSource[]
  writer: TagWriter
  stackTags: StackTagsReader
  /** Time spent waiting for the pacing, in ms, over every region. */
  pacedMs(): number
}

/**
 * Guards the account (the caller must be in the env's account) and prepares every source:
 * per region the Tagging API and the listings of EC2, RDS, ECS, DynamoDB, ELBv2 and Logs,
 * and S3 once for all regions. Nothing is read until the inventory is collected.
 */
async function openTagsSession(loaded: LoadedConfig, env: ResolvedEnv, options: {regions: string[]; signal?: AbortSignal}): Promise<TagsSession> {
  const rate = taggingRate(process.env[TAGGING_RATE_VARIABLE])
  const {profile} = env.target
  const targetIn = (region: string): AwsTarget => ({region, ...(profile ? {profile} : {}), timeouts: loaded.config.aws})
  const {caller, audit} = await openGuardedSession(loaded, env, targetIn(options.regions[0]!))
  const account = env.account

  const [tagging, ec2, rds, ecs, dynamodb, elbv2, logs, s3] = await Promise.all([
    import('../aws/tagging.js'),
    import('../aws/ec2.js'),
    import('../aws/rds.js'),
    import('../aws/ecs.js'),
    import('../aws/dynamodb.js'),
    import('../aws/elbv2.js'),
    import('../aws/logs.js'),
    import('../aws/s3.js'),
  ])
  const buckets = new Map(options.regions.map((region) => [region, new TokenBucket(systemClock, rate)]))
  const taggingApis = new Map<string, Promise<TaggingApi>>()
  const taggingApi = (region: string) => {
    let api = taggingApis.get(region)
    if (!api) {
      const bucket = buckets.get(region) ?? new TokenBucket(systemClock, rate)
      buckets.set(region, bucket)
      api = tagging.createTaggingApi(targetIn(region), () => bucket.take(options.signal))
      taggingApis.set(region, api)
    }
    return api
  }

  const sources: ResourceSource[] = []
  for (const region of options.regions) {
    const target = targetIn(region)
    sources.push(
      (await taggingApi(region)).source,
      await ec2.createEc2Listing(target, account),
      await rds.createRdsListing(target),
      await ecs.createEcsListing(target),
      await dynamodb.createDynamoDbListing(target, account),
      await elbv2.createElbv2Listing(target),
      await logs.createLogsListing(target),
    )
  }
  sources.push(await s3.createS3Listing(targetIn(options.regions[0]!), options.regions))

  // Only fix reads stacks: CloudFormation's client is loaded on the first read.
  const stackApis = new Map<string, Promise<StackApi>>()
  const stackTags: StackTagsReader = async (region, stack) => {
    let api = stackApis.get(region)
    if (!api) {
      api = import('../aws/cloudformation.js').then((cloudformation) => cloudformation.createStackApi(targetIn(region)))
      stackApis.set(region, api)
    }
    return (await (await api).describeStack(stack))?.tags
  }

  return {
    caller,
    audit,
    account,
    regions: options.regions,
    rate,
    sources,
    writer: createTagWriter(targetIn, taggingApi),
    stackTags,
    pacedMs: () => [...buckets.values()].reduce((sum, bucket) => sum + bucket.waited(), 0),
  }
}

/** Reads the account's inventory for the policy (and the stack tags and extra keys fix's rules match on), with progress on stderr. */
export function readInventory(
  session: TagsSession,
  policy: TagPolicy,
  options: {concurrency: number; extraKeys?: string[]; stackTags: boolean; note: (line: string) => void; signal?: AbortSignal},
): Promise<Inventory> {
  options.note(timestamped(`reading ${session.regions.join(', ')} of account ${session.account}: Tagging API paced at ${session.rate} requests/s per region (${TAGGING_RATE_VARIABLE})`))
  return collectInventory({
    sources: session.sources,
    keep: relevantKeys(policy, {extraKeys: options.extraKeys, stackTags: options.stackTags}),
    concurrency: options.concurrency,
    progress: progressLines(options.note),
    progressEvery: 50,
    signal: options.signal,
  })
}

export type TagsActivateResult = ActivationRun & {env: string; account: string}

/** `fintech tags activate`: the required tags as cost-allocation tags of the payer account. */
export async function tagsActivateCommand(loaded: LoadedConfig, flags: {env: string; profile?: string; 'dry-run': boolean; yes: boolean}): Promise<Outcome<TagsActivateResult>> {
  const env = resolveEnv(loaded, flags.env, flags)
  // The Cost Explorer API is global: us-east-1, whatever the env's region.
  const target: AwsTarget = {region: GLOBAL_REGION, ...(env.target.profile ? {profile: env.target.profile} : {}), timeouts: loaded.config.aws}
  const mustConfirm = env.protected && !flags['dry-run'] && !flags.yes
  if (mustConfirm) requireConfirmationPossible({command: 'tags activate', reason: `${flags.env} is protected`, yes: false, dryRun: true})
  const session = await openGuardedSession(loaded, env, target)
  const api = await (await import('../aws/cost-explorer.js')).createCostAllocationApi(target)
  const confirm = mustConfirm
    ? (keys: string[]) => typedConfirmation(`This activates ${keys.join(', ')} as cost-allocation tags in ${flags.env} (account ${env.account}).`, flags.env, process.stdin, process.stderr)
    : undefined
  const run = await activateCostAllocationTags(api, loaded.config.requiredTags, {dryRun: flags['dry-run'], audit: session.audit, envName: flags.env, confirm})
  const failed = run.tags.some((tag) => tag.result === 'failed')
  return {
    text: renderActivation(run, {env: flags.env, account: env.account}),
    exitCode: failed ? ExitCode.partial : ExitCode.ok,
    result: {...run, env: flags.env, account: env.account},
  }
}

/** `fintech tags audit`: every resource of the env's regions against the tag policy. */
export async function tagsAuditCommand(
  loaded: LoadedConfig,
  flags: {env: string; region?: string[]; profile?: string; format: string; by: string; all: boolean; limit: number},
  io: CommandIO,
): Promise<Outcome<AuditReport>> {
  const env = resolveEnv(loaded, flags.env, {profile: flags.profile})
  const regions = regionsOf(env, flags.region)
  const policy = tagPolicyOf(loaded.config)
  const by = flags.by as 'resource' | 'owner'

  const report = await withInterrupt(async ({signal}) => {
    const session = await openTagsSession(loaded, env, {regions, signal})
    const inventory = await readInventory(session, policy, {concurrency: loaded.config.concurrency, stackTags: false, note: (line) => io.note(line), signal})
    const pacing = {requestsPerSecond: session.rate, waitedMs: session.pacedMs()}
    return buildAuditReport(inventory, policy, {env: flags.env, account: session.account, regions, all: flags.all, pacing})
  }).catch((error: unknown) => {
    if (!(error instanceof InterruptedError)) throw error
    throw new FintechError('interrupted: the audit stopped before reading every source; nothing was changed', ExitCode.interrupted)
  })

  // CSV has no room for them: the gaps go to stderr so nobody mistakes the file for the whole account.
  if (flags.format === 'csv' && !io.json) for (const line of gapLines(report.gaps).slice(1)) io.note(line)
  const exitCode = report.summary.nonCompliant > 0 ? ExitCode.failed : report.complete ? ExitCode.ok : ExitCode.partial
  const text = io.json ? '' : flags.format === 'csv' ? auditCsv(report, by).trimEnd() : renderAudit(report, {by, limit: flags.limit})
  return {text, exitCode, result: report}
}

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

/** `fintech tags fix`: the missing tags written from the owning stack, the env and the config's rules. */
export async function tagsFixCommand(
  loaded: LoadedConfig,
  flags: {env: string; region?: string[]; profile?: string; 'dry-run': boolean; overwrite: boolean; yes: boolean; limit: number},
  io: CommandIO,
): Promise<Outcome<TagsFixResult>> {
  const env = resolveEnv(loaded, flags.env, {profile: flags.profile})
  const regions = regionsOf(env, flags.region)
  const policy = tagPolicyOf(loaded.config)
  const {rules} = loaded.config.tagging
  validateRules(policy, rules, loaded)
  const dryRun = flags['dry-run']
  const mustConfirm = env.protected && !dryRun && !flags.yes
  if (mustConfirm) requireConfirmationPossible({command: 'tags fix', reason: `${flags.env} is protected`, yes: false, dryRun: true})

  return withInterrupt(async ({signal}): Promise<Outcome<TagsFixResult>> => {
    const session = await openTagsSession(loaded, env, {regions, signal})
    const inventory = await readInventory(session, policy, {concurrency: loaded.config.concurrency, extraKeys: ruleKeys(rules), stackTags: true, note: (line) => io.note(line), signal})
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
      const text = io.json ? '' : planned === 0 && !dryRun ? `${planText}\nNothing to write.` : planText
      return {text, exitCode: ExitCode.ok, result: {...base, summary: summaryOf()}}
    }
    if (!io.json) io.log(planText)
    if (mustConfirm) {
      const confirmed = await typedConfirmation(`This writes tags on ${planned} resources in ${flags.env}.`, flags.env, process.stdin, process.stderr)
      if (!confirmed) throw new InputError('not confirmed; no tag was written')
    }
    const run = await applyFix(plan, {
      writer: session.writer,
      audit: session.audit,
      envName: flags.env,
      signal,
      progress: progressLines((line) => io.note(line)),
    })
    const summary = summaryOf(run.results, run.batches)
    const exitCode = run.interrupted ? ExitCode.interrupted : summary.failed > 0 ? ExitCode.partial : ExitCode.ok
    return {text: io.json ? '' : `\n${renderFixRun(run)}`, exitCode, result: {...base, results: run.results, summary}}
  }).catch((error: unknown) => {
    if (!(error instanceof InterruptedError)) throw error
    throw new FintechError('interrupted before any tag was written; nothing was changed', ExitCode.interrupted)
  })
}
