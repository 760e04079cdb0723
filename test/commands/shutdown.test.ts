/**
 * `fintech shutdown plan|stop|start` as a user runs them, through the real src/aws adapters
 * against aws-sdk-client-mock'd SDK clients (test/helpers/shutdown-mocks.ts): the exact
 * requests sent and their order, what the account looks like after, the manifest and lock in
 * the state bucket, audit lines, exit codes, text and JSON output.
 */
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {beforeEach, describe, expect, it} from 'vitest'
import ShutdownPlan from '../../src/commands/shutdown/plan.js'
import ShutdownStart from '../../src/commands/shutdown/start.js'
import ShutdownStop from '../../src/commands/shutdown/stop.js'
import {CALLER_ARN} from '../helpers/aws-mocks.js'
import {useLoopbackAws} from '../helpers/loopback-aws.js'
import {runCli} from '../helpers/run-cli.js'
import {
  clusterArn,
  ec2,
  FakeAws,
  forgetRequests,
  LOCK_KEY,
  mockAccount,
  mutatingRequests,
  REDIS_MASTER_NAME,
  requestsOf,
  sentRequests,
  serviceArn,
  STATE_BUCKET,
  type SentRequest,
} from '../helpers/shutdown-mocks.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const REAL_CONFIG = join(root, 'fintech.config.yaml')
const CONFIG_TEXT = readFileSync(REAL_CONFIG, 'utf8')

/** The repository's config in a throw-away folder, polling in milliseconds, with `edit` applied. */
function fastConfig(edit: (text: string) => string = (text) => text): string {
  const file = join(mkdtempSync(join(tmpdir(), 'fintech-shutdown-')), 'fintech.config.yaml')
  writeFileSync(file, `${edit(CONFIG_TEXT)}\npolling: {initialMs: 1, maxMs: 2}\n`)
  return file
}
const lineOf = (file: string, text: string) => readFileSync(file, 'utf8').split('\n').findIndex((line) => line.includes(text)) + 1

const APP = ['i-0aaa00000000000a1', 'i-0aaa00000000000a2']
const REDIS = ['i-0bbb00000000000b1', 'i-0bbb00000000000b2', 'i-0bbb00000000000b3']
const HAND_STOPPED = 'i-0ccc00000000000c1'
const PROD = 'i-0ddd00000000000d1'
const KEEP_AWAKE = 'i-0eee00000000000e1'
const ASG_MEMBER = 'i-0fff00000000000f1'
const OTHER_ENV = 'i-0abc00000000000a1'
const GROUP = 'fintech-dev-workers'
const CLUSTER = clusterArn('fintech-dev')
const LEDGER = serviceArn('fintech-dev', 'ledger')
const OUTBOX = serviceArn('fintech-dev', 'ledger-outbox')
const TEST_LEDGER = serviceArn('fintech-test', 'ledger')
const LEDGER_TARGET = 'service/fintech-dev/ledger'
const AURORA = 'fintech-dev-ledger'
const dev = {Environment: 'dev'}
const AWAKE_TARGET = {min: 2, max: 6, suspended: {in: false, out: false, scheduled: false}}

/**
 * The dev env: two app instances, three Redis nodes (found through the data stack), one
 * instance stopped by hand, an ASG with a member, the ledger service with a scaling target and
 * an outbox service without, an Aurora cluster. Beside it, what stop must leave alone: a
 * prod-tagged instance inside a dev stack, an opted-out instance, and test's resources.
 */
