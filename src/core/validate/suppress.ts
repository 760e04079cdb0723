import type {Template} from '../template/parse.js'
import {findingAt, type Finding, type RuleInfo} from './finding.js'

export const suppressionWithoutReason: RuleInfo = {
  id: 'FT-SUP-001',
  severity: 'error',
  title: 'Suppression without a written reason',
  rationale: 'A bank must be able to tell an auditor why a control does not apply; a suppression that says nothing is refused and suppresses nothing.',
}

export const staleSuppression: RuleInfo = {
  id: 'FT-SUP-002',
  severity: 'warning',
  title: 'Suppression of a finding that no longer occurs',
  rationale: 'A warning, not an error, since nothing is exposed; but a stale suppression would silently hide the finding if the problem came back.',
}

export const suppressionRules: RuleInfo[] = [suppressionWithoutReason, staleSuppression]

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Removes the findings a resource suppresses in its Metadata, each with a written reason:
 *
 *   Metadata:
 *     fintech:
 *       suppress:
 *         FT-SEC-004: "instance-store only, no EBS data volume"
 *
 * A suppression without a reason suppresses nothing and is itself an error (FT-SUP-001);
 * one that matches no finding of its resource is a warning (FT-SUP-002).
 */
export function applySuppressions(findings: Finding[], templates: Template[]): Finding[] {
  const suppressed = new Set<Finding>()
  const added: Finding[] = []
  for (const template of templates) {
    for (const [resourceId, resource] of Object.entries(template.resources)) {
      const fintech = resource.metadata.fintech
      if (!isRecord(fintech) || !('suppress' in fintech)) continue
      const suppressPath = ['Resources', resourceId, 'Metadata', 'fintech', 'suppress']
      if (!isRecord(fintech.suppress)) {
        added.push(findingAt(suppressionWithoutReason, template, suppressPath, `${resourceId}: fintech.suppress must map rule ids to written reasons`, resourceId))
        continue
      }
      for (const [ruleId, reason] of Object.entries(fintech.suppress)) {
        const path = [...suppressPath, ruleId]
        if (typeof reason !== 'string' || reason.trim() === '') {
          added.push(findingAt(suppressionWithoutReason, template, path, `${resourceId}: the suppression of ${ruleId} needs a written reason, so it does not apply`, resourceId))
          continue
        }
        const matching = findings.filter((finding) => finding.file === template.file && finding.resource === resourceId && finding.ruleId === ruleId)
        if (matching.length === 0) {
          added.push(findingAt(staleSuppression, template, path, `${resourceId}: ${ruleId} reports nothing for this resource; remove the stale suppression`, resourceId))
        }
        for (const finding of matching) suppressed.add(finding)
      }
    }
  }
  return [...findings.filter((finding) => !suppressed.has(finding)), ...added]
}
