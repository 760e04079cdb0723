import {DescribeStacksCommand} from '@aws-sdk/client-cloudformation'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {createRedisConnector} from '../../src/cli/redis-connector.js'
import RedisFailover from '../../src/commands/redis/failover.js'
import {loadConfig} from '../../src/core/config/load.js'
import {parseEndpoint, type RedisConnector} from '../../src/core/redis/api.js'
import {CATCH_UP_LIMIT_MS, DEFAULT_FAILOVER, FailoverError, runFailover} from '../../src/core/redis/failover.js'
import {redisMasterStack} from '../../src/core/redis/api.js'
import {cfn, resetAws, stack} from '../helpers/aws-mocks.js'
import {parseInfo, startRedisHarness, type RedisHarness} from '../helpers/redis-harness.js'
import {runCli} from '../helpers/run-cli.js'

const config = loadConfig('fintech.config.yaml').config

describe('fintech redis failover refusals (real Redis and Sentinel)', () => {
  let harness: RedisHarness
  beforeAll(async () => {
    harness = await startRedisHarness()
  })
  afterAll(async () => {
    delete process.env.REDISCLI_AUTH
    await harness?.stop()
  })
  beforeEach(() => {
    process.env.REDISCLI_AUTH = harness.password
  })

  /** How often the primary ran `CLIENT <subcommand>` (INFO commandstats). */
  const clientCalls = async (port: number, subcommand: 'pause' | 'unpause') => {
    const stats = parseInfo((await harness.client(port).call('INFO', 'commandstats')) as string)
    return Number(/calls=(\d+)/.exec(stats[`cmdstat_client|${subcommand}`] ?? '')?.[1] ?? 0)
  }

  it('prod without --yes and no terminal: exit 2, writes never paused, no failover', async () => {
    const audit = resetAws('333333333333')
    cfn.on(DescribeStacksCommand).resolves(
      stack(redisMasterStack(config, 'prod')!, 'UPDATE_COMPLETE', {
        Outputs: [
          {OutputKey: 'RedisMasterName', OutputValue: harness.masterName},
          {OutputKey: 'RedisSentinelAddresses', OutputValue: harness.sentinelAddresses.join(',')},
          {OutputKey: 'RedisNodeAddresses', OutputValue: harness.nodes.map((node) => `127.0.0.1:${node.port}`).join(',')},
        ],
      }),
    )
    const primary = await harness.masterPort()
    const pausesBefore = await clientCalls(primary, 'pause')
    const run = await runCli(RedisFailover, ['--env', 'prod'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('failover of fintech-ledger in prod not approved: needs approval (prod is protected')
    expect(run.stderr).toContain('there is no terminal to ask: review with --dry-run, then re-run with --yes; nothing was changed')
    expect(await clientCalls(primary, 'pause')).toBe(pausesBefore)
    expect(await harness.masterPort()).toBe(primary)
    expect(audit.auditLines()).toEqual([])
  })

  it('a candidate that has not caught up half a second after the pause: abandoned, writes released, nothing moved', async () => {
    const primary = await harness.masterPort()
    const unpausesBefore = await clientCalls(primary, 'unpause')
    const real = createRedisConnector({password: harness.password})
    let paused = false
    // Once writes are paused, every replica reports its link down, so none reaches the primary's offset.
    const stuck: RedisConnector = {
      async connect(endpoint) {
        const connection = await real.connect(endpoint)
        const isReplica = endpoint.port !== primary && !harness.sentinels.some((sentinel) => sentinel.port === endpoint.port)
        return {
          call: async (command, ...args) => {
            const answer = await connection.call(command, ...args)
            return paused && isReplica && command === 'INFO' ? String(answer).replace('master_link_status:up', 'master_link_status:down') : answer
          },
          close: () => connection.close(),
        }
      },
    }
    const events: string[] = []
    const error = await runFailover(stuck, harness.sentinelAddresses.map((address) => parseEndpoint(address, 'sentinel')), harness.masterName, DEFAULT_FAILOVER, (event) => {
      events.push(event.kind)
      if (event.kind === 'paused') paused = true
    }).then(() => undefined, (failure: unknown) => failure as FailoverError)
    expect(error?.message).toBe(`timed out after ${CATCH_UP_LIMIT_MS / 1000} s waiting for every candidate replica to reach the primary's offset`)
    expect(events).toEqual(['paused', 'released'])
    expect(await clientCalls(primary, 'unpause')).toBe(unpausesBefore + 1)
    expect(await harness.masterPort()).toBe(primary)
  })

  describe('Sentinel refusing SENTINEL FAILOVER', () => {
    /** The real tier, except that SENTINEL FAILOVER gets `reply` as Sentinel's error (its exact wording). */
    const refusing = (reply: string): RedisConnector => {
      const real = createRedisConnector({password: harness.password})
      return {
        async connect(endpoint) {
          const connection = await real.connect(endpoint)
          return {
            call: (command, ...args) => (command === 'SENTINEL' && String(args[0]).toUpperCase() === 'FAILOVER' ? Promise.reject(new Error(reply)) : connection.call(command, ...args)),
            close: () => connection.close(),
          }
        },
      }
    }
    const attempt = async (reply: string) => {
      const primary = await harness.masterPort()
      const unpausesBefore = await clientCalls(primary, 'unpause')
      const error = await runFailover(refusing(reply), harness.sentinelAddresses.map((address) => parseEndpoint(address, 'sentinel')), harness.masterName, DEFAULT_FAILOVER).then(
        () => undefined,
        (failure: unknown) => failure,
      )
      expect(error).toBeInstanceOf(FailoverError)
      // The pause was released on the way out, and nothing moved.
      expect(await clientCalls(primary, 'unpause')).toBe(unpausesBefore + 1)
      expect(await harness.client(primary).set('fintech:refusal-test', '1')).toBe('OK')
      expect(await harness.masterPort()).toBe(primary)
      return error as FailoverError
    }

    it('INPROG becomes "a failover is already in progress"', async () => {
      const error = await attempt('INPROG Failover already in progress')
      expect(error.message).toBe('Sentinel refused: a failover is already in progress (INPROG Failover already in progress)')
      expect(error.hint).toBe('wait for it to finish, then check fintech redis status')
      expect(error.exitCode).toBe(1)
    })

    it('NOGOODSLAVE becomes "no replica it may promote"', async () => {
      const error = await attempt('NOGOODSLAVE No suitable replica to promote')
      expect(error.message).toBe('Sentinel refused: no replica it may promote (NOGOODSLAVE No suitable replica to promote)')
      expect(error.hint).toContain('replica-priority above 0')
    })
  })
})
