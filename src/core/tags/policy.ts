import type {FintechConfig} from '../config/schema.js'
import type {Tags} from './api.js'

/** What every resource must carry: the required tag keys, and for some the values they may take. */
export interface TagPolicy {
  required: string[]
  allowedValues: Record<string, string[]>
}

export type TagProblem = 'missing' | 'empty' | 'invalid'

export interface TagIssue {
  tag: string
  problem: TagProblem
  /** The value in place (empty and invalid). */
  value?: string
  /** A key that differs only in case (`environment` for Environment): AWS tag keys are case-sensitive, so it does not count. */
  foundAs?: string
}

export const NO_OWNER = '(none)'
export const STACK_NAME_TAG = 'aws:cloudformation:stack-name'
export const STACK_ID_TAG = 'aws:cloudformation:stack-id'

export const tagPolicyOf = (config: FintechConfig): TagPolicy => ({required: config.requiredTags, allowedValues: config.tagging.allowedValues})

export function isValidValue(policy: TagPolicy, tag: string, value: string | undefined): boolean {
  if (value === undefined || value.trim() === '') return false
  const allowed = policy.allowedValues[tag]
  return !allowed || allowed.includes(value)
}

/** What is wrong with `tags` under `policy`, in the order of the required tags; empty when compliant. */
export function checkTags(policy: TagPolicy, tags: Tags): TagIssue[] {
  const issues: TagIssue[] = []
  for (const tag of policy.required) {
    const value = tags[tag]
    if (value === undefined) {
      const foundAs = Object.keys(tags).find((key) => key !== tag && key.toLowerCase() === tag.toLowerCase())
      issues.push({tag, problem: 'missing', ...(foundAs ? {foundAs} : {})})
    } else if (value.trim() === '') {
      issues.push({tag, problem: 'empty', value})
    } else if (!isValidValue(policy, tag, value)) {
      issues.push({tag, problem: 'invalid', value})
    }
  }
  return issues
}

/** The Owner tag when it has a usable value, else "(none)". */
export const ownerOf = (tags: Tags): string => (tags.Owner?.trim() ? tags.Owner : NO_OWNER)

/** Services whose ARNs name the resource without a type: arn:aws:sns:eu-west-1:111111111111:alarms. */
const UNTYPED_RESOURCES: Record<string, string> = {s3: 'bucket', sns: 'topic', sqs: 'queue'}

/**
 * The resource type of an ARN as the Tagging API names it (`ec2:instance`, `rds:cluster`,
 * `elasticloadbalancing:loadbalancer`, `logs:log-group`, `sns:topic`, `s3:bucket`). Never the
 * resource's own name, so an account of 100,000 resources has a handful of types, not thousands.
 */
export function resourceTypeOf(arn: string): string {
  const parts = arn.split(':')
  const service = parts[2] ?? ''
  const resource = parts.slice(5).join(':').replace(/^\//, '')
  const type = /^([^/:]+)[/:]/.exec(resource)?.[1]
  if (type) return `${service}:${type}`
  const untyped = UNTYPED_RESOURCES[service]
  return untyped ? `${service}:${untyped}` : service
}

/**
 * Whether the tag key matters to `fintech tags`: kept per resource, everything else is dropped as
 * pages arrive. The stack tags matter to fix (it reads the stack's own tags), not to the audit.
 */
export function relevantKeys(policy: TagPolicy, options: {extraKeys?: Iterable<string>; stackTags?: boolean} = {}): (key: string) => boolean {
  const {extraKeys = [], stackTags = true} = options
  const exact = new Set([...policy.required, ...(stackTags ? [STACK_NAME_TAG, STACK_ID_TAG] : []), ...extraKeys])
  const folded = new Set(policy.required.map((key) => key.toLowerCase()))
  return (key) => exact.has(key) || folded.has(key.toLowerCase())
}

/** The AWS partition of a region, for the ARNs the listings build. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn'
  if (region.startsWith('us-gov-')) return 'aws-us-gov'
  return 'aws'
}
