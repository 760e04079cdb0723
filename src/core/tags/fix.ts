import type {AuditSink} from '../audit/audit-log.js'
import type {TaggingConfig} from '../config/schema.js'
import {InterruptedError} from '../clock.js'
import type {LoadedConfig} from '../config/load.js'
import {FileError} from '../errors.js'
import {formatKeyPath} from '../yaml.js'
import {TAG_RESOURCES_BATCH, type ServiceTagging, type StackTagsReader, type TagFailure, type Tags, type TagWriter} from './api.js'
import type {ResourceRecord} from './inventory.js'
import {checkTags, isValidValue, resourceTypeOf, STACK_ID_TAG, STACK_NAME_TAG, type TagPolicy} from './policy.js'

export type TagRule = TaggingConfig['rules'][number]

export interface TagChange {
  tag: string
  /** The value in place; absent when the key is missing. */
  old?: string
  new: string
  /** Where the value comes from: stack:<name>, rule:<n> (1-based, as listed in tagging.rules) or env:<name>. */
  source: string
}

export interface PlannedResource {
  arn: string
  type: string
  region: string
  changes: TagChange[]
}

/** An empty or not-allowed value in place that a source would replace, left alone because --overwrite was not given. */
export interface KeptValue {
  arn: string
  tag: string
  value: string
  proposed: string
  source: string
}

/** Required tags still wrong after the fix: no source has a value for them. */
export interface Unresolved {
  arn: string
  type: string
  region: string
  tags: string[]
}

export interface FixPlan {
  overwrite: boolean
  resources: PlannedResource[]
  kept: KeptValue[]
  unresolved: Unresolved[]
  /** Stacks named by resources' aws:cloudformation tags that no longer exist. */
  missingStacks: string[]
}

/**
 * Rules may only set required tags, to values the policy allows: a rule that writes anything
 * else is a config mistake, reported before anything is read from AWS.
 */
export function validateRules(policy: TagPolicy, rules: readonly TagRule[], where: Pick<LoadedConfig, 'file' | 'lineOf'>): void {
  rules.forEach((rule, index) => {
    for (const [tag, value] of Object.entries(rule.set)) {
      const path = ['tagging', 'rules', index, 'set', tag]
      const fail = (detail: string) => new FileError(where.file, detail, where.lineOf(path), formatKeyPath(path))
      if (!policy.required.includes(tag)) throw fail(`${tag} is not one of requiredTags; tags fix writes only required tags`)
      if (!isValidValue(policy, tag, value)) throw fail(`"${value}" is not an allowed value of ${tag} (tagging.allowedValues)`)
    }
  })
}

/** Tag keys the rules match on, kept per resource so the rules can be evaluated. */
export const ruleKeys = (rules: readonly TagRule[]): string[] => rules.flatMap((rule) => Object.keys(rule.match.tags ?? {}))

export function ruleMatches(rule: TagRule, type: string, tags: Tags): boolean {
  const types = rule.match.resourceTypes
  if (types && !types.some((wanted) => type === wanted || type.startsWith(`${wanted}:`))) return false
  return Object.entries(rule.match.tags ?? {}).every(([key, value]) => tags[key] === value)
}

export interface PlanOptions {
  policy: TagPolicy
  rules: readonly TagRule[]
  /** The env's own tags: its Environment value is the last source for that tag (the account is the env). */
  envTags: Tags
  envName: string
  stackTags: StackTagsReader
  overwrite: boolean
}

/**
 * For each resource, the required tags to write and where each value comes from: the owning
 * stack's tags first (only valid values), then the first rule that matches and sets the tag,
 * then, for Environment only, the env itself. Without `overwrite` only missing keys are filled;
 * empty or not-allowed values in place are kept and listed with what would replace them. With
 * it, those are replaced too, and so is a valid value that differs from the owning stack's
 * (rules and the env are defaults: they never replace a valid value).
 */
