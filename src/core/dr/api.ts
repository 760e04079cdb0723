/** What `fintech dr status` reads, per region (the env's and its recovery region's) and from Route 53 (global). */

/** A member cluster of an Aurora global database. */
export interface GlobalClusterMember {
  clusterArn: string
  writer: boolean
}

export interface GlobalCluster {
  id: string
  status: string
  members: GlobalClusterMember[]
}

export interface TableReplica {
  region: string
  status: string
}

/** An S3 replication rule of a source bucket. */
export interface ReplicationRule {
  id: string
  enabled: boolean
  destinationBucketArn: string
  /** Replication metrics on (Destination.Metrics), without which CloudWatch has no backlog to show. */
  metricsEnabled: boolean
}

export interface CopyJob {
  id: string
  completedAt: Date
  sourceVaultArn: string
}

export interface MetricQuery {
  namespace: string
  metricName: string
  dimensions: Record<string, string>
}

export interface HealthCheckReport {
  /** Route 53 reports the opposite of what the endpoint answers: set on purpose to drain a region. */
  inverted: boolean
  /** One status line per Route 53 checker, e.g. "Success: HTTP Status Code 200, OK". */
  observations: string[]
}

export interface DrRegionApi {
  /** The stack's outputs, or undefined when CloudFormation does not know the stack. */
  stackOutputs(stackName: string): Promise<Record<string, string> | undefined>
  describeGlobalCluster(id: string): Promise<GlobalCluster | undefined>
  /** The highest value of the metric's Maximum statistic between start and end, undefined without a datapoint. */
  maximum(query: MetricQuery, window: {start: Date; end: Date}): Promise<number | undefined>
  tableReplicas(table: string): Promise<TableReplica[] | undefined>
  replicationRules(bucket: string): Promise<ReplicationRule[]>
  /** The newest COMPLETED copy job into the vault created since `since`. */
  lastCopyJob(destinationVaultArn: string, since: Date): Promise<CopyJob | undefined>
}

export interface DrApi {
  region(name: string): DrRegionApi
  healthCheck(id: string): Promise<HealthCheckReport>
}
