import type {ActivationRun} from '../core/tags/activate.js'
import type {AuditedResource, AuditReport} from '../core/tags/audit.js'
import type {FixPlan, FixRun} from '../core/tags/fix.js'
import type {InventoryGap, SourceSummary} from '../core/tags/inventory.js'
import type {TagIssue} from '../core/tags/policy.js'
import {withThousands} from '../core/counts.js'
import {stdoutPalette as tone} from './colour.js'
import {columnLines} from './columns.js'

const plural = (count: number, one: string, many = `${one}s`) => `${withThousands(count)} ${count === 1 ? one : many}`
const percent = (value: number) => `${value.toFixed(1)}%`
/** A count of non-compliant resources (or failures) in red when there are any. */
const badWhenAny = (count: number, text: string) => (count > 0 ? tone.bad(text) : text)
/** A resource's missing or invalid tags in red, `-` when there are none. */
const problemCell = (text: string) => (text ? tone.bad(text) : '-')

function issueText(issue: TagIssue): string {
  if (issue.problem === 'missing') return issue.foundAs ? `${issue.tag} (found as "${issue.foundAs}")` : issue.tag
  return issue.problem === 'empty' ? `${issue.tag}=""` : `${issue.tag}="${issue.value}"`
}

const missingOf = (resource: AuditedResource) =>
  resource.issues
    .filter((issue) => issue.problem === 'missing')
    .map(issueText)
    .join(', ')
const wrongOf = (resource: AuditedResource) =>
  resource.issues
    .filter((issue) => issue.problem !== 'missing')
    .map(issueText)
    .join(', ')

function sourcesLine(sources: SourceSummary[], records: number): string {
  const tagging = sources.filter((source) => source.source === 'tagging-api')
  const listings = sources.filter((source) => source.source !== 'tagging-api')
  const pages = tagging.reduce((sum, source) => sum + source.requests, 0)
  const listed = listings.reduce((sum, source) => sum + source.requests, 0)
  return (
    `Sources: Tagging API ${plural(pages, 'request')} (${tagging.map((source) => `${source.region} ${withThousands(source.resources)}`).join(', ')} resources); ` +
    `service listings ${plural(listed, 'request')}; ${plural(records, 'resource')} after merging by ARN`
  )
}

export function gapLines(gaps: InventoryGap[]): string[] {
  if (gaps.length === 0) return []
  const hint = (gap: InventoryGap) =>
    /Throttl/.test(gap.code) ? ' (lower FINTECH_TAGGING_TPS, or run again later)' : /AccessDenied|UnauthorizedOperation/.test(gap.code) ? ' (grant the read permission to the caller)' : ''
  return [
    '',
    'INCOMPLETE: these sources failed, so resources only they would show are missing from this report:',
    ...gaps.map(
      (gap) =>
        `  ${gap.source} ${gap.region}: ${gap.code}: ${gap.message}${gap.resources ? ` (tags of ${plural(gap.resources, 'resource')} unread)` : ''}${hint(gap)}`,
    ),
  ]
}

