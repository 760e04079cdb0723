import type {LedgerStatus} from '../core/ledger/status.js'
import {renderLedgerStatus} from './ledger.js'
import {showsLiveView} from './terminal.js'

/** Where each status of `fintech ledger status` goes: the ink dashboard, plain text, or JSON lines. */
export interface LedgerDisplay {
  show(status: LedgerStatus): void
  close(): Promise<void>
}

export async function createLedgerDisplay(options: {stdout: NodeJS.WriteStream; json: boolean; intervalSeconds?: number}): Promise<LedgerDisplay> {
  const {stdout} = options
  if (options.json) return {show: (status) => void stdout.write(`${JSON.stringify(status)}\n`), close: async () => undefined}
  if (showsLiveView(stdout, options)) {
    // ink and react cost about 450 ms to import, so only a terminal session pays for them.
    const {mountLedgerDashboard} = await import('./ink/ledger-view.js')
    return mountLedgerDashboard(stdout, options.intervalSeconds)
  }
  // Each snapshot starts with its own timestamped headline; a blank line keeps them apart in a log.
  return {show: (status) => void stdout.write(`${renderLedgerStatus(status)}\n\n`), close: async () => undefined}
}