function devAccount(): FakeAws {
  const account = new FakeAws()
  const instance = (id: string, tags: Record<string, string>, state: 'running' | 'stopped' = 'running', type = 't4g.medium') =>
    account.instances.set(id, {id, state, type, tags})
  instance(APP[0]!, {...dev, Name: 'bastion'})
  instance(APP[1]!, {...dev, Name: 'batch'})
  REDIS.forEach((id, index) => instance(id, {...dev, 'aws:cloudformation:stack-name': 'fintech-dev-data', 'fintech:redis-seed': index === 0 ? 'self' : '10.0.0.1'}, 'running', 'r7g.large'))
  instance(HAND_STOPPED, {...dev, Name: 'stopped-by-hand'}, 'stopped')
  instance(PROD, {Environment: 'prod', 'aws:cloudformation:stack-name': 'fintech-dev-compute'})
  instance(KEEP_AWAKE, {...dev, 'fintech:keep-awake': 'true'})
  instance(ASG_MEMBER, {...dev, 'aws:autoscaling:groupName': GROUP})
  instance(OTHER_ENV, {Environment: 'test'})
  account.groups.set(GROUP, {name: GROUP, min: 1, max: 3, desired: 2, tags: dev})
  account.services.set(LEDGER, {clusterName: 'fintech-dev', name: 'ledger', desired: 2, running: 2, taskDefinition: 'fintech-dev-ledger:7', tags: dev})
  account.services.set(OUTBOX, {clusterName: 'fintech-dev', name: 'ledger-outbox', desired: 1, running: 1, taskDefinition: 'fintech-dev-outbox:3', tags: {'aws:cloudformation:stack-name': 'fintech-dev-compute'}})
  account.services.set(TEST_LEDGER, {clusterName: 'fintech-test', name: 'ledger', desired: 2, running: 2, taskDefinition: 'fintech-test-ledger:7', tags: {Environment: 'test'}})
  account.targets.set(LEDGER_TARGET, structuredClone(AWAKE_TARGET))
  account.targets.set('service/fintech-test/ledger', structuredClone(AWAKE_TARGET))
  account.clusters.set(AURORA, {id: AURORA, status: 'available', tags: dev, memberClasses: ['db.r6g.large', 'db.r6g.large']})
  account.clusters.set('fintech-test-ledger', {id: 'fintech-test-ledger', status: 'available', tags: {Environment: 'test'}, memberClasses: ['db.r6g.large']})
  return account
}

/** The account's state people care about: instance states, sizes, counts, bounds, statuses. */
const snapshot = (account: FakeAws) => ({
  instances: Object.fromEntries([...account.instances.values()].map((instance) => [instance.id, instance.state])),
  groups: Object.fromEntries([...account.groups.values()].map((group) => [group.name, [group.min, group.max, group.desired]])),
  services: Object.fromEntries([...account.services.entries()].map(([arn, service]) => [arn, service.desired])),
  targets: structuredClone(Object.fromEntries(account.targets)),
  clusters: Object.fromEntries([...account.clusters.values()].map((cluster) => [cluster.id, cluster.status])),
})

const manifestPuts = (requests: SentRequest[]) => requests.filter((request) => request.command === 'PutObject' && request.input.Key.includes('/manifests/'))
const indexOf = (requests: SentRequest[], predicate: (request: SentRequest) => boolean) => requests.findIndex(predicate)
const lastIndexOf = (requests: SentRequest[], predicate: (request: SentRequest) => boolean) => requests.findLastIndex(predicate)
const STOP_OR_UPDATE = /^(Stop|Start|Update|Register)/
/** UpdateService requests by service: the services of a tier are changed concurrently. */
const updateServiceRequests = () => requestsOf('UpdateService').sort((a, b) => a.service.localeCompare(b.service))

let account: FakeAws
let audit: ReturnType<typeof mockAccount>
beforeEach(() => {
  account = devAccount()
  audit = mockAccount(account)
})