export async function planFix(records: Iterable<ResourceRecord>, options: PlanOptions): Promise<FixPlan> {
  const {policy, rules, overwrite} = options
  const stacks = new Map<string, Promise<Tags | undefined>>()
  const missingStacks = new Set<string>()
  const stackTagsOf = (region: string, stack: string, label: string) => {
    const key = `${region}\u0000${stack}`
    let tags = stacks.get(key)
    if (!tags) {
      tags = options.stackTags(region, stack).then((found) => {
        if (!found) missingStacks.add(`${label} (${region})`)
        return found
      })
      stacks.set(key, tags)
    }
    return tags
  }

  const plan: FixPlan = {overwrite, resources: [], kept: [], unresolved: [], missingStacks: []}
  for (const record of records) {
    const tags = record.tags ?? {}
    if (!overwrite && checkTags(policy, tags).length === 0) continue
    const type = resourceTypeOf(record.arn)
    const stackName = tags[STACK_NAME_TAG]
    const stackRef = tags[STACK_ID_TAG] ?? stackName
    let stack: Tags | undefined
    let stackRead = false
    const sourceOf = async (tag: string): Promise<{value: string; source: string} | undefined> => {
      if (stackRef) {
        if (!stackRead) {
          stack = await stackTagsOf(record.region, stackRef, stackName ?? stackRef)
          stackRead = true
        }
        const value = stack?.[tag]
        if (isValidValue(policy, tag, value)) return {value: value!, source: `stack:${stackName ?? stackRef}`}
      }
      const index = rules.findIndex((rule) => rule.set[tag] !== undefined && ruleMatches(rule, type, tags))
      if (index >= 0) return {value: rules[index]!.set[tag]!, source: `rule:${index + 1}`}
      if (tag === 'Environment' && isValidValue(policy, tag, options.envTags.Environment)) return {value: options.envTags.Environment!, source: `env:${options.envName}`}
      return undefined
    }

    const changes: TagChange[] = []
    const unresolved: string[] = []
    for (const tag of policy.required) {
      const current = tags[tag]
      const valid = isValidValue(policy, tag, current)
      // A valid value gives way only to the owning stack's, and only with --overwrite: rules are defaults.
      if (valid && !(overwrite && stackRef)) continue
      const found = await sourceOf(tag)
      if (current === undefined) {
        if (found) changes.push({tag, new: found.value, source: found.source})
        else unresolved.push(tag)
      } else if (!valid) {
        if (!found) unresolved.push(tag)
        else if (overwrite) changes.push({tag, old: current, new: found.value, source: found.source})
        else plan.kept.push({arn: record.arn, tag, value: current, proposed: found.value, source: found.source})
      } else if (found?.source.startsWith('stack:') && found.value !== current) {
        changes.push({tag, old: current, new: found.value, source: found.source})
      }
    }
    if (changes.length > 0) plan.resources.push({arn: record.arn, type, region: record.region, changes})
    if (unresolved.length > 0) plan.unresolved.push({arn: record.arn, type, region: record.region, tags: unresolved})
  }
  plan.missingStacks = [...missingStacks].sort()
  const byArn = <T extends {arn: string}>(a: T, b: T) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0)
  plan.resources.sort(byArn)
  plan.kept.sort(byArn)
  plan.unresolved.sort(byArn)
  return plan
}

export type FixOutcome = 'tagged' | 'failed' | 'not-run'

export interface FixResult {
  arn: string
  result: FixOutcome
  /** The call that wrote the tags: TagResources, or the service's own (ec2:CreateTags, ...). */
  via?: string
  error?: string
}

export interface FixRun {
  results: FixResult[]
  /** TagResources calls made (each at most 20 ARNs). */
  batches: number
  interrupted: boolean
}

export interface ApplyOptions {
  writer: TagWriter
  audit: AuditSink
  envName: string
  signal?: AbortSignal
  progress?: (line: string) => void
}

interface Group {
  region: string
  tags: Tags
  resources: PlannedResource[]
}

