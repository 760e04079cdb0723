import type {RunState} from '../core/runbook/run-state.js'
import type {Runbook} from '../core/runbook/schema.js'
import {PlainRunbookReporter, type RunbookReporter} from './runbook-run.js'

/** ink on an interactive terminal (outside CI and --json), plain lines on stderr everywhere else. */
export async function createRunbookReporter(options: {stderr: NodeJS.WriteStream; json: boolean; runbook: Runbook; env: string; runId: string; done: RunState['steps']}): Promise<RunbookReporter> {
  if (options.stderr.isTTY && !process.env.CI && !options.json) {
    const {InkRunbookReporter} = await import('./ink/runbook-view.js')
    return new InkRunbookReporter(options.stderr, options)
  }
  return new PlainRunbookReporter((line) => options.stderr.write(`${line}\n`))
}