/** The audit for a terminal or a CI log: the figures, then non-compliant resources (or owners), then sources and gaps. */
export function renderAudit(report: AuditReport, options: {by: 'resource' | 'owner'; limit: number}): string {
  const {summary} = report
  const lines = [
    `Tag audit of ${report.env}: account ${report.account}, ${report.regions.join(' and ')}; required ${report.requiredTags.join(', ')}`,
    `${plural(summary.resources, 'resource')}: ${tone.good(`${withThousands(summary.compliant)} compliant`)}, ${badWhenAny(summary.nonCompliant, `${withThousands(summary.nonCompliant)} not`)} — ${percent(summary.compliancePercent)} compliant` +
      (summary.untagged > 0 ? ` (${withThousands(summary.untagged)} carry no tags at all)` : ''),
    '',
  ]
  if (options.by === 'owner') {
    lines.push(
      ...columnLines([
        ['Owner', 'resources', 'compliant', 'not', 'compliant %'],
        ...report.byOwner.map((owner) => [owner.owner, withThousands(owner.resources), tone.good(withThousands(owner.compliant)), badWhenAny(owner.nonCompliant, withThousands(owner.nonCompliant)), percent(owner.compliancePercent)]),
      ]),
    )
  } else {
    const listed = report.resources
    const shown = options.limit > 0 ? listed.slice(0, options.limit) : listed
    if (listed.length === 0) lines.push(report.listed === 'all' ? '(no resources)' : 'Every resource carries every required tag with an allowed value.')
    else {
      lines.push(
        ...columnLines([
          ['Resource', 'Type', 'Owner', 'Missing', 'Invalid'],
          ...shown.map((resource) => [resource.arn, resource.type, resource.owner, problemCell(missingOf(resource)), problemCell(wrongOf(resource))]),
        ]),
      )
      if (shown.length < listed.length) lines.push(`… and ${withThousands(listed.length - shown.length)} more (--limit 0 shows all; --format csv or --json for tools)`)
    }
  }
  const problems = report.byTag.filter((tag) => tag.missing + tag.empty + tag.invalid > 0)
  if (problems.length > 0) {
    lines.push('', `By tag: ${problems.map((tag) => `${tag.tag} ${[tag.missing && `${withThousands(tag.missing)} missing`, tag.empty && `${withThousands(tag.empty)} empty`, tag.invalid && `${withThousands(tag.invalid)} invalid`].filter(Boolean).join(', ')}`).join('; ')}`)
  }
  const waited = report.pacing.waitedMs >= 1000 ? `; waited ${(report.pacing.waitedMs / 1000).toFixed(1)} s for the pacing (${report.pacing.requestsPerSecond} requests/s per region)` : ''
  lines.push('', `${sourcesLine(report.sources, summary.resources)}${waited}`, ...gapLines(report.gaps))
  return lines.join('\n')
}

const csvCell = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value)
const csvRow = (cells: string[]) => cells.map(csvCell).join(',')

/** CSV for spreadsheets: one row per resource (the required tags' values as columns), or per owner. */
export function auditCsv(report: AuditReport, by: 'resource' | 'owner'): string {
  if (by === 'owner') {
    const rows = [csvRow(['owner', 'resources', 'compliant', 'non_compliant', 'compliance_percent'])]
    for (const owner of report.byOwner) rows.push(csvRow([owner.owner, String(owner.resources), String(owner.compliant), String(owner.nonCompliant), owner.compliancePercent.toFixed(1)]))
    return `${rows.join('\n')}\n`
  }
  const rows = [csvRow(['arn', 'type', 'region', 'owner', 'compliant', 'issues', ...report.requiredTags])]
  for (const resource of report.resources) {
    rows.push(
      csvRow([
        resource.arn,
        resource.type,
        resource.region,
        resource.owner,
        String(resource.compliant),
        resource.issues.map((issue) => `${issue.tag}:${issue.problem}`).join(' '),
        ...report.requiredTags.map((tag) => resource.tags[tag] ?? ''),
      ]),
    )
  }
  return `${rows.join('\n')}\n`
}

