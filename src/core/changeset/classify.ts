import type {ChangeSetDescription, ResourceChange} from '../deploy/api.js'
import type {Template} from '../template/parse.js'
import {broadeningOf, isPermissionType} from './broadening.js'
import {isStateful} from './stateful.js'

export type ChangeRisk = 'stateful-replacement' | 'stateful-removal' | 'broadening'

export interface ClassifiedChange extends ResourceChange {
  stateful: boolean
  risks: ChangeRisk[]
  /** Properties whose change replaces the resource (RequiresRecreation Always or Conditionally). */
  replacementCauses: string[]
  /** New grants, for IAM and security-group changes that widen access. */
  broadening: string[]
}

export interface ClassifiedChangeSet {
  changes: ClassifiedChange[]
  counts: {add: number; modify: number; remove: number}
  /** Changes that lose data unless the user passes --allow-replacement. */
  destructive: ClassifiedChange[]
  /** Changes that widen permissions and so need a human's approval. */
  broadening: ClassifiedChange[]
}

function replacementCauses(change: ResourceChange): string[] {
  const causes = change.details
    .filter((detail) => detail.requiresRecreation === 'Always' || detail.requiresRecreation === 'Conditionally')
    .map((detail) => detail.name ?? detail.attribute ?? 'unknown')
  return [...new Set(causes)]
}

/**
 * A permission property whose value comes from a parameter changes with the parameter while
 * the template text stays the same; its direction is unknown here, so it counts as widening.
 */
function parameterDrivenGrants(change: ResourceChange): string[] {
  if (change.action !== 'Modify') return []
  return change.details
    .filter((detail) => detail.changeSource === 'ParameterReference')
    .map((detail) => `${detail.name ?? detail.attribute ?? 'a property'} changes with parameter ${detail.causingEntity ?? '(unknown)'}`)
}

/**
 * Sorts every change of a change set by what it risks. `previous` is the template deployed
 * now (absent for a new stack), used to tell widening permission changes from narrowing ones.
 */
export function classifyChangeSet(changeSet: ChangeSetDescription, next: Template, previous?: Template): ClassifiedChangeSet {
  const changes = changeSet.changes.map((change): ClassifiedChange => {
    const stateful = isStateful(change.resourceType, next.resources[change.logicalId] ?? previous?.resources[change.logicalId])
    const risks: ChangeRisk[] = []
    const replaces = change.action === 'Dynamic' || change.replacement === 'True' || change.replacement === 'Conditional'
    if (stateful && change.action === 'Remove') risks.push('stateful-removal')
    if (stateful && change.action !== 'Remove' && change.action !== 'Add' && replaces) risks.push('stateful-replacement')
    const broadening =
      change.action === 'Remove' || !isPermissionType(change.resourceType)
        ? []
        : [...broadeningOf(change.logicalId, next, previous), ...parameterDrivenGrants(change)]
    if (broadening.length > 0) risks.push('broadening')
    return {...change, stateful, risks, replacementCauses: replacementCauses(change), broadening}
  })
  const count = (action: string) => changes.filter((change) => change.action === action).length
  return {
    changes,
    counts: {add: count('Add'), modify: count('Modify') + count('Dynamic'), remove: count('Remove')},
    destructive: changes.filter((change) => change.risks.includes('stateful-replacement') || change.risks.includes('stateful-removal')),
    broadening: changes.filter((change) => change.risks.includes('broadening')),
  }
}
