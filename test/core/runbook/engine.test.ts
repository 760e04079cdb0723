import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {executeRunbook, isReadOnlyApi} from '../../../src/core/runbook/engine.js'
import {loadRunbooks} from '../../../src/core/runbook/load.js'
import type {RunState} from '../../../src/core/runbook/run-state.js'
import {fakes, freshState, runbookOf} from '../../helpers/runbook-fakes.js'


/** Read, check, approve, change, wait: the shape of every shipped runbook. */
const FAILOVER = runbookOf(
  `  - name: cluster
    kind: assert
    service: rds
    api: DescribeDBClusters
    parameters: {DBClusterIdentifier: '{{ params.clusterId }}'}
    selector: $.DBClusters[0].Status
    expected: [available]
    outputs:
      Writer: $.DBClusters[0].DBClusterMembers[?(@.IsClusterWriter == true)].DBInstanceIdentifier
      Writers: {selector: '$.DBClusters[0].DBClusterMembers[?(@.IsClusterWriter == true)].length()', type: Integer}
  - name: one-writer
    kind: script
    value: '{{ steps.cluster.outputs.Writers }}'
    equals: 1
  - name: approve
    kind: approve
    summary: 'Fail over from {{ steps.cluster.outputs.Writer }} to {{ params.target }}'
  - name: failover
    kind: aws
    service: rds
    api: FailoverDBCluster
    parameters: {DBClusterIdentifier: '{{ params.clusterId }}', TargetDBInstanceIdentifier: '{{ params.target }}'}
  - name: flipped
    kind: wait
    service: rds
    api: DescribeDBClusters
    parameters: {DBClusterIdentifier: '{{ params.clusterId }}'}
    selector: $.DBClusters[0].DBClusterMembers[?(@.IsClusterWriter == true)].DBInstanceIdentifier
    desiredValues: ['{{ params.target }}']
    timeout: 60`,
  '{clusterId: {type: string, description: c}, target: {type: string, description: t}}',
)
const PARAMS = {clusterId: 'ledger', target: 'db-2'}

/** A cluster whose writer becomes db-2 once FailoverDBCluster was called and `flipAfter` more reads went by. */
function aurora(flipAfter = 2) {
  let failedOverAt: number | undefined
  let reads = 0
  return {
    'rds:DescribeDBClusters': () => {
      reads++
      const flipped = failedOverAt !== undefined && reads - failedOverAt > flipAfter
      return {DBClusters: [{Status: 'available', DBClusterMembers: [{DBInstanceIdentifier: 'db-1', IsClusterWriter: !flipped}, {DBInstanceIdentifier: 'db-2', IsClusterWriter: flipped}]}]}
    },
    'rds:FailoverDBCluster': () => {
      failedOverAt = reads
      return {DBCluster: {Status: 'failing-over'}}
    },
  }
}

