import type {FintechConfig} from '../config/schema.js'
import {MANAGEMENT_ENV, SCP, TAG_POLICY, targetKey, type DesiredPolicy, type PolicyType} from './desired.js'
import {characterCount, parsePolicySource, readPolicyDocument, statementLabel, type PolicyDocument} from './document.js'
import {canonicalJson, lineDiff, prettyJson} from './diff.js'
import type {ChainLevel, StatementMatcher} from './evaluate.js'
import {breakGlassDenials, denyEverythingStatements, describeDenial, groupDenials, hasAllow} from './guards.js'
import {isManagedPolicy, liveTargetLabel, type LiveOrganization, type LivePolicy} from './live.js'

export interface PlanTarget {
  id: string
  label: string
}

export type PolicyField = 'content' | 'description' | 'managed-tag'

export type PlannedChange =
  | {action: 'enable-policy-type'; policyType: PolicyType; target: PlanTarget}
  | {action: 'create'; policy: string; policyType: PolicyType; characters: number}
  | {action: 'update'; policy: string; policyId: string; policyType: PolicyType; fields: PolicyField[]; characters: number; diff?: string}
  | {action: 'attach' | 'detach'; policy: string; policyId?: string; policyType: PolicyType; target: PlanTarget}
  | {action: 'delete'; policy: string; policyId: string; policyType: PolicyType}

export type GuardName = 'keeps-an-allow' | 'no-deny-all-at-the-top' | 'break-glass' | 'per-target-limit'

/** A reason `scp apply` will not run the plan, whatever the flags (exit 2, nothing changed). */
export interface Refusal {
  guard: GuardName
  message: string
}

export interface ScpPlan {
  organization: {id: string; rootId: string; managementAccount: string}
  /** In the order apply runs them: enable policy types, create, update, attach, detach, delete. */
  changes: PlannedChange[]
  /** fintech's policies already as the config wants them: content, description, tag and attachments. */
  unchanged: string[]
  refusals: Refusal[]
  /** Changes that reach a protected env (prod) need approval: a prompt on a terminal, --yes elsewhere. */
  approval: {required: boolean; reasons: string[]}
  notes: string[]
}

const ORDER: PlannedChange['action'][] = ['enable-policy-type', 'create', 'update', 'attach', 'detach', 'delete']
const kindOf = (type: PolicyType) => (type === SCP ? 'SCP' : 'tag policy')

export function describeChange(change: PlannedChange): string {
  switch (change.action) {
    case 'enable-policy-type':
      return `enable ${change.policyType} on the root`
    case 'create':
      return `create ${kindOf(change.policyType)} ${change.policy} (${change.characters.toLocaleString('en')} characters)`
    case 'update':
      return `update ${kindOf(change.policyType)} ${change.policy}: ${change.fields.join(', ')}`
    case 'attach':
      return `attach ${kindOf(change.policyType)} ${change.policy} to ${change.target.label}`
    case 'detach':
      return `detach ${kindOf(change.policyType)} ${change.policy} from ${change.target.label}`
    case 'delete':
      return `delete ${kindOf(change.policyType)} ${change.policy} (fintech's, no longer in the config)`
  }
}

/** An SCP's statements from its JSON; unreadable content (not fintech's) counts as no statement. */
function documentOf(content: string | undefined, name: string): PolicyDocument | undefined {
  if (content === undefined) return undefined
  try {
    return readPolicyDocument(parsePolicySource(content, name).value).document
  } catch {
    return undefined
  }
}

export interface PlanInput {
  config: FintechConfig
  desired: DesiredPolicy[]
  live: LiveOrganization
  matcher: StatementMatcher
}