describe('fintech shutdown stop', () => {
  it('stops the ledger tier, then Redis, then Aurora, under the lock, with every prior state written first', async () => {
    const run = await runCli(ShutdownStop, ['--env', 'dev', '--config', fastConfig(), '--json'])

    expect(run.exitCode, run.stderr).toBe(0)
    const requests = sentRequests()

    // The exact changes.
    // Every instance in one batched call: the Redis nodes and the instances that are not the ledger service.
    expect(requestsOf('StopInstances')).toEqual([{InstanceIds: [...REDIS, ...APP]}])
    expect(updateServiceRequests()).toEqual([
      {cluster: CLUSTER, service: LEDGER, desiredCount: 0},
      {cluster: CLUSTER, service: OUTBOX, desiredCount: 0},
    ])
    expect(requestsOf('RegisterScalableTarget')).toEqual([
      {
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceId: LEDGER_TARGET,
        MinCapacity: 0,
        MaxCapacity: 6,
        SuspendedState: {DynamicScalingInSuspended: true, DynamicScalingOutSuspended: true, ScheduledScalingSuspended: true},
      },
    ])
    expect(requestsOf('UpdateAutoScalingGroup')).toEqual([{AutoScalingGroupName: GROUP, MinSize: 0, MaxSize: 0, DesiredCapacity: 0}])
    expect(requestsOf('StopDBCluster')).toEqual([{DBClusterIdentifier: AURORA}])
    expect(requestsOf('StartInstances')).toEqual([])

    // The scaling target goes to sleep before its service is scaled in, so no policy scales it out again.
    expect(indexOf(requests, (r) => r.command === 'RegisterScalableTarget')).toBeLessThan(indexOf(requests, (r) => r.command === 'UpdateService' && r.input.service === LEDGER))
    // Tier order: every ledger-service change before the instances stop, the instances before Aurora.
    const redisStop = indexOf(requests, (r) => r.command === 'StopInstances' && r.input.InstanceIds[0] === REDIS[0])
    for (const command of ['UpdateService', 'UpdateAutoScalingGroup', 'RegisterScalableTarget']) expect(lastIndexOf(requests, (r) => r.command === command)).toBeLessThan(redisStop)
    expect(redisStop).toBeLessThan(indexOf(requests, (r) => r.command === 'StopDBCluster'))

    // The lock is the first change; the manifest with the prior states comes before any Stop or Update; the lock goes last.
    const mutating = requests.filter((request) => request.command !== 'GetCallerIdentity' && /^(Put|Delete|Stop|Start|Update|Register)/.test(request.command))
    expect(mutating[0]).toEqual({
      command: 'PutObject',
      input: expect.objectContaining({Bucket: STATE_BUCKET, Key: LOCK_KEY, IfNoneMatch: '*', ExpectedBucketOwner: '111111111111', ServerSideEncryption: 'aws:kms'}),
    })
    expect(JSON.parse(mutating[0]!.input.Body)).toMatchObject({command: 'stop', by: CALLER_ARN, runId: run.json.runId})
    const firstManifest = manifestPuts(requests)[0]!
    expect(requests.indexOf(firstManifest)).toBeLessThan(indexOf(requests, (r) => STOP_OR_UPDATE.test(r.command)))
    expect(mutating.at(-1)).toEqual({command: 'DeleteObject', input: {Bucket: STATE_BUCKET, ExpectedBucketOwner: '111111111111', Key: LOCK_KEY}})
    expect(account.objects.has(LOCK_KEY)).toBe(false)

    const written = JSON.parse(firstManifest.input.Body)
    expect(firstManifest.input.Key).toBe(run.json.manifestKey)
    expect(written).toMatchObject({version: 1, env: 'dev', account: '111111111111', region: 'eu-west-1', status: 'stopping'})
    expect(written.runs).toEqual([{runId: run.json.runId, command: 'stop', at: expect.any(String), by: CALLER_ARN}])
    expect(written.resources).toEqual([
      {kind: 'ec2-instance', id: APP[0], region: 'eu-west-1', tier: 'ledger', instanceType: 't4g.medium', prior: {state: 'running'}},
      {kind: 'ec2-instance', id: APP[1], region: 'eu-west-1', tier: 'ledger', instanceType: 't4g.medium', prior: {state: 'running'}},
      {kind: 'ec2-instance', id: HAND_STOPPED, region: 'eu-west-1', tier: 'ledger', instanceType: 't4g.medium', prior: {state: 'stopped'}},
      {kind: 'auto-scaling-group', id: GROUP, region: 'eu-west-1', tier: 'ledger', prior: {min: 1, max: 3, desired: 2}},
      {
        kind: 'ecs-service',
        id: LEDGER,
        region: 'eu-west-1',
        tier: 'ledger',
        clusterArn: CLUSTER,
        name: 'ledger',
        taskDefinition: 'fintech-dev-ledger:7',
        prior: {desiredCount: 2, scaling: {resourceId: LEDGER_TARGET, min: 2, max: 6, suspended: {dynamicScalingIn: false, dynamicScalingOut: false, scheduled: false}}},
      },
      {kind: 'ecs-service', id: OUTBOX, region: 'eu-west-1', tier: 'ledger', clusterArn: CLUSTER, name: 'ledger-outbox', taskDefinition: 'fintech-dev-outbox:3', prior: {desiredCount: 1, scaling: null}},
      ...REDIS.map((id) => ({kind: 'ec2-instance', id, region: 'eu-west-1', tier: 'redis', instanceType: 'r7g.large', prior: {state: 'running'}})),
      {kind: 'aurora-cluster', id: AURORA, region: 'eu-west-1', tier: 'database', memberClasses: ['db.r6g.large', 'db.r6g.large'], prior: {status: 'available'}},
    ])
    const final = account.object(run.json.manifestKey)
    expect(final.status).toBe('stopped')
    expect(final.resources.filter((entry: {stop?: {result: string}}) => entry.stop?.result === 'done')).toHaveLength(9)

    // The account afterwards.
    const after = snapshot(account)
    for (const id of [...APP, ...REDIS, HAND_STOPPED]) expect(after.instances[id], id).toBe('stopped')
    for (const id of [PROD, KEEP_AWAKE, ASG_MEMBER, OTHER_ENV]) expect(after.instances[id], id).toBe('running')
    expect(after.groups[GROUP]).toEqual([0, 0, 0])
    expect(after.services).toEqual({[LEDGER]: 0, [OUTBOX]: 0, [TEST_LEDGER]: 2})
    expect(after.targets['service/fintech-test/ledger']).toEqual(AWAKE_TARGET)
    expect(after.clusters).toEqual({[AURORA]: 'stopped', 'fintech-test-ledger': 'available'})

    // JSON: a stable shape.
    expect(Object.keys(run.json).sort()).toEqual(['action', 'dryRun', 'env', 'manifestKey', 'newPeriod', 'results', 'runId', 'skipped', 'stateBucket', 'unreadableRegions'])
    expect(run.json).toMatchObject({env: 'dev', action: 'stop', dryRun: false, newPeriod: true, stateBucket: STATE_BUCKET})
    expect(run.json.manifestKey).toMatch(/^fintech\/shutdown\/dev\/manifests\/\d{4}-\d{2}-\d{2}\.json$/)
    expect(run.json.runId).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/)
    expect(run.json.skipped).toEqual([
      {kind: 'ec2-instance', id: KEEP_AWAKE, region: 'eu-west-1', reason: 'fintech:keep-awake=true'},
      {kind: 'ec2-instance', id: PROD, region: 'eu-west-1', reason: 'tagged Environment=prod: never touched'},
    ])
    expect(run.json.results).toContainEqual({kind: 'ecs-service', id: LEDGER, region: 'eu-west-1', tier: 'ledger', op: 'stop', result: 'done', current: 'desired 2, scaling 2-6', target: 'desired 0, scaling 0-6 suspended'})
    expect(run.json.results).toContainEqual({
      kind: 'ec2-instance',
      id: HAND_STOPPED,
      region: 'eu-west-1',
      tier: 'ledger',
      op: 'none',
      result: 'unchanged',
      current: 'stopped',
      target: 'stopped',
      detail: 'already stopped; stays stopped in the morning',
    })
    expect(run.json.results.map((result: {id: string}) => result.id)).not.toContain(ASG_MEMBER)

    // One audit line per change, and one for the run.
    const lines = audit.auditLines()
    expect(lines.filter((line) => line.action === 'shutdown-stop-ec2-instance').map((line) => [line.resource, line.result])).toEqual(
      [...REDIS, ...APP].map((id) => [id, 'ok']),
    )
    expect(lines.filter((line) => line.action === 'shutdown-stop-ecs-service').map((line) => line.resource).sort()).toEqual([LEDGER, OUTBOX])
    expect(lines.find((line) => line.action === 'shutdown-stop-aurora-cluster')).toMatchObject({resource: AURORA, result: 'ok', detail: 'available -> stopped'})
    expect(lines.at(-1)).toMatchObject({
      env: 'dev',
      action: 'shutdown-stop',
      result: 'ok',
      caller: CALLER_ARN,
      detail: `run ${run.json.runId}: 9 done, 0 failed, 0 held back, 1 unchanged`,
    })
    expect(lines).toHaveLength(10)
  })

  it('stops the other instances when EC2 refuses one, lists the refused one and exits 3', async () => {
    account.refuseStop.add(APP[1]!)
    const refusal = `IncorrectInstanceState: The instance '${APP[1]}' is not in a state from which it can be stopped.`

    const json = await runCli(ShutdownStop, ['--env', 'dev', '--config', fastConfig(), '--json'])

    expect(json.exitCode, json.stderr).toBe(3)
    // The refused call, then the same batch without the instance EC2 named.
    expect(requestsOf('StopInstances')).toEqual([{InstanceIds: [...REDIS, ...APP]}, {InstanceIds: [...REDIS, APP[0]]}])
    expect(account.instances.get(APP[0]!)!.state).toBe('stopped')
    expect(account.instances.get(APP[1]!)!.state).toBe('running')
    // The rest of the env went on: the failure of one instance holds nothing back.
    expect(requestsOf('StopDBCluster')).toEqual([{DBClusterIdentifier: AURORA}])
    expect(json.json.results.find((result: {id: string}) => result.id === APP[1])).toEqual({
      kind: 'ec2-instance',
      id: APP[1],
      region: 'eu-west-1',
      tier: 'ledger',
      op: 'stop',
      result: 'failed',
      current: 'running',
      target: 'stopped',
      detail: refusal,
    })
    expect(json.json.results.filter((result: {result: string}) => result.result === 'failed')).toHaveLength(1)
    const manifest = account.object(json.json.manifestKey)
    expect(manifest.resources.find((entry: {id: string}) => entry.id === APP[1]).stop).toEqual({result: 'failed', at: expect.any(String), detail: refusal})
    expect(audit.auditLines().filter((line) => line.result === 'failed').map((line) => [line.action, line.resource ?? null])).toEqual([
      ['shutdown-stop-ec2-instance', APP[1]],
      ['shutdown-stop', null],
    ])
    expect(audit.auditLines().at(-1)!.detail).toMatch(/: 8 done, 1 failed, 0 held back, 1 unchanged$/)

    // The same run for a person: the refused instance is listed under "Needs attention".
    const text = await runCli(ShutdownStop, ['--env', 'dev', '--config', fastConfig()])
    expect(text.exitCode, text.stderr).toBe(3)
    expect(text.stdout).toContain('Stop of dev: manifest s3://fintech-artifacts-111111111111-eu-west-1/fintech/shutdown/dev/manifests/')
    expect(text.stdout).toContain('(adds to the open shutdown period)')
    expect(text.stdout).toContain(`Needs attention:\n  EC2 instance ${APP[1]} (eu-west-1): ${refusal}`)
    expect(text.stdout).toMatch(/0 done, 1 failed, 0 held back, 9 unchanged/)
  })
})

