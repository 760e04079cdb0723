import {describe, expect, it} from 'vitest'
import {InstanceBatchError} from '../../src/core/shutdown/api.js'
import {sendInBatches} from '../../src/core/shutdown/batch.js'
import {keepAwakeReason} from '../../src/core/shutdown/eligibility.js'
import {executeShutdown, type ShutdownRequest} from '../../src/core/shutdown/execute.js'
import {acquireLock, LockHeldError} from '../../src/core/shutdown/lock.js'
import {lockKey, manifestKey, parseManifest} from '../../src/core/shutdown/manifest.js'
import {openManifest} from '../../src/core/shutdown/manifests.js'
import {ENV_TAGS, fakeAccount, fakeClock, instance, PROD_TAGS, type FakeAccount} from '../helpers/fake-account.js'
import {FileError} from '../../src/core/errors.js'

const CLUSTER = 'arn:aws:ecs:eu-west-1:111111111111:cluster/fintech-dev'
const SERVICE = 'arn:aws:ecs:eu-west-1:111111111111:service/fintech-dev/ledger'

function request(account: FakeAccount, action: 'stop' | 'start', clock = fakeClock(), extra: Partial<ShutdownRequest> = {}): ShutdownRequest & {progressLines: string[]; auditLines: unknown[]} {
  const progressLines: string[] = []
  const auditLines: unknown[] = []
  return {
    action,
    apis: account.apis,
    clock,
    audit: {record: (entry) => auditLines.push(entry)},
    runId: `run-${action}`,
    by: 'arn:aws:sts::111111111111:assumed-role/platform/alice',
    polling: {initialMs: 1000, maxMs: 10_000},
    waitMinutes: {aurora: 30, redis: 15, ledger: 15},
    progress: (line) => progressLines.push(line),
    scope: {env: 'dev', stackNames: ['fintech-dev-data'], protectedEnvs: ['prod']},
    account: '111111111111',
    region: 'eu-west-1',
    night: '2026-11-20',
    dryRun: false,
    lockTtlMinutes: 120,
    progressLines,
    auditLines,
    ...extra,
  }
}

/** The platform in small: ledger service with scaling, two Redis nodes, an Aurora cluster. */
function platform(): FakeAccount {
  const account = fakeAccount()
  account.services.set(SERVICE, {arn: SERVICE, name: 'ledger', clusterArn: CLUSTER, status: 'ACTIVE', desiredCount: 3, runningCount: 3, deployments: 1, taskDefinition: 'ledger:7', tags: ENV_TAGS})
  account.targets.set('service/fintech-dev/ledger', {resourceId: 'service/fintech-dev/ledger', min: 2, max: 6, suspended: {dynamicScalingIn: false, dynamicScalingOut: false, scheduled: false}})
  for (const id of ['i-redis1', 'i-redis2']) account.instances.set(id, instance(id, 'running', {...ENV_TAGS, 'fintech:redis-seed': 'self'}, {instanceType: 'r7g.large'}))
  account.clusters.set('ledger', {id: 'ledger', arn: 'arn:aws:rds:eu-west-1:111111111111:cluster:ledger', status: 'available', engine: 'aurora-postgresql', tags: ENV_TAGS, memberClasses: ['db.r6g.large', 'db.r6g.large']})
  return account
}

describe('sendInBatches', () => {
  it('sends one call per 50 instances', async () => {
    const calls: string[][] = []
    const ids = Array.from({length: 120}, (_, index) => `i-${index}`)
    const outcome = await sendInBatches(ids, async (batch) => void calls.push(batch))
    expect(calls.map((batch) => batch.length)).toEqual([50, 50, 20])
    expect(outcome.succeeded).toHaveLength(120)
  })

  it('retries a refused batch without the instances the error names', async () => {
    const calls: string[][] = []
    const ids = ['i-1', 'i-2', 'i-3']
    const outcome = await sendInBatches(ids, async (batch) => {
      calls.push(batch)
      if (batch.includes('i-2')) throw new InstanceBatchError("The instance ID 'i-2' does not exist", 'InvalidInstanceID.NotFound', ['i-2'])
    })
    expect(calls).toEqual([['i-1', 'i-2', 'i-3'], ['i-1', 'i-3']])
    expect(outcome.succeeded).toEqual(['i-1', 'i-3'])
    expect(outcome.failed).toEqual(new Map([['i-2', "InvalidInstanceID.NotFound: The instance ID 'i-2' does not exist"]]))
  })

  it('halves a refused batch whose error names no instance, until the bad one is alone', async () => {
    const calls: string[][] = []
    const ids = Array.from({length: 8}, (_, index) => `i-${index}`)
    const outcome = await sendInBatches(ids, async (batch) => {
      calls.push(batch)
      if (batch.includes('i-5')) throw new InstanceBatchError('Insufficient capacity.', 'InsufficientInstanceCapacity', [])
    })
    expect(outcome.succeeded.sort()).toEqual(['i-0', 'i-1', 'i-2', 'i-3', 'i-4', 'i-6', 'i-7'])
    expect([...outcome.failed.keys()]).toEqual(['i-5'])
    // 8 refused → 0-3 sent, 4-7 refused → 4-5 refused → 4 sent, 5 alone refused → 6-7 sent: seven calls, one failure.
    expect(calls.map((batch) => batch.length)).toEqual([8, 4, 4, 2, 1, 1, 2])
  })

  it('fails the whole batch, without halving, on an error that is not a refusal (e.g. throttling after retries)', async () => {
    const outcome = await sendInBatches(['i-1', 'i-2'], async () => {
      throw Object.assign(new Error('Rate exceeded'), {name: 'ThrottlingException'})
    })
    expect(outcome.failed).toEqual(new Map([['i-1', 'Rate exceeded'], ['i-2', 'Rate exceeded']]))
  })
})

