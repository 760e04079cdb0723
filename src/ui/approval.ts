import {createInterface} from 'node:readline/promises'
import {InterruptedError} from '../core/clock.js'
import type {Approver} from '../core/deploy/deploy-stack.js'

export interface ApproverOptions {
  /** --yes: the user reviewed the plan and approves in advance. */
  yes: boolean
  input: NodeJS.ReadStream
  output: NodeJS.WriteStream
  /** Called when the user presses Ctrl-C at the prompt (the terminal is raw, so no SIGINT is sent). */
  onInterrupt?: () => void
}

/**
 * Approval on a terminal is a typed "y"; without one (CI, pipes) there is nobody to ask, so
 * the answer is no unless --yes was given. Questions are asked one at a time even when
 * stacks deploy in parallel.
 */
export function createApprover({yes, input, output, onInterrupt}: ApproverOptions): Approver {
  let queue: Promise<unknown> = Promise.resolve()
  return {
    approve(request) {
      if (yes) return Promise.resolve({approved: true})
      if (!input.isTTY) {
        return Promise.resolve({
          approved: false,
          why: `needs approval (${request.reasons.join('; ')}) and there is no terminal to ask: review with --dry-run, then re-run with --yes`,
        })
      }
      const asked = queue.then(async () => {
        const readline = createInterface({input, output})
        try {
          output.write(`\n${request.reasons.map((reason) => `  ! ${reason}`).join('\n')}\n`)
          const answer = await readline.question(`${request.question} [y/N] `).catch((error: unknown) => {
            if ((error as Error).name !== 'AbortError') throw error
            onInterrupt?.()
            throw new InterruptedError()
          })
          const approved = /^y(es)?$/i.test(answer.trim())
          return approved ? {approved} : {approved, why: 'declined at the prompt'}
        } finally {
          readline.close()
        }
      })
      queue = asked.catch(() => undefined)
      return asked
    },
  }
}
