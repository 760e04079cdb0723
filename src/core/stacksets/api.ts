/**
 * What the StackSet rollout needs from CloudFormation (src/aws/stacksets.ts implements it).
 * Every call is made as the administrator (CallAs is the adapter's, from the config).
 */

export interface AutoDeployment {
  enabled: boolean
  retainStacksOnAccountRemoval: boolean
}

export interface LiveStackSet {
  name: string
  status: string
  templateBody: string
  parameters: Record<string, string>
  tags: Record<string, string>
  autoDeployment?: AutoDeployment
  permissionModel?: string
}

export interface StackInstance {
  account: string
  region: string
  organizationalUnitId?: string
  /** CURRENT, OUTDATED or INOPERABLE. */
  status: string
  /** PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED, INOPERABLE, SKIPPED_SUSPENDED_ACCOUNT… */
  detailedStatus?: string
  statusReason?: string
  /** DRIFTED, IN_SYNC, UNKNOWN or NOT_CHECKED: the last drift detection's verdict. */
  driftStatus?: string
  lastDriftCheck?: Date
}

export interface OperationSummary {
  id: string
  action: string
  /** RUNNING, SUCCEEDED, FAILED, STOPPING, STOPPED or QUEUED. */
  status: string
  createdAt?: Date
}

export interface AccountResult {
  account: string
  region: string
  /** PENDING, RUNNING, SUCCEEDED, FAILED or CANCELLED. */
  status: string
  reason?: string
  organizationalUnitId?: string
}

export interface OperationPreferences {
  maxConcurrentPercentage: number
  failureTolerancePercentage: number
  regionConcurrency: 'SEQUENTIAL' | 'PARALLEL'
  regionOrder: string[]
}

export interface StackSetContent {
  name: string
  templateBody: string
  parameters: Record<string, string>
  tags: Record<string, string>
  autoDeployment: AutoDeployment
  description: string
}

export interface StackSetApi {
  describeStackSet(name: string): Promise<LiveStackSet | undefined>
  /** Every stack instance, every page. */
  listInstances(name: string): Promise<StackInstance[]>
  /** Every operation on the StackSet, every page, in no promised order. */
  operations(name: string): Promise<OperationSummary[]>
  createStackSet(content: StackSetContent, clientRequestToken: string): Promise<void>
  /**
   * Both return the operation id. An id CloudFormation already has is the same operation sent
   * again: the adapter returns it, to be followed. `targets` left out updates the StackSet alone.
   */
  updateStackSet(input: {content: StackSetContent; targets?: {organizationalUnits: string[]; regions: string[]}; preferences: OperationPreferences; operationId: string}): Promise<string>
  createInstances(input: {name: string; organizationalUnits: string[]; regions: string[]; preferences: OperationPreferences; operationId: string}): Promise<string>
  describeOperation(name: string, operationId: string): Promise<{status: string; statusReason?: string}>
  /** Every page of the operation's per-account results. */
  operationResults(name: string, operationId: string): Promise<AccountResult[]>
  stopOperation(name: string, operationId: string): Promise<void>
}