describe('runbook engine: order and outputs', () => {
  it('runs the steps in order, passing outputs on, and polls the wait until the writer flipped', async () => {
    const fake = fakes(aurora(2))
    const state = await executeRunbook(FAILOVER, freshState(FAILOVER, PARAMS), fake.deps)
    expect(state.status).toBe('succeeded')
    expect(state.next).toBeUndefined()
    expect(fake.calls.map((call) => call.api)).toEqual(['rds:DescribeDBClusters', 'rds:FailoverDBCluster', 'rds:DescribeDBClusters', 'rds:DescribeDBClusters', 'rds:DescribeDBClusters'])
    expect(fake.calls[1]!.parameters).toEqual({DBClusterIdentifier: 'ledger', TargetDBInstanceIdentifier: 'db-2'})
    expect(fake.approvals).toEqual(['Fail over from db-1 to db-2'])
    expect(state.steps.cluster!.outputs).toEqual({Writer: 'db-1', Writers: 1})
    expect(state.steps.flipped).toMatchObject({status: 'succeeded', attempts: 1})
    expect(fake.slept).toEqual([5000, 5000])
    expect(Object.values(state.steps).map((record) => record.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded'])
  })

  it('keeps a whole-string reference in its type and gives times as Dates', async () => {
    const runbook = runbookOf(
      `  - name: scale
    kind: aws
    service: ecs
    api: UpdateService
    parameters: {desiredCount: '{{ params.count }}', note: 'to {{ params.count }} tasks'}
  - name: metric
    kind: aws
    service: cloudwatch
    api: GetMetricStatistics
    parameters: {StartTime: '{{ time.minus5m }}', EndTime: '{{ time.now }}'}`,
      '{count: {type: number, description: n}}',
    )
    const fake = fakes({'ecs:UpdateService': () => ({}), 'cloudwatch:GetMetricStatistics': () => ({Datapoints: []})})
    await executeRunbook(runbook, freshState(runbook, {count: 6}), fake.deps)
    expect(fake.calls[0]!.parameters).toEqual({desiredCount: 6, note: 'to 6 tasks'})
    expect(fake.calls[1]!.parameters).toEqual({StartTime: new Date('2026-12-01T02:55:00Z'), EndTime: new Date('2026-12-01T03:00:00Z')})
  })

  it('fails a step whose reference has no value, naming it', async () => {
    const runbook = runbookOf(
      `  - name: lag
    kind: aws
    service: cloudwatch
    api: GetMetricStatistics
    parameters: {}
    outputs:
      Lag: {selector: '$.Datapoints[0].Maximum', type: Integer}
  - name: under
    kind: script
    value: '{{ steps.lag.outputs.Lag }}'
    lessThan: 100`,
    )
    const fake = fakes({'cloudwatch:GetMetricStatistics': () => ({Datapoints: []})})
    const state = await executeRunbook(runbook, freshState(runbook), fake.deps)
    expect(state).toMatchObject({status: 'failed', next: 'under'})
    expect(state.steps.under!.detail).toBe('{{ steps.lag.outputs.Lag }}: step lag produced no Lag (its selector matched nothing)')
  })
})

describe('runbook engine: failures', () => {
  const THREE = (onFailure: string, end = false) =>
    runbookOf(`  - name: first
    kind: shell
    command: echo one
  - name: check
    kind: shell
    command: fail now
    onFailure: ${onFailure}
    end: ${end}
  - name: after
    kind: shell
    command: echo after
  - name: rescue
    kind: shell
    command: echo rescue`)

  it('stops at the first failure by default (abort), leaving the failed step as the one to resume at', async () => {
    const fake = fakes({})
    const state = await executeRunbook(THREE('abort'), freshState(THREE('abort')), fake.deps)
    expect(state).toMatchObject({status: 'failed', next: 'check'})
    expect(state.steps.check).toMatchObject({status: 'failed', detail: 'exit code 3: it failed'})
    expect(fake.calls.map((call) => call.parameters.command)).toEqual(['echo one', 'fail now'])
    expect(state.steps.after).toBeUndefined()
  })

  it('goes on after a failure marked continue, and the run succeeds with the failure recorded', async () => {
    const fake = fakes({})
    const state = await executeRunbook(THREE('continue'), freshState(THREE('continue')), fake.deps)
    expect(state.status).toBe('succeeded')
    expect(state.steps.check!.status).toBe('failed')
    expect(fake.calls.map((call) => call.parameters.command)).toEqual(['echo one', 'fail now', 'echo after', 'echo rescue'])
  })

  it('ends the run at an end step that failed and continued, as SSM isEnd does', async () => {
    const fake = fakes({})
    const state = await executeRunbook(THREE('continue', true), freshState(THREE('continue', true)), fake.deps)
    expect(state.status).toBe('succeeded')
    expect(fake.calls.map((call) => call.parameters.command)).toEqual(['echo one', 'fail now'])
  })

  it('jumps to the onFailure step', async () => {
    const fake = fakes({})
    const state = await executeRunbook(THREE('step:rescue'), freshState(THREE('step:rescue')), fake.deps)
    expect(state.status).toBe('succeeded')
    expect(fake.calls.map((call) => call.parameters.command)).toEqual(['echo one', 'fail now', 'echo rescue'])
  })

  it('retries a failing step as often as it says, backing off between attempts', async () => {
    const runbook = runbookOf(`  - name: flaky
    kind: aws
    service: ecs
    api: DescribeServices
    retries: 2
    outputs: {Count: {selector: '$.services[0].runningCount', type: Integer}}`)
    const fake = fakes({'ecs:DescribeServices': (_, call) => {
      if (call < 3) throw Object.assign(new Error('Rate exceeded'), {name: 'ThrottlingException'})
      return {services: [{runningCount: 4}]}
    }})
    const state = await executeRunbook(runbook, freshState(runbook), fake.deps)
    expect(state.steps.flaky).toMatchObject({status: 'succeeded', attempts: 3, outputs: {Count: 4}})
    expect(fake.slept).toEqual([1000, 2000])
  })

  it('fails once the retries are used up, with what AWS said', async () => {
    const runbook = runbookOf(`  - name: flaky
    kind: aws
    service: ecs
    api: DescribeServices
    retries: 1`)
    const fake = fakes({'ecs:DescribeServices': () => {
      throw Object.assign(new Error('Cluster not found.'), {name: 'ClusterNotFoundException'})
    }})
    const state = await executeRunbook(runbook, freshState(runbook), fake.deps)
    expect(state.steps.flaky).toMatchObject({status: 'failed', attempts: 2, detail: 'ClusterNotFoundException: Cluster not found.'})
  })

  it('fails a wait that does not reach its value within its timeout', async () => {
    const fake = fakes({...aurora(1000)})
    const state = await executeRunbook(FAILOVER, freshState(FAILOVER, PARAMS), fake.deps)
    expect(state).toMatchObject({status: 'failed', next: 'flipped'})
    expect(state.steps.flipped!.detail).toBe('$.DBClusters[0].DBClusterMembers[?(@.IsClusterWriter == true)].DBInstanceIdentifier still "db-1" after 60 s, waiting for db-2')
    expect(fake.slept.reduce((sum, ms) => sum + ms, 0)).toBe(60_000)
  })

  it('times out a call that hangs longer than the step timeout', async () => {
    const runbook = runbookOf(`  - name: hang
    kind: aws
    service: rds
    api: DescribeDBClusters
    timeout: 1`)
    const fake = fakes({'rds:DescribeDBClusters': () => new Promise(() => undefined)})
    let aborted = false
    const call = fake.deps.aws.call
    fake.deps.aws = {call: (service, api, parameters, signal) => (signal.addEventListener('abort', () => (aborted = true)), call(service, api, parameters, signal))}
    const state = await executeRunbook(runbook, freshState(runbook), fake.deps)
    expect(state.steps.hang).toMatchObject({status: 'failed', detail: 'timed out after 1 s'})
    expect(aborted).toBe(true)
  })

  it('stops at a refused approval: the change after it is never sent and the run says refused', async () => {
    const fake = fakes(aurora(), {approve: false})
    const state = await executeRunbook(FAILOVER, freshState(FAILOVER, PARAMS), fake.deps)
    expect(state).toMatchObject({status: 'refused', next: 'approve'})
    expect(state.steps.approve!.detail).toBe('not approved: declined at the prompt')
    expect(fake.calls.map((call) => call.api)).not.toContain('rds:FailoverDBCluster')
    expect(fake.audit.find((entry) => entry.step === 'approve')).toMatchObject({result: 'refused', changes: false})
  })

  it('ends a runbook whose step: jumps go round in a circle', async () => {
    const runbook = runbookOf(`  - name: a
    kind: shell
    command: fail a
    onFailure: step:b
  - name: b
    kind: shell
    command: fail b
    onFailure: step:a`)
    const fake = fakes({})
    const state = await executeRunbook(runbook, freshState(runbook), fake.deps)
    expect(state.status).toBe('failed')
    expect(fake.calls.length).toBe(40)
  })

  it('audits every step with its request and whether it changes anything', async () => {
    const fake = fakes(aurora(0))
    await executeRunbook(FAILOVER, freshState(FAILOVER, PARAMS), fake.deps)
    expect(fake.audit.map((entry) => [entry.step, entry.result, entry.changes])).toEqual([
      ['cluster', 'ok', false],
      ['one-writer', 'ok', false],
      ['approve', 'ok', false],
      ['failover', 'started', true],
      ['failover', 'ok', true],
      ['flipped', 'ok', false],
    ])
    expect(fake.audit[4]!.request).toBe('rds:FailoverDBCluster {"DBClusterIdentifier":"ledger","TargetDBInstanceIdentifier":"db-2"}')
    expect(fake.audit.every((entry) => entry.run === 'run-1')).toBe(true)
  })
})

describe('runbook engine: dry run', () => {
  it('makes the reads before the first change, shows the approval and the change, and sends no mutating call', async () => {
    const fake = fakes(aurora())
    const state = await executeRunbook(FAILOVER, freshState(FAILOVER, PARAMS, true), fake.deps)
    expect(state.status).toBe('succeeded')
    expect(fake.calls.map((call) => call.api)).toEqual(['rds:DescribeDBClusters'])
    expect(fake.approvals).toEqual([])
    expect(state.steps.approve).toMatchObject({status: 'planned', detail: 'would ask: Fail over from db-1 to db-2'})
    expect(state.steps.failover).toMatchObject({status: 'planned', detail: 'would run: rds:FailoverDBCluster {"DBClusterIdentifier":"ledger","TargetDBInstanceIdentifier":"db-2"}'})
    expect(state.steps.flipped).toMatchObject({status: 'planned'})
  })

  it('stops where a pre-check fails, as the real run would', async () => {
    const fake = fakes({'rds:DescribeDBClusters': () => ({DBClusters: [{Status: 'stopped', DBClusterMembers: []}]})})
    const state = await executeRunbook(FAILOVER, freshState(FAILOVER, PARAMS, true), fake.deps)
    expect(state).toMatchObject({status: 'failed', next: 'cluster'})
    expect(state.steps.cluster!.detail).toBe('$.DBClusters[0].Status is "stopped", expected available')
  })

  it('shows later references it cannot know yet as written', async () => {
    const runbook = runbookOf(`  - name: create
    kind: aws
    service: rds
    api: RestoreDBClusterFromSnapshot
    parameters: {DBClusterIdentifier: copy}
    outputs: {Arn: $.DBCluster.DBClusterArn}
  - name: tag
    kind: aws
    service: rds
    api: AddTagsToResource
    parameters: {ResourceName: '{{ steps.create.outputs.Arn }}'}`)
    const fake = fakes({})
    const state = await executeRunbook(runbook, freshState(runbook, {}, true), fake.deps)
    expect(fake.calls).toEqual([])
    expect(state.steps.tag!.detail).toBe('would run: rds:AddTagsToResource {"ResourceName":"{{ steps.create.outputs.Arn }}"}')
  })

  it('does not run shell steps or changing redis operations, but reads redis status', async () => {
    const runbook = runbookOf(`  - name: before
    kind: redis
    operation: status
  - name: move
    kind: redis
    operation: failover
  - name: script
    kind: shell
    command: echo hi`)
    const fake = fakes({})
    const state = await executeRunbook(runbook, freshState(runbook, {}, true), fake.deps)
    expect(fake.calls.map((call) => call.api)).toEqual(['redis:status'])
    expect(state.steps.move!.status).toBe('planned')
    expect(state.steps.script!.status).toBe('planned')
  })
})

describe('runbook engine: resume', () => {
  class Crash extends Error {}

  /** Runs until the state file says `step` started, then dies (a crash, a kill -9): the saved state is what a resume gets. */
  async function crashAt(step: string, world: ReturnType<typeof aurora>): Promise<{saved: RunState; fake: ReturnType<typeof fakes>}> {
    const fake = fakes(world)
    const save = fake.deps.save
    fake.deps.save = (state) => {
      save(state)
      if (state.steps[step]?.status === 'running') throw new Crash()
    }
    await expect(executeRunbook(FAILOVER, freshState(FAILOVER, PARAMS), fake.deps)).rejects.toBeInstanceOf(Crash)
    return {saved: fake.saves.at(-1)!, fake}
  }

  for (const step of FAILOVER.steps.map((candidate) => candidate.name)) {
    it(`after a crash as ${step} started, resumes at ${step} and runs no finished step again`, async () => {
      // The cluster outlives the crash: a failover sent before it is still under way.
      const world = aurora(0)
      const {saved, fake: first} = await crashAt(step, world)
      expect(saved.next).toBe(step)
      const second = fakes(world)
      const state = await executeRunbook(FAILOVER, saved, second.deps)
      expect(state.status).toBe('succeeded')
      const position = FAILOVER.steps.findIndex((candidate) => candidate.name === step)
      const ended = (audit: typeof first.audit) => audit.filter((entry) => entry.result !== 'started').map((entry) => entry.step)
      const ranBefore = ended(first.audit)
      const ranAfter = ended(second.audit)
      expect(ranBefore).toEqual(FAILOVER.steps.slice(0, position).map((candidate) => candidate.name))
      expect(ranAfter).toEqual(FAILOVER.steps.slice(position).map((candidate) => candidate.name))
      expect(first.calls.filter((call) => call.api === 'rds:FailoverDBCluster').length + second.calls.filter((call) => call.api === 'rds:FailoverDBCluster').length).toBe(1)
      expect(first.approvals.length + second.approvals.length).toBe(1)
    })
  }

  it('resumes a failed run at the failed step with the earlier outputs', async () => {
    const broken = fakes({...aurora(0), 'rds:FailoverDBCluster': () => {
      throw Object.assign(new Error('Cluster is not available'), {name: 'InvalidDBClusterStateFault'})
    }})
    const failed = await executeRunbook(FAILOVER, freshState(FAILOVER, PARAMS), broken.deps)
    expect(failed).toMatchObject({status: 'failed', next: 'failover'})
    const fixed = fakes(aurora(0))
    const state = await executeRunbook(FAILOVER, structuredClone(failed), fixed.deps)
    expect(state.status).toBe('succeeded')
    expect(fixed.calls.map((call) => call.api)).toEqual(['rds:FailoverDBCluster', 'rds:DescribeDBClusters'])
    expect(fixed.approvals).toEqual([])
  })

  it('saves the state as each step starts and as it ends', async () => {
    const fake = fakes(aurora(0))
    await executeRunbook(FAILOVER, freshState(FAILOVER, PARAMS), fake.deps)
    const statuses = fake.saves.map((saved) => `${saved.next ?? '-'}:${saved.next ? saved.steps[saved.next]?.status : saved.status}`)
    expect(statuses).toEqual([...FAILOVER.steps.flatMap((step) => [`${step.name}:running`, `${step.name}:succeeded`]), '-:succeeded'])
  })
})

describe('runbook engine: runbook steps', () => {
  const CHILD = runbookOf(
    `  - name: scale
    kind: aws
    service: ecs
    api: UpdateService
    parameters: {desiredCount: '{{ params.count }}'}
  - name: read
    kind: aws
    service: ecs
    api: DescribeServices
    outputs: {Running: {selector: '$.services[0].runningCount', type: Integer}}`,
    '{count: {type: number, description: n, default: 2}}',
    'child',
  )
  const PARENT = runbookOf(`  - name: call
    kind: runbook
    runbook: child
    parameters: {count: 5}
    outputs: {Running: {selector: $.steps.read.Running, type: Integer}}
  - name: check
    kind: script
    value: '{{ steps.call.outputs.Running }}'
    equals: 5`)

  it('runs the called runbook with its parameters and reads its outputs', async () => {
    const fake = fakes({'ecs:UpdateService': () => ({}), 'ecs:DescribeServices': () => ({services: [{runningCount: 5}]})}, {childRunbooks: {child: CHILD}})
    const state = await executeRunbook(PARENT, freshState(PARENT), fake.deps)
    expect(state.status).toBe('succeeded')
    expect(fake.calls[0]).toEqual({api: 'ecs:UpdateService', parameters: {desiredCount: 5}})
    expect(state.steps.call!.child).toMatchObject({id: 'run-1/call', status: 'succeeded'})
    expect(state.steps.call!.outputs).toEqual({Running: 5})
  })

  it('resumes inside the called runbook without repeating its finished steps', async () => {
    const failing = fakes({'ecs:UpdateService': () => ({}), 'ecs:DescribeServices': () => {
      throw new Error('network down')
    }}, {childRunbooks: {child: CHILD}})
    const failed = await executeRunbook(PARENT, freshState(PARENT), failing.deps)
    expect(failed).toMatchObject({status: 'failed', next: 'call'})
    expect(failed.steps.call!.child).toMatchObject({status: 'failed', next: 'read'})
    const fixed = fakes({'ecs:UpdateService': () => ({}), 'ecs:DescribeServices': () => ({services: [{runningCount: 5}]})}, {childRunbooks: {child: CHILD}})
    const state = await executeRunbook(PARENT, structuredClone(failed), fixed.deps)
    expect(state.status).toBe('succeeded')
    expect(fixed.calls.map((call) => call.api)).toEqual(['ecs:DescribeServices'])
  })
})

describe('read-only APIs', () => {
  it('knows reads from changes by the action name', () => {
    expect(['DescribeDBClusters', 'GetMetricStatistics', 'ListTasks', 'DescribeTargetHealth'].every(isReadOnlyApi)).toBe(true)
    expect(['FailoverDBCluster', 'UpdateService', 'RegisterScalableTarget', 'Describe', 'GetawayCar', 'DeleteDBCluster'].some(isReadOnlyApi)).toBe(false)
  })
})

describe('the shipped failover runbook', () => {
  const shipped = loadRunbooks(fileURLToPath(new URL('../../..', import.meta.url)), ['dev', 'test', 'prod', 'management']).runbooks.get('failover')!
  const params = {environment: 'dev', clusterId: 'ledger', targetInstance: 'db-2', maxReplicaLagMs: 100, ecsCluster: 'fintech-dev', service: 'ledger', targetGroupArn: 'arn:tg', loadBalancer: 'app/fintech-dev/1', max5xx: 5}

  it('waits out the target health timeout on polls, then forces a new deployment and waits for it and for the targets', async () => {
    let redeployed = false
    const fake = fakes({
      ...aurora(0),
      'rds:DescribeDBInstances': ({DBInstanceIdentifier, Filters}) => ({
        DBInstances: (DBInstanceIdentifier ? [DBInstanceIdentifier] : Filters[0].Values).map((id: string) => ({DBInstanceIdentifier: id, DBInstanceStatus: 'available', AvailabilityZone: id === 'db-1' ? 'eu-west-1a' : 'eu-west-1b'})),
      }),
      'cloudwatch:GetMetricStatistics': () => ({Datapoints: [{Maximum: 3}]}),
      'cloudwatch:DescribeAlarms': () => ({MetricAlarms: []}),
      'elbv2:DescribeTargetHealth': () => ({TargetHealthDescriptions: [{TargetHealth: {State: redeployed ? 'healthy' : 'unhealthy'}}]}),
      'ecs:UpdateService': () => {
        redeployed = true
        return {service: {desiredCount: 1}}
      },
      'ecs:DescribeServices': (_, call) => ({services: [{deployments: [{rolloutState: call < 3 ? 'IN_PROGRESS' : 'COMPLETED'}]}]}),
    })
    const state = await executeRunbook(shipped, freshState(shipped, params), fake.deps)
    expect(state.status).toBe('succeeded')
    const health = fake.calls.filter((call) => call.api === 'elbv2:DescribeTargetHealth').length
    expect(health).toBe(61 + 1)
    expect(fake.calls.map((call) => call.api).slice(-6)).toEqual(['ecs:UpdateService', 'ecs:DescribeServices', 'ecs:DescribeServices', 'ecs:DescribeServices', 'elbv2:DescribeTargetHealth', 'redis:status'])
    expect(fake.calls.find((call) => call.api === 'ecs:UpdateService')!.parameters).toEqual({cluster: 'fintech-dev', service: 'ledger', forceNewDeployment: true})
    expect(state.steps['targets-healthy']).toMatchObject({status: 'failed'})
    expect(state.steps['errors-5xx']).toBeUndefined()
    expect(state.steps['redis-sentinel']).toBeUndefined()
    expect(state.steps['redeployed-redis-sentinel']!.status).toBe('succeeded')
  })
})

describe('runbook engine: a protected env', () => {
  const SCALE = runbookOf(`  - name: read
    kind: aws
    service: ecs
    api: DescribeServices
  - name: scale
    kind: aws
    service: ecs
    api: UpdateService
    parameters: {desiredCount: 0}
  - name: again
    kind: aws
    service: ecs
    api: UpdateService
    parameters: {desiredCount: 1}`)
  const ECS = {'ecs:DescribeServices': () => ({services: []}), 'ecs:UpdateService': () => ({})}

  it('asks before the first change of a runbook that has no approve step, once', async () => {
    const fake = fakes(ECS, {protectedEnv: true})
    const state = await executeRunbook(SCALE, freshState(SCALE), fake.deps)
    expect(state.status).toBe('succeeded')
    expect(fake.approvals).toEqual(['dev is protected and nothing approved a change in this run yet: step scale will ecs:UpdateService {"desiredCount":0}'])
  })

  it('sends no change when that question is refused', async () => {
    const fake = fakes(ECS, {protectedEnv: true, approve: false})
    const state = await executeRunbook(SCALE, freshState(SCALE), fake.deps)
    expect(state).toMatchObject({status: 'refused', next: 'scale'})
    expect(fake.calls.map((call) => call.api)).toEqual(['ecs:DescribeServices'])
  })

  it('asks again in a resume, however much was approved before it', async () => {
    const world = aurora(0)
    const first = fakes(world, {protectedEnv: true})
    first.deps.aws = {
      call: async (service, api, parameters) => {
        if (api === 'FailoverDBCluster') throw Object.assign(new Error('busy'), {name: 'InvalidDBClusterStateFault'})
        return (world as any)[`${service}:${api}`](parameters)
      },
    }
    const failed = await executeRunbook(FAILOVER, freshState(FAILOVER, PARAMS), first.deps)
    expect(first.approvals).toEqual(['Fail over from db-1 to db-2'])
    const second = fakes(world, {protectedEnv: true})
    const state = await executeRunbook(FAILOVER, structuredClone(failed), second.deps)
    expect(state.status).toBe('succeeded')
    expect(second.approvals).toEqual(['dev is protected and nothing approved a change in this run yet: step failover will rds:FailoverDBCluster {"DBClusterIdentifier":"ledger","TargetDBInstanceIdentifier":"db-2"}'])
  })

  it('asks nothing extra in an env that is not protected', async () => {
    const fake = fakes(ECS)
    await executeRunbook(SCALE, freshState(SCALE), fake.deps)
    expect(fake.approvals).toEqual([])
  })
})

describe('runbook engine: approvals that break', () => {
  const GUARDED = runbookOf(`  - name: ask
    kind: approve
    summary: go
    onFailure: continue
  - name: change
    kind: aws
    service: ecs
    api: UpdateService`)

  it('takes an approver that fails as a refusal, whatever onFailure says', async () => {
    const fake = fakes({'ecs:UpdateService': () => ({})})
    fake.deps.approver = {approve: async () => Promise.reject(new Error('stdin closed'))}
    const state = await executeRunbook(GUARDED, freshState(GUARDED), fake.deps)
    expect(state).toMatchObject({status: 'refused', next: 'ask'})
    expect(state.steps.ask!.detail).toBe('not approved: the approval could not be asked (stdin closed)')
    expect(fake.calls).toEqual([])
  })

  it('takes Ctrl-C at the prompt (readline\'s AbortError) as an interruption', async () => {
    const fake = fakes({'ecs:UpdateService': () => ({})})
    fake.deps.approver = {approve: async () => Promise.reject(Object.assign(new Error('Aborted with Ctrl+C'), {name: 'AbortError'}))}
    const state = await executeRunbook(GUARDED, freshState(GUARDED), fake.deps)
    expect(state).toMatchObject({status: 'interrupted', next: 'ask'})
    expect(fake.calls).toEqual([])
  })
})

describe('runbook engine: shell commands', () => {
  const ANSWER = {services: [{serviceName: "ledger'; rm -rf / #"}]}

  it('hands the values in env to the shell as data, with the command untouched', async () => {
    const runbook = runbookOf(`  - name: name
    kind: aws
    service: ecs
    api: DescribeServices
    outputs: {Name: '$.services[0].serviceName'}
  - name: print
    kind: shell
    command: 'echo "$NAME, $COUNT" > /tmp/out'
    env: {NAME: '{{ steps.name.outputs.Name }}', COUNT: '{{ params.count }}', MODE: fast}`, '{count: {type: number, description: n}}')
    const fake = fakes({'ecs:DescribeServices': () => ANSWER})
    await executeRunbook(runbook, freshState(runbook, {count: 3}), fake.deps)
    expect(fake.calls[1]).toEqual({api: 'shell', parameters: {command: 'echo "$NAME, $COUNT" > /tmp/out', env: {NAME: "ledger'; rm -rf / #", COUNT: '3', MODE: 'fast'}}})
    expect(fake.audit.find((entry) => entry.step === 'print')!.request).toBe(`$ echo "$NAME, $COUNT" > /tmp/out with NAME="ledger'; rm -rf / #" COUNT="3" MODE="fast"`)
  })

  it('turns a reference left in a command into a variable it sets, quoted where it stands bare, never into the value', async () => {
    const runbook = runbookOf(`  - name: name
    kind: aws
    service: ecs
    api: DescribeServices
    outputs: {Name: '$.services[0].serviceName'}
  - name: print
    kind: shell
    command: 'echo {{ steps.name.outputs.Name }} "at {{ params.count }}" ''{{ steps.name.outputs.Name }}'' > /tmp/out'`, '{count: {type: number, description: n}}')
    const fake = fakes({'ecs:DescribeServices': () => ANSWER})
    await executeRunbook(runbook, freshState(runbook, {count: 3}), fake.deps)
    expect(fake.calls[1]).toEqual({
      api: 'shell',
      parameters: {command: `echo "\${FINTECH_VALUE_1}" "at \${FINTECH_VALUE_2}" '\${FINTECH_VALUE_1}' > /tmp/out`, env: {FINTECH_VALUE_1: "ledger'; rm -rf / #", FINTECH_VALUE_2: '3'}},
    })
  })
})

describe('runbook engine: Ctrl-C', () => {
  it('stops in the middle of a wait, saves the wait as the step to resume at, and a resume finishes the run', async () => {
    const world = aurora(3)
    const controller = new AbortController()
    const first = fakes(world)
    first.deps.signal = controller.signal
    const sleep = first.deps.clock.sleep
    first.deps.clock = {...first.deps.clock, sleep: async (ms, signal) => {
      controller.abort()
      return sleep(ms, signal)
    }}
    const stopped = await executeRunbook(FAILOVER, freshState(FAILOVER, PARAMS), first.deps)
    expect(stopped).toMatchObject({status: 'interrupted', next: 'flipped'})
    expect(first.saves.at(-1)).toMatchObject({status: 'interrupted', next: 'flipped'})
    expect(first.audit.at(-1)).toMatchObject({step: 'flipped', result: 'interrupted'})
    const second = fakes(world)
    const state = await executeRunbook(FAILOVER, structuredClone(stopped), second.deps)
    expect(state.status).toBe('succeeded')
    expect(second.calls.map((call) => call.api).every((api) => api === 'rds:DescribeDBClusters')).toBe(true)
  })
})
