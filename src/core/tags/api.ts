/**
 * The AWS services `fintech tags` needs, as the core sees them. src/aws implements each
 * interface; tests hand the core fakes or aws-sdk-client-mock'd clients.
 */

export type Tags = Record<string, string>

/** A resource as one source saw it. */
export interface FoundResource {
  arn: string
  /** Its tags; undefined when the listing does not carry them (S3, DynamoDB, ELB and Logs listings). */
  tags?: Tags
  /** Where it lives, when not the region of the source that found it (S3 buckets: one listing for every region). */
  region?: string
}

/** A source of resources, read a page at a time so nobody holds a whole account's raw answers. */
export interface ResourceSource {
  /** `tagging-api`, or the service a listing enumerates: ec2, rds, ecs, dynamodb, s3, elbv2, logs. */
  name: string
  region: string
  pages(): AsyncIterable<FoundResource[]>
  /** Reads tags the listing did not carry; called only for resources no other source brought tags for. */
  tagsOf?(arns: string[]): Promise<Map<string, Tags>>
  /** Requests sent so far (pages and tag reads), for the report. */
  requests(): number
}

/** Why one resource was not tagged. */
export interface TagFailure {
  code: string
  message: string
}

export interface ServiceTagging {
  /** The call, e.g. ec2:CreateTags; `none` for a service fintech has no tagging call for. */
  via: string
  failure?: TagFailure
}

export interface TagWriter {
  /** TagResources in `region`: at most 20 ARNs and 50 tags a call; the ARNs it did not tag, with why. */
  tagResources(region: string, arns: string[], tags: Tags): Promise<Map<string, TagFailure>>
  /**
   * The owning service's own tagging call (ec2:CreateTags, s3:PutBucketTagging, ...) for resources
   * TagResources refused: per ARN, the call used and its failure if any. ARNs of a service
   * without one come back failed.
   */
  tagThroughService(region: string, arns: string[], tags: Tags): Promise<Map<string, ServiceTagging>>
}

/** Tags of the CloudFormation stack (by name or id) in `region`; undefined when it does not exist. */
export type StackTagsReader = (region: string, stack: string) => Promise<Tags | undefined>

export type CostAllocationTagStatus = 'Active' | 'Inactive'

export interface CostAllocationTag {
  key: string
  status: CostAllocationTagStatus
  type: string
  lastUsedDate?: string
}

/** Cost Explorer's cost-allocation tags of the payer account. */
export interface CostAllocationApi {
  /** The user-defined tags among `keys` that billing has seen (every page followed); keys never used are absent. */
  listTags(keys: string[]): Promise<CostAllocationTag[]>
  /** UpdateCostAllocationTagsStatus for at most 20 keys; the keys it refused, with why. */
  activate(keys: string[]): Promise<Array<{key: string} & TagFailure>>
  requests(): number
}

/** The largest number of ARNs TagResources takes in one call. */
export const TAG_RESOURCES_BATCH = 20
/** The largest number of keys UpdateCostAllocationTagsStatus takes in one call. */
export const COST_ALLOCATION_BATCH = 20

/** Where global resources (CloudFront, IAM, Route 53) are tagged and audited: us-east-1. */
export const GLOBAL_REGION = 'us-east-1'
