import {describe, expect, it} from 'vitest'

import {ExitCode, InputError} from '../../src/core/errors.js'
import {canAsk, confirmByTyping, progressLines, requireConfirmationPossible, showsLiveView, timestamped} from '../../src/ui/terminal.js'

const terminal = {isTTY: true}
const pipe = {isTTY: false}

describe('the terminal host', () => {
  it('shows a live view only on a terminal, outside CI and --json', () => {
    expect(showsLiveView(terminal, {json: false}, {})).toBe(true)
    expect(showsLiveView(pipe, {json: false}, {})).toBe(false)
    expect(showsLiveView(terminal, {json: true}, {})).toBe(false)
    expect(showsLiveView(terminal, {json: false}, {CI: 'true'})).toBe(false)
  })

  it('asks only where the input is a terminal', () => {
    expect(canAsk(terminal)).toBe(true)
    expect(canAsk(pipe)).toBe(false)
  })

  it('timestamps progress lines with the moment they are written', () => {
    const lines: string[] = []
    const times = [new Date('2026-11-22T02:10:40.123Z'), new Date('2026-11-22T02:10:41.000Z')]
    const progress = progressLines((line) => lines.push(line), () => times.shift()!)
    progress('tagging 20 resources')
    progress('done')
    expect(lines).toEqual(['2026-11-22T02:10:40.123Z tagging 20 resources', '2026-11-22T02:10:41.000Z done'])
    expect(timestamped('x', new Date('2026-01-01T00:00:00Z'))).toBe('2026-01-01T00:00:00.000Z x')
  })
})

describe('no terminal needs --yes', () => {
  const refusal = (rule: Parameters<typeof requireConfirmationPossible>[0], input = pipe) => {
    try {
      requireConfirmationPossible(rule, input)
    } catch (error) {
      return error
    }
    return undefined
  }

  it('refuses with one message naming the command, why it asks, and --yes; exit 2', () => {
    const error = refusal({command: 'tags fix', reason: 'prod is protected', yes: false, dryRun: true})
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).exitCode).toBe(ExitCode.usage)
    expect((error as InputError).message).toBe('tags fix needs confirmation (prod is protected) and there is no terminal to ask: review with --dry-run, then re-run with --yes; nothing was changed')
  })

  it('suggests --dry-run only to a command that has it, and says why only when given', () => {
    expect((refusal({command: 'example', yes: false, dryRun: false}) as Error).message).toBe('example needs confirmation and there is no terminal to ask: re-run with --yes; nothing was changed')
  })

  it('lets --yes or a terminal through', () => {
    expect(refusal({command: 'destroy', yes: true, dryRun: true})).toBeUndefined()
    expect(refusal({command: 'destroy', yes: false, dryRun: true}, terminal)).toBeUndefined()
  })

  it('confirmByTyping with --yes asks nothing', async () => {
    await expect(confirmByTyping({command: 'destroy', yes: true, dryRun: true, prompt: 'p', expected: 'prod', refused: 'no'})).resolves.toBeUndefined()
  })
})
