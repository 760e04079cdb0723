import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {loadConfig} from '../../src/core/config/load.js'
import {ExitCode, FintechError, InputError} from '../../src/core/errors.js'
import {ledgerResources, locateLedgerStacks} from '../../src/core/ledger/stacks.js'
import {DEFAULT_THRESHOLDS, metricQueries, metricWindow, readLedgerStatus} from '../../src/core/ledger/status.js'
import {fakeLedger, NOW, unhealthyAnswers, RESOURCES, series, steadyService, TASK_DEFINITION, topology, type FakeLedger} from '../helpers/ledger-fixtures.js'

function thrown(work: () => unknown): unknown {
  try {
    work()
  } catch (error) {
    return error
  }
  throw new Error('expected an error')
}

const read = (answers: FakeLedger = {}, thresholds = DEFAULT_THRESHOLDS) => readLedgerStatus(fakeLedger(answers), RESOURCES, {now: NOW, thresholds})

describe('metricWindow', () => {
  it('is the 15 whole minutes before now: the running minute would read low', () => {
    expect(metricWindow(NOW)).toEqual({start: new Date('2026-11-22T10:00:00Z'), end: new Date('2026-11-22T10:15:00Z')})
    expect(metricWindow(new Date('2026-11-22T10:15:00Z'))).toEqual({start: new Date('2026-11-22T10:00:00Z'), end: new Date('2026-11-22T10:15:00Z')})
  })
})

describe('metricQueries', () => {
  it('asks for the target group\'s requests, 5xx and percentiles, the load balancer\'s own 5xx, and each reader\'s lag, per minute', () => {
    const targetGroup = {LoadBalancer: RESOURCES.loadBalancerFullName, TargetGroup: RESOURCES.targetGroupFullName}
    const alb = {namespace: 'AWS/ApplicationELB', periodSeconds: 60}
    expect(metricQueries(RESOURCES, ['reader-a', 'reader-b'])).toEqual([
      {id: 'requests', ...alb, metricName: 'RequestCount', dimensions: targetGroup, stat: 'Sum'},
      {id: 'target5xx', ...alb, metricName: 'HTTPCode_Target_5XX_Count', dimensions: targetGroup, stat: 'Sum'},
      {id: 'elb5xx', ...alb, metricName: 'HTTPCode_ELB_5XX_Count', dimensions: {LoadBalancer: RESOURCES.loadBalancerFullName}, stat: 'Sum'},
      {id: 'p50', ...alb, metricName: 'TargetResponseTime', dimensions: targetGroup, stat: 'p50'},
      {id: 'p99', ...alb, metricName: 'TargetResponseTime', dimensions: targetGroup, stat: 'p99'},
      {id: 'lag0', namespace: 'AWS/RDS', metricName: 'AuroraReplicaLag', dimensions: {DBInstanceIdentifier: 'reader-a'}, stat: 'Maximum', periodSeconds: 60},
      {id: 'lag1', namespace: 'AWS/RDS', metricName: 'AuroraReplicaLag', dimensions: {DBInstanceIdentifier: 'reader-b'}, stat: 'Maximum', periodSeconds: 60},
    ])
  })
})

