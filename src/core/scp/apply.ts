import type {AuditSink} from '../audit/audit-log.js'
import type {OrganizationsApi} from './api.js'
import {MANAGED_TAG, MANAGEMENT_ENV, SCP, type DesiredPolicy} from './desired.js'
import {describeChange, type PlannedChange, type ScpPlan} from './plan.js'

export interface ChangeResult {
  change: PlannedChange
  result: 'done' | 'failed' | 'not-run'
  /** The policy's id, known after a create. */
  policyId?: string
  error?: string
}

const auditAction = (change: PlannedChange) =>
  change.action === 'enable-policy-type' ? 'organizations-enable-policy-type' : `${change.policyType === SCP ? 'scp' : 'tag-policy'}-${change.action}`

/**
 * Runs a plan's changes in its order (create and update, attach, then detach, so a target is
 * never without its policies) and stops at the first failure; each change leaves an audit line.
 */
export async function applyGuardrailPlan(
  api: OrganizationsApi,
  plan: ScpPlan,
  desired: DesiredPolicy[],
  audit: AuditSink,
  progress: (line: string) => void = () => undefined,
): Promise<ChangeResult[]> {
  const ids = new Map<string, string>()
  const desiredOf = (change: Extract<PlannedChange, {policy: string}>) => desired.find((policy) => policy.name === change.policy && policy.type === change.policyType)
  const results: ChangeResult[] = []
  let stopped = false
  for (const change of plan.changes) {
    if (stopped) {
      results.push({change, result: 'not-run'})
      continue
    }
    const key = 'policy' in change ? `${change.policyType}/${change.policy}` : ''
    const policyId = 'policyId' in change && change.policyId ? change.policyId : ids.get(key)
    try {
      switch (change.action) {
        case 'enable-policy-type':
          await api.enablePolicyType(change.target.id, change.policyType)
          break
        case 'create': {
          const policy = desiredOf(change)!
          const created = await api.createPolicy({
            name: policy.name,
            description: policy.description,
            type: policy.type,
            content: policy.content,
            tags: {[MANAGED_TAG.key]: MANAGED_TAG.value},
          })
          ids.set(key, created.id)
          break
        }
        case 'update': {
          const policy = desiredOf(change)!
          if (change.fields.includes('content') || change.fields.includes('description')) {
            await api.updatePolicy({
              id: change.policyId,
              ...(change.fields.includes('content') ? {content: policy.content} : {}),
              ...(change.fields.includes('description') ? {description: policy.description} : {}),
            })
          }
          if (change.fields.includes('managed-tag')) await api.tagResource(change.policyId, {[MANAGED_TAG.key]: MANAGED_TAG.value})
          break
        }
        case 'attach':
          await api.attachPolicy(policyId!, change.target.id)
          break
        case 'detach':
          await api.detachPolicy(policyId!, change.target.id)
          break
        case 'delete':
          await api.deletePolicy(change.policyId)
          break
      }
      const id = change.action === 'create' ? ids.get(key) : policyId
      audit.record({env: MANAGEMENT_ENV, action: auditAction(change), result: 'ok', resource: 'target' in change ? change.target.id : id, detail: describeChange(change)})
      progress(`done: ${describeChange(change)}`)
      results.push({change, result: 'done', ...(id ? {policyId: id} : {})})
    } catch (error) {
      const message = (error as Error).message
      audit.record({env: MANAGEMENT_ENV, action: auditAction(change), result: 'failed', resource: 'target' in change ? change.target.id : policyId, detail: `${describeChange(change)}: ${message}`})
      progress(`FAILED: ${describeChange(change)}: ${message}`)
      results.push({change, result: 'failed', ...(policyId ? {policyId} : {}), error: message})
      stopped = true
    }
  }
  return results
}
