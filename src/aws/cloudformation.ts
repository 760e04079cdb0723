import type {ChangeSetDescription, ResourceChange, StackApi, StackDescription, StackEvent} from '../core/deploy/api.js'
import type {DescribeChangeSetCommandOutput, StackEvent as SdkStackEvent} from '@aws-sdk/client-cloudformation'
import {afterResend, createClient, idempotencyToken, type AwsTarget} from './clients.js'
import {allPages, eachPage} from './paging.js'

const toRecord = <T>(items: T[] | undefined, key: (item: T) => string | undefined, value: (item: T) => string | undefined) =>
  Object.fromEntries((items ?? []).map((item) => [key(item) ?? '', value(item) ?? '']))

function toStackEvent(event: SdkStackEvent, stackName: string): StackEvent {
  return {
    eventId: event.EventId ?? '',
    stackName: event.StackName ?? stackName,
    timestamp: event.Timestamp ?? new Date(0),
    logicalId: event.LogicalResourceId ?? '',
    physicalId: event.PhysicalResourceId,
    resourceType: event.ResourceType ?? '',
    status: event.ResourceStatus ?? '',
    reason: event.ResourceStatusReason,
  }
}

const nameOf = (error: unknown) => (error as {name?: string}).name

const isStackMissing = (error: unknown) => nameOf(error) === 'ValidationError' && /does not exist/.test((error as Error).message)

