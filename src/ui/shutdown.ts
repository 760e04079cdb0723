import Table from 'cli-table3'
import type {ShutdownOutcome} from '../core/shutdown/execute.js'
import type {ResourceResult} from '../core/shutdown/run.js'
import {stdoutPalette as tone} from './colour.js'

const KIND_LABEL: Record<ResourceResult['kind'], string> = {
  'ec2-instance': 'EC2 instance',
  'auto-scaling-group': 'Auto Scaling group',
  'ecs-service': 'ECS service',
  'aurora-cluster': 'Aurora cluster',
  'rds-instance': 'RDS instance',
}

/** done in green, failed in red, held back (skipped) in yellow; the rest as they are. */
const RESULT_TONES: Partial<Record<ResourceResult['result'], (text: string) => string>> = {done: tone.good, failed: tone.bad, skipped: tone.warn}
const toned = (result: ResourceResult['result'], text: string = result) => RESULT_TONES[result]?.(text) ?? text
/** A count in its result's colour when there is something to count. */
const countOf = (result: ResourceResult['result'], count: number, label: string) => (count > 0 ? toned(result, `${count} ${label}`) : `${count} ${label}`)

/** The last part of an ARN is what people recognise: the service name, not its cluster path. */
const shortId = (id: string) => (id.startsWith('arn:') ? id.split('/').pop()! : id)

/** Beyond this many resources a row each helps nobody at a terminal: the text shows counts per kind, and the failures in full. */
const ROWS_IN_FULL = 60

const COUNT_COLUMNS = ['planned', 'done', 'failed', 'skipped', 'unchanged', 'gone'] as const

/** A resource as people name it in a line: its kind, its id, and the region it lives in. */
const named = (resource: {kind: ResourceResult['kind']; id: string; region: string}, id = resource.id) => `${KIND_LABEL[resource.kind]} ${id} (${resource.region})`

function countsTable(results: ResourceResult[]): string {
  const table = new Table({head: ['Region', 'Tier', 'Resource', ...COUNT_COLUMNS], style: {head: [], border: [], compact: true}})
  const groups = new Map<string, ResourceResult[]>()
  for (const result of results) {
    const key = `${result.region} ${result.tier} ${result.kind}`
    if (!groups.has(key)) groups.set(key, [])
    groups.get(key)!.push(result)
  }
  for (const members of groups.values()) {
    const counts = summarize(members)
    table.push([members[0]!.region, members[0]!.tier, KIND_LABEL[members[0]!.kind], ...COUNT_COLUMNS.map((column) => String(counts[column]))])
  }
  return table.toString()
}

export function summarize(results: ResourceResult[]): Record<ResourceResult['result'], number> {
  const counts = {done: 0, failed: 0, unchanged: 0, skipped: 0, planned: 0, gone: 0}
  for (const result of results) counts[result.result] += 1
  return counts
}

export function renderShutdownOutcome(outcome: ShutdownOutcome, stateBucket: string): string {
  const verb = outcome.action === 'stop' ? 'Stop' : 'Start'
  if (outcome.nothingToDo) return `${verb} of ${outcome.env}: ${outcome.nothingToDo}.`
  const lines = [
    `${outcome.dryRun ? `Dry run of ${outcome.action}` : verb} of ${outcome.env}: manifest s3://${stateBucket}/${outcome.manifestKey}${outcome.action === 'stop' ? (outcome.newPeriod ? ' (new shutdown period)' : ' (adds to the open shutdown period)') : ''}`,
  ]
  if (outcome.results.length > ROWS_IN_FULL) {
    lines.push(countsTable(outcome.results), `(${outcome.results.length} resources: one row per kind; --json lists each one)`)
  } else if (outcome.results.length > 0) {
    const table = new Table({head: ['Region', 'Tier', 'Resource', 'Id', 'Now', outcome.dryRun ? 'Would be' : 'Target', 'Result', 'Detail'], style: {head: [], border: [], compact: true}})
    for (const result of outcome.results) {
      table.push([result.region, result.tier, KIND_LABEL[result.kind], shortId(result.id), result.current, result.op === 'none' ? '' : result.target, toned(result.result), result.detail ?? ''])
    }
    lines.push(table.toString())
  } else {
    lines.push('Nothing in this env to act on.')
  }
  if (outcome.skipped.length > 0) {
    lines.push(`Left alone (not in the manifest): ${outcome.skipped.length}`)
    for (const skipped of outcome.skipped) lines.push(`  ${named(skipped, shortId(skipped.id))}: ${skipped.reason}`)
  }
  for (const {region, error} of outcome.unreadableRegions) {
    const consequence = outcome.dryRun ? 'this plan leaves its resources out' : `nothing there was ${outcome.action === 'stop' ? 'stopped' : 'started'}; the rest of the env went on`
    lines.push(`Could not read ${region} (${error}): ${consequence}`)
  }
  const counts = summarize(outcome.results)
  lines.push(
    outcome.dryRun
      ? `${counts.planned} to ${outcome.action}, ${counts.unchanged} unchanged, ${counts.failed} blocked; nothing was changed (dry run)`
      : `${countOf('done', counts.done, 'done')}, ${countOf('failed', counts.failed, 'failed')}, ${countOf('skipped', counts.skipped, 'held back')}, ${counts.unchanged} unchanged${counts.gone > 0 ? `, ${counts.gone} gone` : ''}`,
  )
  const failed = outcome.results.filter((result) => result.result === 'failed' || result.result === 'skipped')
  if (!outcome.dryRun && failed.length > 0) {
    lines.push(tone.warn('Needs attention:'))
    for (const result of failed) lines.push(`  ${named(result)}: ${result.detail ?? result.result}`)
  }
  return lines.join('\n')
}
