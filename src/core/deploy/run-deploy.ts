import pLimit from 'p-limit'
import {InputError} from '../errors.js'
import {maskNoEcho, parameterValues} from '../params/resolve.js'
import {resolveJobParameters, type EnvironmentPlan, type StackJob} from '../stages/plan.js'
import type {ArtifactStore, StackApi} from './api.js'
import {interruptible} from '../clock.js'
import {eventBoundary, waitForStack, type WaitOptions} from './monitor.js'
import {deployStack, type StackDeployContext, type StackDeployResult} from './deploy-stack.js'
import type {StackOutcome} from './events.js'
import {DEPLOYED_STATES, isInProgress} from './stack-status.js'

export interface StackRunResult extends StackDeployResult {
  id: string
  stage: string
  region: string
  parameters: Record<string, string>
}

export interface DeployRunResult {
  env: string
  dryRun: boolean
  /** Ctrl-C stopped the run before every stack was done. */
  interrupted: boolean
  stages: Array<{name: string; stacks: StackRunResult[]}>
}

/** CloudFormation in another region of the env's account: where its recovery-region stacks go. */
export interface RegionalStacks {
  api: StackApi
  artifacts: () => Promise<ArtifactStore>
  /** The artifact bucket of that region: CloudFormation reads a template URL only from a bucket in the stack's region. */
  artifactBucket: string
}

/** Clients for the regions other than the env's, made when a stack there is first reached. */
export type OtherRegions = (region: string) => RegionalStacks

function regionalOf(plan: EnvironmentPlan, job: StackJob, otherRegions: OtherRegions | undefined): RegionalStacks | undefined {
  if (job.region === plan.env.region) return undefined
  if (!otherRegions) throw new Error(`${job.stackName} deploys to ${job.region}, and no CloudFormation client for that region was given`)
  return otherRegions(job.region)
}

const SETTLED_OK: ReadonlySet<StackOutcome> = new Set(['created', 'updated', 'unchanged', 'no-changes', 'planned'])

export const isSuccessful = (outcome: StackOutcome) => SETTLED_OK.has(outcome)

/**
 * Reads the stacks of the stages before the selected ones: their outputs feed parameters,
 * and a stage refuses to deploy when one it needs is not deployed (exit 2, before any change).
 * A stack with an operation running is waited for first, as the stack itself would be.
 */
export async function outputsOfEarlierStages(
  plan: EnvironmentPlan,
  earlier: StackJob[],
  envWaiting: WaitOptions & {otherRegions?: OtherRegions},
): Promise<Map<string, Record<string, string>>> {
  const outputs = new Map<string, Record<string, string>>()
  const missing: string[] = []
  await Promise.all(
    earlier.map(async (job) => {
      const regional = regionalOf(plan, job, envWaiting.otherRegions)
      const waiting = regional ? {...envWaiting, api: regional.api} : envWaiting
      let stack = await interruptible(waiting.signal, () => waiting.api.describeStack(job.stackName))
      if (stack && isInProgress(stack.status)) {
        const boundary = await eventBoundary(waiting.api, stack.stackId, waiting.clock, waiting.signal)
        stack = (await waitForStack(stack.stackId, boundary, waiting)).stack
      }
      if (stack && DEPLOYED_STATES.has(stack.status)) outputs.set(job.id, stack.outputs)
      else missing.push(`${job.stackName} (stage ${job.stage}${regional ? `, ${job.region}` : ''}): ${stack ? stack.status : 'not deployed'}`)
    }),
  )
  if (missing.length > 0) {
    const stages = [...new Set(earlier.map((job) => job.stage))]
    throw new InputError(
      `stage ${plan.stages[0]!.stage.name} needs the earlier stages ${stages.join(', ')} deployed in ${plan.envName}; not ready:\n  ${missing.sort().join('\n  ')}`,
      `deploy them first: fintech deploy --stage ${stages[0]} --env ${plan.envName}`,
    )
  }
  return outputs
}

/**
 * Deploys the planned stages in order. Inside a stage, stacks run as soon as the stacks they
 * read outputs from are done, at most `concurrency` at a time; the first failure lets running
 * stacks finish, starts no new one, and skips the later stages. Ctrl-C (`context.signal`)
 * starts no new stack either, and stops the running ones before their next change. A stack
 * of the recovery region is deployed there, through `otherRegions`, with the same safety.
 */
