import type {LoadedConfig} from '../config/load.js'
import {FileError, InputError} from '../errors.js'
import {formatKeyPath} from '../yaml.js'
import type {OrganizationsApi, OrgRoot, OrgTargetType} from './api.js'
import {MANAGED_TAG, MANAGEMENT_ENV, SCP, TAG_POLICY, targetKey, type DesiredPolicy, type PolicyType} from './desired.js'

export interface LiveTarget {
  id: string
  type: OrgTargetType
  name: string
  parentId?: string
  /** The env of the config whose account this is. */
  env?: string
}

export interface LivePolicy {
  id: string
  name: string
  description: string
  type: PolicyType
  awsManaged: boolean
  tags: Record<string, string>
  /** Read for fintech's policies and for every SCP on a chain the guards evaluate. */
  content?: string
  /** Target ids, read for fintech's policies. */
  targets?: string[]
}

/** The part of the organization `scp plan` compares with the config. */
export interface LiveOrganization {
  id: string
  managementAccountId: string
  root: OrgRoot
  targets: Map<string, LiveTarget>
  /** targetKey of each config target → its id in the organization. */
  resolved: Map<string, string>
  /** Target id → the ids of the policies attached there, per type (for every target read). */
  attached: Map<string, Record<PolicyType, string[]>>
  policies: Map<string, LivePolicy>
  /** Env name → its account's chain of target ids, root first, for every env whose account is in the organization. */
  envChains: Map<string, string[]>
  notes: string[]
}

const POLICY_TYPES: PolicyType[] = [SCP, TAG_POLICY]

export const isManagedPolicy = (policy: Pick<LivePolicy, 'tags'>): boolean => policy.tags[MANAGED_TAG.key] === MANAGED_TAG.value

/** `root`, `ou:Prod`, `account:prod (333333333333)`: how plans name a target of the organization. */
export function liveTargetLabel(target: LiveTarget | undefined, id: string): string {
  if (!target) return id
  if (target.type === 'ROOT') return 'root'
  if (target.type === 'ORGANIZATIONAL_UNIT') return `ou:${target.name}`
  return `account:${target.env ? `${target.env} (${target.id})` : target.id}`
}

/**
 * Reads what the plan needs, and resolves every target of the config to its id: OUs by name
 * anywhere under the root, accounts by id. A target that does not resolve is bad input (exit 2)
 * before anything changes.
 */
