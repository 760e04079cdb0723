import type {AuroraTopology, FiringAlarm, LedgerApi, MetricQuery, MetricSeries, ServiceDescription, TargetHealth, TimeWindow} from '../../src/core/ledger/api.js'
import type {LedgerResources} from '../../src/core/ledger/stacks.js'

/** The ledger of dev in small, behind a fake LedgerApi: the core and the views read it without AWS. */

export const NOW = new Date('2026-11-22T10:15:42Z')
/** metricWindow(NOW): the 15 whole minutes before 10:15. */
export const START = Date.parse('2026-11-22T10:00:00Z')
export const minute = (index: number) => new Date(START + index * 60_000)

export const RESOURCES: LedgerResources = {
  env: 'dev',
  stacks: {compute: 'fintech-dev-compute', data: 'fintech-dev-data'},
  cluster: 'fintech-dev',
  service: 'fintech-dev-ledger',
  loadBalancerFullName: 'app/fintech-dev/50dc6c495c0c9188',
  targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/fintech-dev-ledger/6d0ecf831eec9f09',
  targetGroupFullName: 'targetgroup/fintech-dev-ledger/6d0ecf831eec9f09',
  alarmNames: ['fintech-dev-ledger-5xx-rate', 'fintech-dev-ledger-p99-latency'],
  auroraClusterId: 'fintech-dev-aurora',
}

export const TASK_DEFINITION = 'arn:aws:ecs:eu-west-1:111111111111:task-definition/fintech-dev-ledger:42'

export function steadyService(): ServiceDescription {
  return {
    name: 'fintech-dev-ledger',
    status: 'ACTIVE',
    desired: 2,
    running: 2,
    pending: 0,
    taskDefinition: TASK_DEFINITION,
    deployments: [{id: 'ecs-svc/1', status: 'PRIMARY', taskDefinition: TASK_DEFINITION, desired: 2, running: 2, pending: 0, failedTasks: 0, rolloutState: 'COMPLETED'}],
  }
}

export const healthyTargets = (): TargetHealth[] => [
  {id: '10.0.10.5', port: 8080, availabilityZone: 'eu-west-1a', state: 'healthy'},
  {id: '10.0.11.6', port: 8080, availabilityZone: 'eu-west-1b', state: 'healthy'},
]

export const topology = (): AuroraTopology => ({
  id: 'fintech-dev-aurora',
  status: 'available',
  members: [
    {id: 'fintech-dev-aurora-1', writer: true, status: 'available', availabilityZone: 'eu-west-1a', instanceClass: 'db.r6g.large'},
    {id: 'fintech-dev-aurora-2', writer: false, status: 'available', availabilityZone: 'eu-west-1b', instanceClass: 'db.r6g.large'},
  ],
})

/** Every minute of the window at `value`, or the given minutes only. */
export const series = (id: string, value: number | ((index: number) => number | undefined)): MetricSeries => ({
  id,
  points: Array.from({length: 15}, (_, index) => ({at: minute(index), value: typeof value === 'number' ? value : value(index)})).filter(
    (point): point is {at: Date; value: number} => point.value !== undefined,
  ),
})

/** 600 requests a minute, no 5xx, p50 20 ms, p99 120 ms, the reader 15 ms behind. */
export const calmMetrics = (): MetricSeries[] => [
  series('requests', 600),
  series('p50', 0.02),
  series('p99', 0.12),
  series('lag0', 15),
]

export interface FakeLedger {
  service?: ServiceDescription | undefined
  targets?: TargetHealth[]
  metrics?: MetricSeries[]
  topology?: AuroraTopology | undefined
  alarms?: FiringAlarm[]
}

export function fakeLedger(answers: FakeLedger = {}): LedgerApi & {calls: {metrics: Array<{queries: MetricQuery[]; window: TimeWindow}>; alarms: string[][]}} {
  const calls = {metrics: [] as Array<{queries: MetricQuery[]; window: TimeWindow}>, alarms: [] as string[][]}
  const has = (key: keyof FakeLedger) => key in answers
  return {
    calls,
    async describeService() {
      return has('service') ? answers.service : steadyService()
    },
    async targetHealth() {
      return answers.targets ?? healthyTargets()
    },
    async metrics(queries, window) {
      calls.metrics.push({queries, window})
      return answers.metrics ?? calmMetrics()
    },
    async describeCluster() {
      return has('topology') ? answers.topology : topology()
    },
    async alarmsInAlarm(names) {
      calls.alarms.push(names)
      return answers.alarms ?? []
    },
  }
}

/** Tasks short, a failed rollout, an unhealthy target, 5xx in the last three minutes, the 5xx alarm firing. */
export function unhealthyAnswers(): FakeLedger {
  const failedDefinition = 'arn:aws:ecs:eu-west-1:111111111111:task-definition/fintech-dev-ledger:43'
  return {
    service: {
      ...steadyService(),
      running: 1,
      pending: 1,
      deployments: [
        {id: 'ecs-svc/2', status: 'PRIMARY', taskDefinition: TASK_DEFINITION, desired: 2, running: 1, pending: 1, failedTasks: 0, rolloutState: 'IN_PROGRESS'},
        {
          id: 'ecs-svc/3', status: 'ACTIVE', taskDefinition: failedDefinition, desired: 0, running: 0, pending: 0, failedTasks: 3, rolloutState: 'FAILED',
          rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.', createdAt: new Date('2026-11-22T10:02:00Z'),
        },
      ],
    },
    targets: [
      {id: '10.0.10.5', port: 8080, availabilityZone: 'eu-west-1a', state: 'healthy'},
      {id: '10.0.11.6', port: 8080, availabilityZone: 'eu-west-1b', state: 'unhealthy', reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [500]'},
    ],
    metrics: [series('requests', 600), series('target5xx', (index) => (index >= 12 ? 30 : undefined)), series('elb5xx', (index) => (index === 14 ? 12 : undefined)), series('p99', 0.2)],
    alarms: [{name: 'fintech-dev-ledger-5xx-rate', reason: 'Threshold Crossed: 3 out of the last 5 datapoints were greater than the threshold (1.0).', since: new Date('2026-11-22T10:13:10Z')}],
  }
}
