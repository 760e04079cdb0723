import {isStateful} from '../changeset/stateful.js'
import {maskNoEcho, type ResolvedParameter} from '../params/resolve.js'
import {environmentValues, resolveJobParameters, type EnvironmentPlan, type StackJob} from '../stages/plan.js'
import {conditionsForEnvironment} from '../template/evaluate.js'
import {INLINE_TEMPLATE_LIMIT} from './deploy-stack.js'

/**
 * The condition a resource or output is created under, when it has one and it does not
 * decide against it: `true` in this env, or `unknown` offline (it depends on another stack's
 * output), in which case CloudFormation may or may not create it.
 */
export interface PlannedCondition {
  name: string
  value: 'true' | 'unknown'
}

export interface PlannedResource {
  logicalId: string
  type: string
  stateful: boolean
  deletionPolicy?: string
  condition?: PlannedCondition
}

export interface PlannedOutput {
  name: string
  condition?: PlannedCondition
}

/** Resources and outputs whose condition is false in this env: CloudFormation does not create them. */
export interface NotCreated {
  resources: Array<{logicalId: string; type: string; condition: string}>
  outputs: Array<{name: string; condition: string}>
}

export interface OfflineStackPlan {
  id: string
  stage: string
  stackName: string
  /** The env's region, or its recovery region for a recovery stack. */
  region: string
  template: string
  templateBytes: number
  /** Templates over CloudFormation's inline limit go through the artifact bucket. */
  viaArtifactBucket: boolean
  parameters: Record<string, ResolvedParameter>
  tags: Record<string, string>
  /** What the stack creates in this env: resources whose condition is false are in notCreated instead. */
  resources: PlannedResource[]
  outputs: PlannedOutput[]
  notCreated: NotCreated
  dependsOn: string[]
}

export interface OfflinePlan {
  env: string
  account: string
  region: string
  /** Where the recovery stacks go, when the env has a recovery region. */
  recoveryRegion?: string
  protected: boolean
  stages: Array<{name: string; stacks: OfflineStackPlan[]}>
}

/**
 * What a deploy would do, worked out from the files alone: no credentials, no AWS call.
 * Outputs of other stacks appear as `<stack.Output>` placeholders. Conditions are decided
 * as the cost estimate decides them (environmentValues, conditionsForEnvironment).
 */
export function offlinePlan(plan: EnvironmentPlan): OfflinePlan {
  return {
    env: plan.envName,
    account: plan.env.account,
    region: plan.env.region,
    ...(plan.env.recovery ? {recoveryRegion: plan.env.recovery.region} : {}),
    protected: plan.env.protected,
    stages: plan.stages.map(({stage, jobs}) => ({
      name: stage.name,
      stacks: jobs.map((job) => stackPlan(plan, job)),
    })),
  }
}

const conditionOf = (definition: unknown): string | undefined => {
  const condition = typeof definition === 'object' && definition !== null ? (definition as Record<string, unknown>).Condition : undefined
  return typeof condition === 'string' ? condition : undefined
}

function stackPlan(plan: EnvironmentPlan, job: StackJob): OfflineStackPlan {
  const {template} = job
  const resolved = resolveJobParameters(plan, job, () => undefined)
  const decided = conditionsForEnvironment(template, environmentValues(plan, job, resolved))
  const document = template.document as {Resources?: Record<string, unknown>; Outputs?: Record<string, unknown>}
  // A condition the template does not declare is invalid CloudFormation (validate reports it): unknown here.
  const planned = (name: string): PlannedCondition => ({name, value: decided[name] ? 'true' : 'unknown'})

  const resources: PlannedResource[] = []
  const outputs: PlannedOutput[] = []
  const notCreated: NotCreated = {resources: [], outputs: []}
  for (const [logicalId, resource] of Object.entries(template.resources)) {
    const condition = conditionOf(document.Resources?.[logicalId])
    if (condition !== undefined && decided[condition] === false) {
      notCreated.resources.push({logicalId, type: resource.type, condition})
      continue
    }
    resources.push({
      logicalId,
      type: resource.type,
      stateful: isStateful(resource.type, resource),
      deletionPolicy: resource.deletionPolicy,
      ...(condition === undefined ? {} : {condition: planned(condition)}),
    })
  }
  for (const name of template.outputs) {
    const condition = conditionOf(document.Outputs?.[name])
    if (condition !== undefined && decided[condition] === false) notCreated.outputs.push({name, condition})
    else outputs.push({name, ...(condition === undefined ? {} : {condition: planned(condition)})})
  }
  return {
    id: job.id,
    stage: job.stage,
    stackName: job.stackName,
    region: job.region,
    template: template.file,
    templateBytes: template.sizeBytes,
    viaArtifactBucket: template.sizeBytes > INLINE_TEMPLATE_LIMIT,
    parameters: maskNoEcho(template, resolved.parameters),
    tags: job.tags,
    resources,
    outputs,
    notCreated,
    dependsOn: job.dependsOn,
  }
}
