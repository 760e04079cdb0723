import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {executeShutdown, type ShutdownRequest} from '../../src/core/shutdown/execute.js'
import {fakeAccount, fakeClock, type FakeAccount} from '../helpers/fake-account.js'

const ENVS = ['dev', 'prod', 'test'] as const
const CLUSTER = 'arn:aws:ecs:eu-west-1:111111111111:cluster/fintech-dev'

const tagsArb = fc.record({
  env: fc.constantFrom(...ENVS, 'dev', 'dev'),
  keepAwake: fc.option(fc.constantFrom('true', '2026-11-19', '2026-12-31'), {freq: 4}),
  inStack: fc.boolean(),
})
type TagSpec = {env: string; keepAwake: string | null; inStack: boolean}
const toTags = (spec: TagSpec, extra: Record<string, string> = {}) => ({
  ...(spec.inStack ? {'aws:cloudformation:stack-name': 'fintech-dev-data'} : {}),
  Environment: spec.env,
  ...(spec.keepAwake ? {'fintech:keep-awake': spec.keepAwake} : {}),
  ...extra,
})

const inventoryArb = fc.record({
  instances: fc.array(fc.record({running: fc.boolean(), redis: fc.boolean(), refuses: fc.boolean(), tags: tagsArb}), {maxLength: 120}),
  groups: fc.array(fc.record({min: fc.nat(3), extra: fc.nat(3), spread: fc.nat(3), tags: tagsArb}), {maxLength: 6}),
  services: fc.array(
    fc.record({desired: fc.nat(4), scaling: fc.option(fc.record({min: fc.nat(3), extra: fc.nat(5), suspended: fc.boolean()})), tags: tagsArb}),
    {maxLength: 12},
  ),
  clusters: fc.array(fc.record({available: fc.boolean(), tags: tagsArb}), {maxLength: 5}),
  dbInstances: fc.array(fc.record({available: fc.boolean(), tags: tagsArb}), {maxLength: 4}),
  /** Resources AWS or a person wakes up during the night, between two stop runs. */
  wakeUps: fc.array(fc.nat(200), {maxLength: 5}),
  /** Resources woken after the second stop, before start. */
  lateWakeUps: fc.array(fc.nat(200), {maxLength: 3}),
})
type InventorySpec = typeof inventoryArb extends fc.Arbitrary<infer Spec> ? Spec : never

function build(spec: InventorySpec): FakeAccount {
  const account = fakeAccount()
  spec.instances.forEach((item, index) => {
    const id = `i-${String(index).padStart(4, '0')}`
    account.instances.set(id, {
      id,
      state: item.running ? 'running' : 'stopped',
      instanceType: 't4g.small',
      tags: toTags(item.tags, item.redis ? {'fintech:redis-seed': 'self'} : {}),
      // One instance in five refuses to stop (e.g. a stop-protected instance): it must not fail its batch.
      ...(item.refuses && index % 5 === 0 ? {refuse: `The instance '${id}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.`} : {}),
    })
  })
  spec.groups.forEach((item, index) => {
    const name = `asg-${index}`
    const max = item.min + item.extra + item.spread
    account.groups.set(name, {name, min: item.min, max, desired: item.min + item.extra, tags: toTags(item.tags), instanceIds: []})
  })
  spec.services.forEach((item, index) => {
    const arn = `arn:aws:ecs:eu-west-1:111111111111:service/fintech-dev/svc-${index}`
    account.services.set(arn, {arn, name: `svc-${index}`, clusterArn: CLUSTER, status: 'ACTIVE', desiredCount: item.desired, runningCount: item.desired, deployments: 1, taskDefinition: 'ledger:1', tags: toTags(item.tags)})
    if (item.scaling) {
      const resourceId = `service/fintech-dev/svc-${index}`
      const suspended = item.scaling.suspended
      account.targets.set(resourceId, {resourceId, min: item.scaling.min, max: item.scaling.min + item.scaling.extra, suspended: {dynamicScalingIn: suspended, dynamicScalingOut: suspended, scheduled: false}})
    }
  })
  spec.clusters.forEach((item, index) => {
    const id = `ledger-${index}`
    account.clusters.set(id, {id, arn: `arn:aws:rds:eu-west-1:111111111111:cluster:${id}`, status: item.available ? 'available' : 'stopped', engine: 'aurora-postgresql', tags: toTags(item.tags), memberClasses: ['db.r6g.large']})
  })
  spec.dbInstances.forEach((item, index) => {
    const id = `reporting-${index}`
    account.dbInstances.set(id, {id, arn: `arn:aws:rds:eu-west-1:111111111111:db:${id}`, status: item.available ? 'available' : 'stopped', engine: 'postgres', instanceClass: 'db.t4g.medium', tags: toTags(item.tags)})
  })
  return account
}