describe('keep-awake tag', () => {
  const now = new Date('2026-11-20T20:00:00Z')
  it('keeps a resource awake without expiry, or through the date given', () => {
    expect(keepAwakeReason('true', now)).toBe('fintech:keep-awake=true')
    expect(keepAwakeReason('2026-11-20', now)).toBe('fintech:keep-awake until 2026-11-20')
    expect(keepAwakeReason('2026-11-19', now)).toBeUndefined()
    expect(keepAwakeReason('false', now)).toBeUndefined()
    expect(keepAwakeReason(undefined, now)).toBeUndefined()
  })
})

describe('stop', () => {
  it('records every prior state in the manifest before the first change, then stops ledger, Redis, Aurora in that order', async () => {
    const account = platform()
    const manifestAtFirstChange: string[] = []
    const setDesired = account.apis.ecs.setDesiredCount
    account.apis.ecs.setDesiredCount = async (...args) => {
      manifestAtFirstChange.push(account.objects.get(manifestKey('dev', '2026-11-20'))?.body ?? 'missing')
      return setDesired(...args)
    }
    const run = request(account, 'stop')
    const outcome = await executeShutdown(run)

    const written = JSON.parse(manifestAtFirstChange[0]!)
    expect(written.status).toBe('stopping')
    expect(written.resources.find((entry: {id: string}) => entry.id === SERVICE).prior).toEqual({
      desiredCount: 3,
      scaling: {resourceId: 'service/fintech-dev/ledger', min: 2, max: 6, suspended: {dynamicScalingIn: false, dynamicScalingOut: false, scheduled: false}},
    })
    expect(account.calls.map((call) => call.op)).toEqual(['RegisterScalableTarget', 'UpdateService', 'StopInstances', 'StopDBCluster'])
    expect(account.targets.get('service/fintech-dev/ledger')).toEqual({
      resourceId: 'service/fintech-dev/ledger',
      min: 0,
      max: 6,
      suspended: {dynamicScalingIn: true, dynamicScalingOut: true, scheduled: true},
    })
    expect(outcome.results.map((result) => [result.id, result.result])).toEqual([
      [SERVICE, 'done'],
      ['i-redis1', 'done'],
      ['i-redis2', 'done'],
      ['ledger', 'done'],
    ])
    expect(JSON.parse(account.objects.get(manifestKey('dev', '2026-11-20'))!.body).status).toBe('stopped')
    expect(run.auditLines).toContainEqual({env: 'dev', action: 'shutdown-stop-aurora-cluster', result: 'ok', resource: 'ledger', region: 'eu-west-1', detail: 'available -> stopped'})
    expect(account.objects.has(lockKey('dev'))).toBe(false)
  })

  it('leaves prod-tagged, other-env and keep-awake resources alone and says why', async () => {
    const account = fakeAccount()
    account.instances.set('i-prod', instance('i-prod', 'running', {...PROD_TAGS, 'aws:cloudformation:stack-name': 'fintech-dev-data'}))
    account.instances.set('i-awake', instance('i-awake', 'running', {...ENV_TAGS, 'fintech:keep-awake': '2026-11-30'}))
    account.instances.set('i-asg', instance('i-asg', 'running', {...ENV_TAGS, 'aws:autoscaling:groupName': 'workers'}))
    account.instances.set('i-dev', instance('i-dev', 'running'))
    const outcome = await executeShutdown(request(account, 'stop'))
    expect(outcome.skipped.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      {kind: 'ec2-instance', id: 'i-awake', region: 'eu-west-1', reason: 'fintech:keep-awake until 2026-11-30'},
      {kind: 'ec2-instance', id: 'i-prod', region: 'eu-west-1', reason: 'tagged Environment=prod: never touched'},
    ])
    expect(account.calls).toEqual([{op: 'StopInstances', ids: ['i-dev']}])
  })

  it('stops again a cluster AWS restarted after 7 days, keeping its first prior state', async () => {
    const account = platform()
    const clock = fakeClock()
    await executeShutdown(request(account, 'stop', clock))
    account.clusters.get('ledger')!.status = 'available'
    clock.advance(7 * 24 * 3600 * 1000)
    account.calls.length = 0
    const outcome = await executeShutdown(request(account, 'stop', clock, {night: '2026-11-27'}))
    expect(outcome.newPeriod).toBe(false)
    expect(outcome.manifestKey).toBe(manifestKey('dev', '2026-11-20'))
    expect(account.calls).toEqual([{op: 'StopDBCluster', ids: ['ledger']}])
    expect(outcome.results.find((result) => result.id === 'ledger')).toMatchObject({result: 'done', detail: 'restarted since the shutdown (AWS starts a stopped database after 7 days); start brings it back in the morning'})
    const manifest = parseManifest(account.objects.get(manifestKey('dev', '2026-11-20'))!.body, 'm')
    expect(manifest.resources.find((entry) => entry.id === 'ledger')!.prior).toEqual({status: 'available'})
    expect(manifest.runs.map((entry) => entry.command)).toEqual(['stop', 'stop'])
  })

  it('reports a cluster it cannot stop yet as failed, without calling RDS', async () => {
    const account = platform()
    account.clusters.get('ledger')!.status = 'backing-up'
    const outcome = await executeShutdown(request(account, 'stop'))
    expect(outcome.results.find((result) => result.id === 'ledger')).toMatchObject({result: 'failed', detail: 'status backing-up: it can only be stopped when available; the next stop run tries again'})
    expect(account.calls.some((call) => call.op === 'StopDBCluster')).toBe(false)
  })

  it('changes nothing and takes no lock in a dry run', async () => {
    const account = platform()
    const outcome = await executeShutdown(request(account, 'stop', fakeClock(), {dryRun: true}))
    expect(account.calls).toEqual([])
    expect(account.objects.size).toBe(0)
    expect(outcome.results.map((result) => [result.id, result.op, result.result, result.current, result.target])).toEqual([
      [SERVICE, 'stop', 'planned', 'desired 3, scaling 2-6', 'desired 0, scaling 0-6 suspended'],
      ['i-redis1', 'stop', 'planned', 'running', 'stopped'],
      ['i-redis2', 'stop', 'planned', 'running', 'stopped'],
      ['ledger', 'stop', 'planned', 'available', 'stopped'],
    ])
  })
})

