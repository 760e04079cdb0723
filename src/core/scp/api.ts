import type {PolicyType} from './desired.js'

export type OrgTargetType = 'ROOT' | 'ORGANIZATIONAL_UNIT' | 'ACCOUNT'

export interface OrgPolicySummary {
  id: string
  name: string
  description: string
  type: PolicyType
  awsManaged: boolean
}

export interface OrgRoot {
  id: string
  /** Policy types whose status is ENABLED on the root. */
  enabledPolicyTypes: PolicyType[]
}

/** What `fintech scp` needs from AWS Organizations; src/aws/organizations.ts implements it. */
export interface OrganizationsApi {
  describeOrganization(): Promise<{id: string; managementAccountId: string}>
  listRoots(): Promise<OrgRoot[]>
  listOrganizationalUnits(parentId: string): Promise<Array<{id: string; name: string}>>
  /** The parent of an account or OU; undefined when the organization has no such child. */
  parentOf(childId: string): Promise<{id: string; type: OrgTargetType} | undefined>
  listPolicies(type: PolicyType): Promise<OrgPolicySummary[]>
  policyContent(policyId: string): Promise<string>
  listTargetsForPolicy(policyId: string): Promise<Array<{id: string; type: OrgTargetType; name: string}>>
  listPoliciesForTarget(targetId: string, type: PolicyType): Promise<OrgPolicySummary[]>
  listTags(resourceId: string): Promise<Record<string, string>>
  /** Enables the type on the root and waits until AWS reports it enabled. */
  enablePolicyType(rootId: string, type: PolicyType): Promise<void>
  createPolicy(input: {name: string; description: string; type: PolicyType; content: string; tags: Record<string, string>}): Promise<{id: string}>
  updatePolicy(input: {id: string; description?: string; content?: string}): Promise<void>
  tagResource(resourceId: string, tags: Record<string, string>): Promise<void>
  /** Idempotent: attaching an attached policy is not an error. */
  attachPolicy(policyId: string, targetId: string): Promise<void>
  /** Idempotent: detaching a policy that is not attached is not an error. */
  detachPolicy(policyId: string, targetId: string): Promise<void>
  deletePolicy(policyId: string): Promise<void>
}