export async function createStackApi(target: AwsTarget): Promise<StackApi> {
  const cfn = await import('@aws-sdk/client-cloudformation')
  const client = createClient(cfn.CloudFormationClient, target)

  return {
    async describeStack(stackName): Promise<StackDescription | undefined> {
      try {
        const {Stacks} = await client.send(new cfn.DescribeStacksCommand({StackName: stackName}))
        const stack = Stacks?.[0]
        if (!stack) return undefined
        return {
          stackName: stack.StackName ?? stackName,
          stackId: stack.StackId ?? '',
          status: stack.StackStatus ?? 'UNKNOWN',
          statusReason: stack.StackStatusReason,
          lastUpdated: stack.LastUpdatedTime ?? stack.CreationTime,
          parameters: toRecord(stack.Parameters, (p) => p.ParameterKey, (p) => p.ParameterValue),
          tags: toRecord(stack.Tags, (t) => t.Key, (t) => t.Value),
          outputs: toRecord(stack.Outputs, (o) => o.OutputKey, (o) => o.OutputValue),
          terminationProtection: stack.EnableTerminationProtection ?? false,
          driftStatus: stack.DriftInformation?.StackDriftStatus,
        }
      } catch (error) {
        if (isStackMissing(error)) return undefined
        throw error
      }
    },

    async getTemplateBody(stackName) {
      const {TemplateBody} = await client.send(new cfn.GetTemplateCommand({StackName: stackName, TemplateStage: 'Original'}))
      return TemplateBody ?? ''
    },

    /**
     * The token makes CloudFormation take the SDK's re-send of a call whose answer was lost for
     * the same request. Where an endpoint ignores it (moto), the re-send finds the change set
     * the first attempt made, under its name that is unique to this run, and goes on with it.
     */
    async createChangeSet(input) {
      const create = new cfn.CreateChangeSetCommand({
        ClientToken: idempotencyToken(),
        StackName: input.stackName,
        ChangeSetName: input.changeSetName,
        ChangeSetType: input.changeSetType,
        TemplateBody: input.templateBody,
        TemplateURL: input.templateUrl,
        Parameters: Object.entries(input.parameters).map(([ParameterKey, ParameterValue]) => ({ParameterKey, ParameterValue})),
        Tags: Object.entries(input.tags).map(([Key, Value]) => ({Key, Value})),
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
        Description: input.description,
      })
      try {
        const {Id} = await client.send(create)
        return {id: Id ?? input.changeSetName}
      } catch (error) {
        if (nameOf(error) !== 'AlreadyExistsException' || !afterResend(error)) throw error
        const {ChangeSetId} = await client.send(new cfn.DescribeChangeSetCommand({StackName: input.stackName, ChangeSetName: input.changeSetName}))
        return {id: ChangeSetId ?? input.changeSetName}
      }
    },

    async describeChangeSet(changeSetId): Promise<ChangeSetDescription> {
      const changes: ResourceChange[] = []
      const pages = await allPages(
        (nextToken) => client.send(new cfn.DescribeChangeSetCommand({ChangeSetName: changeSetId, NextToken: nextToken})),
        (page) => page.NextToken,
      )
      const first: DescribeChangeSetCommandOutput | undefined = pages[0]
      for (const page of pages) {
        for (const change of page.Changes ?? []) {
          const resource = change.ResourceChange
          if (!resource) continue
          changes.push({
            action: (resource.Action ?? 'Modify') as ResourceChange['action'],
            logicalId: resource.LogicalResourceId ?? '',
            physicalId: resource.PhysicalResourceId,
            resourceType: resource.ResourceType ?? '',
            replacement: resource.Replacement as ResourceChange['replacement'],
            scope: resource.Scope ?? [],
            details: (resource.Details ?? []).map((detail) => ({
              attribute: detail.Target?.Attribute,
              name: detail.Target?.Name,
              requiresRecreation: detail.Target?.RequiresRecreation as 'Never' | 'Conditionally' | 'Always' | undefined,
              causingEntity: detail.CausingEntity,
              changeSource: detail.ChangeSource,
            })),
          })
        }
      }
      return {
        id: first?.ChangeSetId ?? changeSetId,
        status: first?.Status ?? 'UNKNOWN',
        statusReason: first?.StatusReason,
        executionStatus: first?.ExecutionStatus,
        createdAt: first?.CreationTime,
        changes,
      }
    },

    /** A re-send refused because the change set is no longer AVAILABLE: the first attempt executed it. */
    async executeChangeSet(changeSetId) {
      try {
        await client.send(new cfn.ExecuteChangeSetCommand({ChangeSetName: changeSetId, ClientRequestToken: idempotencyToken()}))
      } catch (error) {
        if (nameOf(error) !== 'InvalidChangeSetStatusException' || !afterResend(error)) throw error
        const {ExecutionStatus} = await client.send(new cfn.DescribeChangeSetCommand({ChangeSetName: changeSetId}))
        if (ExecutionStatus === 'AVAILABLE') throw error
      }
    },

    /** DeleteChangeSet takes no token: a re-send that finds the change set gone finds it deleted. */
    async deleteChangeSet(changeSetId) {
      try {
        await client.send(new cfn.DeleteChangeSetCommand({ChangeSetName: changeSetId}))
      } catch (error) {
        if (nameOf(error) !== 'ChangeSetNotFoundException' || !afterResend(error)) throw error
      }
    },

    async deleteStack(stackName) {
      await client.send(new cfn.DeleteStackCommand({StackName: stackName, ClientRequestToken: idempotencyToken()}))
    },

    async continueUpdateRollback(stackName) {
      await client.send(new cfn.ContinueUpdateRollbackCommand({StackName: stackName, ClientRequestToken: idempotencyToken()}))
    },

    async eventsSince(stackName, since, seen): Promise<StackEvent[]> {
      const fresh: StackEvent[] = []
      const pages = eachPage(
        (nextToken) => client.send(new cfn.DescribeStackEventsCommand({StackName: stackName, NextToken: nextToken})),
        (page) => page.NextToken,
      )
      pages: for await (const page of pages) {
        for (const event of page.StackEvents ?? []) {
          const timestamp = event.Timestamp ?? new Date(0)
          // Events come newest first: the first one already seen or older than the operation ends the read.
          if (timestamp < since || seen.has(event.EventId ?? '')) break pages
          fresh.push(toStackEvent(event, stackName))
        }
      }
      return fresh.reverse()
    },

    async latestEvent(stackName) {
      const {StackEvents} = await client.send(new cfn.DescribeStackEventsCommand({StackName: stackName}))
      const [event] = StackEvents ?? []
      return event ? toStackEvent(event, stackName) : undefined
    },

    async getStackPolicy(stackName) {
      const {StackPolicyBody} = await client.send(new cfn.GetStackPolicyCommand({StackName: stackName}))
      return StackPolicyBody
    },

    async setTerminationProtection(stackName, enabled) {
      await client.send(new cfn.UpdateTerminationProtectionCommand({StackName: stackName, EnableTerminationProtection: enabled}))
    },

    async setStackPolicy(stackName, policyBody) {
      await client.send(new cfn.SetStackPolicyCommand({StackName: stackName, StackPolicyBody: policyBody}))
    },

    async detectDrift(stackName) {
      const {StackDriftDetectionId} = await client.send(new cfn.DetectStackDriftCommand({StackName: stackName}))
      return StackDriftDetectionId ?? ''
    },

    async driftDetectionStatus(detectionId) {
      const status = await client.send(new cfn.DescribeStackDriftDetectionStatusCommand({StackDriftDetectionId: detectionId}))
      return {status: status.DetectionStatus ?? 'UNKNOWN', stackDriftStatus: status.StackDriftStatus, reason: status.DetectionStatusReason}
    },

    async resourceDrifts(stackName) {
      const pages = await allPages(
        (nextToken) =>
          client.send(
            new cfn.DescribeStackResourceDriftsCommand({
              StackName: stackName,
              StackResourceDriftStatusFilters: ['MODIFIED', 'DELETED'],
              NextToken: nextToken,
            }),
          ),
        (page) => page.NextToken,
      )
      return pages.flatMap((page) =>
        (page.StackResourceDrifts ?? []).map((drift) => ({
          logicalId: drift.LogicalResourceId ?? '',
          resourceType: drift.ResourceType ?? '',
          driftStatus: drift.StackResourceDriftStatus ?? '',
          differences: (drift.PropertyDifferences ?? []).map(
            (difference) => `${difference.PropertyPath}: ${difference.DifferenceType} (expected ${difference.ExpectedValue}, actual ${difference.ActualValue})`,
          ),
        })),
      )
    },
  }
}