/** Everything the shutdown could change, per resource, in a comparable form. */
function snapshot(account: FakeAccount): Record<string, unknown> {
  return {
    instances: Object.fromEntries([...account.instances].map(([id, instance]) => [id, instance.state])),
    groups: Object.fromEntries([...account.groups].map(([name, group]) => [name, [group.min, group.max, group.desired]])),
    services: Object.fromEntries([...account.services].map(([arn, service]) => [arn, service.desiredCount])),
    targets: Object.fromEntries([...account.targets].map(([id, target]) => [id, target])),
    clusters: Object.fromEntries([...account.clusters].map(([id, cluster]) => [id, cluster.status])),
    dbInstances: Object.fromEntries([...account.dbInstances].map(([id, instance]) => [id, instance.status])),
  }
}

/** Ids of everything tagged as another env (prod among them): no request may name one. */
function foreignIds(account: FakeAccount): Set<string> {
  const foreign = (tags: Record<string, string>) => tags.Environment !== 'dev'
  return new Set([
    ...[...account.instances.values()].filter((item) => foreign(item.tags)).map((item) => item.id),
    ...[...account.groups.values()].filter((item) => foreign(item.tags)).map((item) => item.name),
    ...[...account.services.values()].filter((item) => foreign(item.tags)).flatMap((item) => [item.arn, `service/fintech-dev/${item.name}`]),
    ...[...account.clusters.values()].filter((item) => foreign(item.tags)).map((item) => item.id),
    ...[...account.dbInstances.values()].filter((item) => foreign(item.tags)).map((item) => item.id),
  ])
}

function request(account: FakeAccount, action: 'stop' | 'start', clock: ReturnType<typeof fakeClock>): ShutdownRequest {
  return {
    action,
    apis: account.apis,
    clock,
    audit: {record: () => {}},
    runId: `${action}-${clock.now().toISOString()}`,
    by: 'arn:aws:sts::111111111111:assumed-role/scheduler/task',
    polling: {initialMs: 1000, maxMs: 10_000},
    waitMinutes: {aurora: 30, redis: 15, ledger: 15},
    progress: () => {},
    scope: {env: 'dev', stackNames: ['fintech-dev-data'], protectedEnvs: ['prod']},
    account: '111111111111',
    region: 'eu-west-1',
    night: '2026-11-20',
    dryRun: false,
    lockTtlMinutes: 120,
  }
}

/**
 * Wakes one resource, as AWS (a cluster after 7 days) or a person (an instance started, a group
 * or service scaled up by hand) does during the night; returns its id. Only what is asleep now
 * changes.
 */
function wake(account: FakeAccount, pick: number): string | undefined {
  const kinds = [
    [...account.clusters.values()].map((cluster) => () => {
      if (cluster.status === 'stopped') cluster.status = 'available'
      return cluster.id
    }),
    [...account.instances.values()].map((instance) => () => {
      if (instance.state === 'stopped') instance.state = 'running'
      return instance.id
    }),
    [...account.groups.values()].map((group) => () => {
      if (group.min + group.max + group.desired === 0) Object.assign(group, {min: 1, max: 1, desired: 1})
      return group.name
    }),
    [...account.services.values()].map((service) => () => {
      if (service.desiredCount === 0) Object.assign(service, {desiredCount: 1, runningCount: 1})
      return service.arn
    }),
  ].filter((wakers) => wakers.length > 0)
  if (kinds.length === 0) return undefined
  const wakers = kinds[pick % kinds.length]!
  return wakers[Math.floor(pick / kinds.length) % wakers.length]!()
}

/**
 * What a note promises `start` does: bring the resource back to its state before the night,
 * keep it as asleep as it was before the night, or leave it as it is now. A note that promises
 * none of these does not say what start will do.
 */
function promiseOf(note: string): 'as before the night' | 'left as it is' | undefined {
  if (/(start leaves it [a-z ]+|stop and start leave it [a-z ]+)$/.test(note)) return 'left as it is'
  if (/(start brings it back in the morning|start restores .+|stays stopped( in the morning)?|stays at zero( in the morning)?|^already running|^already available|^already at its recorded size)$/.test(note)) return 'as before the night'
  return undefined
}