describe('start', () => {
  it('restores in reverse order, each tier once the one before is healthy, and closes the period', async () => {
    const account = platform()
    account.instances.set('i-manual', instance('i-manual', 'stopped'))
    const clock = fakeClock()
    await executeShutdown(request(account, 'stop', clock))
    account.calls.length = 0
    const run = request(account, 'start', clock)
    const outcome = await executeShutdown(run)
    expect(account.calls.map((call) => call.op)).toEqual(['StartDBCluster', 'StartInstances', 'RegisterScalableTarget', 'UpdateService'])
    expect(account.calls[1]!.ids).toEqual(['i-redis1', 'i-redis2'])
    expect(account.instances.get('i-manual')!.state).toBe('stopped')
    expect(account.services.get(SERVICE)!.desiredCount).toBe(3)
    expect(account.targets.get('service/fintech-dev/ledger')).toMatchObject({min: 2, max: 6, suspended: {dynamicScalingIn: false, dynamicScalingOut: false, scheduled: false}})
    expect(outcome.results.find((result) => result.id === 'i-manual')).toMatchObject({op: 'none', result: 'unchanged', detail: 'was stopped before the night; stays stopped'})
    expect(run.progressLines).toContain('Redis master reachable: 10.0.1.10:6379 answered PONG')
    expect((await openManifest(account.apis.store, 'dev'))).toBeUndefined()
  })

  it('reports an instance EC2 stops again (KMS key without a grant) as failed, never started', async () => {
    const account = platform()
    const clock = fakeClock()
    await executeShutdown(request(account, 'stop', clock))
    account.instances.get('i-redis2')!.kmsBroken = true
    const outcome = await executeShutdown(request(account, 'start', clock))
    expect(outcome.results.find((result) => result.id === 'i-redis2')).toMatchObject({
      result: 'failed',
      detail: 'EC2 did not keep it running (Client.InternalError: Client.InternalError: Client error on launch); an encrypted volume whose KMS key has no grant for EC2 does this',
    })
    expect(outcome.results.find((result) => result.id === 'i-redis1')!.result).toBe('done')
    // The Redis tier is not healthy, so the ledger service stays at zero and the period stays open.
    expect(outcome.results.find((result) => result.id === SERVICE)).toMatchObject({result: 'skipped', detail: 'not started: the Redis tier is not healthy'})
    expect(account.services.get(SERVICE)!.desiredCount).toBe(0)
    expect((await openManifest(account.apis.store, 'dev'))?.manifest.status).toBe('starting')
  })

  it('holds the ledger service back while no Redis master answers', async () => {
    const account = platform()
    const clock = fakeClock()
    await executeShutdown(request(account, 'stop', clock))
    account.redisOk = false
    const run = request(account, 'start', clock)
    const outcome = await executeShutdown(run)
    expect(outcome.results.find((result) => result.id === SERVICE)!.result).toBe('skipped')
    expect(run.progressLines).toContain('Redis master not reachable after 15 min: no master known')
  })

  it('says there is nothing to start without an open period', async () => {
    const outcome = await executeShutdown(request(platform(), 'start'))
    expect(outcome.nothingToDo).toBe('no open shutdown period for dev: nothing was stopped, so nothing is started')
  })
})

