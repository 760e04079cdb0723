import type {OrganizationsApi, OrgPolicySummary, OrgRoot, OrgTargetType} from '../core/scp/api.js'
import type {PolicyType} from '../core/scp/desired.js'
import {isDeepStrictEqual} from 'node:util'
import {afterResend, createClient, type AwsTarget} from './clients.js'
import {allPages} from './paging.js'

export interface OrganizationsOptions {
  /** Waits between checks that a policy type is enabled; tests pass one that returns at once. */
  sleep?: (ms: number) => Promise<void>
}

/** EnablePolicyType returns while the type is PENDING_ENABLE; attaching before it is ENABLED fails. */
const ENABLE_POLL_MS = 1000
const ENABLE_POLLS = 60

const wait = (ms: number) => new Promise<void>((done) => setTimeout(done, ms))
const isError = (error: unknown, ...names: string[]) => names.includes((error as {name?: string}).name ?? '')

/** Two policy documents say the same, whatever whitespace or key order Organizations keeps. */
function sameDocument(stored: string, sent: string): boolean {
  try {
    return isDeepStrictEqual(JSON.parse(stored), JSON.parse(sent))
  } catch {
    return stored === sent
  }
}

/** Organizations is a global service: its endpoint is in us-east-1, whatever the env's region. */
export async function createOrganizationsApi(target: AwsTarget, options: OrganizationsOptions = {}): Promise<OrganizationsApi> {
  const sdk = await import('@aws-sdk/client-organizations')
  const client = createClient(sdk.OrganizationsClient, target)
  const sleep = options.sleep ?? wait

  const summary = (policy: {Id?: string; Name?: string; Description?: string; Type?: string; AwsManaged?: boolean}): OrgPolicySummary => ({
    id: policy.Id ?? '',
    name: policy.Name ?? '',
    description: policy.Description ?? '',
    type: policy.Type as PolicyType,
    awsManaged: policy.AwsManaged ?? false,
  })
  const roots = async (): Promise<OrgRoot[]> => {
    const pages = await allPages((NextToken) => client.send(new sdk.ListRootsCommand({NextToken})), (page) => page.NextToken)
    return pages.flatMap((page) =>
      (page.Roots ?? []).map((root) => ({
        id: root.Id ?? '',
        enabledPolicyTypes: (root.PolicyTypes ?? []).filter((type) => type.Status === 'ENABLED').map((type) => type.Type as PolicyType),
      })),
    )
  }

  return {
    async describeOrganization() {
      const {Organization} = await client.send(new sdk.DescribeOrganizationCommand({}))
      return {id: Organization?.Id ?? '', managementAccountId: Organization?.MasterAccountId ?? ''}
    },
    listRoots: roots,
    async listOrganizationalUnits(parentId) {
      const pages = await allPages((NextToken) => client.send(new sdk.ListOrganizationalUnitsForParentCommand({ParentId: parentId, NextToken})), (page) => page.NextToken)
      return pages.flatMap((page) => (page.OrganizationalUnits ?? []).map((ou) => ({id: ou.Id ?? '', name: ou.Name ?? ''})))
    },
    async parentOf(childId) {
      try {
        const {Parents} = await client.send(new sdk.ListParentsCommand({ChildId: childId}))
        const parent = Parents?.[0]
        return parent ? {id: parent.Id ?? '', type: parent.Type as OrgTargetType} : undefined
      } catch (error) {
        if (isError(error, 'ChildNotFoundException', 'AccountNotFoundException')) return undefined
        throw error
      }
    },
    async listPolicies(type) {
      const pages = await allPages((NextToken) => client.send(new sdk.ListPoliciesCommand({Filter: type, NextToken})), (page) => page.NextToken)
      return pages.flatMap((page) => (page.Policies ?? []).map(summary))
    },
    async policyContent(policyId) {
      const {Policy} = await client.send(new sdk.DescribePolicyCommand({PolicyId: policyId}))
      return Policy?.Content ?? ''
    },
    async listTargetsForPolicy(policyId) {
      const pages = await allPages((NextToken) => client.send(new sdk.ListTargetsForPolicyCommand({PolicyId: policyId, NextToken})), (page) => page.NextToken)
      return pages.flatMap((page) => (page.Targets ?? []).map((target) => ({id: target.TargetId ?? '', type: target.Type as OrgTargetType, name: target.Name ?? ''})))
    },
    async listPoliciesForTarget(targetId, type) {
      const pages = await allPages(
        (NextToken) => client.send(new sdk.ListPoliciesForTargetCommand({TargetId: targetId, Filter: type, NextToken})),
        (page) => page.NextToken,
      )
      return pages.flatMap((page) => (page.Policies ?? []).map(summary))
    },
    async listTags(resourceId) {
      const pages = await allPages((NextToken) => client.send(new sdk.ListTagsForResourceCommand({ResourceId: resourceId, NextToken})), (page) => page.NextToken)
      return Object.fromEntries(pages.flatMap((page) => (page.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])))
    },
    async enablePolicyType(rootId, type) {
      try {
        const {Root} = await client.send(new sdk.EnablePolicyTypeCommand({RootId: rootId, PolicyType: type}))
        if (Root?.PolicyTypes?.some((entry) => entry.Type === type && entry.Status === 'ENABLED')) return
      } catch (error) {
        if (!isError(error, 'PolicyTypeAlreadyEnabledException')) throw error
      }
      for (let poll = 0; poll < ENABLE_POLLS; poll++) {
        if ((await roots()).find((root) => root.id === rootId)?.enabledPolicyTypes.includes(type)) return
        await sleep(ENABLE_POLL_MS)
      }
      throw new Error(`${type} is still not enabled on ${rootId} after ${(ENABLE_POLLS * ENABLE_POLL_MS) / 1000} s`)
    },
    /**
     * CreatePolicy takes no token: a re-send refused as a duplicate name finds the policy the
     * first attempt created, by its name and the very content sent, and goes on with it.
     */
    async createPolicy(input) {
      try {
        const {Policy} = await client.send(
          new sdk.CreatePolicyCommand({
            Name: input.name,
            Description: input.description,
            Type: input.type,
            Content: input.content,
            Tags: Object.entries(input.tags).map(([Key, Value]) => ({Key, Value})),
          }),
        )
        return {id: Policy?.PolicySummary?.Id ?? ''}
      } catch (error) {
        if (!isError(error, 'DuplicatePolicyException') || !afterResend(error)) throw error
        const pages = await allPages((NextToken) => client.send(new sdk.ListPoliciesCommand({Filter: input.type, NextToken})), (page) => page.NextToken)
        const created = pages.flatMap((page) => page.Policies ?? []).find((policy) => policy.Name === input.name)
        if (!created?.Id) throw error
        const {Policy} = await client.send(new sdk.DescribePolicyCommand({PolicyId: created.Id}))
        if (!sameDocument(Policy?.Content ?? '', input.content)) throw error
        return {id: created.Id}
      }
    },
    async updatePolicy(input) {
      await client.send(
        new sdk.UpdatePolicyCommand({
          PolicyId: input.id,
          ...(input.content !== undefined ? {Content: input.content} : {}),
          ...(input.description !== undefined ? {Description: input.description} : {}),
        }),
      )
    },
    async tagResource(resourceId, tags) {
      await client.send(new sdk.TagResourceCommand({ResourceId: resourceId, Tags: Object.entries(tags).map(([Key, Value]) => ({Key, Value}))}))
    },
    async attachPolicy(policyId, targetId) {
      try {
        await client.send(new sdk.AttachPolicyCommand({PolicyId: policyId, TargetId: targetId}))
      } catch (error) {
        if (!isError(error, 'DuplicatePolicyAttachmentException')) throw error
      }
    },
    async detachPolicy(policyId, targetId) {
      try {
        await client.send(new sdk.DetachPolicyCommand({PolicyId: policyId, TargetId: targetId}))
      } catch (error) {
        if (!isError(error, 'PolicyNotAttachedException')) throw error
      }
    },
    async deletePolicy(policyId) {
      try {
        await client.send(new sdk.DeletePolicyCommand({PolicyId: policyId}))
      } catch (error) {
        // A re-send that finds the policy gone: the first attempt deleted it.
        if (!isError(error, 'PolicyNotFoundException') || !afterResend(error)) throw error
      }
    },
  }
}
