/**
 * Fault injection: the built CLI against moto_server through the fault proxy, which throttles
 * about one call in seven, answers 500s and HTML 502 pages, drops answers after the
 * emulator has acted on the request, and delays others. A four-stage deploy and a shutdown
 * stop/start must end exactly as the same runs do without faults.
 *
 * Random faults hit only a call's first three attempts (the SDK's amz-sdk-request header says
 * which attempt a request is), so a run always succeeds whatever order its calls come in and
 * the suite cannot flake; the first answer to each changing call that matters is dropped on
 * purpose, so a re-sent change is proven safe in every run, not only when the dice say so.
 */
import {DescribeStackResourcesCommand, DescribeStacksCommand} from '@aws-sdk/client-cloudformation'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {startFaultProxy, type FaultProxy, type FaultRule, type RequestInfo} from '../helpers/fault-proxy.js'
import {BUCKET, LOCK_KEY, REDIS_PROBE_OUTPUT, useShutdownInventory} from './shutdown-inventory.js'
import {FIXTURE_CONFIG, changeSetsOf, explain, fourStagePlatform, listStacks, runCli, useMoto, type CliResult, type Moto} from './moto.js'

const ctx = useMoto(REDIS_PROBE_OUTPUT)
const inventory = useShutdownInventory(ctx)

let proxy: FaultProxy
beforeEach(async () => {
  proxy = await startFaultProxy({target: ctx.moto.endpoint, seed: 20261204})
})
afterEach(async () => {
  await proxy.close()
})

const early = (request: RequestInfo) => request.attempt <= 3

/**
 * moto 5.2.1 ignores CreateChangeSet's ClientToken: a re-sent CREATE makes a second change set
 * and a second stack record, where CloudFormation answers with the change set the token made.
 * Its lost answer is covered against mocks instead (test/aws/transport.test.ts,
 * test/aws/cloudformation.test.ts); here it is never dropped.
 */
const droppable = (request: RequestInfo) => early(request) && request.operation !== 'CreateChangeSet'

/**
 * Faults at random, on any call, never past its third attempt. Throttles at 15%: each one slows
 * the adaptive retry mode's sending rate for the calls after it (about 2 s a call), so 30% took
 * the file from about 65 s to 105 s without a fault kind or path that 15% leaves out.
 */
const RANDOM_FAULTS: FaultRule[] = [
  {match: early, effect: 'throttle', rate: 0.15},
  {match: early, effect: 'error-500', rate: 0.05},
  {match: early, effect: 'html-502', rate: 0.03},
  {match: droppable, effect: 'drop', rate: 0.05},
  {match: () => true, effect: 'delay', delayMs: 150, rate: 0.2},
]

/** The first answer of each of these operations is lost after the emulator acted on the request. */
const dropFirst = (...operations: string[]): FaultRule[] => operations.map((operation) => ({match: operation, effect: 'drop', times: 1}))

/** Once each, whatever the dice say: a throttle, a 500 and an HTML page on the first reads of `operation`. */
const everyErrorOnce = (operation: string): FaultRule[] =>
  (['throttle', 'error-500', 'html-502'] as const).map((effect) => ({match: (request: RequestInfo) => request.operation === operation && request.attempt === 1, effect, times: 1}))

const through = (args: string[]) => runCli(proxy, args, ctx.auditLog)

/** What a run left in the audit log, without times, callers and generated ids. */
const auditOf = (run: CliResult) =>
  run.audit.map((line) => [line.stack ?? '', line.action, line.result].join(' ')).sort()

/** Emulator ids differ from one run to the next: keep their kind only. */
const withoutIds = (value: string) => value.replace(/\b(vpc|subnet|sg|i|igw|rtb|acl|eni|ami)-[0-9a-f]{8,17}\b/g, '$1-*')

/** Every stack the run left: status, parameters, outputs, tags, resources, and the change sets it made. */
async function deployedState(moto: Moto) {
  const names = (await listStacks(moto)).filter((summary) => summary.StackStatus !== 'DELETE_COMPLETE').map((summary) => summary.StackName!).sort()
  const stacks = []
  for (const name of names) {
    const stack = (await moto.cfn.send(new DescribeStacksCommand({StackName: name}))).Stacks![0]!
    const resources = (await moto.cfn.send(new DescribeStackResourcesCommand({StackName: name}))).StackResources ?? []
    const changeSets = await changeSetsOf(moto, name)
    stacks.push({
      name,
      status: stack.StackStatus,
      parameters: Object.fromEntries((stack.Parameters ?? []).map((parameter) => [parameter.ParameterKey, withoutIds(parameter.ParameterValue ?? '')])),
      outputs: Object.fromEntries((stack.Outputs ?? []).map((output) => [output.OutputKey, withoutIds(output.OutputValue ?? '')])),
      tags: Object.fromEntries((stack.Tags ?? []).map((tag) => [tag.Key, tag.Value])),
      resources: resources.map((resource) => `${resource.LogicalResourceId} ${resource.ResourceType} ${resource.ResourceStatus}`).sort(),
      changeSets: changeSets.map((summary) => `${summary.Status} ${summary.ExecutionStatus}`),
    })
  }
  return stacks
}