describe('lock', () => {
  it('lets only one of two runs in; the second does nothing', async () => {
    const account = platform()
    const [first, second] = await Promise.allSettled([executeShutdown(request(account, 'stop')), executeShutdown(request(account, 'stop', fakeClock(), {runId: 'run-other'}))])
    const outcomes = [first, second].map((result) => result.status)
    expect(outcomes.sort()).toEqual(['fulfilled', 'rejected'])
    const rejected = [first, second].find((result) => result.status === 'rejected') as PromiseRejectedResult
    expect(rejected.reason).toBeInstanceOf(LockHeldError)
    expect(rejected.reason.message).toMatch(/^another fintech shutdown run holds the lock of dev: stop run run-(stop|other) by arn:aws:sts::111111111111:assumed-role\/platform\/alice since 2026-11-20T20:00:00.000Z/)
    expect(account.calls.filter((call) => call.op === 'StopDBCluster')).toHaveLength(1)
  })

  it('takes over a lock whose run died, once it has expired', async () => {
    const account = fakeAccount()
    const store = account.apis.store
    await acquireLock(store, 'dev', {runId: 'dead', command: 'stop', by: 'x', now: new Date('2026-11-20T18:00:00Z'), ttlMinutes: 60})
    await expect(acquireLock(store, 'dev', {runId: 'early', command: 'stop', by: 'y', now: new Date('2026-11-20T18:30:00Z'), ttlMinutes: 60})).rejects.toThrow(LockHeldError)
    const lock = await acquireLock(store, 'dev', {runId: 'late', command: 'stop', by: 'z', now: new Date('2026-11-20T19:30:00Z'), ttlMinutes: 60})
    expect(JSON.parse(account.objects.get(lockKey('dev'))!.body).runId).toBe('late')
    await lock.release()
    expect(account.objects.has(lockKey('dev'))).toBe(false)
  })
})

/** What a dropped response looks like to the SDK once its retries are spent. */
const lostAnswer = () => Object.assign(new Error('socket hang up'), {name: 'TimeoutError', code: 'ECONNRESET'})

/** The store's answer to the lock's next `method` call is lost: the write lands, the caller sees `answer` (a retry refused by the condition, or a network error). */
function loseNextLockAnswer(account: FakeAccount, method: 'putIfAbsent' | 'putIfMatch', answer: 'refused' | 'error', lands = true): {lost: () => number} {
  const store = account.apis.store
  const original = store[method].bind(store) as (key: string, body: string, etag: string) => Promise<boolean>
  let lost = 0
  store[method] = async (key: string, body: string, etag?: string) => {
    if (key !== lockKey('dev') || lost > 0) return original(key, body, etag!)
    lost += 1
    if (lands) await original(key, body, etag!)
    if (answer === 'error') throw lostAnswer()
    // The SDK's retry of the same conditional write, against the object the first attempt wrote.
    return original(key, body, etag!)
  }
  return {lost: () => lost}
}

