import {InterruptedError} from '../clock.js'
import {byCodeUnits, withThousands} from '../counts.js'
import type {ResourceSource, Tags} from './api.js'

export const TAGGING_API = 'tagging-api'
/** How many distinct tag sets, and how many distinct regions and tag values, the inventory shares between records (see collectInventory). */
const SHARED_TAG_SETS = 4096
const SHARED_STRINGS = 4096

/** One resource of the account, reduced to what the audit and fix read. */
export interface ResourceRecord {
  arn: string
  region: string
  /** Only the tags that matter (see relevantKeys), frozen and shared by records with the same set; undefined while no source has told them. */
  tags: Tags | undefined
  /** How many tags it carries in all, relevant or not. */
  tagCount: number
  /** The Tagging API returned it: it carries, or once carried, tags. */
  inTaggingApi: boolean
  /** The listing (a service) that found it, when one did. */
  listedBy?: ResourceSource
}

export interface SourceSummary {
  source: string
  region: string
  requests: number
  resources: number
}

/** A source that failed: resources only it would have found (never-tagged ones) are missing from the report. */
export interface InventoryGap {
  source: string
  region: string
  code: string
  message: string
  /** Resources whose tags could not be read (the listing found them, reading their tags failed). */
  resources?: number
}

export interface Inventory {
  records: Map<string, ResourceRecord>
  sources: SourceSummary[]
  gaps: InventoryGap[]
}

export interface CollectOptions {
  sources: ResourceSource[]
  /** Which tag keys to keep per resource. */
  keep: (key: string) => boolean
  /** Sources read at once. */
  concurrency: number
  progress?: (line: string) => void
  signal?: AbortSignal
  /** Progress line every this many Tagging API pages. */
  progressEvery?: number
}

const isInterrupt = (error: unknown) => error instanceof InterruptedError || (error as {name?: string}).name === 'AbortError'
const codeOf = (error: unknown) => (error as {name?: string}).name ?? 'Error'

/**
 * Reads every source, page by page, into one record per ARN: the Tagging API (resources that
 * carry or carried tags) and the service listings (everything, tagged or not). Each page is
 * reduced to the kept tags and dropped before the next is read, so the raw inventory is never
 * held. Tags a listing does not carry are read afterwards, only for resources no source brought
 * them for, typically the few that never had any. A failing source becomes a gap; the others go on.
 */
export async function collectInventory(options: CollectOptions): Promise<Inventory> {
  const {sources, keep, progress, signal} = options
  const records = new Map<string, ResourceRecord>()
  const summaries: SourceSummary[] = []
  const gaps: InventoryGap[] = []
  // Resources stamped by the same stack carry the same tags: one frozen object per distinct set
  // of kept tags, shared by every record that has it. Where sets differ, their values mostly do
  // not (Environment=dev on 100,000 resources, each answer a string of its own): one string per
  // distinct region and tag value. Past SHARED_TAG_SETS sets or SHARED_STRINGS strings, new ones
  // are not remembered, so an account where every resource differs pays no more than before.
  const tagSets = new Map<string, Tags>()
  const strings = new Map<string, string>()
  const intern = (value: string) => {
    const known = strings.get(value)
    if (known !== undefined) return known
    if (strings.size < SHARED_STRINGS) strings.set(value, value)
    return value
  }
  const parts: string[] = []
  const reduce = (tags: Tags): Tags => {
    parts.length = 0
    for (const key in tags) if (keep(key)) parts.push(key, tags[key]!)
    // join() makes one flat string; += would leave a chain of pieces per resource for the GC.
    const signature = parts.join('\u0000')
    const shared = tagSets.get(signature)
    if (shared) return shared
    const kept: Tags = {}
    for (const key in tags) if (keep(key)) kept[key] = intern(tags[key]!)
    Object.freeze(kept)
    if (tagSets.size < SHARED_TAG_SETS) tagSets.set(signature, kept)
    return kept
  }

  async function read(source: ResourceSource): Promise<void> {
    const fromTaggingApi = source.name === TAGGING_API
    let resources = 0
    let pages = 0
    try {
      for await (const page of source.pages()) {
        if (signal?.aborted) throw new InterruptedError()
        pages += 1
        for (const found of page) {
          resources += 1
          let record = records.get(found.arn)
          if (!record) {
            // Every field set from the start: one object shape for all records, no property store added later.
            record = {arn: found.arn, region: intern(found.region ?? source.region), tags: undefined, tagCount: 0, inTaggingApi: false, listedBy: undefined}
            records.set(found.arn, record)
          }
          if (fromTaggingApi) record.inTaggingApi = true
          else {
            record.listedBy ??= source
            if (found.region) record.region = intern(found.region)
          }
          // A service's own answer is authoritative; the Tagging API's is eventually consistent.
          if (found.tags && (record.tags === undefined || !fromTaggingApi)) {
            record.tags = reduce(found.tags)
            record.tagCount = Object.keys(found.tags).length
          }
        }
        if (fromTaggingApi && options.progressEvery && pages % options.progressEvery === 0) {
          progress?.(`Tagging API ${source.region}: ${pages} pages, ${withThousands(resources)} resources so far`)
        }
      }
    } catch (error) {
      if (isInterrupt(error)) throw error
      gaps.push({source: source.name, region: source.region, code: codeOf(error), message: (error as Error).message})
      progress?.(`${source.name} ${source.region}: failed after ${withThousands(resources)} resources: ${codeOf(error)}: ${(error as Error).message}`)
    } finally {
      summaries.push({source: source.name, region: source.region, requests: source.requests(), resources})
    }
  }

  await eachLimited(sources, options.concurrency, read)

  // Tags the listings did not carry, read only for what no source brought tags for.
  const unknown = new Map<ResourceSource, string[]>()
  for (const record of records.values()) {
    const source = record.listedBy
    if (record.tags !== undefined || !source?.tagsOf) continue
    const arns = unknown.get(source)
    if (arns) arns.push(record.arn)
    else unknown.set(source, [record.arn])
  }
  await eachLimited([...unknown.entries()], options.concurrency, async ([source, arns]) => {
    try {
      const found = await source.tagsOf!(arns)
      for (const arn of arns) {
        const tags = found.get(arn)
        if (!tags) continue
        const record = records.get(arn)!
        record.tags = reduce(tags)
        record.tagCount = Object.keys(tags).length
      }
    } catch (error) {
      if (isInterrupt(error)) throw error
      gaps.push({source: source.name, region: source.region, code: codeOf(error), message: (error as Error).message, resources: arns.length})
    } finally {
      const summary = summaries.find((entry) => entry.source === source.name && entry.region === source.region)
      if (summary) summary.requests = source.requests()
    }
  })
  // Resources whose tags stayed unknown cannot be judged: they are counted in a gap, not reported as untagged.
  for (const [arn, record] of records) if (record.tags === undefined) records.delete(arn)

  summaries.sort((a, b) => order(a.source) - order(b.source) || byCodeUnits(a.source, b.source) || byCodeUnits(a.region, b.region))
  return {records, sources: summaries, gaps}
}

const order = (source: string) => (source === TAGGING_API ? 0 : 1)

async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!
      await work(item)
    }
  }
  await Promise.all(Array.from({length: Math.min(Math.max(1, limit), items.length)}, worker))
}
