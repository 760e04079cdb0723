import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Redis} from 'ioredis'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {createRedisConnector} from '../../src/cli/redis-connector.js'
import {withFailoverInterrupt} from '../../src/cli/redis.js'
import RedisFailover from '../../src/commands/redis/failover.js'
import {parseEndpoint} from '../../src/core/redis/api.js'
import {DEFAULT_FAILOVER, runFailover, type FailoverEvent} from '../../src/core/redis/failover.js'
import {startCli} from '../helpers/redis-cli-process.js'
import {parseInfo, startRedisHarness, waitFor, type RedisHarness} from '../helpers/redis-harness.js'
import {startWriter} from '../helpers/redis-writer.js'
import {runCli} from '../helpers/run-cli.js'

describe('fintech redis failover interrupted by Ctrl-C (real Redis and Sentinel)', () => {
  let harness: RedisHarness
  let auditFile: string
  const args = () => [...harness.sentinelAddresses.flatMap((address) => ['--sentinel', address]), '--master-name', harness.masterName]
  const audit = () => readFileSync(auditFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line)).filter((line) => line.action === 'redis failover')

  beforeAll(async () => {
    harness = await startRedisHarness()
    auditFile = join(mkdtempSync(join(tmpdir(), 'fintech-audit-')), 'audit.jsonl')
  })
  afterAll(async () => {
    delete process.env.REDISCLI_AUTH
    delete process.env.FINTECH_AUDIT_LOG
    await harness?.stop()
  })
  beforeEach(async () => {
    process.env.REDISCLI_AUTH = harness.password
    process.env.FINTECH_AUDIT_LOG = auditFile
    // A test that skipped the checks after its failover leaves the tier settling.
    await harness.settled()
  })

  const roles = async () => Promise.all(harness.nodes.map(async (node) => ((await harness.client(node.port).call('ROLE')) as unknown[])[0]))
  /** Clients blocked on each node: a write waiting on CLIENT PAUSE shows here. */
  const blockedClients = async () => Promise.all(harness.nodes.map(async (node) => Number(parseInfo((await harness.client(node.port).call('INFO', 'clients')) as string).blocked_clients)))
  const clientCalls = async (port: number, subcommand: 'pause' | 'unpause') => {
    const stats = parseInfo((await harness.client(port).call('INFO', 'commandstats')) as string)
    return Number(/calls=(\d+)/.exec(stats[`cmdstat_client|${subcommand}`] ?? '')?.[1] ?? 0)
  }
  async function missingOnPrimary(keys: string[]): Promise<string[]> {
    const primary = harness.client(await harness.masterPort())
    const missing: string[] = []
    for (let index = 0; index < keys.length; index += 500) {
      const slice = keys.slice(index, index + 500)
      const values = await primary.mget(...slice)
      slice.forEach((key, at) => values[at] !== key && missing.push(key))
    }
    return missing
  }
  /** Resolves when a Sentinel accepts SENTINEL FAILOVER: it publishes +try-failover before it answers. */
  async function failoverAccepted(): Promise<{accepted: Promise<void>; close(): void}> {
    const subscribers = harness.sentinels.map((sentinel) => new Redis({port: sentinel.port, host: '127.0.0.1', password: harness.password}))
    await Promise.all(subscribers.map((subscriber) => subscriber.subscribe('+try-failover')))
    const accepted = new Promise<void>((resolve) => subscribers.forEach((subscriber) => subscriber.on('message', () => resolve())))
    return {accepted, close: () => subscribers.forEach((subscriber) => subscriber.disconnect())}
  }

  it('a real SIGINT right after SENTINEL FAILOVER: finished, one master, writes released with the promotion, not at the pause budget, no acknowledged write lost, exit 130, audited', async () => {
    const writer = startWriter(harness, 'sigint')
    await waitFor('the writer to get going', async () => writer.acknowledgedSoFar() > 50)
    const before = await harness.masterPort()
    const watch = await failoverAccepted()
    const cli = startCli(['redis', 'failover', ...args(), '--json'], {REDISCLI_AUTH: harness.password, FINTECH_AUDIT_LOG: auditFile})
    await watch.accepted
    cli.kill('SIGINT')
    const run = await cli.exited
    watch.close()

    expect(run.signal, run.stderr).toBeNull()
    expect(run.exitCode, run.stderr).toBe(130)
    expect(run.stderr).toContain('Ctrl-C: SENTINEL FAILOVER was sent and cannot be taken back, so the failover is finished')
    const result = JSON.parse(run.stdout)
    const after = await harness.masterPort()
    expect(result).toMatchObject({oldPrimary: `127.0.0.1:${before}`, newPrimary: `127.0.0.1:${after}`})
    expect(result.interrupted).toEqual({
      outcome: 'finished',
      skipped: [`the new primary 127.0.0.1:${after} to accept a write`, `the old primary 127.0.0.1:${before} to resync as a replica of 127.0.0.1:${after}`, 'every Sentinel to finish the failover'],
    })
    // While the writer goes on writing: nobody waits on a pause, and only the promoted node says master.
    expect(await blockedClients()).toEqual([0, 0, 0])
    expect(await roles()).toEqual(harness.nodes.map((node) => (node.port === after ? 'master' : 'slave')))
    expect(await harness.client(after).set('fintech:after-interrupt', '1')).toBe('OK')
    const count = writer.acknowledgedSoFar()
    await waitFor('the writer to write on', async () => writer.acknowledgedSoFar() > count + 20)
    const {acknowledged, longestGapMs} = await writer.stop()
    expect(await missingOnPrimary(acknowledged)).toEqual([])
    // The writer waited for Sentinel's promotion, not for the 20 s pause budget the interrupt
    // could have left on the old primary. The margin is wide because a loaded test machine
    // stretches wall-clock time; `npm run bench` (section 7) holds the release to a second.
    expect(result.writePauseMs).toBeLessThanOrEqual(result.promotionMs + DEFAULT_FAILOVER.pauseBudgetMs / 4)
    expect(longestGapMs).toBeLessThanOrEqual(result.promotionMs + DEFAULT_FAILOVER.pauseBudgetMs / 4)

    expect(audit().at(-1)).toMatchObject({result: 'ok', detail: expect.stringContaining(`interrupted after SENTINEL FAILOVER: finished; 127.0.0.1:${before} -> 127.0.0.1:${after}`)})
  })

  it('Ctrl-C once writes are paused, before SENTINEL FAILOVER: unwound; writes released, the left-out replica\'s priority back, the primary stays', async () => {
    const primaryPort = await harness.masterPort()
    const stale = harness.nodes.find((node) => node.port !== primaryPort)!
    await harness.breakLink(stale.port)
    try {
      const writer = startWriter(harness, 'unwind')
      await waitFor('the writer to get going', async () => writer.acknowledgedSoFar() > 50)
      const unpauses = await clientCalls(primaryPort, 'unpause')
      const controller = new AbortController()
      const events: FailoverEvent[] = []
      const result = await runFailover(
        createRedisConnector({password: harness.password}),
        harness.sentinelAddresses.map((address) => parseEndpoint(address, 'sentinel')),
        harness.masterName,
        {...DEFAULT_FAILOVER, syncTimeoutMs: 0, signal: controller.signal},
        (event) => {
          events.push(event)
          if (event.kind === 'paused') controller.abort()
        },
      )
      expect(result.interrupted).toEqual({outcome: 'unwound', skipped: []})
      expect(result.newPrimary).toBeUndefined()
      expect(events.map((event) => event.kind)).toEqual(['waiting-for-sync', 'excluded', 'paused', 'interrupted', 'released'])
      expect(events[3]).toEqual({kind: 'interrupted', then: 'unwind'})
      expect(events[4]).toEqual({kind: 'released', primary: `127.0.0.1:${primaryPort}`, pausedMs: result.writePauseMs})

      expect(await harness.masterPort()).toBe(primaryPort)
      expect(await roles()).toEqual(harness.nodes.map((node) => (node.port === primaryPort ? 'master' : 'slave')))
      expect(await clientCalls(primaryPort, 'unpause')).toBe(unpauses + 1)
      expect(await blockedClients()).toEqual([0, 0, 0])
      expect(await harness.client(primaryPort).set('fintech:after-unwind', '1')).toBe('OK')
      expect(await harness.client(stale.port).call('CONFIG', 'GET', 'replica-priority')).toEqual(['replica-priority', '100'])
      const {acknowledged, longestGapMs} = await writer.stop()
      expect(await missingOnPrimary(acknowledged)).toEqual([])
      expect(longestGapMs).toBeLessThanOrEqual(result.writePauseMs! + DEFAULT_FAILOVER.pauseBudgetMs / 4)
    } finally {
      await harness.healLink(stale.port)
    }
  })

  it('Ctrl-C while waiting for a lagging replica: the command says unwound, nothing changed, exit 130, audited as no-changes', async () => {
    const primaryPort = await harness.masterPort()
    const stale = harness.nodes.find((node) => node.port !== primaryPort)!
    await harness.breakLink(stale.port)
    const monitor = await new Redis({port: stale.port, host: '127.0.0.1', password: harness.password}).monitor()
    try {
      // The command reads the stale replica's INFO once for the dry-run pre-checks, once for the real
      // ones, then on every round of its wait for the replica to resync: Ctrl-C on the first round.
      let reads = 0
      monitor.on('monitor', (_time: string, command: string[]) => {
        if (command.join(' ').toLowerCase() === 'info all' && ++reads === 3) process.emit('SIGINT')
      })
      const pauses = await clientCalls(primaryPort, 'pause')
      const run = await runCli(RedisFailover, [...args(), '--sync-timeout', '60'])
      expect(run.exitCode, run.stderr).toBe(130)
      expect(run.stderr).toContain(`waiting for 127.0.0.1:${stale.port} to be in sync`)
      expect(run.stderr).toContain('Ctrl-C: SENTINEL FAILOVER was not sent yet, so the failover unwinds')
      expect(run.stdout).toContain(`Interrupted before SENTINEL FAILOVER: unwound. 127.0.0.1:${primaryPort} is still the primary; writes were never paused.`)
      expect(await clientCalls(primaryPort, 'pause')).toBe(pauses)
      expect(await harness.masterPort()).toBe(primaryPort)
      expect(await harness.client(stale.port).call('CONFIG', 'GET', 'replica-priority')).toEqual(['replica-priority', '100'])
      expect(audit().at(-1)).toMatchObject({result: 'no-changes', detail: `interrupted before SENTINEL FAILOVER: unwound; 127.0.0.1:${primaryPort} is still the primary; writes never paused`})
      expect(process.listenerCount('SIGINT')).toBe(0)
    } finally {
      monitor.disconnect()
      await harness.healLink(stale.port)
    }
  })
})