describe('lock when an answer is lost', () => {
  for (const answer of ['refused', 'error'] as const) {
    it(`recognises its own lock when the create landed and its answer was lost (${answer === 'refused' ? 'the retry fails its condition' : 'a network error'}), and runs`, async () => {
      const account = platform()
      const lockBodies: string[] = []
      const get = account.apis.store.get
      account.apis.store.get = async (key) => {
        const stored = await get(key)
        if (key === lockKey('dev') && stored) lockBodies.push(stored.body)
        return stored
      }
      const fault = loseNextLockAnswer(account, 'putIfAbsent', answer)
      const outcome = await executeShutdown(request(account, 'stop'))
      expect(fault.lost()).toBe(1)
      // The stored lock was read and found to be this run's before anything was stopped.
      expect(JSON.parse(lockBodies[0]!)).toMatchObject({runId: 'run-stop', command: 'stop'})
      expect(outcome.results.map((result) => [result.id, result.result])).toEqual([
        [SERVICE, 'done'],
        ['i-redis1', 'done'],
        ['i-redis2', 'done'],
        ['ledger', 'done'],
      ])
      expect(account.calls.map((call) => call.op)).toEqual(['RegisterScalableTarget', 'UpdateService', 'StopInstances', 'StopDBCluster'])
      expect(parseManifest(account.objects.get(manifestKey('dev', '2026-11-20'))!.body, 'm').runs.map((run) => run.runId)).toEqual(['run-stop'])
      // Released at the end: the next run is not blocked for the TTL.
      expect(account.objects.has(lockKey('dev'))).toBe(false)
    })
  }

  it('still refuses a live lock of another run when the answer to its own create is lost', async () => {
    const account = platform()
    await acquireLock(account.apis.store, 'dev', {runId: 'other-run', command: 'start', by: 'arn:aws:sts::111111111111:assumed-role/scheduler/task', now: new Date('2026-11-20T19:30:00Z'), ttlMinutes: 120})
    loseNextLockAnswer(account, 'putIfAbsent', 'error', false)
    await expect(executeShutdown(request(account, 'stop'))).rejects.toThrow(
      'another fintech shutdown run holds the lock of dev: start run other-run by arn:aws:sts::111111111111:assumed-role/scheduler/task since 2026-11-20T19:30:00.000Z (expires 2026-11-20T21:30:00.000Z); nothing was done',
    )
    expect(account.calls).toEqual([])
    expect(JSON.parse(account.objects.get(lockKey('dev'))!.body).runId).toBe('other-run')
  })

  it('gives back the network error when its create did not land and no lock is stored', async () => {
    const account = platform()
    loseNextLockAnswer(account, 'putIfAbsent', 'error', false)
    await expect(acquireLock(account.apis.store, 'dev', {runId: 'mine', command: 'stop', by: 'x', now: new Date('2026-11-20T20:00:00Z'), ttlMinutes: 120})).rejects.toThrow('socket hang up')
    expect(account.objects.has(lockKey('dev'))).toBe(false)
  })

  for (const answer of ['refused', 'error'] as const) {
    it(`takes over an expired lock when the takeover landed and its answer was lost (${answer})`, async () => {
      const account = fakeAccount()
      const store = account.apis.store
      await acquireLock(store, 'dev', {runId: 'dead', command: 'stop', by: 'x', now: new Date('2026-11-20T18:00:00Z'), ttlMinutes: 60})
      loseNextLockAnswer(account, 'putIfMatch', answer)
      const lock = await acquireLock(store, 'dev', {runId: 'late', command: 'stop', by: 'z', now: new Date('2026-11-20T19:30:00Z'), ttlMinutes: 60})
      expect(lock.holder).toMatchObject({runId: 'late', expires: '2026-11-20T20:30:00.000Z'})
      expect(JSON.parse(account.objects.get(lockKey('dev'))!.body).runId).toBe('late')
    })

    it(`keeps its lock when a renewal landed and its answer was lost (${answer})`, async () => {
      const account = fakeAccount()
      const store = account.apis.store
      const lock = await acquireLock(store, 'dev', {runId: 'mine', command: 'start', by: 'x', now: new Date('2026-11-20T20:00:00Z'), ttlMinutes: 120})
      loseNextLockAnswer(account, 'putIfMatch', answer)
      await lock.renew(new Date('2026-11-20T21:00:00Z'))
      expect(lock.holder.expires).toBe('2026-11-20T23:00:00.000Z')
      expect(JSON.parse(account.objects.get(lockKey('dev'))!.body)).toMatchObject({runId: 'mine', expires: '2026-11-20T23:00:00.000Z'})
      await lock.release()
      expect(account.objects.has(lockKey('dev'))).toBe(false)
    })
  }

  it('keeps the old expiry when a renewal did not land, and says so when another run has the lock', async () => {
    const account = fakeAccount()
    const store = account.apis.store
    const lock = await acquireLock(store, 'dev', {runId: 'mine', command: 'start', by: 'x', now: new Date('2026-11-20T20:00:00Z'), ttlMinutes: 120})
    loseNextLockAnswer(account, 'putIfMatch', 'error', false)
    await lock.renew(new Date('2026-11-20T21:00:00Z'))
    expect(lock.holder.expires).toBe('2026-11-20T22:00:00.000Z')

    // Past the expiry another run takes the lock over: this run's next renewal stops it.
    await acquireLock(store, 'dev', {runId: 'other', command: 'stop', by: 'y', now: new Date('2026-11-20T22:30:00Z'), ttlMinutes: 120})
    await expect(lock.renew(new Date('2026-11-20T22:31:00Z'))).rejects.toThrow('the lock of dev was taken over by another run while this one was working; stopping here')
    await lock.release()
    expect(JSON.parse(account.objects.get(lockKey('dev'))!.body).runId).toBe('other')
  })
})

