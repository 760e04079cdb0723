/** One CloudFormation stack event, as the monitor reads it. */
export interface StackEvent {
  eventId: string
  stackName: string
  timestamp: Date
  logicalId: string
  physicalId?: string
  resourceType: string
  status: string
  reason?: string
}

/** The parts of a stack the engine reads. Dates are real Dates; absent stacks are `undefined`. */
export interface StackDescription {
  stackName: string
  stackId: string
  status: string
  statusReason?: string
  lastUpdated?: Date
  parameters: Record<string, string>
  tags: Record<string, string>
  outputs: Record<string, string>
  terminationProtection: boolean
  driftStatus?: string
}

export interface ChangeSetInput {
  stackName: string
  changeSetName: string
  changeSetType: 'CREATE' | 'UPDATE'
  templateBody?: string
  templateUrl?: string
  parameters: Record<string, string>
  tags: Record<string, string>
  description: string
}

export type ResourceChangeAction = 'Add' | 'Modify' | 'Remove' | 'Import' | 'Dynamic'

export interface ResourceChangeDetail {
  attribute?: string
  name?: string
  requiresRecreation?: 'Never' | 'Conditionally' | 'Always'
  causingEntity?: string
  changeSource?: string
}

export interface ResourceChange {
  action: ResourceChangeAction
  logicalId: string
  physicalId?: string
  resourceType: string
  replacement?: 'True' | 'False' | 'Conditional'
  scope: string[]
  details: ResourceChangeDetail[]
}

export interface ChangeSetDescription {
  id: string
  status: string
  statusReason?: string
  executionStatus?: string
  /** CloudFormation's own clock, so event reads are not thrown off by a skewed local clock. */
  createdAt?: Date
  changes: ResourceChange[]
}

export interface StackResourceDrift {
  logicalId: string
  resourceType: string
  driftStatus: string
  differences: string[]
}

/** CloudFormation as the core needs it; src/aws/cloudformation.ts implements it. */
export interface StackApi {
  describeStack(stackName: string): Promise<StackDescription | undefined>
  getTemplateBody(stackName: string): Promise<string>
  createChangeSet(input: ChangeSetInput): Promise<{id: string}>
  /** One look at a change set, with every page of its changes. */
  describeChangeSet(changeSetId: string): Promise<ChangeSetDescription>
  executeChangeSet(changeSetId: string): Promise<void>
  deleteChangeSet(changeSetId: string): Promise<void>
  deleteStack(stackName: string): Promise<void>
  continueUpdateRollback(stackName: string): Promise<void>
  /** Events newer than `since`, oldest first; stops paging at the first older or already seen event. */
  eventsSince(stackName: string, since: Date, seen: ReadonlySet<string>): Promise<StackEvent[]>
  /** The stack's newest event: where an operation about to start will begin, on CloudFormation's clock. */
  latestEvent(stackName: string): Promise<StackEvent | undefined>
  setTerminationProtection(stackName: string, enabled: boolean): Promise<void>
  getStackPolicy(stackName: string): Promise<string | undefined>
  setStackPolicy(stackName: string, policyBody: string): Promise<void>
  detectDrift(stackName: string): Promise<string>
  driftDetectionStatus(detectionId: string): Promise<{status: string; stackDriftStatus?: string; reason?: string}>
  resourceDrifts(stackName: string): Promise<StackResourceDrift[]>
}

export interface StoredTemplate {
  url: string
  createdBucket: boolean
  uploaded: boolean
}

/** Where templates too large for TemplateBody go. */
export interface ArtifactStore {
  /**
   * Stores the body under its key and returns the URL CloudFormation reads. Keys are content
   * hashes, so an existing object is not uploaded again. Returns undefined when the bucket does
   * not exist and `createBucket` is false (a dry run creates nothing).
   */
  putTemplate(bucket: string, key: string, body: string, options: {createBucket: boolean}): Promise<StoredTemplate | undefined>
}

export interface CallerIdentity {
  account: string
  arn: string
}

export interface IdentityApi {
  whoAmI(): Promise<CallerIdentity>
}
