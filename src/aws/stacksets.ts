import type {AccountResult, OperationPreferences, OperationSummary, StackInstance, StackSetApi, StackSetContent} from '../core/stacksets/api.js'
import {afterResend, createClient, type AwsTarget} from './clients.js'
import {allPages} from './paging.js'

/** SELF from the management account, DELEGATED_ADMIN from a delegated administrator account (organization.callAs). */
export type CallAs = 'SELF' | 'DELEGATED_ADMIN'

const nameOf = (error: unknown) => (error as {name?: string}).name

// CAPABILITY_AUTO_EXPAND is left out: service-managed StackSets do not run macros.
const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'] as const

const toRecord = <T>(items: T[] | undefined, key: (item: T) => string | undefined, value: (item: T) => string | undefined) =>
  Object.fromEntries((items ?? []).map((item) => [key(item) ?? '', value(item) ?? '']))

const operationPreferences = (preferences: OperationPreferences) => ({
  MaxConcurrentPercentage: preferences.maxConcurrentPercentage,
  FailureTolerancePercentage: preferences.failureTolerancePercentage,
  RegionConcurrencyType: preferences.regionConcurrency,
  RegionOrder: preferences.regionOrder,
})

const contentFields = (content: StackSetContent) => ({
  StackSetName: content.name,
  Description: content.description,
  TemplateBody: content.templateBody,
  Parameters: Object.entries(content.parameters).map(([ParameterKey, ParameterValue]) => ({ParameterKey, ParameterValue})),
  Tags: Object.entries(content.tags).map(([Key, Value]) => ({Key, Value})),
  Capabilities: [...CAPABILITIES],
  AutoDeployment: {Enabled: content.autoDeployment.enabled, RetainStacksOnAccountRemoval: content.autoDeployment.retainStacksOnAccountRemoval},
})

export async function createStackSetApi(target: AwsTarget, callAs: CallAs): Promise<StackSetApi> {
  const cfn = await import('@aws-sdk/client-cloudformation')
  const client = createClient(cfn.CloudFormationClient, target)

  /** The operation id was taken already: by this very request, sent again, so it is the one to follow. */
  const started = async (send: () => Promise<{OperationId?: string}>, operationId: string) => {
    try {
      return (await send()).OperationId ?? operationId
    } catch (error) {
      if (nameOf(error) === 'OperationIdAlreadyExistsException') return operationId
      throw error
    }
  }

  return {
    async describeStackSet(name) {
      try {
        const {StackSet} = await client.send(new cfn.DescribeStackSetCommand({StackSetName: name, CallAs: callAs}))
        if (!StackSet || StackSet.Status === 'DELETED') return undefined
        return {
          name: StackSet.StackSetName ?? name,
          status: StackSet.Status ?? 'UNKNOWN',
          templateBody: StackSet.TemplateBody ?? '',
          parameters: toRecord(StackSet.Parameters, (p) => p.ParameterKey, (p) => p.ParameterValue),
          tags: toRecord(StackSet.Tags, (t) => t.Key, (t) => t.Value),
          autoDeployment: StackSet.AutoDeployment
            ? {enabled: StackSet.AutoDeployment.Enabled ?? false, retainStacksOnAccountRemoval: StackSet.AutoDeployment.RetainStacksOnAccountRemoval ?? false}
            : undefined,
          permissionModel: StackSet.PermissionModel,
        }
      } catch (error) {
        if (nameOf(error) === 'StackSetNotFoundException') return undefined
        throw error
      }
    },

    async listInstances(name) {
      const pages = await allPages(
        (nextToken) => client.send(new cfn.ListStackInstancesCommand({StackSetName: name, CallAs: callAs, NextToken: nextToken})),
        (page) => page.NextToken,
      )
      return pages.flatMap((page) =>
        (page.Summaries ?? []).map(
          (summary): StackInstance => ({
            account: summary.Account ?? '',
            region: summary.Region ?? '',
            organizationalUnitId: summary.OrganizationalUnitId,
            status: summary.Status ?? 'UNKNOWN',
            detailedStatus: summary.StackInstanceStatus?.DetailedStatus,
            statusReason: summary.StatusReason,
            driftStatus: summary.DriftStatus,
            lastDriftCheck: summary.LastDriftCheckTimestamp,
          }),
        ),
      )
    },

    async operations(name) {
      const pages = await allPages(
        (nextToken) => client.send(new cfn.ListStackSetOperationsCommand({StackSetName: name, CallAs: callAs, NextToken: nextToken})),
        (page) => page.NextToken,
      )
      return pages.flatMap((page) =>
        (page.Summaries ?? []).map(
          (summary): OperationSummary => ({id: summary.OperationId ?? '', action: summary.Action ?? '', status: summary.Status ?? 'UNKNOWN', createdAt: summary.CreationTimestamp}),
        ),
      )
    },

    async createStackSet(content, clientRequestToken) {
      try {
        await client.send(new cfn.CreateStackSetCommand({...contentFields(content), PermissionModel: 'SERVICE_MANAGED', CallAs: callAs, ClientRequestToken: clientRequestToken}))
      } catch (error) {
        // A re-send after the first attempt's answer was lost finds the StackSet that attempt made.
        if (nameOf(error) !== 'NameAlreadyExistsException' || !afterResend(error)) throw error
      }
    },

    async updateStackSet({content, targets, preferences, operationId}) {
      return started(
        () =>
          client.send(
            new cfn.UpdateStackSetCommand({
              ...contentFields(content),
              ...(targets ? {DeploymentTargets: {OrganizationalUnitIds: targets.organizationalUnits}, Regions: targets.regions} : {}),
              OperationPreferences: operationPreferences(preferences),
              OperationId: operationId,
              CallAs: callAs,
            }),
          ),
        operationId,
      )
    },

    async createInstances({name, organizationalUnits, regions, preferences, operationId}) {
      return started(
        () =>
          client.send(
            new cfn.CreateStackInstancesCommand({
              StackSetName: name,
              DeploymentTargets: {OrganizationalUnitIds: organizationalUnits},
              Regions: regions,
              OperationPreferences: operationPreferences(preferences),
              OperationId: operationId,
              CallAs: callAs,
            }),
          ),
        operationId,
      )
    },

    async describeOperation(name, operationId) {
      const {StackSetOperation} = await client.send(new cfn.DescribeStackSetOperationCommand({StackSetName: name, OperationId: operationId, CallAs: callAs}))
      return {status: StackSetOperation?.Status ?? 'UNKNOWN', statusReason: StackSetOperation?.StatusReason}
    },

    async operationResults(name, operationId) {
      const pages = await allPages(
        (nextToken) => client.send(new cfn.ListStackSetOperationResultsCommand({StackSetName: name, OperationId: operationId, CallAs: callAs, NextToken: nextToken})),
        (page) => page.NextToken,
      )
      return pages.flatMap((page) =>
        (page.Summaries ?? []).map(
          (summary): AccountResult => ({
            account: summary.Account ?? '',
            region: summary.Region ?? '',
            status: summary.Status ?? 'UNKNOWN',
            reason: summary.StatusReason,
            organizationalUnitId: summary.OrganizationalUnitId,
          }),
        ),
      )
    },

    async stopOperation(name, operationId) {
      await client.send(new cfn.StopStackSetOperationCommand({StackSetName: name, OperationId: operationId, CallAs: callAs}))
    },
  }
}