describe('readLedgerStatus', () => {
  it('a steady service with healthy targets, calm traffic and a close reader is healthy', async () => {
    const api = fakeLedger()
    const status = await readLedgerStatus(api, RESOURCES, {now: NOW})

    expect(status.healthy).toBe(true)
    expect(status.problems).toEqual([])
    expect(status.service).toMatchObject({cluster: 'fintech-dev', name: 'fintech-dev-ledger', desired: 2, running: 2, pending: 0, rollout: 'steady'})
    expect(status.targets).toMatchObject({healthy: 2, unhealthy: 0, total: 2})
    expect(status.traffic.requestsPerSecond).toEqual({current: 10, series: Array(15).fill(10)})
    expect(status.traffic.errorRate).toEqual({current: 0, series: Array(15).fill(0)})
    expect(status.traffic.p50Ms.current).toBe(20)
    expect(status.traffic.p99Ms.current).toBe(120)
    expect(status.traffic.latestMinute).toBe('2026-11-22T10:14:00.000Z')
    expect(status.traffic.minutes[0]).toBe('2026-11-22T10:00:00.000Z')
    expect(status.aurora.writer?.id).toBe('fintech-dev-aurora-1')
    expect(status.aurora.readers).toEqual([expect.objectContaining({id: 'fintech-dev-aurora-2', lagMs: 15})])
    expect(status.aurora.maxLagMs).toBe(15)
    // Only the reader's lag is asked for, and the alarms by the stack's names.
    expect(api.calls.metrics[0]!.queries.filter((query) => query.namespace === 'AWS/RDS').map((query) => query.dimensions)).toEqual([{DBInstanceIdentifier: 'fintech-dev-aurora-2'}])
    expect(api.calls.metrics[0]!.window).toEqual(metricWindow(NOW))
    expect(api.calls.alarms).toEqual([RESOURCES.alarmNames])
  })

  it('names every problem of an unhealthy service: tasks short, a failed rollout, an unhealthy target, 5xx, an alarm', async () => {
    const status = await read(unhealthyAnswers())

    expect(status.healthy).toBe(false)
    expect(status.problems).toEqual([
      '1 of 2 tasks are running (1 pending)',
      'the rollout of fintech-dev-ledger:43 failed: ECS deployment circuit breaker: tasks failed to start.',
      'target 10.0.11.6:8080 in eu-west-1b is unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes: [500])',
      '5xx rate 7% in the minute from 10:14 UTC is above 1%',
      'alarm fintech-dev-ledger-5xx-rate is in ALARM: Threshold Crossed: 3 out of the last 5 datapoints were greater than the threshold (1.0).',
    ])
    expect(status.service.rollout).toBe('failed')
    expect(status.service.deployments[1]).toMatchObject({rolloutState: 'FAILED', failedTasks: 3, createdAt: '2026-11-22T10:02:00.000Z'})
    expect(status.targets).toMatchObject({healthy: 1, unhealthy: 1, total: 2})
    // (30 + 12) / 600 in the last minute, 30 / 600 in the two before, nothing earlier.
    expect(status.traffic.errorRate.series.slice(11)).toEqual([0, 0.05, 0.05, 0.07])
    expect(status.alarms).toEqual([{name: 'fintech-dev-ledger-5xx-rate', reason: expect.stringContaining('Threshold Crossed'), since: '2026-11-22T10:13:10.000Z'}])
  })

  it('a rollout still in progress is shown, not a problem', async () => {
    const status = await read({
      service: {
        ...steadyService(),
        deployments: [
          {id: 'ecs-svc/2', status: 'PRIMARY', taskDefinition: TASK_DEFINITION, desired: 2, running: 1, pending: 1, failedTasks: 0, rolloutState: 'IN_PROGRESS'},
          {id: 'ecs-svc/1', status: 'ACTIVE', taskDefinition: TASK_DEFINITION, desired: 2, running: 2, pending: 0, failedTasks: 0, rolloutState: 'COMPLETED'},
        ],
      },
    })
    expect(status.service.rollout).toBe('in-progress')
    expect(status.healthy).toBe(true)
  })

  it('a service scaled to zero with no targets cannot serve', async () => {
    const status = await read({service: {...steadyService(), desired: 0, running: 0, deployments: []}, targets: [], metrics: []})
    expect(status.problems).toEqual([
      'the ECS service fintech-dev-ledger wants no tasks (desired count 0): nothing serves the ledger',
      'no target is healthy: the load balancer has nowhere to send requests',
    ])
    expect(status.traffic).toMatchObject({requestsPerSecond: {current: 0}, errorRate: {current: null}, p50Ms: {current: null}, p99Ms: {current: null}})
    expect(status.traffic.latestMinute).toBeUndefined()
  })

  it('the load balancer\'s own 503s with no request reaching the target group are a 100% 5xx rate', async () => {
    const status = await read({metrics: [series('elb5xx', 90)]})
    expect(status.traffic.errorRate.current).toBe(1)
    expect(status.traffic.requestsPerSecond.current).toBe(0)
    expect(status.problems).toContain('5xx rate 100% in the minute from 10:14 UTC is above 1%')
  })

  it('the current figures are those of the newest minute CloudWatch has data for', async () => {
    // The load balancer's last minute has not arrived yet; a quiet minute has no count but a latency.
    const status = await read({
      metrics: [series('requests', (index) => (index < 14 && index !== 3 ? 120 * (index + 1) : undefined)), series('p99', (index) => (index < 14 ? 0.1 : undefined))],
    })
    expect(status.traffic.latestMinute).toBe('2026-11-22T10:13:00.000Z')
    expect(status.traffic.requestsPerSecond.current).toBe(28)
    expect(status.traffic.requestsPerSecond.series[3]).toBe(0)
    expect(status.traffic.errorRate.series[3]).toBeNull()
    expect(status.traffic.p50Ms.series).toEqual(Array(15).fill(null))
    expect(status.traffic.p99Ms.series[14]).toBeNull()
  })

  it('judges latency, 5xx and lag against the thresholds given', async () => {
    const answers: FakeLedger = {metrics: [series('requests', 1000), series('target5xx', 20), series('p99', 0.8), series('lag0', (index) => (index < 13 ? 2500 : undefined))]}
    const loose = await read(answers, {maxErrorRate: 0.05, maxP99Ms: 1000, maxReplicaLagMs: 5000})
    expect(loose.problems).toEqual([])

    const strict = await read(answers)
    expect(strict.problems).toEqual([
      '5xx rate 2% in the minute from 10:14 UTC is above 1%',
      'p99 latency 800 ms in the minute from 10:14 UTC is above 500 ms',
      'Aurora reader fintech-dev-aurora-2 is 2500 ms behind the writer (more than 1000 ms)',
    ])
    expect(strict.aurora.readers[0]!.lagMs).toBe(2500)
  })

  it('an Aurora cluster without a writer, or a member not available, is a problem; a stopped cluster is one problem', async () => {
    const noWriter = await read({topology: {...topology(), members: [{id: 'fintech-dev-aurora-2', writer: false, status: 'rebooting'}]}})
    expect(noWriter.problems).toEqual(['Aurora reader fintech-dev-aurora-2 is rebooting', 'the Aurora cluster fintech-dev-aurora has no writer'])
    expect(noWriter.aurora.writer).toBeUndefined()

    const stopped = await read({topology: {...topology(), status: 'stopped', members: topology().members.map((member) => ({...member, status: 'stopped'}))}})
    expect(stopped.problems).toEqual(['the Aurora cluster fintech-dev-aurora is stopped'])
  })

  it('a service or cluster AWS does not know is an error naming the stack that points at it', async () => {
    await expect(read({service: undefined})).rejects.toThrow(new FintechError('ECS has no service fintech-dev-ledger in cluster fintech-dev (outputs of fintech-dev-compute)'))
    await expect(read({topology: undefined})).rejects.toThrow('the Aurora cluster fintech-dev-aurora (output AuroraClusterId of fintech-dev-data) does not exist')
  })
})

