/**
 * `fintech shutdown` of an env with a recovery region: discovery, stop, start and status work in
 * both regions. Every SDK client is mocked per region (test/helpers/shutdown-mocks.ts): a client
 * sees only its own region's resources, as in AWS, so a request sent to the wrong region finds
 * nothing. The region of each request is read from the client that sent it.
 */
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {beforeEach, describe, expect, it} from 'vitest'
import ShutdownPlan from '../../src/commands/shutdown/plan.js'
import ShutdownStart from '../../src/commands/shutdown/start.js'
import ShutdownStatus from '../../src/commands/shutdown/status.js'
import ShutdownStop from '../../src/commands/shutdown/stop.js'
import {runCli} from '../helpers/run-cli.js'
import {clusterArn, FakeAws, forgetRequests, mockAccount, sentRequestsByRegion, serviceArn, type SentRequest} from '../helpers/shutdown-mocks.js'

const PRIMARY = 'eu-west-1'
const RECOVERY = 'us-east-1'

const root = fileURLToPath(new URL('../..', import.meta.url))
const CONFIG_TEXT = readFileSync(join(root, 'fintech.config.yaml'), 'utf8')

/** The repository's config with dev given a recovery region and the recovery data stack, polling in milliseconds. */
function recoveryConfig(): string {
  const text = CONFIG_TEXT.replace('    ou: Dev ', `    recovery: {region: ${RECOVERY}}\n    ou: Dev `).replace(
    '        template: templates/recovery/data.yaml\n        region: recovery\n        envs: [prod]\n',
    '        template: templates/recovery/data.yaml\n        region: recovery\n        envs: [prod, dev]\n',
  )
  if (!text.includes(`recovery: {region: ${RECOVERY}}\n    ou: Dev`) || !text.includes('envs: [prod, dev]')) throw new Error('fintech.config.yaml changed: update recoveryConfig()')
  const file = join(mkdtempSync(join(tmpdir(), 'fintech-shutdown-recovery-')), 'fintech.config.yaml')
  writeFileSync(file, `${text}\npolling: {initialMs: 1, maxMs: 2}\n`)
  return file
}

const dev = {Environment: 'dev'}
const APP = 'i-0aaa00000000000a1'
const REDIS = 'i-0bbb00000000000b1'
const AURORA = 'fintech-dev-ledger'
const LEDGER = serviceArn('fintech-dev', 'ledger')
const LEDGER_TARGET = 'service/fintech-dev/ledger'
const RECOVERY_APP = 'i-0rrr00000000000r1'
const RECOVERY_LEDGER = serviceArn('fintech-dev-recovery', 'ledger', RECOVERY)
const RECOVERY_TARGET = 'service/fintech-dev-recovery/ledger'
const SECONDARY = 'fintech-dev-data-recovery-secondary-1x2y3z'
const GLOBAL = 'fintech-dev-ledger-global'
const awake = (min: number, max: number) => ({min, max, suspended: {in: false, out: false, scheduled: false}})

/** dev's own region: an app instance, a Redis node, the ledger service with its scaling target, an Aurora cluster. */
function primaryRegion(): FakeAws {
  const region = new FakeAws(PRIMARY)
  region.instances.set(APP, {id: APP, state: 'running', type: 't4g.medium', tags: dev})
  region.instances.set(REDIS, {id: REDIS, state: 'running', type: 'r7g.large', tags: {...dev, 'aws:cloudformation:stack-name': 'fintech-dev-data', 'fintech:redis-seed': 'self'}})
  region.services.set(LEDGER, {clusterName: 'fintech-dev', name: 'ledger', desired: 2, running: 2, taskDefinition: 'fintech-dev-ledger:7', tags: dev})
  region.targets.set(LEDGER_TARGET, awake(2, 6))
  region.clusters.set(AURORA, {id: AURORA, status: 'available', tags: dev, memberClasses: ['db.r6g.large']})
  return region
}

