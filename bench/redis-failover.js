// Planned failovers (`fintech redis failover`) against real redis-server and redis-sentinel
// processes on loopback, with a writer at ~100 writes/s: failover duration, write-pause time,
// and acknowledged writes missing afterwards (must be 0). Uses the test harness through tsx.
import {tsImport} from 'tsx/esm/api'

export async function measureRedisFailovers(repoRoot, runs = 5) {
  const {startRedisHarness} = await tsImport(`${repoRoot}/test/helpers/redis-harness.ts`, import.meta.url)
  const {startWriter} = await tsImport(`${repoRoot}/test/helpers/redis-writer.ts`, import.meta.url)
  const {runFailover, DEFAULT_FAILOVER} = await import(`${repoRoot}/dist/core/redis/failover.js`)
  const {createRedisConnector} = await import(`${repoRoot}/dist/cli/redis-connector.js`)
  const {parseEndpoint} = await import(`${repoRoot}/dist/core/redis/api.js`)
  const harness = await startRedisHarness()
  try {
    const connector = createRedisConnector({password: harness.password})
    const sentinels = harness.sentinelAddresses.map((address) => parseEndpoint(address, 'sentinel'))
    const samples = []
    const writer = startWriter(harness, 'bench')
    for (let run = 0; run < runs; run++) {
      const result = await runFailover(connector, sentinels, harness.masterName, DEFAULT_FAILOVER)
      samples.push({totalMs: result.totalMs, writePauseMs: result.writePauseMs, syncWaitMs: result.syncWaitMs, promotionMs: result.promotionMs})
    }
    const {acknowledged} = await writer.stop()
    const primary = harness.client(await harness.masterPort())
    let missing = 0
    for (let index = 0; index < acknowledged.length; index += 500) {
      const slice = acknowledged.slice(index, index + 500)
      const values = await primary.mget(...slice)
      missing += slice.filter((key, at) => values[at] !== key).length
    }
    return {samples, acknowledged: acknowledged.length, missing}
  } finally {
    await harness.stop()
  }
}
