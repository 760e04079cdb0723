import type {StackApi, StackResourceDrift} from '../deploy/api.js'
import {Backoff, pollUntil, type Clock} from '../clock.js'
import type {StagePlan} from '../stages/plan.js'

export interface StackStatus {
  id: string
  stackName: string
  /** Where the stack lives: the env's region, or its recovery region. */
  region: string
  /** NOT_DEPLOYED when CloudFormation has no such stack. */
  status: string
  lastUpdated?: string
  drift: string
  terminationProtection: boolean
  driftedResources?: StackResourceDrift[]
}

export interface StatusOptions {
  /** CloudFormation of the region a stack lives in (StackJob.region). */
  stacksIn: (region: string) => StackApi
  clock: Clock
  polling: {initialMs: number; maxMs: number}
  /** Run drift detection now instead of showing the last result. */
  detectDrift: boolean
}

/** Every stack of the given stages, read in parallel; drift detection runs on deployed stacks only. */
export async function readStatus(stages: StagePlan[], options: StatusOptions): Promise<Array<{name: string; stacks: StackStatus[]}>> {
  return Promise.all(
    stages.map(async ({stage, jobs}) => ({
      name: stage.name,
      stacks: await Promise.all(
        jobs.map(async (job): Promise<StackStatus> => {
          const api = options.stacksIn(job.region)
          const stack = await api.describeStack(job.stackName)
          if (!stack) return {id: job.id, stackName: job.stackName, region: job.region, status: 'NOT_DEPLOYED', drift: '-', terminationProtection: false}
          const status: StackStatus = {
            id: job.id,
            stackName: job.stackName,
            region: job.region,
            status: stack.status,
            lastUpdated: stack.lastUpdated?.toISOString(),
            drift: stack.driftStatus ?? 'NOT_CHECKED',
            terminationProtection: stack.terminationProtection,
          }
          if (options.detectDrift && !stack.status.endsWith('_IN_PROGRESS')) {
            status.drift = await detect(api, job.stackName, options)
            status.driftedResources = status.drift === 'DRIFTED' ? await api.resourceDrifts(job.stackName) : []
          }
          return status
        }),
      ),
    })),
  )
}

async function detect(api: StackApi, stackName: string, {clock, polling}: StatusOptions): Promise<string> {
  const detectionId = await api.detectDrift(stackName)
  const backoff = new Backoff(polling.initialMs, polling.maxMs)
  // No deadline of its own: CloudFormation ends every detection, as complete or failed.
  return pollUntil({clock, intervalMs: () => backoff.next(false)}, async () => {
    const result = await api.driftDetectionStatus(detectionId)
    if (result.status === 'DETECTION_COMPLETE') return result.stackDriftStatus ?? 'UNKNOWN'
    if (result.status === 'DETECTION_FAILED') return `DETECTION_FAILED: ${result.reason ?? 'no reason given'}`
    return undefined
  })
}