/** The recovery region: a standby ledger service running one task, an instance, and the Aurora secondary of the global database. */
function recoveryRegion(): FakeAws {
  const region = new FakeAws(RECOVERY)
  region.instances.set(RECOVERY_APP, {id: RECOVERY_APP, state: 'running', type: 't4g.small', tags: dev})
  region.services.set(RECOVERY_LEDGER, {clusterName: 'fintech-dev-recovery', name: 'ledger', desired: 1, running: 1, taskDefinition: 'fintech-dev-ledger:7', tags: dev})
  region.targets.set(RECOVERY_TARGET, awake(1, 4))
  region.clusters.set(SECONDARY, {id: SECONDARY, status: 'available', tags: {'aws:cloudformation:stack-name': 'fintech-dev-data-recovery'}, memberClasses: ['db.r6g.large', 'db.r6g.large'], globalClusterId: GLOBAL})
  return region
}

/** Each region's state people care about. */
const snapshot = (region: FakeAws) => ({
  instances: Object.fromEntries([...region.instances.values()].map((instance) => [instance.id, instance.state])),
  services: Object.fromEntries([...region.services.entries()].map(([arn, service]) => [arn, service.desired])),
  targets: structuredClone(Object.fromEntries(region.targets)),
  clusters: Object.fromEntries([...region.clusters.values()].map((cluster) => [cluster.id, cluster.status])),
})

const CHANGES = new Set(['StopInstances', 'StartInstances', 'UpdateService', 'RegisterScalableTarget', 'StopDBCluster', 'StartDBCluster'])

/** Every change sent to AWS, as [region, command, what it names]. */
async function changesByRegion(): Promise<Array<[string, string, string]>> {
  const named = (request: SentRequest) =>
    request.input.InstanceIds?.join(',') ?? request.input.service ?? request.input.ResourceId ?? request.input.DBClusterIdentifier
  return (await sentRequestsByRegion()).filter((request) => CHANGES.has(request.command)).map((request) => [request.region, request.command, named(request)])
}

const byId = (results: Array<{id: string; region: string}>) => Object.fromEntries(results.map((result) => [result.id, result.region]))

let primary: FakeAws
let recovery: FakeAws
let audit: ReturnType<typeof mockAccount>
let config: string
beforeEach(() => {
  primary = primaryRegion()
  recovery = recoveryRegion()
  audit = mockAccount(primary, undefined, [recovery])
  config = recoveryConfig()
})

