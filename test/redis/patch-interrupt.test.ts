import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {createRedisConnector} from '../../src/cli/redis-connector.js'
import {InterruptedError, systemClock, type Clock} from '../../src/core/clock.js'
import {parseEndpoint} from '../../src/core/redis/api.js'
import {DEFAULT_PATCH, planPatch, runPatch, type NodeShell, type PatchEvent, type PatchPlan} from '../../src/core/redis/patch.js'
import {readRedisStatus} from '../../src/core/redis/status.js'
import {parseInfo, startRedisHarness, type HarnessNode, type RedisHarness} from '../helpers/redis-harness.js'

const IDS = ['i-0node0', 'i-0node1', 'i-0node2']

/**
 * runPatch stopped by Ctrl-C (its signal aborted at a chosen event) against real Redis and
 * Sentinel. The node shell behaves as SSM Run Command through ssmNodeShell: the command is sent
 * and its id heard at once, its work (the node's Redis and Sentinel restarted) runs on whatever
 * the CLI does, and Ctrl-C ends only the wait for its end.
 */
describe('redis patch interrupted by Ctrl-C (runPatch, real Redis and Sentinel)', () => {
  let harness: RedisHarness
  let controller: AbortController
  let events: PatchEvent[]
  /** Instance ids sent a command, in order. */
  let sent: string[]
  /** The commands' work, running on after the CLI stopped waiting; each test waits for it before the next. */
  let work: Array<Promise<void>>
  /** Runs after a node's restart, before its command reports Success. */
  let afterRestart: (node: HarnessNode) => Promise<void>

  const connector = () => createRedisConnector({password: harness.password})
  const sentinels = () => harness.sentinelAddresses.map((address) => parseEndpoint(address, 'sentinel'))
  const nodeOf = (instanceId: string) => harness.nodes[IDS.indexOf(instanceId)]!
  const clientCalls = async (port: number, subcommand: 'pause' | 'unpause') => {
    const stats = parseInfo((await harness.client(port).call('INFO', 'commandstats')) as string)
    return Number(/calls=(\d+)/.exec(stats[`cmdstat_client|${subcommand}`] ?? '')?.[1] ?? 0)
  }
  const blockedClients = async () => Promise.all(harness.nodes.map(async (node) => Number(parseInfo((await harness.client(node.port).call('INFO', 'clients')) as string).blocked_clients)))

  const shell: NodeShell = {
    async run(instanceId, _commands, _comment, {signal, sent: heard} = {}) {
      sent.push(instanceId)
      const commandId = `cmd-${sent.length}`
      const node = nodeOf(instanceId)
      const sentinel = harness.sentinels[IDS.indexOf(instanceId)]!
      const restarting = (async () => {
        await harness.kill(node)
        await harness.kill(sentinel)
        await harness.restart(node)
        await harness.restart(sentinel)
        await afterRestart(node)
      })()
      work.push(restarting)
      heard?.(commandId)
      await new Promise<void>((resolve, reject) => {
        const stopWaiting = () => reject(new InterruptedError())
        if (signal?.aborted) return stopWaiting()
        signal?.addEventListener('abort', stopWaiting, {once: true})
        restarting.then(() => {
          signal?.removeEventListener('abort', stopWaiting)
          resolve()
        }, reject)
      })
      return {status: 'Success', output: 'Complete!', commandId}
    },
  }

  async function plan(): Promise<PatchPlan> {
    const status = await readRedisStatus(connector(), sentinels(), harness.masterName, DEFAULT_PATCH.limits)
    return planPatch(status, harness.nodes.map((node, index) => ({address: `127.0.0.1:${node.port}`, instanceId: IDS[index]!})), 'dnf upgrade -y --security redis6')
  }
  /** runPatch with Ctrl-C fired by `interruptAt` (called with each event). */
  const patch = (planned: PatchPlan, interruptAt: (event: PatchEvent) => boolean, clock: Clock = systemClock) =>
    runPatch(connector(), sentinels(), harness.masterName, shell, planned, {...DEFAULT_PATCH, resyncTimeoutMs: 30_000, signal: controller.signal}, (event) => {
      events.push(event)
      if (interruptAt(event)) controller.abort()
    }, clock)
  /** The clock's sleep, except that once `armed()` the first sleep fires Ctrl-C and never ends: a wait that still returns noticed Ctrl-C without it. */
  const sleepThatNeverEnds = (armed: () => boolean): Clock => ({
    now: () => new Date(),
    sleep(ms) {
      if (!armed()) return systemClock.sleep(ms)
      controller.abort()
      return new Promise(() => undefined)
    },
  })

  beforeAll(async () => {
    harness = await startRedisHarness()
  })
  afterAll(async () => {
    await harness?.stop()
  })
  beforeEach(async () => {
    await Promise.all(work ?? [])
    await harness.settled()
    controller = new AbortController()
    events = []
    sent = []
    work = []
    afterRestart = async () => undefined
  })

  it('Ctrl-C right after the first replica is patched: no second command, no failover; the result says what was not patched', async () => {
    const planned = await plan()
    const primary = await harness.masterPort()
    const pauses = await clientCalls(primary, 'pause')
    const result = await patch(planned, (event) => event.kind === 'patched')

    expect(sent).toEqual([planned.steps[0]!.instanceId])
    expect(result.patched).toEqual([expect.objectContaining({...planned.steps[0], commandId: 'cmd-1', inSync: true})])
    expect(result.interrupted).toEqual({notPatched: [planned.steps[1], planned.steps[2]]})
    expect(result.failover).toBeUndefined()
    expect(events.map((event) => event.kind)).toEqual(['patching', 'sent', 'waiting', 'patched', 'interrupted'])
    expect(events.at(-1)).toEqual({kind: 'interrupted'})
    expect(await harness.masterPort()).toBe(primary)
    expect(await clientCalls(primary, 'pause')).toBe(pauses)
  })

  it('Ctrl-C while writes are paused for the failover: it unwinds (writes released, the primary stays) and the old primary gets no command', async () => {
    const planned = await plan()
    const primary = await harness.masterPort()
    const unpauses = await clientCalls(primary, 'unpause')
    const result = await patch(planned, (event) => event.kind === 'failover' && event.event.kind === 'paused')

    expect(sent).toEqual([planned.steps[0]!.instanceId, planned.steps[1]!.instanceId])
    expect(result.patched.map((node) => [node.instanceId, node.inSync])).toEqual([[planned.steps[0]!.instanceId, true], [planned.steps[1]!.instanceId, true]])
    expect(result.failover?.interrupted).toEqual({outcome: 'unwound', skipped: []})
    expect(result.failover?.newPrimary).toBeUndefined()
    expect(result.interrupted).toEqual({notPatched: [planned.steps[2]]})
    // The failover says itself how it ends; the patch adds no Ctrl-C line of its own.
    const failoverKinds = events.flatMap((event) => (event.kind === 'failover' ? [event.event.kind] : []))
    expect(failoverKinds).toEqual(['paused', 'interrupted', 'released'])
    expect(events.filter((event) => event.kind === 'interrupted')).toEqual([])
    expect(events.find((event) => event.kind === 'failover' && event.event.kind === 'interrupted')).toEqual({kind: 'failover', event: {kind: 'interrupted', then: 'unwind'}})

    expect(await harness.masterPort()).toBe(primary)
    expect(await clientCalls(primary, 'unpause')).toBe(unpauses + 1)
    expect(await blockedClients()).toEqual([0, 0, 0])
    expect(await harness.client(primary).set('fintech:after-patch-unwind', '1')).toBe('OK')
  })

  it('Ctrl-C once a command is sent: it runs on, not waited for, named with its id; nothing else is sent', async () => {
    const planned = await plan()
    const primary = await harness.masterPort()
    const result = await patch(planned, (event) => event.kind === 'sent')
    let restarted = false
    void work[0]!.then(() => (restarted = true))
    await Promise.resolve()

    // The CLI is back before the node's restart ended: it did not wait for the command.
    expect(restarted).toBe(false)
    expect(sent).toEqual([planned.steps[0]!.instanceId])
    expect(result.patched).toEqual([])
    expect(result.interrupted).toEqual({running: {...planned.steps[0], commandId: 'cmd-1'}, notPatched: [planned.steps[1], planned.steps[2]]})
    expect(result.failover).toBeUndefined()
    expect(events.map((event) => event.kind)).toEqual(['patching', 'sent', 'interrupted'])
    expect(events.at(-1)).toEqual({kind: 'interrupted', during: {doing: 'running', step: planned.steps[0], commandId: 'cmd-1'}})
    await work[0]
    expect(await harness.masterPort()).toBe(primary)
  })

  it('Ctrl-C while a patched node resyncs ends that wait at once, without waiting out its poll', async () => {
    const planned = await plan()
    const stale = planned.steps[0]!
    // The node comes back from its command with its link down, so the wait for it polls.
    afterRestart = async (node) => harness.breakLink(node.port)
    try {
      const result = await patch(planned, () => false, sleepThatNeverEnds(() => events.some((event) => event.kind === 'waiting')))

      expect(sent).toEqual([stale.instanceId])
      expect(result.patched).toEqual([{...stale, commandId: 'cmd-1', output: 'Complete!', inSync: false}])
      expect(result.interrupted).toEqual({notPatched: [planned.steps[1], planned.steps[2]]})
      expect(events.map((event) => event.kind)).toEqual(['patching', 'sent', 'waiting', 'interrupted'])
      expect(events.at(-1)).toEqual({kind: 'interrupted', during: {doing: 'resyncing', step: stale}})
    } finally {
      await Promise.all(work)
      await harness.healLink(nodeOf(stale.instanceId).port)
    }
  })

  it('Ctrl-C while waiting for the tier to be healthy before the first node: that wait ends at once and nothing is sent', async () => {
    const planned = await plan()
    const replica = nodeOf(planned.steps[1]!.instanceId)
    await harness.breakLink(replica.port)
    try {
      const result = await patch(planned, () => false, sleepThatNeverEnds(() => true))

      expect(sent).toEqual([])
      expect(result.patched).toEqual([])
      expect(result.interrupted).toEqual({notPatched: planned.steps})
      expect(events).toEqual([{kind: 'interrupted', during: {doing: 'waiting-for-tier', step: planned.steps[0]}}])
    } finally {
      await harness.healLink(replica.port)
    }
  })
})
