/**
 * `fintech shutdown` against moto_server: an inventory made in the emulator (instances, Redis
 * nodes, an Auto Scaling group, a Fargate service with a scaling target, an Aurora cluster,
 * and things it must leave alone), stopped and started by the built CLI, checked in the
 * emulator after each run.
 */
import {StartInstancesCommand} from '@aws-sdk/client-ec2'
import {PutObjectCommand} from '@aws-sdk/client-s3'
import {beforeEach, describe, expect, it} from 'vitest'
import {startFaultProxy} from '../helpers/fault-proxy.js'
import {explain, readAudit, FIXTURE_CONFIG, REGION, runCli, useMoto} from './moto.js'
import {BUCKET, LOCK_KEY, REDIS_PROBE_OUTPUT, SERVICE_RESOURCE, useShutdownInventory, type Inventory} from './shutdown-inventory.js'

const ctx = useMoto(REDIS_PROBE_OUTPUT)
const platform = useShutdownInventory(ctx)
const {states, group, service, target, cluster, manifestKeys, readObject} = platform

const shutdownArgs = (action: string, ...extra: string[]) => ['shutdown', action, '--env', 'dev', '--config', FIXTURE_CONFIG, '--json', ...extra]
const shutdown = (action: string, ...extra: string[]) => ctx.run(shutdownArgs(action, ...extra))

