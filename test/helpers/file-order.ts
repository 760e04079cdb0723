import {readFileSync, statSync} from 'node:fs'
import {dirname, relative} from 'node:path'
import {BaseSequencer, type TestSpecification} from 'vitest/node'

/** Seconds each test file took in a full run, as `node scripts/file-durations.js` writes them from a vitest JSON report. */
export const DURATIONS_FILE = 'test/file-durations.json'

export type FileDurations = Record<string, number>

export function readDurations(path: string): FileDurations {
  return JSON.parse(readFileSync(path, 'utf8')) as FileDurations
}

/**
 * The order files are handed to the workers: project by project as vitest does (files of a
 * shared module graph must follow one another), and in each the longest first by the committed
 * durations, then the largest. vitest's own order needs its results cache, which a clean clone
 * (CI) does not have: it then goes by size alone, and started the longest file, 14th by size,
 * two minutes into the run, behind a minute of Redis files that mostly wait.
 *
 * A file is not handed out right after one of its own folder while another folder has one left:
 * files of a folder wait on the same things (Sentinel's timers, the SDK's retry back-off), and
 * three of them side by side left one of the two cores idle for half a minute at a time.
 */
export function longestFirst<File extends {project: string; path: string}>(files: File[], durations: FileDurations, sizeOf: (file: File) => number): File[] {
  const seconds = (file: File) => durations[file.path] ?? 0
  const sorted = [...files].sort(
    (a, b) =>
      (a.project === b.project ? 0 : a.project < b.project ? -1 : 1) ||
      seconds(b) - seconds(a) ||
      sizeOf(b) - sizeOf(a),
  )
  const folderOf = (file: File) => dirname(file.path)
  const ordered: File[] = []
  while (sorted.length > 0) {
    const previous = ordered.at(-1)
    const next = previous ? sorted.findIndex((file) => file.project === sorted[0]!.project && folderOf(file) !== folderOf(previous)) : 0
    ordered.push(...sorted.splice(Math.max(next, 0), 1))
  }
  return ordered
}

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(specifications: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root
    const durations = readDurations(`${root}/${DURATIONS_FILE}`)
    const files = specifications.map((specification) => ({
      specification,
      project: specification.project.name,
      path: relative(root, specification.moduleId),
    }))
    return longestFirst(files, durations, (file) => statSync(file.specification.moduleId).size).map((file) => file.specification)
  }
}
