import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parseInfo, startRedisHarness, type RedisHarness} from '../helpers/redis-harness.js'

describe('redis harness', () => {
  let harness: RedisHarness
  beforeAll(async () => {
    harness = await startRedisHarness()
  })
  afterAll(async () => {
    await harness?.stop()
  })

  it('starts a primary with two replicas under three Sentinels that agree, all behind the password', async () => {
    const master = parseInfo((await harness.client(harness.nodes[0]!.port).call('INFO', 'replication')) as string)
    expect(master.role).toBe('master')
    expect(master.connected_slaves).toBe('2')
    expect(await harness.masterPort()).toBe(harness.nodes[0]!.port)
    for (const sentinel of harness.sentinels) {
      expect(await harness.client(sentinel.port).call('SENTINEL', 'CKQUORUM', harness.masterName)).toMatch(/^OK 3 usable Sentinels/)
    }
  })

  it('breaks and heals a replica link', async () => {
    const port = harness.nodes[1]!.port
    await harness.breakLink(port)
    expect(parseInfo((await harness.client(port).call('INFO', 'replication')) as string).master_link_status).toBe('down')
    await harness.healLink(port)
    await harness.settled()
  })
})
