import {Flags} from '@oclif/core'
import type {AwsTarget} from '../aws/clients.js'
import type {TaggingApi} from '../aws/tagging.js'
import type {AuditSink} from '../core/audit/audit-log.js'
import type {LoadedConfig} from '../core/config/load.js'
import type {CallerIdentity, StackApi} from '../core/deploy/api.js'
import {systemClock} from '../core/deploy/clock.js'
import {InputError} from '../core/errors.js'
import {selectEnvironment} from '../core/config/env.js'
import type {ResourceSource, StackTagsReader, TagWriter} from '../core/tags/api.js'
import {collectInventory, type Inventory} from '../core/tags/inventory.js'
import {TAGGING_RATE_VARIABLE, taggingRate, TokenBucket} from '../core/tags/pacing.js'
import {relevantKeys, type TagPolicy} from '../core/tags/policy.js'
import {openGuardedSession} from './aws-session.js'

/**
 * Glue shared by `fintech tags audit` and `fix`: the regions of a run, the account guard, the
 * Tagging API paced per region, the service listings, and the readers and writers fix needs.
 */

/** Global resources (CloudFront, and what the Tagging API reports for IAM) are listed in us-east-1. */
export const GLOBAL_REGION = 'us-east-1'

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/

export const tagsFlags = {
  env: Flags.string({description: 'environment from fintech.config.yaml', required: true}),
  region: Flags.string({
    description: `region to cover (repeatable); the env's region and ${GLOBAL_REGION} (global resources) when left out`,
    multiple: true,
  }),
}

/** The regions a run covers: the --region flags, else the env's region plus us-east-1. */
export function regionsOf(loaded: LoadedConfig, envName: string, flagged: string[] | undefined): string[] {
  const env = selectEnvironment(loaded.config, envName)
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
export async function openTagsSession(
  loaded: LoadedConfig,
  envName: string,
  options: {regions: string[]; profile?: string; signal?: AbortSignal},
): Promise<TagsSession> {
  const env = selectEnvironment(loaded.config, envName)
  const rate = taggingRate(process.env[TAGGING_RATE_VARIABLE])
  const profile = options.profile ?? env.profile
  const targetIn = (region: string): AwsTarget => ({region, ...(profile ? {profile} : {}), timeouts: loaded.config.aws})
  const {caller, audit} = await openGuardedSession(loaded, envName, targetIn(options.regions[0]!))
  const account = env.account

  const [tagging, ec2, rds, ecs, dynamodb, elbv2, logs, s3] = await Promise.all([
    import('../aws/tagging.js'),
    import('../aws/ec2-inventory.js'),
    import('../aws/rds-inventory.js'),
    import('../aws/ecs-inventory.js'),
    import('../aws/dynamodb.js'),
    import('../aws/elbv2.js'),
    import('../aws/logs.js'),
    import('../aws/s3-inventory.js'),
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
    writer: tagging.createTagWriter(targetIn, taggingApi),
    stackTags,
    pacedMs: () => [...buckets.values()].reduce((sum, bucket) => sum + bucket.waited(), 0),
  }
}

/** Reads the account's inventory for the policy (and the extra keys fix's rules match on), with progress on stderr. */
export function readInventory(
  session: TagsSession,
  policy: TagPolicy,
  options: {concurrency: number; extraKeys?: string[]; note: (line: string) => void; signal?: AbortSignal},
): Promise<Inventory> {
  options.note(`${stamp()} reading ${session.regions.join(', ')} of account ${session.account}: Tagging API paced at ${session.rate} requests/s per region (${TAGGING_RATE_VARIABLE})`)
  return collectInventory({
    sources: session.sources,
    keep: relevantKeys(policy, options.extraKeys),
    concurrency: options.concurrency,
    progress: (line) => options.note(`${stamp()} ${line}`),
    progressEvery: 50,
    signal: options.signal,
  })
}

const stamp = () => new Date().toISOString()
