import {createHash} from 'node:crypto'
import {lineDiff} from '../scp/diff.js'
import type {LiveStackSet, OperationSummary, StackInstance} from './api.js'
import {shownParameters, type DesiredStackSet} from './desired.js'

export type StepAction = 'create-stack-set' | 'update-stack-set' | 'create-instances'

/**
 * One call of the rollout. `token` is the OperationId (ClientRequestToken for create-stack-set),
 * derived from what the step sends and the StackSet's newest operation when planned: the SDK's
 * re-send and a re-run before that operation has started carry the same id, and CloudFormation
 * takes them for the operation it has; once it has started, the next plan derives a new id.
 */
export interface PlanStep {
  action: StepAction
  token: string
  /** create-instances, and update-stack-set when the StackSet has instances in the config's OUs. */
  organizationalUnits?: string[]
  regions?: string[]
}

export interface ValueChange {
  name: string
  before?: string
  after?: string
}

export interface StackSetPlan {
  name: string
  stage: string
  env: string
  exists: boolean
  /** Why nothing may be sent for this StackSet; the run changes nothing anywhere when one is set. */
  refusal?: string
  /** A unified line diff of the deployed template to the config's; undefined when equal. */
  templateDiff?: string
  parameterChanges: ValueChange[]
  tagChanges: ValueChange[]
  autoDeploymentChange?: ValueChange
  /** Pairs of OU and region of the config without a stack instance yet. */
  missing: Array<{organizationalUnit: string; region: string}>
  /** Instances in OUs or regions the config no longer lists: left alone (deleting stacks is not the rollout's job). */
  untouched: StackInstance[]
  instances: StackInstance[]
  steps: PlanStep[]
}

const RUNNING_STATUSES = new Set(['RUNNING', 'QUEUED', 'STOPPING'])

function valueChanges(before: Record<string, string>, after: Record<string, string>): ValueChange[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()
  return names.filter((name) => before[name] !== after[name]).map((name) => ({name, before: before[name], after: after[name]}))
}

/** The newest by creation time; ListStackSetOperations promises no order. */
export const newestOperation = (operations: OperationSummary[]): OperationSummary | undefined =>
  operations.reduce<OperationSummary | undefined>((newest, operation) => (!newest || (operation.createdAt ?? new Date(0)) > (newest.createdAt ?? new Date(0)) ? operation : newest), undefined)

const describeAutoDeployment = (value?: {enabled: boolean; retainStacksOnAccountRemoval: boolean}) =>
  !value ? 'not set' : value.enabled ? `on, ${value.retainStacksOnAccountRemoval ? 'retain' : 'delete'} stacks of accounts leaving the OUs` : 'off'

export function derivedToken(kind: string, parts: unknown): string {
  return `fintech-${kind}-${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 40)}`
}

/** OUs missing an instance, grouped by the regions they miss, so each group is one CreateStackInstances. */
function instanceGroups(missing: StackSetPlan['missing'], config: {organizationalUnits: string[]; regions: string[]}): Array<{organizationalUnits: string[]; regions: string[]}> {
  const groups = new Map<string, {organizationalUnits: string[]; regions: string[]}>()
  for (const organizationalUnit of config.organizationalUnits) {
    const ordered = config.regions.filter((region) => missing.some((pair) => pair.organizationalUnit === organizationalUnit && pair.region === region))
    if (ordered.length === 0) continue
    const key = ordered.join(',')
    groups.set(key, {organizationalUnits: [...(groups.get(key)?.organizationalUnits ?? []), organizationalUnit], regions: ordered})
  }
  return [...groups.values()]
}

/**
 * Compares the config's StackSet with the deployed one (absent: undefined) and lists the calls
 * that bring it in line: create the StackSet, update it (template, parameters, tags,
 * auto-deployment) where it has instances, then create the instances the config's OUs and
 * regions miss. Instances elsewhere are reported, never deleted.
 */
export function planStackSet(
  desired: DesiredStackSet,
  live: {stackSet?: LiveStackSet; instances: StackInstance[]; operations?: OperationSummary[]},
): StackSetPlan {
  const {config, content} = desired
  const base = {name: config.name, stage: desired.stage, env: config.env, exists: live.stackSet !== undefined, instances: live.instances}
  const inConfig = (instance: StackInstance) => config.regions.includes(instance.region) && config.organizationalUnits.includes(instance.organizationalUnitId ?? '')
  const missing = config.regions.flatMap((region) =>
    config.organizationalUnits
      .filter((organizationalUnit) => !live.instances.some((instance) => instance.region === region && instance.organizationalUnitId === organizationalUnit))
      .map((organizationalUnit) => ({organizationalUnit, region})),
  )
  const untouched = live.instances.filter((instance) => !inConfig(instance))
  const parameterChanges = valueChanges(shownParameters(desired, live.stackSet?.parameters ?? {}), shownParameters(desired, content.parameters))
  const tagChanges = valueChanges(live.stackSet?.tags ?? {}, content.tags)
  const autoBefore = describeAutoDeployment(live.stackSet?.autoDeployment)
  const autoAfter = describeAutoDeployment(content.autoDeployment)
  const plan: StackSetPlan = {
    ...base,
    templateDiff: live.stackSet && live.stackSet.templateBody === content.templateBody ? undefined : lineDiff(live.stackSet?.templateBody ?? '', content.templateBody),
    parameterChanges: live.stackSet ? parameterChanges : [],
    tagChanges: live.stackSet ? tagChanges : [],
    autoDeploymentChange: live.stackSet && autoBefore !== autoAfter ? {name: 'autoDeployment', before: autoBefore, after: autoAfter} : undefined,
    missing,
    untouched,
    steps: [],
  }
  if (live.stackSet && live.stackSet.permissionModel !== 'SERVICE_MANAGED') {
    return {...plan, refusal: `StackSet ${config.name} exists with ${live.stackSet.permissionModel ?? 'no'} permission model; fintech rolls out SERVICE_MANAGED StackSets only: rename it in organization.stackSets or delete the other`}
  }
  const active = live.operations?.find((operation) => RUNNING_STATUSES.has(operation.status))
  if (active) {
    return {...plan, refusal: `operation ${active.id} (${active.action}) is ${active.status} on StackSet ${config.name}: wait for it to end (fintech status --org) and run again`}
  }
  // Compared masked: CloudFormation answers "****" for a NoEcho value, so a change of one alone goes unseen (docs/org-rollout.md).
  const contentChanged =
    live.stackSet !== undefined && (plan.templateDiff !== undefined || parameterChanges.length > 0 || tagChanges.length > 0 || plan.autoDeploymentChange !== undefined)
  const basis = {content, preferences: desired.preferences, lastOperation: newestOperation(live.operations ?? [])?.id ?? null}
  const steps: PlanStep[] = []
  if (!live.stackSet) steps.push({action: 'create-stack-set', token: derivedToken('create', basis)})
  if (contentChanged) {
    const updated = live.instances.filter(inConfig)
    const targets = updated.length
      ? {
          organizationalUnits: config.organizationalUnits.filter((ou) => updated.some((instance) => instance.organizationalUnitId === ou)),
          regions: config.regions.filter((region) => updated.some((instance) => instance.region === region)),
        }
      : {}
    steps.push({action: 'update-stack-set', token: derivedToken('update', {...basis, targets}), ...targets})
  }
  for (const group of instanceGroups(missing, config)) steps.push({action: 'create-instances', token: derivedToken('instances', {...basis, group}), ...group})
  return {...plan, steps}
}