describe('labels say what start will do', () => {
  const labels = (results: Array<{id: string; op: string; result: string; current: string; detail?: string}>) =>
    Object.fromEntries(results.map((result) => [result.id, [result.op, result.result, result.current, result.detail]]))

  it('a second stop in the same night says an instance that was running before the night comes back in the morning, and start brings it back', async () => {
    const account = platform()
    account.instances.set('i-manual', instance('i-manual', 'stopped'))
    const clock = fakeClock()
    await executeShutdown(request(account, 'stop', clock))
    clock.advance(40 * 60_000)
    const again = await executeShutdown(request(account, 'stop', clock, {runId: 'run-stop-2'}))
    expect(again.newPeriod).toBe(false)
    expect(labels(again.results)).toMatchObject({
      'i-redis1': ['none', 'unchanged', 'stopped', 'already stopped; start brings it back in the morning'],
      'i-redis2': ['none', 'unchanged', 'stopped', 'already stopped; start brings it back in the morning'],
      'i-manual': ['none', 'unchanged', 'stopped', 'already stopped; stays stopped in the morning'],
    })
    account.calls.length = 0
    await executeShutdown(request(account, 'start', clock))
    expect(account.calls.find((call) => call.op === 'StartInstances')).toEqual({op: 'StartInstances', ids: ['i-redis1', 'i-redis2']})
    expect(account.instances.get('i-redis1')!.state).toBe('running')
    expect(account.instances.get('i-manual')!.state).toBe('stopped')
  })

  it('start says an instance stopped before the night and started by hand during it is left running, and leaves it running', async () => {
    const account = platform()
    account.instances.set('i-manual', instance('i-manual', 'stopped'))
    const clock = fakeClock()
    await executeShutdown(request(account, 'stop', clock))
    account.instances.get('i-manual')!.state = 'running'
    account.calls.length = 0
    const plan = await executeShutdown(request(account, 'start', clock, {dryRun: true}))
    expect(labels(plan.results)['i-manual']).toEqual(['none', 'unchanged', 'running', 'was stopped before the night and started by hand since; start leaves it running'])
    const start = await executeShutdown(request(account, 'start', clock))
    expect(labels(start.results)['i-manual']).toEqual(['none', 'unchanged', 'running', 'was stopped before the night and started by hand since; start leaves it running'])
    expect(account.calls.flatMap((call) => call.ids)).not.toContain('i-manual')
    expect(account.instances.get('i-manual')!.state).toBe('running')
  })

  it('labels every other combination by what start does, and start does it: groups and services at zero before the night stay as their owners leave them', async () => {
    const account = platform()
    account.instances.set('i-manual', instance('i-manual', 'stopped'))
    account.groups.set('workers', {name: 'workers', min: 1, max: 3, desired: 2, tags: ENV_TAGS, instanceIds: []})
    account.groups.set('batch', {name: 'batch', min: 0, max: 0, desired: 0, tags: ENV_TAGS, instanceIds: []})
    const IDLE = 'arn:aws:ecs:eu-west-1:111111111111:service/fintech-dev/idle'
    account.services.set(IDLE, {arn: IDLE, name: 'idle', clusterArn: CLUSTER, status: 'ACTIVE', desiredCount: 0, runningCount: 0, deployments: 1, taskDefinition: 'idle:1', tags: ENV_TAGS})
    account.dbInstances.set('reporting', {id: 'reporting', arn: 'arn:aws:rds:eu-west-1:111111111111:db:reporting', status: 'stopped', engine: 'postgres', instanceClass: 'db.t4g.medium', tags: ENV_TAGS})
    const clock = fakeClock()

    const first = await executeShutdown(request(account, 'stop', clock))
    expect(labels(first.results)).toMatchObject({
      'i-manual': ['none', 'unchanged', 'stopped', 'already stopped; stays stopped in the morning'],
      batch: ['none', 'unchanged', 'min 0, max 0, desired 0', 'already at zero; stays at zero in the morning'],
      [IDLE]: ['none', 'unchanged', 'desired 0', 'already at zero; stays at zero in the morning'],
      reporting: ['none', 'unchanged', 'stopped', 'already stopped; stays stopped in the morning'],
    })

    // During the night: someone starts the stopped instance and scales up the idle group and service; AWS restarts Aurora.
    account.instances.get('i-manual')!.state = 'running'
    Object.assign(account.groups.get('batch')!, {min: 1, max: 1, desired: 1})
    Object.assign(account.services.get(IDLE)!, {desiredCount: 1, runningCount: 1})
    account.clusters.get('ledger')!.status = 'available'
    clock.advance(3 * 3600_000)
    const again = await executeShutdown(request(account, 'stop', clock, {runId: 'run-stop-2'}))
    expect(labels(again.results)).toEqual({
      [SERVICE]: ['none', 'unchanged', 'desired 0, scaling 0-6 suspended', 'already at zero; start restores desired 3, scaling 2-6'],
      [IDLE]: ['none', 'unchanged', 'desired 1', 'scaled up by hand after the shutdown; it was at zero before the night, so stop and start leave it as it is'],
      workers: ['none', 'unchanged', 'min 0, max 0, desired 0', 'already at zero; start restores min 1, max 3, desired 2'],
      batch: ['none', 'unchanged', 'min 1, max 1, desired 1', 'scaled up by hand after the shutdown; it was at zero before the night, so stop and start leave it as it is'],
      'i-redis1': ['none', 'unchanged', 'stopped', 'already stopped; start brings it back in the morning'],
      'i-redis2': ['none', 'unchanged', 'stopped', 'already stopped; start brings it back in the morning'],
      'i-manual': ['none', 'unchanged', 'running', 'started by hand after the shutdown; it was stopped before the night, so stop and start leave it running'],
      ledger: ['stop', 'done', 'available', 'restarted since the shutdown (AWS starts a stopped database after 7 days); start brings it back in the morning'],
      reporting: ['none', 'unchanged', 'stopped', 'already stopped; stays stopped in the morning'],
    })
    expect(account.calls.filter((call) => call.ids.some((id) => ['i-manual', 'batch', IDLE].includes(id)))).toEqual([])

    account.dbInstances.get('reporting')!.status = 'available'
    account.calls.length = 0
    const start = await executeShutdown(request(account, 'start', clock))
    expect(labels(start.results)).toMatchObject({
      [IDLE]: ['none', 'unchanged', 'desired 1', 'was at zero before the night and scaled up by hand since; start leaves it as it is'],
      batch: ['none', 'unchanged', 'min 1, max 1, desired 1', 'was at zero before the night and scaled up by hand since; start leaves it as it is'],
      'i-manual': ['none', 'unchanged', 'running', 'was stopped before the night and started by hand since; start leaves it running'],
      reporting: ['none', 'unchanged', 'available', 'was stopped before the night and has been started since; start leaves it available'],
    })
    expect(start.results.filter((result) => result.result === 'done').map((result) => result.id).sort()).toEqual(['i-redis1', 'i-redis2', 'ledger', SERVICE, 'workers'].sort())
    expect(account.calls.filter((call) => call.ids.some((id) => ['i-manual', 'batch', IDLE, 'reporting'].includes(id)))).toEqual([])
    expect(account.groups.get('batch')).toMatchObject({min: 1, max: 1, desired: 1})
    expect(account.services.get(IDLE)!.desiredCount).toBe(1)
    expect(account.groups.get('workers')).toMatchObject({min: 1, max: 3, desired: 2})
    expect(account.services.get(SERVICE)!.desiredCount).toBe(3)
    expect(await openManifest(account.apis.store, 'dev')).toBeUndefined()
  })

  it('start says a group and a service at zero before the night stay at zero', async () => {
    const account = platform()
    account.groups.set('batch', {name: 'batch', min: 0, max: 0, desired: 0, tags: ENV_TAGS, instanceIds: []})
    const IDLE = 'arn:aws:ecs:eu-west-1:111111111111:service/fintech-dev/idle'
    account.services.set(IDLE, {arn: IDLE, name: 'idle', clusterArn: CLUSTER, status: 'ACTIVE', desiredCount: 0, runningCount: 0, deployments: 1, taskDefinition: 'idle:1', tags: ENV_TAGS})
    const clock = fakeClock()
    await executeShutdown(request(account, 'stop', clock))
    const start = await executeShutdown(request(account, 'start', clock))
    expect(labels(start.results).batch).toEqual(['none', 'unchanged', 'min 0, max 0, desired 0', 'was at zero before the night; stays at zero'])
    expect(labels(start.results)[IDLE]).toEqual(['none', 'unchanged', 'desired 0', 'was at zero before the night; stays at zero'])
    expect(account.calls.filter((call) => call.ids.includes('batch') || call.ids.includes(IDLE))).toEqual([])
  })
})