describe('shutdown against moto', {timeout: 120_000}, () => {
  let inventory: Inventory
  beforeEach(async () => {
    inventory = await platform.create()
  })

  it('stops the env, leaves prod and opted-out resources running, and start restores exactly the prior state', async () => {
    const before = await states()
    const asgInstances = (await group()).Instances!.map((instance) => instance.InstanceId!)
    expect(asgInstances).toHaveLength(2)

    const plan = await ctx.run(['shutdown', 'plan', '--env', 'dev', '--config', FIXTURE_CONFIG, '--json'])
    expect(plan.exitCode, explain(plan)).toBe(0)
    expect(await states()).toEqual(before)
    expect(await manifestKeys()).toEqual([])

    const stop = await shutdown('stop')
    expect(stop.exitCode, explain(stop)).toBe(0)
    const after = await states()
    for (const id of [inventory.app, ...inventory.redis, inventory.handStopped]) expect(after[id], id).toBe('stopped')
    expect(after[inventory.prod]).toBe('running')
    expect(after[inventory.keepAwake]).toBe('running')
    expect(await group()).toMatchObject({MinSize: 0, MaxSize: 0, DesiredCapacity: 0})
    expect((await service()).desiredCount).toBe(0)
    expect(await target()).toMatchObject({MinCapacity: 0, MaxCapacity: 6, SuspendedState: {DynamicScalingInSuspended: true, DynamicScalingOutSuspended: true, ScheduledScalingSuspended: true}})
    expect((await cluster()).Status).toBe('stopped')
    // The ASG's own instances are the group's business: stop never names them.
    expect(stop.json.results.map((result: {id: string}) => result.id)).not.toContain(asgInstances[0])
    expect(stop.json.skipped).toEqual(
      expect.arrayContaining([
        {kind: 'ec2-instance', id: inventory.prod, region: REGION, reason: 'tagged Environment=prod: never touched'},
        {kind: 'ec2-instance', id: inventory.keepAwake, region: REGION, reason: 'fintech:keep-awake=true'},
      ]),
    )

    const [key] = await manifestKeys().then((keys) => keys.filter((candidate) => candidate.includes('/manifests/')))
    const manifest = await readObject(key!)
    expect(manifest.status).toBe('stopped')
    expect(manifest.resources.find((entry: {id: string}) => entry.id === inventory.handStopped).prior).toEqual({state: 'stopped'})
    expect(manifest.resources.find((entry: {kind: string}) => entry.kind === 'auto-scaling-group').prior).toEqual({min: 1, max: 3, desired: 2})
    expect(manifest.resources.find((entry: {kind: string}) => entry.kind === 'ecs-service').prior).toEqual({
      desiredCount: 2,
      scaling: {resourceId: SERVICE_RESOURCE, min: 2, max: 6, suspended: {dynamicScalingIn: false, dynamicScalingOut: false, scheduled: false}},
    })
    expect(stop.audit.filter((line) => line.action === 'shutdown-stop-ec2-instance').map((line) => (line as {resource?: string}).resource).sort()).toEqual([inventory.app, ...inventory.redis].sort())

    const status = await shutdown('status')
    expect(status.exitCode, explain(status)).toBe(0)
    expect(status.json.manifest).toMatchObject({key, status: 'stopped'})
    expect(status.json.lock).toBeUndefined()
    const awaiting = Object.fromEntries(status.json.resources.map((resource: {id: string; awaitsStart: boolean}) => [resource.id, resource.awaitsStart]))
    expect(awaiting).toMatchObject({[inventory.app]: true, [inventory.redis[0]!]: true, [inventory.handStopped]: false, ledger: true, workers: true})

    const start = await shutdown('start')
    expect(start.exitCode, explain(start)).toBe(0)
    const restored = await states()
    for (const id of [inventory.app, ...inventory.redis, inventory.prod, inventory.keepAwake]) expect(restored[id], id).toBe('running')
    expect(restored[inventory.handStopped]).toBe('stopped')
    expect(await group()).toMatchObject({MinSize: 1, MaxSize: 3, DesiredCapacity: 2})
    expect((await service()).desiredCount).toBe(2)
    expect(await target()).toMatchObject({MinCapacity: 2, MaxCapacity: 6, SuspendedState: {DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false}})
    expect((await cluster()).Status).toBe('available')
    expect((await readObject(key!)).status).toBe('started')
    expect(start.stderr).toContain('Redis master reachable: 10.0.2.11:6379')

    // A second start has no open period: nothing to do.
    const again = await shutdown('start')
    expect(again.exitCode, explain(again)).toBe(0)
    expect(again.json.nothingToDo).toBe('no open shutdown period for dev: nothing was stopped, so nothing is started')
  })

  it('labels each resource by what start will do, on a second stop and on start, and start does it', async () => {
    const first = await shutdown('stop')
    expect(first.exitCode, explain(first)).toBe(0)
    const again = await shutdown('stop')
    expect(again.exitCode, explain(again)).toBe(0)
    const labelOf = (run: {json?: any}, id: string) => run.json.results.find((result: {id: string}) => result.id === id)
    expect(labelOf(again, inventory.app)).toMatchObject({op: 'none', result: 'unchanged', current: 'stopped', detail: 'already stopped; start brings it back in the morning'})
    expect(labelOf(again, inventory.handStopped)).toMatchObject({op: 'none', result: 'unchanged', current: 'stopped', detail: 'already stopped; stays stopped in the morning'})

    // During the night someone starts the instance that was stopped before it.
    await ctx.moto.ec2.send(new StartInstancesCommand({InstanceIds: [inventory.handStopped]}))
    const status = await shutdown('status')
    expect(status.exitCode, explain(status)).toBe(0)
    expect(status.json.resources.find((resource: {id: string}) => resource.id === inventory.handStopped)).toMatchObject({
      now: 'running',
      awaitsStart: false,
      note: 'was stopped before the night and started by hand since; start leaves it running',
    })

    const start = await shutdown('start')
    expect(start.exitCode, explain(start)).toBe(0)
    expect(labelOf(start, inventory.handStopped)).toMatchObject({op: 'none', result: 'unchanged', current: 'running', detail: 'was stopped before the night and started by hand since; start leaves it running'})
    const after = await states()
    for (const id of [inventory.app, ...inventory.redis, inventory.handStopped]) expect(after[id], id).toBe('running')
  })

  it('lets one of two concurrent runs in; the other exits 1 and changes nothing', async () => {
    const stop = await shutdown('stop')
    expect(stop.exitCode, explain(stop)).toBe(0)
    const runs = await Promise.all([shutdown('start'), shutdown('start')])
    const codes = runs.map((run) => run.exitCode).sort()
    expect(codes, runs.map(explain).join('\n')).toEqual([0, 1])
    const loser = runs.find((run) => run.exitCode === 1)!
    // With --json, oclif prints the error as JSON on stdout.
    expect(loser.json.error.message).toMatch(/another fintech shutdown run holds the lock of dev: start run \S+ by arn:aws:sts::123456789012:\S+ since \S+ \(expires \S+\); nothing was done/)
    // Both runs write to this test's one audit log: once both are done, exactly one start run is in it.
    expect(readAudit(ctx.auditLog).filter((line) => line.action === 'shutdown-start')).toHaveLength(1)
    const manifest = await readObject((await manifestKeys()).find((key) => key.includes('/manifests/'))!)
    expect(manifest.runs.map((run: {command: string}) => run.command)).toEqual(['stop', 'start'])
    expect(manifest.status).toBe('started')
    expect(await manifestKeys()).not.toContain('fintech/shutdown/dev/lock.json')
  })

  it('does nothing while another run holds the lock', async () => {
    const since = new Date()
    const holder = {runId: 'other-run', command: 'stop', by: 'arn:aws:sts::123456789012:assumed-role/scheduler/task', since: since.toISOString(), expires: new Date(since.getTime() + 3_600_000).toISOString()}
    await platform.s3.send(new PutObjectCommand({Bucket: BUCKET, Key: 'fintech/shutdown/dev/lock.json', Body: JSON.stringify(holder)}))
    const before = await states()
    const stop = await shutdown('stop')
    expect(stop.exitCode, explain(stop)).toBe(1)
    expect(stop.json.error.message).toContain('another fintech shutdown run holds the lock of dev: stop run other-run by arn:aws:sts::123456789012:assumed-role/scheduler/task')
    expect(await states()).toEqual(before)
    expect((await service()).desiredCount).toBe(2)
    expect(await manifestKeys()).toEqual(['fintech/shutdown/dev/lock.json'])
    expect((await readObject('fintech/shutdown/dev/lock.json')).runId).toBe('other-run')
  })

  it('goes on when the answer to its lock write is lost: the retried write meets its own lock, which it recognises, and releases it at the end', async () => {
    const lockPath = `/${BUCKET}/${LOCK_KEY}`
    const proxy = await startFaultProxy({target: ctx.moto.endpoint, rules: [{match: `PUT ${lockPath}`, effect: 'drop', times: 1}]})
    try {
      const stop = await runCli(proxy, shutdownArgs('stop'), ctx.auditLog)
      expect(stop.exitCode, explain(stop)).toBe(0)
      // The create landed and its answer was lost; the SDK's retry of it was refused by its own lock.
      expect(proxy.log.filter((entry) => entry.operation.endsWith(lockPath)).map((entry) => [entry.operation, entry.attempt, entry.state, entry.status])).toEqual([
        [`PUT ${lockPath}`, 1, 'dropped', 200],
        [`PUT ${lockPath}`, 2, 'answered', 412],
        [`GET ${lockPath}`, 1, 'answered', 200],
        // The first heartbeat, then the release.
        [`GET ${lockPath}`, 1, 'answered', 200],
        [`PUT ${lockPath}`, 1, 'answered', 200],
        [`GET ${lockPath}`, 1, 'answered', 200],
        [`DELETE ${lockPath}`, 1, 'answered', 204],
      ])
    } finally {
      await proxy.close()
    }
    const after = await states()
    for (const id of [inventory.app, ...inventory.redis]) expect(after[id], id).toBe('stopped')
    expect((await service()).desiredCount).toBe(0)
    expect((await cluster()).Status).toBe('stopped')
    expect(await manifestKeys()).not.toContain('fintech/shutdown/dev/lock.json')
    const manifest = await readObject((await manifestKeys()).find((key) => key.includes('/manifests/'))!)
    expect(manifest).toMatchObject({status: 'stopped', runs: [{command: 'stop'}]})

    // The next run is not locked out.
    const start = await shutdown('start')
    expect(start.exitCode, explain(start)).toBe(0)
  })

  it('refuses a damaged manifest with exit 2 and changes nothing', async () => {
    const stop = await shutdown('stop')
    expect(stop.exitCode, explain(stop)).toBe(0)
    const key = (await manifestKeys()).find((candidate) => candidate.includes('/manifests/'))!
    await platform.s3.send(new PutObjectCommand({Bucket: BUCKET, Key: key, Body: '{"version": 1, "env": "dev"'}))
    const before = await states()
    const start = await shutdown('start')
    expect(start.exitCode, explain(start)).toBe(2)
    expect(start.json.error.message).toContain(`${key}: not valid JSON`)
    expect(await states()).toEqual(before)
    expect((await service()).desiredCount).toBe(0)
    expect(await manifestKeys()).not.toContain('fintech/shutdown/dev/lock.json')
  })
})
