import {PassThrough} from 'node:stream'
import {describe, expect, it} from 'vitest'
import {runbookApprover} from '../../src/cli/runbook-run.js'
import {InterruptedError} from '../../src/core/clock.js'

/** A fake terminal in raw mode, as a real one is at a readline prompt. */
function terminal() {
  const input = Object.assign(new PassThrough(), {isTTY: true, setRawMode: () => input}) as unknown as NodeJS.ReadStream & PassThrough
  const output = Object.assign(new PassThrough(), {isTTY: true, columns: 120}) as unknown as NodeJS.WriteStream & PassThrough
  let shown = ''
  output.on('data', (chunk) => (shown += chunk))
  return {input, output, shown: () => shown, type: (text: string) => setImmediate(() => input.write(text))}
}

const request = {runbook: 'failover', step: 'approve', summary: 'Fail fintech-prod-ledger over from db-1 to db-2'}
const prod = (tty: ReturnType<typeof terminal>, yes = false) => {
  let suspended = 0
  return {approver: runbookApprover({env: 'prod', protectedEnv: true, yes, input: tty.input, output: tty.output, beforePrompt: () => void suspended++}), suspended: () => suspended}
}

describe('runbook approvals in a protected env', () => {
  it('approve when the env name is typed, after the ink view stepped aside and the summary was shown', async () => {
    const tty = terminal()
    const {approver, suspended} = prod(tty)
    tty.type('prod\r')
    await expect(approver.approve(request)).resolves.toEqual({approved: true})
    expect(suspended()).toBe(1)
    expect(tty.shown()).toContain('Fail fintech-prod-ledger over from db-1 to db-2')
    expect(tty.shown()).toContain('Approve step approve of failover in prod? Type "prod" to confirm:')
  })

  it('refuse anything else, --yes or not', async () => {
    const tty = terminal()
    const {approver} = prod(tty, true)
    tty.type('y\r')
    await expect(approver.approve(request)).resolves.toEqual({approved: false, why: 'prod was not typed'})
  })

  it('take Ctrl-C at the prompt as an interruption, not a failed step', async () => {
    const tty = terminal()
    const {approver} = prod(tty)
    tty.type('\x03')
    await expect(approver.approve(request)).rejects.toBeInstanceOf(InterruptedError)
  })

  it('refuse without a terminal, --yes or not', async () => {
    const input = Object.assign(new PassThrough(), {isTTY: false}) as unknown as NodeJS.ReadStream
    const approver = runbookApprover({env: 'prod', protectedEnv: true, yes: true, input, output: process.stderr})
    await expect(approver.approve(request)).resolves.toEqual({approved: false, why: "prod is protected: step approve needs the env's name typed at a terminal (--yes does not apply there)"})
  })
})