describe('manifest', () => {
  it('rejects a damaged manifest naming the key and the field', () => {
    expect(() => parseManifest('{"version": 1', 'fintech/shutdown/dev/manifests/2026-11-20.json')).toThrow(FileError)
    const body = JSON.stringify({version: 1, env: 'dev', account: '111111111111', region: 'eu-west-1', night: '2026-11-20', status: 'stopped', createdAt: '2026-11-20T20:00:00Z', runs: [], resources: [{kind: 'ec2-instance', id: 'i-1', tier: 'redis', instanceType: 't4g.small', prior: {state: 'sleeping'}}]})
    expect(() => parseManifest(body, 'm.json')).toThrow(/^m\.json: resources\[0\]\.prior\.state: Invalid option: expected one of "running"\|"stopped"; fix or remove it by hand before the next run$/)
  })
})

describe('review fixes', () => {
  it('opens a new period after a start that did not finish: only what that start owes keeps its prior state', async () => {
    const account = platform()
    account.instances.set('i-bastion', instance('i-bastion', 'running'))
    const clock = fakeClock()
    await executeShutdown(request(account, 'stop', clock))
    account.instances.get('i-redis2')!.kmsBroken = true
    clock.advance(11 * 3600 * 1000)
    await executeShutdown(request(account, 'start', clock))
    // During the day someone stops the bastion by hand, and fixes the KMS grant.
    account.instances.get('i-bastion')!.state = 'stopped'
    account.instances.get('i-redis2')!.kmsBroken = false
    clock.advance(13 * 3600 * 1000)
    const stop = await executeShutdown(request(account, 'stop', clock, {night: '2026-11-21'}))
    expect(stop.newPeriod).toBe(true)
    expect(stop.manifestKey).toBe(manifestKey('dev', '2026-11-21'))
    expect(JSON.parse(account.objects.get(manifestKey('dev', '2026-11-20'))!.body).status).toBe('started')
    clock.advance(11 * 3600 * 1000)
    await executeShutdown(request(account, 'start', clock))
    expect(account.instances.get('i-bastion')!.state).toBe('stopped')
    expect(account.instances.get('i-redis2')!.state).toBe('running')
    expect(account.services.get(SERVICE)!.desiredCount).toBe(3)
  })

  it('reports a resource deleted overnight as gone, without holding back the tiers after it', async () => {
    const account = platform()
    account.dbInstances.set('reporting', {id: 'reporting', arn: 'arn:aws:rds:eu-west-1:111111111111:db:reporting', status: 'available', engine: 'postgres', instanceClass: 'db.t4g.medium', tags: ENV_TAGS})
    const clock = fakeClock()
    await executeShutdown(request(account, 'stop', clock))
    account.dbInstances.delete('reporting')
    account.instances.get('i-redis1')!.state = 'terminated'
    const outcome = await executeShutdown(request(account, 'start', clock))
    expect(outcome.results.find((result) => result.id === 'reporting')).toMatchObject({result: 'gone', detail: 'deleted since the shutdown: nothing to restore'})
    expect(outcome.results.find((result) => result.id === 'i-redis1')).toMatchObject({result: 'gone', current: 'terminated'})
    expect(account.services.get(SERVICE)!.desiredCount).toBe(3)
    expect(await openManifest(account.apis.store, 'dev')).toBeUndefined()
  })

  it('stops again a database that was stopped before the night and that AWS restarted, and leaves it stopped in the morning', async () => {
    const account = platform()
    account.clusters.get('ledger')!.status = 'stopped'
    const clock = fakeClock()
    await executeShutdown(request(account, 'stop', clock))
    account.clusters.get('ledger')!.status = 'available'
    clock.advance(24 * 3600 * 1000)
    const again = await executeShutdown(request(account, 'stop', clock))
    expect(again.results.find((result) => result.id === 'ledger')).toMatchObject({
      op: 'stop',
      result: 'done',
      detail: 'restarted since the shutdown (AWS starts a stopped database after 7 days); it was stopped before the night, so it is stopped again and stays stopped in the morning',
    })
    await executeShutdown(request(account, 'start', clock))
    expect(account.clusters.get('ledger')!.status).toBe('stopped')
  })

  it('keeps a keep-awake date until midnight in the schedule\'s time zone', () => {
    // 19:00 in Los Angeles on the 20th is 03:00 UTC on the 21st: still the 20th there.
    const evening = new Date('2026-11-21T03:00:00Z')
    expect(keepAwakeReason('2026-11-20', evening, 'America/Los_Angeles')).toBe('fintech:keep-awake until 2026-11-20')
    expect(keepAwakeReason('2026-11-20', evening)).toBeUndefined()
  })

  it('gives a second period of the same night its own manifest, leaving the closed one as it was', async () => {
    const account = platform()
    const clock = fakeClock()
    await executeShutdown(request(account, 'stop', clock))
    await executeShutdown(request(account, 'start', clock))
    const closed = account.objects.get(manifestKey('dev', '2026-11-20'))!.body
    const again = await executeShutdown(request(account, 'stop', clock))
    expect(again.manifestKey).toBe('fintech/shutdown/dev/manifests/2026-11-20_02.json')
    expect(account.objects.get(manifestKey('dev', '2026-11-20'))!.body).toBe(closed)
    expect((await openManifest(account.apis.store, 'dev'))?.key).toBe('fintech/shutdown/dev/manifests/2026-11-20_02.json')
  })

  it('keeps polling when a status check throws, and renews the lock while it waits', async () => {
    const account = platform()
    const clock = fakeClock()
    await executeShutdown(request(account, 'stop', clock))
    const listClusters = account.apis.rds.listClusters
    // The first call (the inventory) answers; the next two, while start waits for Aurora, are throttled.
    let calls = 0
    account.apis.rds.listClusters = async () => {
      calls += 1
      if (calls === 2 || calls === 3) throw Object.assign(new Error('Rate exceeded'), {name: 'ThrottlingException'})
      return listClusters()
    }
    const lockBodies: string[] = []
    const putIfMatch = account.apis.store.putIfMatch
    account.apis.store.putIfMatch = async (key, body, etag) => {
      if (key === lockKey('dev')) lockBodies.push(body)
      return putIfMatch(key, body, etag)
    }
    const run = request(account, 'start', clock)
    const outcome = await executeShutdown(run)
    expect(outcome.results.find((result) => result.id === 'ledger')!.result).toBe('done')
    expect(run.progressLines).toContain('a status check failed and is tried again: ThrottlingException: Rate exceeded')
    expect(lockBodies.length).toBeGreaterThan(0)
    expect(JSON.parse(lockBodies[0]!).runId).toBe('run-start')
  })
})