describe('a four-stage deploy through faults ends as it does without them', {timeout: 240_000}, () => {
  it('creates the same stacks, resources and change sets, with the same audit lines, and exits 0', async () => {
    const config = fourStagePlatform(ctx.dir)
    const deployArgs = ['deploy', '--stage', 'all', '--env', 'dev', '--config', config, '--yes', '--json']

    const clean = await through(deployArgs)
    expect(clean.exitCode, explain(clean)).toBe(0)
    const expected = await deployedState(ctx.moto)
    expect(expected.map((stack) => [stack.name, stack.status])).toHaveLength(4)

    await ctx.moto.reset()
    proxy.log.length = 0
    proxy.setRules([...dropFirst('ExecuteChangeSet', 'DescribeChangeSet', 'GetCallerIdentity'), ...everyErrorOnce('DescribeStackEvents'), ...RANDOM_FAULTS])
    const faulty = await runCli(proxy, deployArgs, `${ctx.auditLog}.faults`)
    expect(faulty.exitCode, explain(faulty)).toBe(0)
    expect(await deployedState(ctx.moto)).toEqual(expected)
    expect(auditOf(faulty)).toEqual(auditOf(clean))

    // The faults were really there: every kind, and the lost answers of changing calls.
    const effects = proxy.log.map((entry) => entry.effect)
    for (const effect of ['throttle', 'error-500', 'html-502', 'drop', 'delay'] as const) expect(effects, effect).toContain(effect)
    expect(proxy.log.filter((entry) => entry.state === 'dropped').map((entry) => entry.operation)).toEqual(expect.arrayContaining(['ExecuteChangeSet', 'DescribeChangeSet']))
  })
})

describe('a shutdown stop and start through faults end as they do without them', {timeout: 240_000}, () => {
  const lockWrite = `PUT /${BUCKET}/${LOCK_KEY}`
  const CHANGING = ['StopInstances', 'StartInstances', 'UpdateAutoScalingGroup', 'UpdateService', 'RegisterScalableTarget', 'StopDBCluster', 'StartDBCluster', lockWrite]
  const shutdownArgs = (action: string) => ['shutdown', action, '--env', 'dev', '--config', FIXTURE_CONFIG, '--json']

  /** Stop, then start: the state after each, and what each audited. */
  async function stopAndStart(auditLog: string) {
    const made = await inventory.create()
    const before = await inventory.snapshot(made)
    const stop = await runCli(proxy, shutdownArgs('stop'), auditLog)
    expect(stop.exitCode, explain(stop)).toBe(0)
    const stopped = await inventory.snapshot(made)
    const start = await runCli(proxy, shutdownArgs('start'), auditLog)
    expect(start.exitCode, explain(start)).toBe(0)
    const started = await inventory.snapshot(made)
    const manifests = (await inventory.manifestKeys()).filter((key) => key.includes('/manifests/'))
    const manifest = await inventory.readObject(manifests[0]!)
    return {
      before,
      stopped,
      started,
      // Both runs append to one log: the start run's read of it holds the stop's lines too.
      audit: auditOf(start),
      keys: (await inventory.manifestKeys()).map((key) => key.replace(/manifests\/.*/, 'manifests/*')),
      manifest: {status: manifest.status, runs: manifest.runs.map((run: {command: string}) => run.command), resources: manifest.resources.length},
    }
  }

  it('stops and restores the same resources, leaves no lock, and audits the same changes', async () => {
    const clean = await stopAndStart(ctx.auditLog)
    expect(clean.started).toEqual(clean.before)

    await ctx.moto.reset()
    proxy.log.length = 0
    proxy.setRules([...dropFirst(...CHANGING), ...everyErrorOnce('DescribeInstances'), ...RANDOM_FAULTS])
    const faulty = await stopAndStart(`${ctx.auditLog}.faults`)
    expect(faulty).toEqual(clean)

    const dropped = new Set(proxy.log.filter((entry) => entry.state === 'dropped').map((entry) => entry.operation))
    for (const operation of CHANGING) expect(dropped, operation).toContain(operation)
    for (const effect of ['throttle', 'error-500', 'html-502', 'delay'] as const) expect(proxy.log.map((entry) => entry.effect), effect).toContain(effect)
  })
})
