/**
 * The shipped redis-failover runbook's failover step under Ctrl-C, against real Redis and
 * Sentinel: `fintech runbook run` as the on-call engineer types it (STS and the data stack's
 * outputs mocked), and the runbook's Redis adapter on its own.
 */
import {DescribeStacksCommand} from '@aws-sdk/client-cloudformation'
import {Redis} from 'ioredis'
import {mkdtempSync, readdirSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, beforeEach, describe, expect, it, vi} from 'vitest'
import {runbookRedis} from '../../src/cli/runbook-run.js'
import RunbookRun from '../../src/commands/runbook/run.js'
import {loadConfig} from '../../src/core/config/load.js'
import {InterruptedError} from '../../src/core/clock.js'
import {redisMasterStack} from '../../src/core/redis/api.js'
import {cfn, resetAws, stack} from '../helpers/aws-mocks.js'
import {parseInfo, startRedisHarness, type RedisHarness} from '../helpers/redis-harness.js'
import {runCli} from '../helpers/run-cli.js'

const config = loadConfig('fintech.config.yaml').config

describe('the redis-failover runbook interrupted by Ctrl-C in its failover step (real Redis and Sentinel)', () => {
  let harness: RedisHarness
  let audit: ReturnType<typeof resetAws>
  let runsDir: string

  const roles = async () => Promise.all(harness.nodes.map(async (node) => ((await harness.client(node.port).call('ROLE')) as unknown[])[0]))
  const blockedClients = async () => Promise.all(harness.nodes.map(async (node) => Number(parseInfo((await harness.client(node.port).call('INFO', 'clients')) as string).blocked_clients)))
  const pauses = async (port: number) => Number(/calls=(\d+)/.exec(parseInfo((await harness.client(port).call('INFO', 'commandstats')) as string)['cmdstat_client|pause'] ?? '')?.[1] ?? 0)
  const savedRun = () => {
    const [file] = readdirSync(runsDir).filter((name) => name.endsWith('.json'))
    return JSON.parse(readFileSync(join(runsDir, file!), 'utf8'))
  }

  beforeAll(async () => {
    harness = await startRedisHarness()
  })
  afterAll(async () => {
    delete process.env.REDISCLI_AUTH
    delete process.env.FINTECH_RUNS_DIR
    await harness?.stop()
  })
  beforeEach(async () => {
    // A failover finished by Ctrl-C skipped its checks: the tier may still be settling.
    await harness.settled()
    audit = resetAws()
    runsDir = mkdtempSync(join(tmpdir(), 'fintech-runs-'))
    process.env.FINTECH_RUNS_DIR = runsDir
    process.env.REDISCLI_AUTH = harness.password
    cfn.on(DescribeStacksCommand).resolves(
      stack(redisMasterStack(config, 'dev')!, 'UPDATE_COMPLETE', {
        Outputs: [
          {OutputKey: 'RedisMasterName', OutputValue: harness.masterName},
          {OutputKey: 'RedisSentinelAddresses', OutputValue: harness.sentinelAddresses.join(',')},
          {OutputKey: 'RedisNodeAddresses', OutputValue: harness.nodes.map((node) => `127.0.0.1:${node.port}`).join(',')},
        ],
      }),
    )
  })

  it('Ctrl-C right after SENTINEL FAILOVER: the failover is finished (one master, writes released), the step ends interrupted saying so, the status step after it does not run, exit 130', async () => {
    const before = await harness.masterPort()
    // A Sentinel publishes +try-failover before it answers SENTINEL FAILOVER.
    const subscribers = harness.sentinels.map((sentinel) => new Redis({port: sentinel.port, host: '127.0.0.1', password: harness.password}))
    try {
      await Promise.all(subscribers.map((subscriber) => subscriber.subscribe('+try-failover')))
      let interrupted = false
      for (const subscriber of subscribers) {
        subscriber.on('message', () => {
          if (interrupted) return
          interrupted = true
          process.emit('SIGINT')
        })
      }
      const run = await runCli(RunbookRun, ['redis-failover', '--env', 'dev', '--yes', '--param', 'maxLagBytes=1048576'])

      expect(run.exitCode, run.stderr).toBe(130)
      const after = await harness.masterPort()
      expect(after).not.toBe(before)
      expect(await roles()).toEqual(harness.nodes.map((node) => (node.port === after ? 'master' : 'slave')))
      expect(await blockedClients()).toEqual([0, 0, 0])
      expect(await harness.client(after).set('fintech:after-runbook-interrupt', '1')).toBe('OK')

      const finished = `interrupted after SENTINEL FAILOVER: finished; 127.0.0.1:${before} -> 127.0.0.1:${after}; writes paused `
      const state = savedRun()
      expect(state).toMatchObject({status: 'interrupted', next: 'failover'})
      expect(state.steps.before.status).toBe('succeeded')
      expect(state.steps.failover).toMatchObject({status: 'running', detail: expect.stringContaining(finished)})
      expect(state.steps.after).toBeUndefined()
      expect(run.stdout).toContain(`\n  … failover  ${finished}`)
      expect(run.stdout).toContain(`resume at failover: fintech runbook resume ${state.id}`)
      expect(audit.auditLines().filter((line) => line.action === 'runbook redis-failover step failover').map((line) => [line.result, line.detail])).toEqual([
        ['in-progress', 'fintech redis failover {"maxLagBytes":1048576}'],
        ['in-progress', expect.stringContaining(`fintech redis failover {"maxLagBytes":1048576}: ${finished}`)],
      ])
    } finally {
      for (const subscriber of subscribers) subscriber.disconnect()
    }
  })

  it('says whose writes a failover step holds paused while it does, so a second Ctrl-C does not leave them paused', async () => {
    const primary = await harness.masterPort()
    const pausesBefore = await pauses(primary)
    const redis = runbookRedis({config: 'fintech.config.yaml', env: 'dev'}, () => loadConfig('fintech.config.yaml'))
    try {
      expect(redis.writesPausedOn()).toBeUndefined()
      const running = redis.run('failover', {maxLagBytes: 1_048_576}, {})
      // Once CLIENT PAUSE has run on the primary, the step must say so; writes stay paused through the promotion (about a second).
      await vi.waitFor(async () => expect(await pauses(primary)).toBeGreaterThan(pausesBefore), {timeout: 20_000, interval: 10})
      await vi.waitFor(() => expect(redis.writesPausedOn()).toBe(`127.0.0.1:${primary}`), {timeout: 1_000, interval: 5})
      await running
      expect(redis.writesPausedOn()).toBeUndefined()
    } finally {
      redis.close()
    }
  })

  it('the runbook\'s failover hears Ctrl-C while it waits for a replica to be in sync: unwound, writes never paused, rejected as interrupted saying so', async () => {
    const primary = await harness.masterPort()
    const held = harness.nodes.find((node) => node.port !== primary)!
    // replica-priority 0 leaves the tier healthy but the replica not a candidate: the failover waits for it (60 s).
    await harness.client(held.port).call('CONFIG', 'SET', 'replica-priority', '0')
    const monitor = await new Redis({port: held.port, host: '127.0.0.1', password: harness.password}).monitor()
    const redis = runbookRedis({config: 'fintech.config.yaml', env: 'dev'}, () => loadConfig('fintech.config.yaml'))
    try {
      const controller = new AbortController()
      monitor.on('monitor', (_time: string, command: string[]) => {
        if (command.join(' ').toLowerCase() === 'info all') controller.abort()
      })
      const pausesBefore = await pauses(primary)
      const failing = redis.run('failover', {maxLagBytes: 1_048_576}, {signal: controller.signal})

      await expect(failing).rejects.toBeInstanceOf(InterruptedError)
      await expect(failing).rejects.toMatchObject({detail: `interrupted before SENTINEL FAILOVER: unwound; 127.0.0.1:${primary} is still the primary; writes never paused`})
      expect(await harness.masterPort()).toBe(primary)
      expect(await pauses(primary)).toBe(pausesBefore)
    } finally {
      redis.close()
      monitor.disconnect()
      await harness.client(held.port).call('CONFIG', 'SET', 'replica-priority', '100')
    }
  })
})
