import {byCodeUnits} from '../counts.js'
import type {Inventory, InventoryGap, ResourceRecord, SourceSummary} from './inventory.js'
import {checkTags, ownerOf, resourceTypeOf, type TagIssue, type TagPolicy} from './policy.js'

export interface AuditedResource {
  arn: string
  type: string
  region: string
  owner: string
  compliant: boolean
  issues: TagIssue[]
  /** The required tags' values in place (absent keys left out). */
  tags: Record<string, string>
  /** It carries no tags at all. */
  untagged: boolean
  /** tagging-api when the Tagging API returned it, else the listing that found it (never tagged). */
  foundBy: string
}

export interface ComplianceCount {
  resources: number
  compliant: number
  nonCompliant: number
  /** Rounded down to one decimal, so 99.99% never shows as 100%. */
  compliancePercent: number
}

export interface OwnerCompliance extends ComplianceCount {
  owner: string
}

export interface TypeCompliance extends ComplianceCount {
  type: string
}

export interface TagProblemCount {
  tag: string
  missing: number
  empty: number
  invalid: number
}

export interface AuditReport {
  env: string
  account: string
  regions: string[]
  requiredTags: string[]
  allowedValues: Record<string, string[]>
  summary: ComplianceCount & {untagged: number}
  byOwner: OwnerCompliance[]
  byType: TypeCompliance[]
  byTag: TagProblemCount[]
  /** Non-compliant resources, or every resource with `all`; sorted by ARN. */
  resources: AuditedResource[]
  /** Whether `resources` holds every resource or only the non-compliant ones. */
  listed: 'non-compliant' | 'all'
  sources: SourceSummary[]
  /** The Tagging API's pacing: requests a second per region, and the time spent waiting for it. */
  pacing: {requestsPerSecond: number; waitedMs: number}
  /** Sources that failed: the report may miss resources. */
  gaps: InventoryGap[]
  complete: boolean
}

export const percentOf = (part: number, whole: number): number => (whole === 0 ? 100 : Math.floor((part / whole) * 1000) / 10)

const count = (resources: number, compliant: number): ComplianceCount => ({
  resources,
  compliant,
  nonCompliant: resources - compliant,
  compliancePercent: percentOf(compliant, resources),
})

function auditRecord(policy: TagPolicy, record: ResourceRecord): AuditedResource {
  const tags = record.tags ?? {}
  const issues = checkTags(policy, tags)
  const required: Record<string, string> = {}
  for (const tag of policy.required) if (tags[tag] !== undefined) required[tag] = tags[tag]
  return {
    arn: record.arn,
    type: resourceTypeOf(record.arn),
    region: record.region,
    owner: ownerOf(tags),
    compliant: issues.length === 0,
    issues,
    tags: required,
    untagged: record.tagCount === 0,
    foundBy: record.inTaggingApi ? 'tagging-api' : (record.listedBy?.name ?? 'tagging-api'),
  }
}

/** Judges every resource of the inventory against the policy: per resource, per owner, per type and per tag. */
export function buildAuditReport(
  inventory: Inventory,
  policy: TagPolicy,
  scope: {env: string; account: string; regions: string[]; all: boolean; pacing: AuditReport['pacing']},
): AuditReport {
  const owners = new Map<string, {resources: number; compliant: number}>()
  const types = new Map<string, {resources: number; compliant: number}>()
  const problems = new Map(policy.required.map((tag) => [tag, {tag, missing: 0, empty: 0, invalid: 0}]))
  const listed: AuditedResource[] = []
  let compliant = 0
  let untagged = 0
  const tally = (map: Map<string, {resources: number; compliant: number}>, key: string, ok: boolean) => {
    const entry = map.get(key) ?? {resources: 0, compliant: 0}
    entry.resources += 1
    if (ok) entry.compliant += 1
    map.set(key, entry)
  }
  for (const record of inventory.records.values()) {
    // Only listed resources get their full entry: at 100,000 resources the rest would be garbage.
    const tags = record.tags ?? {}
    const issues = checkTags(policy, tags)
    const ok = issues.length === 0
    if (ok) compliant += 1
    if (record.tagCount === 0) untagged += 1
    tally(owners, ownerOf(tags), ok)
    tally(types, resourceTypeOf(record.arn), ok)
    for (const issue of issues) problems.get(issue.tag)![issue.problem] += 1
    if (!ok || scope.all) listed.push(auditRecord(policy, record))
  }
  listed.sort((a, b) => byCodeUnits(a.arn, b.arn))
  const byCount = <T extends ComplianceCount>(entries: T[], name: (entry: T) => string) =>
    entries.sort((a, b) => b.nonCompliant - a.nonCompliant || b.resources - a.resources || byCodeUnits(name(a), name(b)))
  return {
    env: scope.env,
    account: scope.account,
    regions: scope.regions,
    requiredTags: policy.required,
    allowedValues: policy.allowedValues,
    summary: {...count(inventory.records.size, compliant), untagged},
    byOwner: byCount(
      [...owners].map(([owner, entry]) => ({owner, ...count(entry.resources, entry.compliant)})),
      (entry) => entry.owner,
    ),
    byType: byCount(
      [...types].map(([type, entry]) => ({type, ...count(entry.resources, entry.compliant)})),
      (entry) => entry.type,
    ),
    byTag: [...problems.values()],
    resources: listed,
    listed: scope.all ? 'all' : 'non-compliant',
    sources: inventory.sources,
    pacing: scope.pacing,
    gaps: inventory.gaps,
    complete: inventory.gaps.length === 0,
  }
}
