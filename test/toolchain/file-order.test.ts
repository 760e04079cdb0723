import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {DURATIONS_FILE, longestFirst, readDurations} from '../helpers/file-order.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

const file = (project: string, path: string, size = 100) => ({project, path, size})
const order = (files: ReturnType<typeof file>[], durations: Record<string, number>) => longestFirst(files, durations, (entry) => entry.size).map((entry) => `${entry.project}:${entry.path}`)

describe('the order test files are handed to the workers', () => {
  it('is the longest first by the committed durations, whatever their size', () => {
    const files = [file('isolated', 'test/redis/big.test.ts', 9_000), file('isolated', 'test/integration/faults.test.ts', 500), file('isolated', 'test/cli/startup.test.ts', 2_000)]
    expect(order(files, {'test/redis/big.test.ts': 20, 'test/integration/faults.test.ts': 60, 'test/cli/startup.test.ts': 30})).toEqual([
      'isolated:test/integration/faults.test.ts',
      'isolated:test/cli/startup.test.ts',
      'isolated:test/redis/big.test.ts',
    ])
  })

  it('hands out a file of another folder next while there is one, so that files that wait on the same things are spread out', () => {
    const files = [file('isolated', 'test/redis/a.test.ts'), file('isolated', 'test/redis/b.test.ts'), file('isolated', 'test/redis/c.test.ts'), file('isolated', 'test/cli/d.test.ts'), file('isolated', 'test/cli/e.test.ts')]
    expect(order(files, {'test/redis/a.test.ts': 40, 'test/redis/b.test.ts': 35, 'test/redis/c.test.ts': 30, 'test/cli/d.test.ts': 20, 'test/cli/e.test.ts': 10})).toEqual([
      'isolated:test/redis/a.test.ts',
      'isolated:test/cli/d.test.ts',
      'isolated:test/redis/b.test.ts',
      'isolated:test/cli/e.test.ts',
      'isolated:test/redis/c.test.ts',
    ])
  })

  it('does not take a file of the next project to break up a folder: the project order comes first', () => {
    const files = [file('isolated', 'test/redis/a.test.ts'), file('isolated', 'test/redis/b.test.ts'), file('pure', 'test/core/c.test.ts')]
    expect(order(files, {'test/redis/a.test.ts': 40, 'test/redis/b.test.ts': 35, 'test/core/c.test.ts': 90})).toEqual(['isolated:test/redis/a.test.ts', 'isolated:test/redis/b.test.ts', 'pure:test/core/c.test.ts'])
  })

  it('puts files with no duration yet after the others, the largest first', () => {
    const files = [file('isolated', 'new-small.test.ts', 10), file('isolated', 'known.test.ts', 10), file('isolated', 'new-large.test.ts', 5_000)]
    expect(order(files, {'known.test.ts': 0.5})).toEqual(['isolated:known.test.ts', 'isolated:new-large.test.ts', 'isolated:new-small.test.ts'])
  })

  it('keeps each project together, in name order, so files that share a module graph follow one another', () => {
    const files = [file('shared', 'a.test.ts'), file('pure', 'b.test.ts'), file('isolated', 'c.test.ts'), file('shared', 'd.test.ts')]
    expect(order(files, {'a.test.ts': 5, 'b.test.ts': 50, 'c.test.ts': 1, 'd.test.ts': 9})).toEqual(['isolated:c.test.ts', 'pure:b.test.ts', 'shared:d.test.ts', 'shared:a.test.ts'])
  })

  it('reads the committed durations: a number of seconds for each test file it names', () => {
    const durations = readDurations(join(root, DURATIONS_FILE))
    expect(Object.keys(durations).length).toBeGreaterThan(100)
    for (const [path, seconds] of Object.entries(durations)) {
      expect(path).toMatch(/^test\/.+\.test\.tsx?$/)
      expect(seconds).toBeGreaterThanOrEqual(0)
    }
  })
})

describe('scripts/file-durations.js', () => {
  it('writes each file of a vitest JSON report with its seconds, to a tenth, sorted by path', () => {
    const project = mkdtempSync(join(tmpdir(), 'fintech-durations-'))
    mkdirSync(join(project, 'test'))
    const report = {
      testResults: [
        {name: join(project, 'test/z.test.ts'), startTime: 1_000, endTime: 63_340},
        {name: join(project, 'test/a.test.ts'), startTime: 5_000, endTime: 5_049},
      ],
    }
    writeFileSync(join(project, 'report.json'), JSON.stringify(report))
    const output = execFileSync(process.execPath, [join(root, 'scripts/file-durations.js'), 'report.json'], {cwd: project, encoding: 'utf8'})
    expect(output).toBe('test/file-durations.json: 2 files\n')
    expect(readFileSync(join(project, 'test/file-durations.json'), 'utf8')).toBe('{\n "test/a.test.ts": 0,\n "test/z.test.ts": 62.3\n}\n')
  })

  it('says how to call it, with exit 2, when no report is named', () => {
    let failure: {status?: number; stderr?: string} = {}
    try {
      execFileSync(process.execPath, [join(root, 'scripts/file-durations.js')], {encoding: 'utf8', stdio: 'pipe'})
    } catch (error) {
      failure = error as typeof failure
    }
    expect(failure.status).toBe(2)
    expect(failure.stderr).toContain('usage: node scripts/file-durations.js <vitest JSON report>')
  })

  it('is the order vitest.config.ts gives the suite', () => {
    expect(readFileSync(join(root, 'vitest.config.ts'), 'utf8')).toMatch(/sequence: \{sequencer: LongestFirstSequencer\}/)
    expect(existsSync(join(root, DURATIONS_FILE))).toBe(true)
  })
})