/** The config's guardrails against the organization: what apply would change, and whether it may. */
export function planGuardrails({config, desired, live, matcher}: PlanInput): ScpPlan {
  const label = (id: string): PlanTarget => ({id, label: liveTargetLabel(live.targets.get(id), id)})
  const customer = [...live.policies.values()].filter((policy) => !policy.awsManaged)
  const byName = new Map(customer.map((policy) => [`${policy.type}/${policy.name}`, policy]))
  const changes: PlannedChange[] = []
  const notes = [...live.notes]

  /** Policy id (or `new:<name>`) → what apply leaves attached where, and the SCP contents it leaves. */
  const attachedAfter = new Map<string, Record<PolicyType, Set<string>>>()
  for (const [target, byType] of live.attached) attachedAfter.set(target, {[SCP]: new Set(byType[SCP]), [TAG_POLICY]: new Set(byType[TAG_POLICY])})
  const documentAfter = new Map<string, PolicyDocument | undefined>()
  const documentBefore = new Map<string, PolicyDocument | undefined>()
  for (const policy of live.policies.values()) {
    if (policy.type !== SCP) continue
    documentBefore.set(policy.id, documentOf(policy.content, policy.name))
    documentAfter.set(policy.id, documentBefore.get(policy.id))
  }
  /** Changed or newly attached at a target: checked by the deny-everything guard. */
  const changedSomewhere = new Set<string>()
  const touchedTargets = new Set<string>()
  const setAt = (target: string) => {
    if (!attachedAfter.has(target)) attachedAfter.set(target, {[SCP]: new Set(), [TAG_POLICY]: new Set()})
    return attachedAfter.get(target)!
  }

  for (const policy of desired) {
    const existing = byName.get(`${policy.type}/${policy.name}`)
    const id = existing?.id ?? `new:${policy.name}`
    const characters = characterCount(policy.content)
    if (!existing) changes.push({action: 'create', policy: policy.name, policyType: policy.type, characters})
    else {
      const fields: PolicyField[] = []
      if (canonicalJson(existing.content ?? '') !== canonicalJson(policy.content)) fields.push('content')
      if ((existing.description ?? '') !== policy.description) fields.push('description')
      if (!isManagedPolicy(existing)) fields.push('managed-tag')
      if (fields.length > 0) {
        const diff = fields.includes('content') ? lineDiff(prettyJson(existing.content ?? ''), prettyJson(policy.content)) : undefined
        changes.push({action: 'update', policy: policy.name, policyId: existing.id, policyType: policy.type, fields, characters, ...(diff ? {diff} : {})})
      }
      if (fields.includes('content')) changedSomewhere.add(id)
    }
    if (policy.type === SCP) documentAfter.set(id, policy.document)

    const wanted = [...new Set(policy.targets.map((target) => live.resolved.get(targetKey(target.spec))!))]
    const current = existing?.targets ?? []
    for (const target of wanted.filter((target) => !current.includes(target))) {
      changes.push({action: 'attach', policy: policy.name, ...(existing ? {policyId: existing.id} : {}), policyType: policy.type, target: label(target)})
      setAt(target)[policy.type].add(id)
      changedSomewhere.add(`${id}@${target}`)
      touchedTargets.add(target)
    }
    for (const target of current.filter((target) => !wanted.includes(target))) {
      changes.push({action: 'detach', policy: policy.name, policyId: existing!.id, policyType: policy.type, target: label(target)})
      setAt(target)[policy.type].delete(id)
      touchedTargets.add(target)
    }
  }

  const wantedNames = new Set(desired.map((policy) => `${policy.type}/${policy.name}`))
  for (const orphan of customer.filter((policy) => isManagedPolicy(policy) && !wantedNames.has(`${policy.type}/${policy.name}`))) {
    for (const target of orphan.targets ?? []) {
      changes.push({action: 'detach', policy: orphan.name, policyId: orphan.id, policyType: orphan.type, target: label(target)})
      setAt(target)[orphan.type].delete(orphan.id)
      touchedTargets.add(target)
    }
    changes.push({action: 'delete', policy: orphan.name, policyId: orphan.id, policyType: orphan.type})
  }

  for (const type of [SCP, TAG_POLICY] as const) {
    const attaching = changes.some((change) => change.action === 'attach' && change.policyType === type)
    if (attaching && !live.root.enabledPolicyTypes.includes(type)) changes.push({action: 'enable-policy-type', policyType: type, target: label(live.root.id)})
  }
  changes.sort((a, b) => ORDER.indexOf(a.action) - ORDER.indexOf(b.action))
  const changed = new Set(changes.flatMap((change) => ('policy' in change ? [`${change.policyType}/${change.policy}`] : [])))
  const unchanged = desired.filter((policy) => !changed.has(`${policy.type}/${policy.name}`)).map((policy) => policy.name)

  const refusals = guardRefusals({config, live, matcher, attachedAfter, documentAfter, documentBefore, changedSomewhere, touchedTargets, changes, notes, label})
  return {
    organization: {id: live.id, rootId: live.root.id, managementAccount: live.managementAccountId},
    changes,
    unchanged,
    refusals,
    approval: approvalFor(config, live, changes),
    notes,
  }
}

interface GuardInput {
  config: FintechConfig
  live: LiveOrganization
  matcher: StatementMatcher
  attachedAfter: Map<string, Record<PolicyType, Set<string>>>
  documentAfter: Map<string, PolicyDocument | undefined>
  documentBefore: Map<string, PolicyDocument | undefined>
  changedSomewhere: Set<string>
  touchedTargets: Set<string>
  changes: PlannedChange[]
  notes: string[]
  label: (id: string) => PlanTarget
}

const policyName = (live: LiveOrganization, id: string) => (id.startsWith('new:') ? id.slice(4) : (live.policies.get(id)?.name ?? id))

