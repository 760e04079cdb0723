import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import RedisStatusCommand from '../../src/commands/redis/status.js'
import {runCli} from '../helpers/run-cli.js'
import {pairs, startRedisHarness, waitFor, type RedisHarness} from '../helpers/redis-harness.js'

describe('fintech redis status against real Redis and Sentinel', () => {
  let harness: RedisHarness
  const args = () => [...harness.sentinelAddresses.flatMap((address) => ['--sentinel', address]), '--master-name', harness.masterName]

  beforeAll(async () => {
    harness = await startRedisHarness({downAfterMs: 1000})
    process.env.REDISCLI_AUTH = harness.password
  })
  afterAll(async () => {
    delete process.env.REDISCLI_AUTH
    await harness?.stop()
  })

  it('reports a healthy tier: the primary, both replicas in sync, three Sentinels that agree with quorum', async () => {
    await harness.client(harness.nodes[0]!.port).set('k', 'v')
    await harness.settled()
    const run = await runCli(RedisStatusCommand, [...args(), '--json'])
    expect(run.exitCode).toBe(0)
    const status = run.json
    expect(status.healthy).toBe(true)
    expect(status.problems).toEqual([])
    expect(status.primary).toMatchObject({address: `127.0.0.1:${harness.nodes[0]!.port}`, reachable: true, role: 'master', connectedReplicas: 2, evictedKeys: 0})
    expect(status.primary.lastSave.status).toBe('ok')
    expect(status.replicas.map((replica: any) => replica.address).sort()).toEqual(harness.nodes.slice(1).map((node) => `127.0.0.1:${node.port}`).sort())
    for (const replica of status.replicas) {
      expect(replica).toMatchObject({link: 'up', role: 'slave', following: `127.0.0.1:${harness.nodes[0]!.port}`})
      expect(replica.lagBytes).toBeGreaterThanOrEqual(0)
      expect(replica.lagSeconds).toBeGreaterThanOrEqual(0)
    }
    expect(status.sentinelsAgree).toBe(true)
    expect(status.sentinels).toHaveLength(3)
    for (const sentinel of status.sentinels) {
      expect(sentinel).toMatchObject({reachable: true, master: `127.0.0.1:${harness.nodes[0]!.port}`, flags: 'master', replicas: 2, otherSentinels: 2})
      expect(sentinel.quorum).toEqual({ok: true, detail: 'OK 3 usable Sentinels. Quorum and failover authorization can be reached'})
    }

    const text = await runCli(RedisStatusCommand, args())
    expect(text.stdout).toContain('healthy')
    expect(text.stdout).toContain('The Sentinels agree on the master.')
  })

  it('exits 1 and names the replica whose link is down, and how long it has been down', async () => {
    const broken = harness.nodes[2]!
    await harness.breakLink(broken.port)
    try {
      const run = await runCli(RedisStatusCommand, [...args(), '--json'])
      expect(run.exitCode).toBe(1)
      expect(run.json.healthy).toBe(false)
      const replica = run.json.replicas.find((candidate: any) => candidate.address === `127.0.0.1:${broken.port}`)
      expect(replica).toMatchObject({reachable: true, link: 'down'})
      expect(run.json.problems).toContainEqual(expect.stringMatching(new RegExp(`^replica 127.0.0.1:${broken.port}: link to the primary is down`)))
      const text = await runCli(RedisStatusCommand, args())
      expect(text.exitCode).toBe(1)
      expect(text.stdout).toContain('UNHEALTHY')
      expect(text.stdout).toContain(`! replica 127.0.0.1:${broken.port}: link to the primary is down`)
    } finally {
      await harness.healLink(broken.port)
    }
    await harness.settled()
  })

  it('reports an automatic failover after the primary is killed: the promoted replica is the primary, the old one does not answer', {timeout: 90_000}, async () => {
    const old = harness.nodes[0]!
    await harness.kill(old)
    // Two Sentinels can each win an election in their own epoch and promote different replicas;
    // the higher epoch's choice then spreads to the others. So the promoted replica is the one every
    // Sentinel agrees on at the end, not the first one a Sentinel names. Each failed check throws
    // what the Sentinels said, so a timeout shows which one is behind and on what.
    const promoted = await waitFor(
      'every Sentinel to agree on a promoted replica',
      async () => {
        const views = await Promise.all(
          harness.sentinels.map(async (sentinel) => {
            const view = pairs((await harness.client(sentinel.port).call('SENTINEL', 'MASTER', harness.masterName)) as string[])
            const replicas = ((await harness.client(sentinel.port).call('SENTINEL', 'REPLICAS', harness.masterName)) as string[][]).map(pairs)
            // status finds the old primary through the Sentinels' replica lists: each must have it.
            const listsOld = replicas.some((replica) => Number(replica.port) === old.port)
            return {sentinel: sentinel.port, port: Number(view.port), flags: view.flags, epoch: view['config-epoch'], listsOld}
          }),
        )
        const ports = new Set(views.map((view) => view.port))
        const [port] = ports
        if (ports.size === 1 && port !== old.port && views.every((view) => view.flags === 'master' && view.listsOld)) return port
        throw new Error(views.map((view) => `Sentinel ${view.sentinel}: primary ${view.port} (${view.flags}, epoch ${view.epoch}), old primary ${view.listsOld ? 'listed' : 'not listed'}`).join('; '))
      },
      45_000,
    )
    const run = await runCli(RedisStatusCommand, [...args(), '--json'])
    expect(run.json.primary).toMatchObject({address: `127.0.0.1:${promoted}`, reachable: true, role: 'master'})
    expect(run.json.sentinelsAgree, JSON.stringify(run.json.sentinels)).toBe(true)
    const gone = run.json.replicas.find((replica: any) => replica.address === `127.0.0.1:${old.port}`)
    expect(gone).toMatchObject({reachable: false})
    expect(run.json.problems).toContainEqual(expect.stringMatching(new RegExp(`^replica 127.0.0.1:${old.port} does not answer`)))
    expect(run.exitCode).toBe(1)
  })

  it('refuses to guess where the tier is, and names a bad --sentinel', async () => {
    const none = await runCli(RedisStatusCommand, [])
    expect(none.exitCode).toBe(2)
    expect(none.stderr).toContain('--env <name>')
    const bad = await runCli(RedisStatusCommand, ['--sentinel', 'nope'])
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toContain('--sentinel: "nope" is not host:port')
  })
})