export async function runDeploy(
  plan: EnvironmentPlan,
  knownOutputs: Map<string, Record<string, string>>,
  context: StackDeployContext & {concurrency: number; otherRegions?: OtherRegions},
): Promise<DeployRunResult> {
  const outputs = new Map(knownOutputs)
  const limit = pLimit(context.concurrency)
  const result: DeployRunResult = {env: plan.envName, dryRun: context.options.dryRun, interrupted: false, stages: []}
  let stopped = false
  const interrupted = () => context.signal?.aborted === true

  for (const {stage, jobs} of plan.stages) {
    const stageResults: StackRunResult[] = []
    result.stages.push({name: stage.name, stacks: stageResults})
    if (stopped || interrupted()) {
      for (const job of jobs) stageResults.push(skipped(job, interrupted() ? NOT_STARTED_ON_CTRL_C : 'an earlier stage did not complete'))
      continue
    }
    context.reporter.emit({kind: 'stage-start', stage: stage.name, stackNames: jobs.map((job) => job.stackName)})
    const running = new Map<string, Promise<StackRunResult>>()
    const start = (job: StackJob): Promise<StackRunResult> => {
      const existing = running.get(job.id)
      if (existing) return existing
      const promise = (async () => {
        const dependencies = await Promise.all(job.dependsOn.map((id) => start(jobs.find((candidate) => candidate.id === id)!)))
        const failedDependency = dependencies.find((dependency) => !isSuccessful(dependency.outcome))
        if (failedDependency) return skipped(job, `${failedDependency.stackName} did not complete`)
        return limit(() => (interrupted() ? skipped(job, NOT_STARTED_ON_CTRL_C) : stopped ? skipped(job, 'another stack failed first') : runJob(job)))
      })()
      running.set(job.id, promise)
      return promise
    }

    const runJob = async (job: StackJob): Promise<StackRunResult> => {
      const resolution = resolveJobParameters(plan, job, (stackId, key) => outputs.get(stackId)?.[key])
      const unresolved = Object.entries(resolution.parameters).find(([, parameter]) => parameter.placeholder)
      const parameters = parameterValues(resolution)
      const shown = maskNoEcho(job.template, parameters)
      const problem = resolution.problems[0]
      let deployed: StackDeployResult
      if (problem) {
        // An output value that the template refuses (AllowedValues): only known once the source stack ran.
        deployed = {stackName: job.stackName, outcome: 'failed', outputs: {}, detail: problem.detail}
      } else if (unresolved) {
        // Only a dry run of stages that were never deployed gets here: their inputs do not exist yet.
        const detail = `${unresolved[1].value} is not an output of a deployed stack yet; see the offline plan for its resources`
        deployed = {stackName: job.stackName, outcome: context.options.dryRun ? 'planned' : 'failed', outputs: {}, detail}
      } else {
        const regional = regionalOf(plan, job, context.otherRegions)
        const jobContext = regional
          ? {...context, api: regional.api, artifacts: regional.artifacts, options: {...context.options, artifactBucket: regional.artifactBucket}}
          : context
        deployed = await deployStack(
          {
            stackName: job.stackName,
            template: job.template,
            parameters,
            effectiveParameters: Object.fromEntries(Object.entries(resolution.parameters).map(([name, parameter]) => [name, parameter.value])),
            tags: job.tags,
          },
          jobContext,
        )
      }
      if (!isSuccessful(deployed.outcome)) stopped = true
      outputs.set(job.id, deployed.outputs)
      context.reporter.emit({kind: 'stack-done', stackName: job.stackName, outcome: deployed.outcome, status: deployed.status, rootCause: deployed.rootCause, detail: deployed.detail})
      return {...deployed, id: job.id, stage: job.stage, region: job.region, parameters: shown}
    }

    stageResults.push(...(await Promise.all(jobs.map(start))))
    const ok = stageResults.every((stack) => isSuccessful(stack.outcome))
    context.reporter.emit({kind: 'stage-done', stage: stage.name, ok})
    if (!ok) stopped = true
  }
  result.interrupted = interrupted() && result.stages.some((stage) => stage.stacks.some((stack) => !isSuccessful(stack.outcome)))
  return result
}

const NOT_STARTED_ON_CTRL_C = 'not started: Ctrl-C'

function skipped(job: StackJob, detail: string): StackRunResult {
  return {id: job.id, stage: job.stage, region: job.region, stackName: job.stackName, outcome: 'skipped', outputs: {}, parameters: {}, detail}
}
