import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import {lintProgress} from '../../src/ui/lint-progress.js'

const CLEAR = '\r\u001B[2K'

describe('lintProgress', () => {
  const ci = process.env.CI
  beforeEach(() => {
    vi.useFakeTimers()
    delete process.env.CI
  })
  afterEach(() => {
    vi.useRealTimers()
    if (ci !== undefined) process.env.CI = ci
  })

  it('counts the seconds spent waiting for cfn-lint once the built-in checks are done, and stops with a cleared line', () => {
    const written: string[] = []
    const progress = lintProgress({isTTY: true, write: (text: string) => written.push(text)}, 1, {json: false})
    expect(written).toEqual([`${CLEAR}Checking 1 template: built-in checks, cfn-lint alongside…`])
    progress.builtinChecksDone()
    vi.advanceTimersByTime(2000)
    progress.stop()
    vi.advanceTimersByTime(5000)
    expect(written.slice(1)).toEqual([
      `${CLEAR}Built-in checks done; cfn-lint on 1 template… 0 s`,
      `${CLEAR}Built-in checks done; cfn-lint on 1 template… 1 s`,
      `${CLEAR}Built-in checks done; cfn-lint on 1 template… 2 s`,
      CLEAR,
    ])
  })

  it('writes nothing where the stream is not a terminal, or with --json', () => {
    const written: string[] = []
    const write = (text: string) => written.push(text)
    for (const [stream, json] of [[{isTTY: false, write}, false], [{write}, false], [{isTTY: true, write}, true]] as const) {
      const progress = lintProgress(stream, 3, {json})
      progress.builtinChecksDone()
      vi.advanceTimersByTime(3000)
      progress.stop()
    }
    expect(written).toEqual([])
  })
})
