import type {FintechConfig} from '../config/schema.js'

/** AWS's limit on a tag policy document (characters); tag policies have no FullAWSAccess to count. */
export const TAG_POLICY_SIZE_LIMIT = 10_000

/**
 * Resource types whose tagging operations the tag policy enforces (a non-compliant value is
 * refused), for the tags that have allowed values: the platform's own resources, among the types
 * AWS supports for enforcement. Tags without allowed values only fix the key's capitalisation,
 * which AWS reports on without enforcing.
 */
export const ENFORCED_RESOURCE_TYPES = ['dynamodb:table', 'ec2:instance', 'ec2:volume', 'rds:cluster', 'rds:db', 's3:bucket', 'secretsmanager:*'] as const

/**
 * The tag policy in AWS's syntax, from requiredTags and tagging.allowedValues: each required tag
 * gets its key's capitalisation (`tag_key`), its allowed values when the config lists them
 * (`tag_value`) and enforcement on the platform's resource types for those.
 */
export function tagPolicyDocument(config: Pick<FintechConfig, 'requiredTags' | 'tagging'>): {tags: Record<string, Record<string, {'@@assign': string | string[]}>>} {
  const tags: Record<string, Record<string, {'@@assign': string | string[]}>> = {}
  for (const key of config.requiredTags) {
    const values = config.tagging.allowedValues[key]
    tags[key.toLowerCase()] = {
      tag_key: {'@@assign': key},
      ...(values ? {tag_value: {'@@assign': [...values]}, enforced_for: {'@@assign': [...ENFORCED_RESOURCE_TYPES]}} : {}),
    }
  }
  return {tags}
}