describe('fintech shutdown start', () => {
  it('restores exactly the recorded states, Aurora first, then Redis once it answers, then the ledger tier', async () => {
    const before = snapshot(account)
    const config = fastConfig()
    expect((await runCli(ShutdownStop, ['--env', 'dev', '--config', config, '--json'])).exitCode).toBe(0)
    forgetRequests()

    const run = await runCli(ShutdownStart, ['--env', 'dev', '--config', config, '--json'])

    expect(run.exitCode, run.stderr).toBe(0)
    expect(snapshot(account)).toEqual(before)
    expect(requestsOf('StartDBCluster')).toEqual([{DBClusterIdentifier: AURORA}])
    // The hand-stopped instance was stopped before the night: it stays stopped.
    expect(requestsOf('StartInstances')).toEqual([{InstanceIds: [...REDIS, ...APP]}])
    expect(requestsOf('RegisterScalableTarget')).toEqual([
      {
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceId: LEDGER_TARGET,
        MinCapacity: 2,
        MaxCapacity: 6,
        SuspendedState: {DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false},
      },
    ])
    expect(updateServiceRequests()).toEqual([
      {cluster: CLUSTER, service: LEDGER, desiredCount: 2},
      {cluster: CLUSTER, service: OUTBOX, desiredCount: 1},
    ])
    expect(requestsOf('UpdateAutoScalingGroup')).toEqual([{AutoScalingGroupName: GROUP, MinSize: 1, MaxSize: 3, DesiredCapacity: 2}])
    // The Redis gate asks a node about the master the data stack names.
    expect(requestsOf('SendCommand')).toEqual([expect.objectContaining({DocumentName: 'AWS-RunShellScript', InstanceIds: [REDIS[0]], Comment: `fintech: is the Redis master ${REDIS_MASTER_NAME} reachable?`})])
    expect(run.stderr).toContain('Redis master reachable: 10.0.0.1:6379')

    const requests = sentRequests()
    const at = (command: string, first = true) => (first ? indexOf : lastIndexOf)(requests, (r) => r.command === command)
    // Aurora available before Redis starts; Redis answering before the ledger tier starts.
    expect(lastIndexOf(requests, (r) => r.command === 'DescribeDBClusters')).toBeLessThan(at('StartInstances'))
    expect(at('GetCommandInvocation', false)).toBeLessThan(at('UpdateService'))
    expect(at('GetCommandInvocation', false)).toBeLessThan(at('UpdateAutoScalingGroup'))
    expect(requests[0]!.command).toBe('GetCallerIdentity')
    expect(mutatingRequests()[0]!.input).toMatchObject({Key: LOCK_KEY, IfNoneMatch: '*'})
    expect(mutatingRequests().at(-1)).toEqual({command: 'DeleteObject', input: expect.objectContaining({Key: LOCK_KEY})})

    expect(account.object(run.json.manifestKey)).toMatchObject({status: 'started', runs: [{command: 'stop'}, {command: 'start', runId: run.json.runId}]})
    expect(run.json.results.filter((result: {result: string}) => result.result !== 'done').map((result: {id: string; result: string}) => [result.id, result.result])).toEqual([
      [HAND_STOPPED, 'unchanged'],
    ])
    expect(audit.auditLines().at(-1)).toMatchObject({action: 'shutdown-start', result: 'ok', detail: `run ${run.json.runId}: 9 done, 0 failed, 0 held back, 1 unchanged`})
  })

  it('reports a Redis node EC2 takes back to stopped as failed and keeps the ledger tier asleep', async () => {
    const config = fastConfig()
    expect((await runCli(ShutdownStop, ['--env', 'dev', '--config', config, '--json'])).exitCode).toBe(0)
    account.failLaunch.add(REDIS[1]!)
    forgetRequests()

    const run = await runCli(ShutdownStart, ['--env', 'dev', '--config', config, '--json'])

    expect(run.exitCode, run.stderr).toBe(3)
    expect(account.instances.get(REDIS[1]!)).toMatchObject({state: 'stopped', reason: {Code: 'Client.InternalError'}})
    expect(run.json.results.find((result: {id: string}) => result.id === REDIS[1])).toEqual({
      kind: 'ec2-instance',
      id: REDIS[1],
      region: 'eu-west-1',
      tier: 'redis',
      op: 'start',
      result: 'failed',
      current: 'stopped',
      target: 'running',
      detail: 'EC2 did not keep it running (Client.InternalError: Client.InternalError: Client error on launch); an encrypted volume whose KMS key has no grant for EC2 does this',
    })
    // Aurora came back; nothing of the ledger tier did.
    expect(account.clusters.get(AURORA)!.status).toBe('available')
    // The other instances start with Redis; only the ledger service waits for a healthy Redis.
    expect(requestsOf('StartInstances')).toEqual([{InstanceIds: [...REDIS, ...APP]}])
    expect(requestsOf('UpdateService')).toEqual([])
    expect(requestsOf('RegisterScalableTarget')).toEqual([])
    expect(requestsOf('UpdateAutoScalingGroup')).toEqual([])
    expect(account.services.get(LEDGER)!.desired).toBe(0)
    expect(requestsOf('SendCommand')).toEqual([])
    const heldBack = run.json.results.filter((result: {result: string}) => result.result === 'skipped')
    expect(heldBack.map((result: {id: string}) => result.id).sort()).toEqual([GROUP, LEDGER, OUTBOX].sort())
    for (const result of heldBack) expect(result.detail).toBe('not started: the Redis tier is not healthy')

    // The period stays open, so the next start picks it up.
    expect(account.object(run.json.manifestKey).status).toBe('starting')
    expect(audit.auditLines().at(-1)).toMatchObject({action: 'shutdown-start', result: 'failed', detail: `run ${run.json.runId}: 5 done, 1 failed, 3 held back, 1 unchanged`})
  })
})