export async function readOrganization(api: OrganizationsApi, loaded: LoadedConfig, desired: DesiredPolicy[]): Promise<LiveOrganization> {
  const {config} = loaded
  const organization = await api.describeOrganization()
  const management = config.environments[MANAGEMENT_ENV]
  if (management && organization.managementAccountId !== management.account) {
    throw new InputError(
      `organization ${organization.id} is managed by account ${organization.managementAccountId}, not ${management.account} (environments.${MANAGEMENT_ENV}.account)`,
      'use credentials for the management account of the organization the config describes',
    )
  }
  const [root] = await api.listRoots()
  if (!root) throw new InputError(`organization ${organization.id} has no root`)
  const targets = new Map<string, LiveTarget>([[root.id, {id: root.id, type: 'ROOT', name: 'Root'}]])
  const envOfAccount = new Map(Object.entries(config.environments).map(([name, env]) => [env.account, name]))

  const queue = [root.id]
  while (queue.length > 0) {
    const parentId = queue.shift()!
    for (const ou of await api.listOrganizationalUnits(parentId)) {
      targets.set(ou.id, {id: ou.id, type: 'ORGANIZATIONAL_UNIT', name: ou.name, parentId})
      queue.push(ou.id)
    }
  }
  const ous = [...targets.values()].filter((target) => target.type === 'ORGANIZATIONAL_UNIT')

  const account = async (id: string): Promise<LiveTarget | undefined> => {
    if (targets.has(id)) return targets.get(id)
    const parent = await api.parentOf(id)
    if (!parent) return undefined
    const target: LiveTarget = {id, type: 'ACCOUNT', name: id, parentId: parent.id, ...(envOfAccount.has(id) ? {env: envOfAccount.get(id)} : {})}
    targets.set(id, target)
    return target
  }
  const chainOf = (id: string): string[] => {
    const chain: string[] = []
    for (let at: string | undefined = id; at; at = targets.get(at)?.parentId) chain.unshift(at)
    return chain
  }

  const resolved = new Map<string, string>()
  for (const target of desired.flatMap((policy) => policy.targets)) {
    const key = targetKey(target.spec)
    if (resolved.has(key)) continue
    const where = (detail: string) => new FileError(loaded.file, detail, loaded.lineOf(target.configPath), formatKeyPath(target.configPath))
    if (target.spec.kind === 'root') resolved.set(key, root.id)
    else if (target.spec.kind === 'ou') {
      const name = target.spec.name
      const found = ous.filter((ou) => ou.name === name)
      if (found.length === 0) {
        throw where(`no OU called ${name} in organization ${organization.id} (its OUs: ${ous.map((ou) => ou.name).join(', ') || 'none'})`)
      }
      if (found.length > 1) throw where(`${found.length} OUs are called ${name} (${found.map((ou) => ou.id).join(', ')}): fintech resolves OUs by name, so names must be unique`)
      resolved.set(key, found[0]!.id)
    } else {
      const live = await account(target.spec.account)
      if (!live) throw where(`account ${target.spec.account}${target.spec.env ? ` (${target.spec.env})` : ''} is not in organization ${organization.id}`)
      resolved.set(key, live.id)
    }
  }

  const notes: string[] = []
  const envChains = new Map<string, string[]>()
  for (const [name, env] of Object.entries(config.environments)) {
    const live = await account(env.account)
    if (!live) {
      notes.push(`${name}'s account ${env.account} is not in organization ${organization.id}: no guardrail reaches it`)
      continue
    }
    envChains.set(name, chainOf(live.id))
    const parent = live.parentId ? targets.get(live.parentId) : undefined
    const actualOu = parent?.type === 'ORGANIZATIONAL_UNIT' ? parent.name : undefined
    if (env.ou !== actualOu) {
      notes.push(`${name}'s account ${env.account} is ${actualOu ? `in OU ${actualOu}` : 'directly under the root'}, but environments.${name}.ou says ${env.ou ?? 'none'}`)
    }
  }

  const wanted = new Set(desired.map((policy) => `${policy.type}/${policy.name}`))
  const policies = new Map<string, LivePolicy>()
  for (const type of POLICY_TYPES) {
    for (const summary of await api.listPolicies(type)) {
      const tags = summary.awsManaged ? {} : await api.listTags(summary.id)
      const policy: LivePolicy = {...summary, tags}
      if (wanted.has(`${type}/${summary.name}`) || isManagedPolicy(policy)) {
        policy.content = await api.policyContent(summary.id)
        policy.targets = (await api.listTargetsForPolicy(summary.id)).map((target) => target.id)
      }
      policies.set(summary.id, policy)
    }
  }

  const chainTargets = new Set([root.id, ...resolved.values(), ...[...envChains.values()].flat()])
  const readTargets = new Set([...chainTargets, ...[...policies.values()].flatMap((policy) => policy.targets ?? [])])
  const attached = new Map<string, Record<PolicyType, string[]>>()
  for (const id of readTargets) {
    const byType = {} as Record<PolicyType, string[]>
    for (const type of POLICY_TYPES) {
      const list = await api.listPoliciesForTarget(id, type)
      byType[type] = list.map((policy) => policy.id)
      for (const summary of list) if (!policies.has(summary.id)) policies.set(summary.id, {...summary, tags: {}})
    }
    attached.set(id, byType)
    if (!targets.has(id)) targets.set(id, {id, type: /^\d{12}$/.test(id) ? 'ACCOUNT' : 'ORGANIZATIONAL_UNIT', name: id, ...(envOfAccount.has(id) ? {env: envOfAccount.get(id)} : {})})
  }
  for (const id of chainTargets) {
    for (const policyId of attached.get(id)?.[SCP] ?? []) {
      const policy = policies.get(policyId)!
      policy.content ??= await api.policyContent(policyId)
    }
  }
  return {id: organization.id, managementAccountId: organization.managementAccountId, root, targets, resolved, attached, policies, envChains, notes}
}