/** The fix plan: per resource, each tag old → new and where the value comes from; then what it leaves alone. */
export function renderFixPlan(plan: FixPlan, scope: {env: string; dryRun: boolean; limit: number}): string {
  const tags = plan.resources.reduce((sum, resource) => sum + resource.changes.length, 0)
  const lines = [`${scope.dryRun ? 'Dry run: ' : ''}tags fix in ${scope.env}${plan.overwrite ? ' (--overwrite)' : ''}: ${plural(tags, 'tag')} on ${plural(plan.resources.length, 'resource')}`]
  const shown = scope.limit > 0 ? plan.resources.slice(0, scope.limit) : plan.resources
  if (shown.length > 0) {
    const rows = [['Resource', 'Tag', 'Old', 'New', 'Source']]
    for (const resource of shown) {
      resource.changes.forEach((change, index) => rows.push([index === 0 ? resource.arn : '', change.tag, change.old === undefined ? '(missing)' : `"${change.old}"`, change.new, change.source]))
    }
    lines.push('', ...columnLines(rows))
    if (shown.length < plan.resources.length) lines.push(`… and ${withThousands(plan.resources.length - shown.length)} more resources (--limit 0 shows all; --json for tools)`)
  }
  if (plan.kept.length > 0) {
    lines.push('', `Kept (${plural(plan.kept.length, 'empty or not-allowed value')} in place; --overwrite replaces them):`)
    for (const kept of plan.kept.slice(0, scope.limit > 0 ? scope.limit : undefined)) {
      lines.push(`  ${kept.arn}  ${kept.tag}="${kept.value}" → ${kept.proposed} (${kept.source})`)
    }
  }
  if (plan.unresolved.length > 0) {
    lines.push('', `No source for (${plural(plan.unresolved.length, 'resource')}; add a tagging.rules entry or tag the owning stack):`)
    for (const entry of plan.unresolved.slice(0, scope.limit > 0 ? scope.limit : undefined)) lines.push(`  ${entry.arn}  ${entry.tags.join(', ')}`)
  }
  if (plan.missingStacks.length > 0) lines.push('', `Stacks named by resources' aws:cloudformation tags that no longer exist: ${plan.missingStacks.join(', ')}`)
  return lines.join('\n')
}

export function renderFixRun(run: FixRun): string {
  const tagged = run.results.filter((result) => result.result === 'tagged')
  const failed = run.results.filter((result) => result.result === 'failed')
  const notRun = run.results.filter((result) => result.result === 'not-run')
  const via = new Map<string, number>()
  for (const result of tagged) via.set(result.via!, (via.get(result.via!) ?? 0) + 1)
  const lines = [
    `Tagged ${plural(tagged.length, 'resource')} in ${plural(run.batches, 'TagResources call')}` +
      (via.size > 0 ? ` (${[...via].map(([call, count]) => `${call} ${withThousands(count)}`).join(', ')})` : '') +
      `; ${badWhenAny(failed.length, `${withThousands(failed.length)} failed`)}${notRun.length > 0 ? `; ${withThousands(notRun.length)} not tried (interrupted)` : ''}`,
  ]
  if (failed.length > 0) lines.push(...failed.map((result) => `  ${tone.bad('FAILED')} ${result.arn}: ${result.error}`))
  return lines.join('\n')
}

export function renderActivation(run: ActivationRun, scope: {env: string; account: string}): string {
  const label: Record<string, string> = {
    'already-active': 'already active',
    activated: tone.good('activated'),
    'would-activate': 'would activate (dry run)',
    failed: tone.bad('FAILED'),
    'not-found': tone.warn('not found: billing has not seen this key yet'),
  }
  const lines = [
    `${run.dryRun ? 'Dry run: ' : ''}cost-allocation tags in the payer account ${scope.account} (${scope.env})`,
    '',
    ...columnLines([['Tag', 'Before', 'Result'], ...run.tags.map((tag) => [tag.key, tag.before, `${label[tag.result]}${tag.error ? `: ${tag.error}` : ''}`])]),
  ]
  if (run.tags.some((tag) => tag.result === 'not-found')) {
    lines.push('', 'Keys not found appear in Cost Explorer about a day after a resource first carries them: tag resources (tags fix), then run activate again.')
  }
  if (run.tags.some((tag) => tag.result === 'activated')) lines.push('', 'Newly activated tags show in Cost Explorer and the cost reports within about 24 hours.')
  lines.push('', `Cost Explorer: ${plural(run.requests, 'request')}`)
  return lines.join('\n')
}
