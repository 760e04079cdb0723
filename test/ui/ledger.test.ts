import {describe, expect, it} from 'vitest'
import {readLedgerStatus} from '../../src/core/ledger/status.js'
import {renderLedgerStatus} from '../../src/ui/ledger.js'
import {fakeLedger, NOW, RESOURCES, series} from '../helpers/ledger-fixtures.js'

describe('renderLedgerStatus', () => {
  it('prints compact aligned sections, figures with their sparklines', async () => {
    // Traffic climbing over the quarter hour, latency steady, the reader's lag rising.
    const status = await readLedgerStatus(
      fakeLedger({metrics: [series('requests', (index) => 60 * (index + 1)), series('p50', 0.021), series('p99', (index) => (index < 14 ? 0.15 : 0.3)), series('lag0', (index) => 10 * (index + 1))]}),
      RESOURCES,
      {now: NOW},
    )
    expect(renderLedgerStatus(status)).toBe(
      [
        'Ledger dev: healthy at 2026-11-22T10:15:42Z',
        'Service fintech-dev-ledger (cluster fintech-dev): ACTIVE, 2/2 running, 0 pending, steady',
        '  PRIMARY  fintech-dev-ledger:42  2/2 running      COMPLETED',
        'Targets: 2 of 2 healthy',
        '  10.0.10.5:8080  eu-west-1a  healthy',
        '  10.0.11.6:8080  eu-west-1b  healthy',
        'Traffic per minute, 10:00-10:15 UTC (latest 10:14)',
        '  requests/s    15.0  ▁▂▂▃▃▄▄▅▅▆▆▇▇██',
        '  5xx rate        0%',
        '  p50          21 ms  ███████████████',
        '  p99         300 ms  ▄▄▄▄▄▄▄▄▄▄▄▄▄▄█',
        'Aurora fintech-dev-aurora: available, max lag 150 ms',
        '  writer  fintech-dev-aurora-1  eu-west-1a  available',
        '  reader  fintech-dev-aurora-2  eu-west-1b  available  lag 150 ms  ▁▂▂▃▃▄▄▅▅▆▆▇▇██',
        'Alarms in ALARM: none',
      ].join('\n'),
    )
  })
})