function guardRefusals(input: GuardInput): Refusal[] {
  const {config, live, matcher, attachedAfter, documentAfter, documentBefore, changedSomewhere, touchedTargets, label} = input
  const refusals: Refusal[] = []
  const updatedIds = new Set(input.changes.flatMap((change) => (change.action === 'update' && change.fields.includes('content') ? [change.policyId] : [])))
  for (const id of updatedIds) for (const [target, byType] of attachedAfter) if (byType[SCP].has(id)) touchedTargets.add(target)

  for (const target of touchedTargets) {
    const scps = [...(attachedAfter.get(target)?.[SCP] ?? [])]
    if (!scps.some((id) => documentAfter.get(id) && hasAllow(documentAfter.get(id)!))) {
      refusals.push({
        guard: 'keeps-an-allow',
        message: `${label(target).label} would be left with no SCP that allows anything (${scps.map((id) => policyName(live, id)).join(', ') || 'none attached'}): every action there would be denied; attach FullAWSAccess or another Allow first`,
      })
    }
    const limit = config.guardrails.policiesPerTargetLimit
    for (const type of [SCP, TAG_POLICY] as const) {
      const count = attachedAfter.get(target)?.[type].size ?? 0
      if (count > limit) {
        refusals.push({guard: 'per-target-limit', message: `${label(target).label} would have ${count} ${type === SCP ? 'SCPs (FullAWSAccess included)' : 'tag policies'}: the limit is ${limit} (guardrails.policiesPerTargetLimit)`})
      }
    }
  }

  for (const target of [live.root.id, live.managementAccountId]) {
    for (const id of attachedAfter.get(target)?.[SCP] ?? []) {
      if (!changedSomewhere.has(id) && !changedSomewhere.has(`${id}@${target}`) && !id.startsWith('new:')) continue
      const denying = documentAfter.get(id) ? denyEverythingStatements(matcher, documentAfter.get(id)!, Object.values(config.environments)) : []
      if (denying.length > 0) {
        refusals.push({
          guard: 'no-deny-all-at-the-top',
          message: `${policyName(live, id)} denies everything (${denying.map(statementLabel).join(', ')}: an ordinary role is refused every everyday action tried) and would be attached to ${target === live.root.id ? 'the root, reaching every account' : 'the management account'}`,
        })
      }
    }
  }

  const levelsOf = (chain: string[], attached: (target: string) => Iterable<string>, documents: Map<string, PolicyDocument | undefined>): ChainLevel[] =>
    chain.map((target) => ({
      target: label(target).label,
      policies: [...attached(target)].flatMap((id) => (documents.get(id) ? [{name: policyName(live, id), document: documents.get(id)!}] : [])),
    }))
  for (const [envName, env] of Object.entries(config.environments)) {
    const chain = live.envChains.get(envName)
    if (envName === MANAGEMENT_ENV || !chain) continue
    const options = {env: envName, account: env.account, region: env.region, role: config.guardrails.breakGlassRole}
    const before = breakGlassDenials(matcher, {...options, levels: levelsOf(chain, (target) => live.attached.get(target)?.[SCP] ?? [], documentBefore)})
    const after = breakGlassDenials(matcher, {...options, levels: levelsOf(chain, (target) => attachedAfter.get(target)?.[SCP] ?? [], documentAfter)})
    const already = new Set(before.map((denial) => denial.action))
    for (const denial of groupDenials(after.filter((candidate) => already.has(candidate.action)))) input.notes.push(`already now, not through this plan: ${describeDenial(denial)}`)
    for (const denial of groupDenials(after.filter((candidate) => !already.has(candidate.action)))) {
      refusals.push({guard: 'break-glass', message: `the break-glass role would be stopped: ${describeDenial(denial)}`})
    }
  }
  return refusals
}

/** Changes that reach a protected env: at the root, on its account's chain, or to a policy attached there. */
function approvalFor(config: FintechConfig, live: LiveOrganization, changes: PlannedChange[]): ScpPlan['approval'] {
  const protectedChains = [...live.envChains].filter(([name]) => config.environments[name]?.protected)
  const targetsOfPolicy = (id: string | undefined, name: string) => {
    const policy: LivePolicy | undefined = id ? live.policies.get(id) : undefined
    const desiredTargets = changes.flatMap((change) => (change.action === 'attach' && change.policy === name ? [change.target.id] : []))
    return [...(policy?.targets ?? []), ...desiredTargets]
  }
  const reasons: string[] = []
  for (const change of changes) {
    const targets =
      change.action === 'attach' || change.action === 'detach' || change.action === 'enable-policy-type'
        ? [change.target.id]
        : (change.action === 'update' && change.fields.includes('content')) || change.action === 'delete'
          ? targetsOfPolicy(change.policyId, change.policy)
          : []
    // SCPs never restrict the management account; tag policies do apply to it.
    const reached = protectedChains
      .filter(([name, chain]) => !(change.policyType === SCP && name === MANAGEMENT_ENV) && targets.some((target) => chain.includes(target)))
      .map(([name]) => name)
    if (reached.length > 0) reasons.push(`${describeChange(change)}: reaches ${reached.join(', ')} (protected)`)
  }
  return {required: reasons.length > 0, reasons}
}
