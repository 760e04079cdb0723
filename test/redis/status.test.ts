import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import RedisStatusCommand from '../../src/commands/redis/status.js'
import {runCli} from '../helpers/run-cli.js'
import {startRedisHarness, waitFor, type RedisHarness} from '../helpers/redis-harness.js'

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
    const promoted = await waitFor('Sentinel to promote a replica', async () => {
      const port = await harness.masterPort()
      return port !== old.port && port
    }, 30_000)
    // Each failed check throws what that Sentinel said, so a timeout names the one still behind.
    // A Sentinel that did not lead the failover learns it from the leader's hello messages (every
    // 2 s), so on a loaded machine this takes longer than the promotion itself.
    await waitFor(
      'every Sentinel to finish the failover',
      async () => {
        for (const sentinel of harness.sentinels) {
          const answer = (await harness.client(sentinel.port).call('SENTINEL', 'MASTER', harness.masterName)) as string[]
          const view = Object.fromEntries(answer.flatMap((value, index) => (index % 2 === 0 ? [[value, answer[index + 1]]] : [])))
          if (Number(view.port) !== promoted || view.flags !== 'master') throw new Error(`Sentinel ${sentinel.port} has the primary at port ${view.port}, flags ${view.flags}`)
          // status finds the old primary through the Sentinels' replica lists: each must have it by now.
          const replicas = (await harness.client(sentinel.port).call('SENTINEL', 'REPLICAS', harness.masterName)) as string[][]
          if (!replicas.some((replica) => replica.includes(String(old.port)))) throw new Error(`Sentinel ${sentinel.port} does not list the old primary ${old.port} among the replicas`)
        }
        return true
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