describe('locateLedgerStacks', () => {
  const projectConfig = fileURLToPath(new URL('../../fintech.config.yaml', import.meta.url))

  it('finds the compute stack of the shipped config by its template\'s outputs, and the data stack by the AuroraClusterId it feeds it', () => {
    expect(locateLedgerStacks(loadConfig(projectConfig), 'prod')).toEqual({
      compute: {stage: 'compute', stackName: 'fintech-prod-compute'},
      data: {stage: 'data', stackName: 'fintech-prod-data'},
    })
  })

  it('an env without a ledger stack is bad input naming the config', () => {
    const error = thrown(() => locateLedgerStacks(loadConfig(projectConfig), 'management'))
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toMatch(/fintech\.config\.yaml: no stack of management has a template with the outputs ClusterName, ServiceName, .*AlarmNames \(the ledger service's\)/)
  })
})

describe('ledgerResources', () => {
  const stacks = {compute: {stage: 'compute', stackName: 'fintech-dev-compute'}, data: {stage: 'data', stackName: 'fintech-dev-data'}}
  const computeOutputs = {
    ClusterName: 'fintech-dev',
    ServiceName: 'fintech-dev-ledger',
    LoadBalancerFullName: RESOURCES.loadBalancerFullName,
    TargetGroupArn: RESOURCES.targetGroupArn,
    TargetGroupFullName: RESOURCES.targetGroupFullName,
    AlarmNames: 'fintech-dev-ledger-5xx-rate,fintech-dev-ledger-p99-latency',
  }

  it('reads the resources from the stacks\' outputs', () => {
    expect(ledgerResources('dev', stacks, {outputs: computeOutputs}, {outputs: {AuroraClusterId: 'fintech-dev-aurora'}})).toEqual(RESOURCES)
  })

  it('a stack not deployed, or without an output, fails naming the deploy command', () => {
    const missing = () => ledgerResources('dev', stacks, undefined, {outputs: {AuroraClusterId: 'x'}})
    expect(missing).toThrow('the compute stack fintech-dev-compute of dev does not exist: deploy it first (fintech deploy --stage compute --env dev)')
    const old = () => ledgerResources('dev', stacks, {outputs: {...computeOutputs, AlarmNames: ''}}, {outputs: {AuroraClusterId: 'x'}})
    expect(old).toThrow(/has no output AlarmNames: .*\(fintech deploy --stage compute --env dev\)/)
    expect((thrown(missing) as FintechError).exitCode).toBe(ExitCode.failed)
  })
})
