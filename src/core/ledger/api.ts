/**
 * What `fintech ledger status` needs from AWS (ECS, Elastic Load Balancing, CloudWatch, RDS),
 * as src/aws/ledger.ts answers it. Dates are real Dates; absent things are `undefined`.
 */

export interface ServiceDeployment {
  id: string
  /** PRIMARY is the newest (the one rolling out, or in place); ACTIVE ones are being replaced. */
  status: string
  taskDefinition: string
  desired: number
  running: number
  pending: number
  failedTasks: number
  /** COMPLETED, IN_PROGRESS or FAILED (the deployment circuit breaker gave up). */
  rolloutState?: string
  rolloutStateReason?: string
  createdAt?: Date
  updatedAt?: Date
}

export interface ServiceDescription {
  name: string
  status: string
  desired: number
  running: number
  pending: number
  taskDefinition: string
  deployments: ServiceDeployment[]
}

export interface TargetHealth {
  id: string
  port?: number
  availabilityZone?: string
  /** initial, healthy, unhealthy, unused, draining, unavailable, unhealthy.draining. */
  state: string
  reason?: string
  description?: string
}

export interface TimeWindow {
  start: Date
  end: Date
}

/** One statistic of one CloudWatch metric, per `periodSeconds`. */
export interface MetricQuery {
  /** Starts with a lower-case letter (GetMetricData's rule for query ids). */
  id: string
  namespace: string
  metricName: string
  dimensions: Record<string, string>
  stat: string
  periodSeconds: number
}

export interface MetricSeries {
  id: string
  /** Periods CloudWatch has data for, oldest first; periods without data are absent. */
  points: Array<{at: Date; value: number}>
}

export interface AuroraMember {
  id: string
  writer: boolean
  status?: string
  availabilityZone?: string
  instanceClass?: string
}

export interface AuroraTopology {
  id: string
  status: string
  members: AuroraMember[]
}

export interface FiringAlarm {
  name: string
  reason: string
  since?: Date
}

export interface LedgerApi {
  describeService(cluster: string, service: string): Promise<ServiceDescription | undefined>
  targetHealth(targetGroupArn: string): Promise<TargetHealth[]>
  /** Every query in one GetMetricData request (pages merged). */
  metrics(queries: MetricQuery[], window: TimeWindow): Promise<MetricSeries[]>
  describeCluster(clusterId: string): Promise<AuroraTopology | undefined>
  /** Those of the named alarms that are in ALARM. */
  alarmsInAlarm(names: string[]): Promise<FiringAlarm[]>
}