/** What a stop must leave awake: other envs, prod, keep-awake opt-outs still valid on 2026-11-20. */
const mustStayAwake = (tags: Record<string, string>) => tags.Environment !== 'dev' || (tags['fintech:keep-awake'] !== undefined && tags['fintech:keep-awake'] !== '2026-11-19')

describe('stop then start (property)', () => {
  it('restores exactly the prior state and never sends a request naming a prod or foreign resource', async () => {
    await fc.assert(
      fc.asyncProperty(inventoryArb, async (spec) => {
        const account = build(spec)
        const before = snapshot(account)
        const foreign = foreignIds(account)
        const clock = fakeClock()

        const stop = await executeShutdown(request(account, 'stop', clock))
        for (const instance of account.instances.values()) {
          if (!mustStayAwake(instance.tags) && !instance.refuse) expect(instance.state).toBe('stopped')
          if (mustStayAwake(instance.tags)) expect(instance.state).toBe((before.instances as Record<string, string>)[instance.id])
        }
        for (const service of account.services.values()) if (!mustStayAwake(service.tags)) expect(service.desiredCount).toBe(0)
        for (const cluster of account.clusters.values()) if (!mustStayAwake(cluster.tags)) expect(cluster.status).toBe('stopped')
        const refusals = stop.results.filter((result) => result.result === 'failed').map((result) => result.id)
        expect(refusals.sort()).toEqual([...account.instances.values()].filter((item) => item.refuse && item.state === 'running' && !mustStayAwake(item.tags)).map((item) => item.id).sort())

        // A night goes by: AWS restarts a cluster, someone starts an instance or scales a group or service up; the
        // weekend's next stop run puts back to sleep what was awake before the night, and after it someone wakes more.
        const earlyWoken = new Set(spec.wakeUps.flatMap((pick) => wake(account, pick) ?? []))
        clock.advance(24 * 3600 * 1000)
        const secondStop = await executeShutdown(request(account, 'stop', clock))
        const lateWoken = new Set(spec.lateWakeUps.flatMap((pick) => wake(account, pick) ?? []))
        clock.advance(10 * 3600 * 1000)
        const callsBeforeStart = account.calls.length
        const start = await executeShutdown(request(account, 'start', clock))
        const startCalls = account.calls.slice(callsBeforeStart)

        const after = snapshot(account) as typeof before
        const stateOf = (snapshotted: typeof before, id: string) => Object.values(snapshotted).map((states) => (states as Record<string, unknown>)[id]).find((state) => state !== undefined)
        // Woken resources that were asleep before the first night are left as the person or AWS left them;
        // woken ones that were awake before must come back exactly like the rest.
        const asleep = (state: unknown) => state === 'stopped' || state === 0 || (Array.isArray(state) && state.every((size) => size === 0))
        for (const [kind, states] of Object.entries(before)) {
          for (const [id, state] of Object.entries(states as Record<string, unknown>)) {
            if ((earlyWoken.has(id) || lateWoken.has(id)) && asleep(state)) continue
            expect({kind, id, state: (after as Record<string, Record<string, unknown>>)[kind]![id]}).toEqual({kind, id, state})
          }
        }

        // Every note of the second stop and of the start says what start does, and start does it (unless someone
        // woke the resource after the note was written).
        const labelled = [...secondStop.results.filter((result) => !lateWoken.has(result.id)), ...start.results].filter(
          (result) => result.detail !== undefined && (result.result === 'unchanged' || result.result === 'done'),
        )
        for (const result of labelled) {
          const promise = promiseOf(result.detail!)
          expect(promise, `${result.id}: "${result.detail}" does not say what start will do`).toBeDefined()
          if (promise === 'as before the night') expect({id: result.id, state: stateOf(after, result.id)}).toEqual({id: result.id, state: stateOf(before, result.id)})
          else expect(startCalls.filter((call) => call.ids.includes(result.id)), `${result.id}: "${result.detail}"`).toEqual([])
        }
        for (const call of account.calls) for (const id of call.ids) expect(foreign.has(id), `${call.op} named ${id}`).toBe(false)
        for (const call of account.calls.filter((item) => item.op === 'StopInstances' || item.op === 'StartInstances')) expect(call.ids.length).toBeLessThanOrEqual(50)
      }),
      {numRuns: 150},
    )
  })
})