describe('stop of an env whose Aurora cluster is in a global database', () => {
  it('holds the cluster back with the reason, stops the rest, and start owes it nothing', async () => {
    const account = platform()
    account.clusters.set('ledger', {...account.clusters.get('ledger')!, globalClusterId: 'fintech-dev-ledger-global'})

    const stop = await executeShutdown(request(account, 'stop'))

    expect(account.calls.map((call) => call.op)).toEqual(['RegisterScalableTarget', 'UpdateService', 'StopInstances'])
    expect(stop.skipped).toEqual([
      {
        kind: 'aurora-cluster',
        id: 'ledger',
        region: 'eu-west-1',
        reason: 'member of Aurora global database fintech-dev-ledger-global: RDS cannot stop a cluster of a global database on its own, so it keeps running (and costing) through the night',
      },
    ])
    expect(stop.results.map((result) => [result.id, result.result])).toEqual([
      [SERVICE, 'done'],
      ['i-redis1', 'done'],
      ['i-redis2', 'done'],
    ])
    expect(JSON.parse(account.objects.get(manifestKey('dev', '2026-11-20'))!.body).resources.map((entry: {id: string}) => entry.id)).not.toContain('ledger')

    account.calls.length = 0
    const start = await executeShutdown(request(account, 'start'))
    expect(account.calls.map((call) => call.op)).not.toContain('StartDBCluster')
    expect(start.results.map((result) => result.id)).not.toContain('ledger')
  })
})