/** Resources that get the same tags in the same region share TagResources calls. */
export function groupChanges(resources: readonly PlannedResource[]): Group[] {
  const groups = new Map<string, Group>()
  for (const resource of resources) {
    const tags = Object.fromEntries(resource.changes.map((change) => [change.tag, change.new]).sort(([a], [b]) => a!.localeCompare(b!)))
    const key = `${resource.region}\u0000${JSON.stringify(tags)}`
    const group = groups.get(key)
    if (group) group.resources.push(resource)
    else groups.set(key, {region: resource.region, tags, resources: [resource]})
  }
  return [...groups.values()]
}

const describe = (failure: TagFailure) => `${failure.code}: ${failure.message}`
const isInterrupt = (error: unknown) => error instanceof InterruptedError || (error as {name?: string}).name === 'AbortError'

/**
 * Writes the plan: TagResources in batches of at most 20 ARNs per group of identical tags,
 * then, for the ARNs it refused, the owning service's own tagging call. One audit line per
 * resource, written as its result is known. Ctrl-C stops before the next batch.
 */
export async function applyFix(plan: FixPlan, options: ApplyOptions): Promise<FixRun> {
  const {writer, audit, signal} = options
  const results: FixResult[] = []
  let batches = 0
  let interrupted = false
  const groups = groupChanges(plan.resources)
  const total = plan.resources.length
  let tagged = 0
  const record = (resource: PlannedResource, result: FixResult) => {
    results.push(result)
    if (result.result === 'tagged') tagged += 1
    const written = resource.changes.map((change) => `${change.tag}=${change.new} (${change.source}${change.old !== undefined ? `, was "${change.old}"` : ''})`).join(', ')
    audit.record({
      env: options.envName,
      action: 'tags-fix',
      resource: resource.arn,
      result: result.result === 'tagged' ? 'ok' : 'failed',
      detail: result.result === 'tagged' ? `${written} via ${result.via}` : `${written}: ${result.error}`,
    })
  }

  for (const group of groups) {
    for (const batch of chunk(group.resources, TAG_RESOURCES_BATCH)) {
      if (signal?.aborted) interrupted = true
      if (interrupted) {
        for (const resource of batch) results.push({arn: resource.arn, result: 'not-run'})
        continue
      }
      const arns = batch.map((resource) => resource.arn)
      let refused: Map<string, TagFailure>
      let retried: Map<string, ServiceTagging> | undefined
      try {
        batches += 1
        refused = await writer.tagResources(group.region, arns, group.tags)
      } catch (error) {
        if (isInterrupt(error)) {
          interrupted = true
          for (const resource of batch) results.push({arn: resource.arn, result: 'not-run'})
          continue
        }
        const failure = {code: (error as {name?: string}).name ?? 'Error', message: (error as Error).message}
        refused = new Map(arns.map((arn) => [arn, failure]))
      }
      if (refused.size > 0) {
        try {
          retried = await writer.tagThroughService(group.region, [...refused.keys()], group.tags)
        } catch (error) {
          if (isInterrupt(error)) interrupted = true
          const failure = {code: (error as {name?: string}).name ?? 'Error', message: (error as Error).message}
          retried = new Map([...refused.keys()].map((arn) => [arn, {via: 'the service call', failure}]))
        }
      }
      for (const resource of batch) {
        const first = refused.get(resource.arn)
        if (!first) {
          record(resource, {arn: resource.arn, result: 'tagged', via: 'TagResources'})
          continue
        }
        const second = retried?.get(resource.arn) ?? {via: 'none', failure: {code: 'NotTagged', message: 'the service call did not report this resource'}}
        if (!second.failure) record(resource, {arn: resource.arn, result: 'tagged', via: second.via})
        else {
          const fallback = second.via === 'none' ? second.failure.message : `${second.via}: ${describe(second.failure)}`
          record(resource, {arn: resource.arn, result: 'failed', error: `TagResources: ${describe(first)}; ${fallback}`})
        }
      }
      if (batches % 10 === 0) options.progress?.(`tagged ${tagged} of ${total} resources (${batches} TagResources calls)`)
    }
  }
  return {results, batches, interrupted}
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const slices: T[][] = []
  for (let start = 0; start < items.length; start += size) slices.push(items.slice(start, start + size))
  return slices
}