describe('dry runs change nothing', () => {
  const noChange = () => {
    expect(mutatingRequests()).toEqual([])
    expect(audit.auditLines()).toEqual([])
    expect(account.objects.size).toBe(0)
  }

  it.each([
    ['stop --dry-run', ShutdownStop, ['--dry-run']],
    ['plan', ShutdownPlan, []],
  ])('%s: says what stop would do, without a lock, a manifest or a change', async (_, command, extra) => {
    const before = snapshot(account)
    const run = await runCli(command, ['--env', 'dev', '--config', fastConfig(), '--json', ...extra])

    expect(run.exitCode, run.stderr).toBe(0)
    noChange()
    expect(snapshot(account)).toEqual(before)
    expect(run.json).toMatchObject({action: 'stop', dryRun: true, newPeriod: true})
    expect(run.json.runId).toBeUndefined()
    expect(run.json.results.filter((result: {result: string}) => result.result === 'planned').map((result: {id: string}) => result.id)).toEqual([
      ...APP,
      GROUP,
      LEDGER,
      OUTBOX,
      ...REDIS,
      AURORA,
    ])
  })

  it('plan --action start and start --dry-run: say what start would restore, changing nothing', async () => {
    const config = fastConfig()
    expect((await runCli(ShutdownStop, ['--env', 'dev', '--config', config])).exitCode).toBe(0)
    const stopped = snapshot(account)
    const objects = new Map(account.objects)
    const auditLines = audit.auditLines().length
    forgetRequests()

    const plan = await runCli(ShutdownPlan, ['--env', 'dev', '--action', 'start', '--config', config])
    const dryRun = await runCli(ShutdownStart, ['--env', 'dev', '--dry-run', '--config', config, '--json'])

    expect(plan.exitCode, plan.stderr).toBe(0)
    expect(plan.stdout).toContain('Dry run of start of dev')
    expect(plan.stdout).toContain('9 to start, 1 unchanged, 0 blocked; nothing was changed (dry run)')
    expect(dryRun.exitCode, dryRun.stderr).toBe(0)
    expect(dryRun.json.results.find((result: {id: string}) => result.id === LEDGER)).toMatchObject({op: 'start', result: 'planned', target: 'desired 2, scaling 2-6'})
    expect(mutatingRequests()).toEqual([])
    expect(requestsOf('SendCommand')).toEqual([])
    expect(snapshot(account)).toEqual(stopped)
    expect(account.objects).toEqual(objects)
    expect(audit.auditLines()).toHaveLength(auditLines)
  })
})