describe('fintech shutdown of an env with a recovery region', () => {
  it('stop scales the recovery ledger to zero and stops its instance there, holds the secondary back, and records each region in the manifest', async () => {
    const run = await runCli(ShutdownStop, ['--env', 'dev', '--config', config, '--json'])

    expect(run.exitCode, run.stderr).toBe(0)
    expect((await changesByRegion()).sort()).toEqual(
      [
        [PRIMARY, 'RegisterScalableTarget', LEDGER_TARGET],
        [PRIMARY, 'UpdateService', LEDGER],
        [PRIMARY, 'StopInstances', `${REDIS},${APP}`],
        [PRIMARY, 'StopDBCluster', AURORA],
        [RECOVERY, 'RegisterScalableTarget', RECOVERY_TARGET],
        [RECOVERY, 'UpdateService', RECOVERY_LEDGER],
        [RECOVERY, 'StopInstances', RECOVERY_APP],
      ].sort(),
    )
    expect(snapshot(recovery)).toEqual({
      instances: {[RECOVERY_APP]: 'stopped'},
      services: {[RECOVERY_LEDGER]: 0},
      targets: {[RECOVERY_TARGET]: {min: 0, max: 4, suspended: {in: true, out: true, scheduled: true}}},
      clusters: {[SECONDARY]: 'available'},
    })

    const manifest = JSON.parse(primary.objects.get(run.json.manifestKey)!.body)
    expect(manifest).toMatchObject({region: PRIMARY, status: 'stopped'})
    expect(manifest.resources.map((entry: {kind: string; id: string; region: string}) => [entry.region, entry.kind, entry.id])).toEqual([
      [PRIMARY, 'ec2-instance', APP],
      [RECOVERY, 'ec2-instance', RECOVERY_APP],
      [PRIMARY, 'ecs-service', LEDGER],
      [RECOVERY, 'ecs-service', RECOVERY_LEDGER],
      [PRIMARY, 'ec2-instance', REDIS],
      [PRIMARY, 'aurora-cluster', AURORA],
    ])
    expect(manifest.resources.find((entry: {id: string}) => entry.id === RECOVERY_LEDGER)).toEqual({
      kind: 'ecs-service',
      id: RECOVERY_LEDGER,
      region: RECOVERY,
      tier: 'ledger',
      clusterArn: clusterArn('fintech-dev-recovery', RECOVERY),
      name: 'ledger',
      taskDefinition: 'fintech-dev-ledger:7',
      prior: {desiredCount: 1, scaling: {resourceId: RECOVERY_TARGET, min: 1, max: 4, suspended: {dynamicScalingIn: false, dynamicScalingOut: false, scheduled: false}}},
      stop: {result: 'done', at: expect.any(String)},
    })
    expect(run.json.skipped).toEqual([
      {
        kind: 'aurora-cluster',
        id: SECONDARY,
        region: RECOVERY,
        reason: `member of Aurora global database ${GLOBAL}: RDS cannot stop a cluster of a global database on its own, so it keeps running (and costing) through the night`,
      },
    ])
    expect(byId(run.json.results)).toEqual({[APP]: PRIMARY, [LEDGER]: PRIMARY, [REDIS]: PRIMARY, [AURORA]: PRIMARY, [RECOVERY_APP]: RECOVERY, [RECOVERY_LEDGER]: RECOVERY})
    expect(run.json.unreadableRegions).toEqual([])
    expect(audit.auditLines().filter((line) => line.region === RECOVERY).map((line) => [line.action, line.resource, line.result])).toEqual([
      ['shutdown-stop-ecs-service', RECOVERY_LEDGER, 'ok'],
      ['shutdown-stop-ec2-instance', RECOVERY_APP, 'ok'],
    ])
  })

  it('start restores each resource in the region it was stopped in, to exactly its recorded state', async () => {
    const before = {primary: snapshot(primary), recovery: snapshot(recovery)}
    expect((await runCli(ShutdownStop, ['--env', 'dev', '--config', config])).exitCode).toBe(0)
    forgetRequests()

    const run = await runCli(ShutdownStart, ['--env', 'dev', '--config', config, '--json'])

    expect(run.exitCode, run.stderr).toBe(0)
    expect({primary: snapshot(primary), recovery: snapshot(recovery)}).toEqual(before)
    expect((await changesByRegion()).sort()).toEqual(
      [
        [PRIMARY, 'StartDBCluster', AURORA],
        [PRIMARY, 'StartInstances', `${REDIS},${APP}`],
        [PRIMARY, 'RegisterScalableTarget', LEDGER_TARGET],
        [PRIMARY, 'UpdateService', LEDGER],
        [RECOVERY, 'StartInstances', RECOVERY_APP],
        [RECOVERY, 'RegisterScalableTarget', RECOVERY_TARGET],
        [RECOVERY, 'UpdateService', RECOVERY_LEDGER],
      ].sort(),
    )
    expect(run.json.results.filter((result: {result: string}) => result.result !== 'done')).toEqual([])
    expect(JSON.parse(primary.objects.get(run.json.manifestKey)!.body).status).toBe('started')
  })

  it('start restores a manifest written before entries had a region, in the env region', async () => {
    const key = 'fintech/shutdown/dev/manifests/2026-12-03.json'
    const entries = [
      {kind: 'ec2-instance', id: APP, tier: 'ledger', instanceType: 't4g.medium', prior: {state: 'running'}},
      {kind: 'ecs-service', id: LEDGER, tier: 'ledger', clusterArn: clusterArn('fintech-dev'), name: 'ledger', taskDefinition: 'fintech-dev-ledger:7', prior: {desiredCount: 2, scaling: null}},
    ]
    const old = {version: 1, env: 'dev', account: '111111111111', region: PRIMARY, night: '2026-12-03', status: 'stopped', createdAt: '2026-12-03T20:00:00.000Z', runs: [], resources: entries}
    primary.objects.set(key, {body: JSON.stringify(old), etag: '"1"'})
    primary.instances.get(APP)!.state = 'stopped'
    Object.assign(primary.services.get(LEDGER)!, {desired: 0, running: 0})

    const status = await runCli(ShutdownStatus, ['--env', 'dev', '--config', config, '--json'])
    expect(status.exitCode, status.stderr).toBe(0)
    expect(status.json.resources.map((resource: {id: string; region: string; awaitsStart: boolean}) => [resource.region, resource.id, resource.awaitsStart])).toEqual([
      [PRIMARY, APP, true],
      [PRIMARY, LEDGER, true],
    ])
    forgetRequests()

    const run = await runCli(ShutdownStart, ['--env', 'dev', '--config', config, '--json'])

    expect(run.exitCode, run.stderr).toBe(0)
    expect((await changesByRegion()).sort()).toEqual([
      [PRIMARY, 'StartInstances', APP],
      [PRIMARY, 'UpdateService', LEDGER],
    ])
    expect(primary.instances.get(APP)!.state).toBe('running')
    expect(primary.services.get(LEDGER)!.desired).toBe(2)
    // The recovery region's resources were not in that manifest: start leaves them as they are.
    expect(snapshot(recovery)).toEqual(snapshot(recoveryRegion()))
    const saved = JSON.parse(primary.objects.get(key)!.body)
    expect(saved.status).toBe('started')
    expect(saved.resources.map((entry: {region: string}) => entry.region)).toEqual([PRIMARY, PRIMARY])
  })

  it('stop goes on in the env region when the recovery region cannot be read, names that region and exits 3', async () => {
    recovery.outage = Object.assign(new Error('User is not authorized to perform: ec2:DescribeInstances in us-east-1'), {name: 'UnauthorizedOperation'})

    const run = await runCli(ShutdownStop, ['--env', 'dev', '--config', config, '--json'])

    expect(run.exitCode, run.stderr).toBe(3)
    expect(run.json.unreadableRegions).toEqual([{region: RECOVERY, error: 'UnauthorizedOperation: User is not authorized to perform: ec2:DescribeInstances in us-east-1'}])
    expect(snapshot(primary)).toMatchObject({instances: {[APP]: 'stopped', [REDIS]: 'stopped'}, services: {[LEDGER]: 0}, clusters: {[AURORA]: 'stopped'}})
    expect((await changesByRegion()).filter(([region]) => region === RECOVERY)).toEqual([])
    expect(run.json.results.every((result: {region: string; result: string}) => result.region === PRIMARY && result.result === 'done')).toBe(true)
    expect(audit.auditLines().at(-1)).toMatchObject({action: 'shutdown-stop', result: 'failed', detail: expect.stringMatching(/: 4 done, 0 failed, 0 held back, 0 unchanged; not read: us-east-1$/)})

    const text = await runCli(ShutdownPlan, ['--env', 'dev', '--config', config])
    expect(text.exitCode).toBe(3)
    expect(text.stdout).toContain('Could not read us-east-1 (UnauthorizedOperation: User is not authorized to perform: ec2:DescribeInstances in us-east-1): this plan leaves its resources out')
  })

  it('a failure in the recovery region is reported with its region; the env region is stopped all the same (exit 3)', async () => {
    recovery.refuseStop.add(RECOVERY_APP)

    const run = await runCli(ShutdownStop, ['--env', 'dev', '--config', config])

    expect(run.exitCode, run.stderr).toBe(3)
    expect(run.stdout).toContain(`Needs attention:\n  EC2 instance ${RECOVERY_APP} (us-east-1): IncorrectInstanceState: The instance '${RECOVERY_APP}' is not in a state from which it can be stopped.`)
    expect(snapshot(primary)).toMatchObject({instances: {[APP]: 'stopped', [REDIS]: 'stopped'}, services: {[LEDGER]: 0}, clusters: {[AURORA]: 'stopped'}})
    expect(recovery.services.get(RECOVERY_LEDGER)!.desired).toBe(0)
  })

  it('start keeps the period open and restores the env region when the recovery region cannot be read', async () => {
    expect((await runCli(ShutdownStop, ['--env', 'dev', '--config', config])).exitCode).toBe(0)
    recovery.outage = Object.assign(new Error('connect ETIMEDOUT 52.94.0.1:443'), {name: 'TimeoutError'})

    const run = await runCli(ShutdownStart, ['--env', 'dev', '--config', config, '--json'])

    expect(run.exitCode, run.stderr).toBe(3)
    expect(snapshot(primary)).toEqual(snapshot(primaryRegion()))
    const owed = run.json.results.filter((result: {region: string}) => result.region === RECOVERY)
    expect(owed.map((result: {id: string; result: string; detail: string}) => [result.id, result.result, result.detail])).toEqual([
      [RECOVERY_APP, 'failed', 'us-east-1 could not be read (TimeoutError: connect ETIMEDOUT 52.94.0.1:443); the next start tries again'],
      [RECOVERY_LEDGER, 'failed', 'us-east-1 could not be read (TimeoutError: connect ETIMEDOUT 52.94.0.1:443); the next start tries again'],
    ])
    expect(JSON.parse(primary.objects.get(run.json.manifestKey)!.body).status).toBe('starting')

    // Once the region answers again, the next start restores what it still owes there, and only that.
    delete recovery.outage
    forgetRequests()
    const again = await runCli(ShutdownStart, ['--env', 'dev', '--config', config, '--json'])
    expect(again.exitCode, again.stderr).toBe(0)
    expect(snapshot(recovery)).toEqual(snapshot(recoveryRegion()))
    expect((await changesByRegion()).filter(([region]) => region === PRIMARY)).toEqual([])
  })

  it('plan and status show the region of each resource, in text and --json', async () => {
    const plan = await runCli(ShutdownPlan, ['--env', 'dev', '--config', config])
    expect(plan.exitCode, plan.stderr).toBe(0)
    expect(plan.stdout).toMatch(/us-east-1[\s│]+ledger[\s│]+ECS service[\s│]+ledger[\s│]+desired 1, scaling 1-4[\s│]+desired 0, scaling 0-4 suspended[\s│]+planned/)
    expect(plan.stdout).toMatch(/eu-west-1[\s│]+ledger[\s│]+ECS service[\s│]+ledger[\s│]+desired 2, scaling 2-6/)
    expect(plan.stdout).toContain(`Aurora cluster ${SECONDARY} (us-east-1): member of Aurora global database ${GLOBAL}`)
    const planJson = await runCli(ShutdownPlan, ['--env', 'dev', '--config', config, '--json'])
    expect(byId(planJson.json.results)).toEqual({[APP]: PRIMARY, [LEDGER]: PRIMARY, [REDIS]: PRIMARY, [AURORA]: PRIMARY, [RECOVERY_APP]: RECOVERY, [RECOVERY_LEDGER]: RECOVERY})
    expect((await changesByRegion())).toEqual([])

    expect((await runCli(ShutdownStop, ['--env', 'dev', '--config', config])).exitCode).toBe(0)
    const status = await runCli(ShutdownStatus, ['--env', 'dev', '--config', config])
    expect(status.exitCode, status.stderr).toBe(0)
    expect(status.stdout).toMatch(/us-east-1[\s│]+ledger[\s│]+ecs-service[\s│]+ledger[\s│]+desired 1, scaling 1-4[\s│]+desired 0, scaling 0-4 suspended[\s│]+restore \(desired 1, scaling 1-4\)/)
    expect(status.stdout).toMatch(/us-east-1[\s│]+ledger[\s│]+ec2-instance[\s│]+i-0rrr00000000000r1[\s│]+running[\s│]+stopped/)
    const statusJson = await runCli(ShutdownStatus, ['--env', 'dev', '--config', config, '--json'])
    expect(statusJson.json.resources.find((resource: {id: string}) => resource.id === RECOVERY_LEDGER)).toEqual({
      kind: 'ecs-service',
      id: RECOVERY_LEDGER,
      region: RECOVERY,
      tier: 'ledger',
      before: 'desired 1, scaling 1-4',
      now: 'desired 0, scaling 0-4 suspended',
      awaitsStart: true,
    })
    expect(statusJson.json.unreadableRegions).toEqual([])
  })
})
