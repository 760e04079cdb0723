import {PassThrough} from 'node:stream'
import {describe, expect, it} from 'vitest'
import {InterruptedError} from '../../src/core/clock.js'
import {createApprover, typedConfirmation} from '../../src/ui/terminal.js'

/** A fake terminal: what the user types goes into `input`, the prompt text comes out of `output`. */
function terminal() {
  const input = Object.assign(new PassThrough(), {isTTY: true}) as unknown as NodeJS.ReadStream & PassThrough
  const output = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough
  let shown = ''
  output.on('data', (chunk) => (shown += chunk))
  return {input, output, shown: () => shown, type: (text: string) => setImmediate(() => input.write(text))}
}

const request = {stackName: 'fintech-prod-data', question: 'Execute this change set on fintech-prod-data?', reasons: ['prod is a protected environment']}

describe('createApprover', () => {
  it('asks on a terminal and approves on "y", showing the reasons', async () => {
    const tty = terminal()
    const approver = createApprover({yes: false, input: tty.input, output: tty.output})
    tty.type('y\n')
    await expect(approver.approve(request)).resolves.toEqual({approved: true})
    expect(tty.shown()).toContain('! prod is a protected environment')
    expect(tty.shown()).toContain('Execute this change set on fintech-prod-data? [y/N]')
  })

  it('treats anything but yes as no', async () => {
    const tty = terminal()
    const approver = createApprover({yes: false, input: tty.input, output: tty.output})
    tty.type('\n')
    await expect(approver.approve(request)).resolves.toEqual({approved: false, why: 'declined at the prompt'})
  })

  it('asks one question at a time when stacks ask together', async () => {
    const tty = terminal()
    const approver = createApprover({yes: false, input: tty.input, output: tty.output})
    const first = approver.approve(request)
    const second = approver.approve({...request, stackName: 'other', question: 'Second?'})
    await new Promise((resolve) => setImmediate(resolve))
    expect(tty.shown()).toContain('Execute this change set')
    expect(tty.shown()).not.toContain('Second?')
    tty.type('y\n')
    await expect(first).resolves.toEqual({approved: true})
    tty.type('n\n')
    await expect(second).resolves.toMatchObject({approved: false})
    expect(tty.shown()).toContain('Second? [y/N]')
  })

  it('turns Ctrl-C at the prompt (a key in raw mode, not a signal) into an interruption', async () => {
    const input = Object.assign(new PassThrough(), {isTTY: true, setRawMode: () => input}) as unknown as NodeJS.ReadStream & PassThrough
    const output = Object.assign(new PassThrough(), {isTTY: true, columns: 80}) as unknown as NodeJS.WriteStream & PassThrough
    output.resume()
    let interrupted = false
    const approver = createApprover({yes: false, input, output, onInterrupt: () => (interrupted = true)})
    setImmediate(() => input.write('\x03'))
    await expect(approver.approve(request)).rejects.toBeInstanceOf(InterruptedError)
    expect(interrupted).toBe(true)
  })

  it('says no without a terminal, explaining how to approve', async () => {
    const input = Object.assign(new PassThrough(), {isTTY: false}) as unknown as NodeJS.ReadStream
    const approver = createApprover({yes: false, input, output: process.stderr})
    await expect(approver.approve(request)).resolves.toEqual({
      approved: false,
      why: 'needs approval (prod is a protected environment) and there is no terminal to ask: review with --dry-run, then re-run with --yes',
    })
  })

  it('approves without asking with --yes', async () => {
    const tty = terminal()
    await expect(createApprover({yes: true, input: tty.input, output: tty.output}).approve(request)).resolves.toEqual({approved: true})
    expect(tty.shown()).toBe('')
  })
})

describe('typedConfirmation', () => {
  it('confirms only the exact word', async () => {
    const yes = terminal()
    yes.type('dev\n')
    await expect(typedConfirmation('This deletes 3 stacks in dev.', 'dev', yes.input, yes.output)).resolves.toBe(true)
    const no = terminal()
    no.type('y\n')
    await expect(typedConfirmation('This deletes 3 stacks in dev.', 'dev', no.input, no.output)).resolves.toBe(false)
  })
})