describe('guards: refused before any change', () => {
  it('a protected env, before any AWS call, not even STS', async () => {
    const run = await runCli(ShutdownStop, ['--env', 'prod', '--config', REAL_CONFIG])

    expect(run.exitCode).toBe(2)
    const lines = CONFIG_TEXT.split('\n')
    const protectedLine = lines.findIndex((line, index) => line === '    protected: true' && index > lines.indexOf('  prod:')) + 1
    expect(run.stderr).toContain(`prod is a protected environment (${REAL_CONFIG} line ${protectedLine}): fintech shutdown never acts on it`)
    expect(sentRequests()).toEqual([])
    expect(audit.auditLines()).toEqual([])
  })

  it('an unknown env, naming the envs there are', async () => {
    const run = await runCli(ShutdownStart, ['--env', 'qa', '--config', REAL_CONFIG])

    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('unknown environment "qa" (--env): use one of management, dev, test, prod')
    expect(sentRequests()).toEqual([])
  })

  it('credentials of the prod account for dev: only STS is asked', async () => {
    audit = mockAccount(account, '333333333333')
    const run = await runCli(ShutdownStop, ['--env', 'dev', '--config', REAL_CONFIG])

    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('refusing to act on dev: the credentials are for account 333333333333 (arn:aws:sts::333333333333:assumed-role/platform/alice), but dev is account 111111111111')
    expect(sentRequests().map((request) => request.command)).toEqual(['GetCallerIdentity'])
    expect(audit.auditLines()).toEqual([])
  })

  it('a config that gives dev the prod account: refused after STS, before anything else', async () => {
    audit = mockAccount(account, '333333333333')
    const config = fastConfig((text) => text.replace('  dev:\n    account: "111111111111"', '  dev:\n    account: "333333333333"'))
    const run = await runCli(ShutdownStop, ['--env', 'dev', '--config', config])

    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('refusing to shut down dev: the credentials are for account 333333333333, the account of protected environment prod')
    expect(sentRequests().map((request) => request.command)).toEqual(['GetCallerIdentity'])
  })

  it('a lock another live run holds: exit 1, naming that run, nothing changed', async () => {
    const holder = {
      runId: '20261120T200000Z-7f3a9c1e',
      command: 'stop',
      by: 'arn:aws:sts::111111111111:assumed-role/platform/bob',
      since: new Date(Date.now() - 5 * 60_000).toISOString(),
      expires: new Date(Date.now() + 115 * 60_000).toISOString(),
    }
    account.objects.set(LOCK_KEY, {body: JSON.stringify(holder), etag: '"lock-1"'})
    const before = snapshot(account)

    const run = await runCli(ShutdownStop, ['--env', 'dev', '--config', fastConfig()])

    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain(
      `another fintech shutdown run holds the lock of dev: stop run ${holder.runId} by ${holder.by} since ${holder.since} (expires ${holder.expires}); nothing was done`,
    )
    // The one write tried is the conditional create of the lock, which S3 refused (412).
    expect(mutatingRequests()).toEqual([{command: 'PutObject', input: expect.objectContaining({Key: LOCK_KEY, IfNoneMatch: '*'})}])
    expect(account.object(LOCK_KEY)).toEqual(holder)
    expect(snapshot(account)).toEqual(before)
    expect(audit.auditLines()).toEqual([])
  })
})

