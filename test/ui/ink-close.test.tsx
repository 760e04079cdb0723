/**
 * Closing an ink view leaves nothing on the process: ink's wait for the last frame adds a
 * beforeExit listener, which only an unmount after it takes back. A run that closes views
 * often (a test worker, a long watch) would otherwise pile them up until Node warns.
 */
import {PassThrough} from 'node:stream'
import {describe, expect, it} from 'vitest'

import {readLedgerStatus} from '../../src/core/ledger/status.js'
import {InkReporter} from '../../src/ui/ink/ink-reporter.js'
import {mountLedgerDashboard} from '../../src/ui/ink/ledger-view.js'
import {InkRunbookReporter} from '../../src/ui/ink/runbook-view.js'
import {fakeLedger, NOW, RESOURCES, unhealthyAnswers} from '../helpers/ledger-fixtures.js'
import {runbookOf} from '../helpers/runbook-fakes.js'
import {failedDataStage} from './fixtures.js'

function fakeTerminal(): NodeJS.WriteStream {
  const stream = new PassThrough()
  stream.resume()
  return Object.assign(stream, {isTTY: true, columns: 120, rows: 40}) as unknown as NodeJS.WriteStream
}

const listeners = () => process.listenerCount('beforeExit')
const RUNBOOK = runbookOf(`  - name: cluster
    kind: aws
    service: rds
    api: DescribeDBClusters`)

describe('closing an ink view', () => {
  it('leaves no beforeExit listener behind: the deploy view, the runbook view and the ledger dashboard, three times each', async () => {
    const before = listeners()
    for (let round = 0; round < 3; round++) {
      const deploy = new InkReporter({stream: fakeTerminal(), now: () => new Date('2026-11-22T02:11:00Z')})
      for (const {event} of failedDataStage) deploy.emit(event)
      await deploy.close()

      const runbook = new InkRunbookReporter(fakeTerminal(), {runbook: RUNBOOK, env: 'dev', runId: 'run-1', done: {}})
      await runbook.close()

      const dashboard = mountLedgerDashboard(fakeTerminal())
      dashboard.show(await readLedgerStatus(fakeLedger(unhealthyAnswers()), RESOURCES, {now: NOW}))
      await dashboard.close()
    }
    expect(listeners()).toBe(before)
  })
})