describe('Ctrl-C around a failover (withFailoverInterrupt)', () => {
  it('the first Ctrl-C aborts; another while writes are paused only says so; once they are released, the next one exits', async () => {
    const listeners = process.listenerCount('SIGINT')
    const notes: string[] = []
    let exits = 0
    let control!: {signal: AbortSignal; observe: (event: FailoverEvent) => void}
    let finish!: () => void
    const running = withFailoverInterrupt(
      async (given) => {
        control = given
        await new Promise<void>((resolve) => (finish = resolve))
        return 'reported'
      },
      {pauseBudgetMs: 20_000, note: (text) => notes.push(text), exitNow: () => exits++},
    )
    control.observe({kind: 'paused', primary: '10.0.3.10:6379'})
    process.emit('SIGINT')
    expect(control.signal.aborted).toBe(true)
    process.emit('SIGINT')
    expect(notes).toEqual(['writes on 10.0.3.10:6379 are still paused; the CLI releases them as soon as the failover allows (Ctrl-\\ quits now and leaves them paused for up to 20 s)'])
    expect(exits).toBe(0)
    control.observe({kind: 'unpaused', pausedMs: 1200})
    process.emit('SIGINT')
    expect(exits).toBe(1)
    finish()
    expect(await running).toBe('reported')
    expect(process.listenerCount('SIGINT')).toBe(listeners)
  })
})