describe('bad input: exit 2 naming the place, nothing changed', () => {
  it.each([
    ['an unknown time zone', 'timezone: Europe/London\n      stop: "20:00"', 'timezone: Europe/Londn\n      stop: "20:00"', 'timezone: Europe/Londn', 'environments.dev.schedule.timezone: an IANA time zone such as "Europe/London"'],
    ['a stop time past 23:59', 'stop: "20:00"', 'stop: "25:00"', 'stop: "25:00"', 'environments.dev.schedule.stop: a 24-hour local time such as "19:00"'],
  ])('%s in the config, at its line, before any AWS call', async (_, from, to, line, message) => {
    const config = fastConfig((text) => text.replace(from, to))
    const run = await runCli(ShutdownStop, ['--env', 'dev', '--config', config])

    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain(`${config}:${lineOf(config, line)}: ${message}`)
    expect(sentRequests()).toEqual([])
  })

  it.each([
    ['start', ShutdownStart, '{"version": 1, "env": "dev"', 'not valid JSON'],
    ['stop', ShutdownStop, JSON.stringify({version: 1, env: 'dev', account: '111111111111', region: 'eu-west-1', night: '2026-11-20', status: 'stopped', createdAt: '2026-11-20T20:00:00.000Z', runs: [], resources: [{kind: 'ec2-instance', id: APP[0], tier: 'ledger', instanceType: 't4g.medium', prior: {state: 'hibernated'}}]}), 'resources[0].prior.state: '],
  ])('a damaged manifest in the state bucket (%s), naming its key', async (_, command, body, message) => {
    const key = 'fintech/shutdown/dev/manifests/2026-11-20.json'
    account.objects.set('fintech/shutdown/dev/manifests/2026-11-13.json', {body: '{}', etag: '"old"'})
    account.objects.set(key, {body, etag: '"damaged"'})
    const before = snapshot(account)

    const run = await runCli(command, ['--env', 'dev', '--config', fastConfig()])

    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain(`${key}: ${message}`)
    expect(run.stderr).toContain('fix or remove it by hand before the next run')
    // Only the lock was taken and given back; the manifest is as it was.
    expect(mutatingRequests().map((request) => [request.command, request.input.Key])).toEqual([
      ['PutObject', LOCK_KEY],
      ['DeleteObject', LOCK_KEY],
    ])
    expect(account.objects.get(key)!.body).toBe(body)
    expect(snapshot(account)).toEqual(before)
  })
})

