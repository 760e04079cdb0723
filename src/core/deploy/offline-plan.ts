import {isStateful} from '../changeset/stateful.js'
import {maskNoEcho, type ResolvedParameter} from '../params/resolve.js'
import {resolveJobParameters, type EnvironmentPlan} from '../stages/plan.js'
import {INLINE_TEMPLATE_LIMIT} from './deploy-stack.js'

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
  resources: Array<{logicalId: string; type: string; stateful: boolean; deletionPolicy?: string}>
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
 * Outputs of other stacks appear as `<stack.Output>` placeholders.
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
      stacks: jobs.map((job) => ({
        id: job.id,
        stage: job.stage,
        stackName: job.stackName,
        region: job.region,
        template: job.template.file,
        templateBytes: job.template.sizeBytes,
        viaArtifactBucket: job.template.sizeBytes > INLINE_TEMPLATE_LIMIT,
        parameters: maskNoEcho(job.template, resolveJobParameters(plan, job, () => undefined).parameters),
        tags: job.tags,
        resources: Object.entries(job.template.resources).map(([logicalId, resource]) => ({
          logicalId,
          type: resource.type,
          stateful: isStateful(resource.type, resource),
          deletionPolicy: resource.deletionPolicy,
        })),
        dependsOn: job.dependsOn,
      })),
    })),
  }
}