/**
 * aws-sdk-client-mock replaces send() and with it the SDK's retry middleware, so only a real
 * HTTP exchange shows that a throttled StopInstances is retried. Here EC2 gets its real send()
 * back (until the next mockAccount) and answers from a loopback endpoint (AWS_ENDPOINT_URL)
 * that throttles the first StopInstances; every other service stays mocked.
 */
describe('throttling', () => {
  const ec2Requests: Array<{action: string; ids: string[]}> = []
  let throttleLeft = 1

  const instanceXml = (id: string, state: string) =>
    `<item><instanceId>${id}</instanceId><instanceType>t4g.medium</instanceType><instanceState><code>${state === 'running' ? 16 : 80}</code><name>${state}</name></instanceState>` +
    '<tagSet><item><key>Environment</key><value>dev</value></item></tagSet></item>'

  const aws = useLoopbackAws((action, parameters) => {
    const ids = [...parameters.entries()].filter(([name]) => name.startsWith('InstanceId.')).map(([, value]) => value)
    ec2Requests.push({action, ids})
    const envFilter = [...parameters.entries()].some(([name, value]) => /^Filter\.\d+\.Name$/.test(name) && value === 'tag:Environment')
    if (action === 'DescribeInstances') {
      const found = envFilter ? APP.map((id) => instanceXml(id, 'running')).join('') : ''
      return {body: `<DescribeInstancesResponse><requestId>r</requestId><reservationSet>${found ? `<item><reservationId>r-1</reservationId><instancesSet>${found}</instancesSet></item>` : ''}</reservationSet></DescribeInstancesResponse>`}
    }
    if (action === 'StopInstances' && throttleLeft > 0) {
      throttleLeft--
      return {status: 503, body: '<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r</RequestID></Response>'}
    }
    if (action === 'StopInstances') {
      const items = ids.map((id) => `<item><instanceId>${id}</instanceId><currentState><code>64</code><name>stopping</name></currentState><previousState><code>16</code><name>running</name></previousState></item>`)
      return {body: `<StopInstancesResponse><requestId>r</requestId><instancesSet>${items.join('')}</instancesSet></StopInstancesResponse>`}
    }
    return {status: 400, body: `<Response><Errors><Error><Code>InvalidAction</Code><Message>${action}</Message></Error></Errors><RequestID>r</RequestID></Response>`}
  })

  beforeEach(() => {
    ec2.restore()
    process.env.AWS_ENDPOINT_URL = aws.endpoint()
  })

  it('retries a throttled StopInstances (adaptive retries) and reports the instances stopped', async () => {
    const run = await runCli(ShutdownStop, ['--env', 'dev', '--config', fastConfig(), '--json'])

    expect(run.exitCode, run.stderr).toBe(0)
    expect(ec2Requests.filter((request) => request.action === 'StopInstances')).toEqual([
      {action: 'StopInstances', ids: APP},
      {action: 'StopInstances', ids: APP},
    ])
    for (const id of APP) expect(run.json.results.find((result: {id: string}) => result.id === id)).toMatchObject({op: 'stop', result: 'done'})
  })
})
