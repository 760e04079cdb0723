import type {AuditSink} from '../audit/audit-log.js'
import {isStateful} from '../changeset/stateful.js'
import type {StackApi, StackDescription} from '../deploy/api.js'
import {InterruptedError, type Clock} from '../deploy/clock.js'
import type {DeployReporter, RootCause, StackOutcome} from '../deploy/events.js'
import {eventBoundary, rootCauseOf, waitForStack} from '../deploy/monitor.js'
import {InputError} from '../errors.js'
import type {StackJob} from '../stages/plan.js'
import {parseTemplate} from '../template/parse.js'

/** DeletionPolicy values that keep a resource (or a snapshot of it) when its stack is deleted. */
const KEEPING_POLICIES = new Set(['Retain', 'RetainExceptOnCreate', 'Snapshot'])

export interface DestroyTarget {
  job: StackJob
  /** The stack as deployed now; undefined when it does not exist. */
  stack?: StackDescription
  /** Stateful resources the deployed template's DeletionPolicy keeps, and those it would delete. */
  kept: string[]
  lost: string[]
}

export interface DestroyStackResult {
  id: string
  stage: string
  stackName: string
  outcome: Extract<StackOutcome, 'deleted' | 'skipped' | 'failed' | 'planned' | 'interrupted'>
  kept: string[]
  rootCause?: RootCause
  detail?: string
}

/** Stacks to delete: the exact reverse of the deploy order, so nothing is deleted before what uses it. */
export function destroyOrder(stages: Array<{jobs: StackJob[]}>): StackJob[] {
  const deployOrder: StackJob[] = []
  for (const {jobs} of stages) {
    const placed = new Set<string>()
    const visit = (job: StackJob) => {
      if (placed.has(job.id)) return
      placed.add(job.id)
      for (const id of job.dependsOn) visit(jobs.find((candidate) => candidate.id === id)!)
      deployOrder.push(job)
    }
    jobs.forEach(visit)
  }
  return deployOrder.reverse()
}

/**
 * What deleting each stack would keep and lose, judged on the template CloudFormation holds,
 * not the local file: a Retain added locally but never deployed protects nothing.
 */
export async function destroyTargets(api: StackApi, jobs: StackJob[]): Promise<DestroyTarget[]> {
  return Promise.all(
    jobs.map(async (job): Promise<DestroyTarget> => {
      const stack = await api.describeStack(job.stackName)
      if (!stack) return {job, kept: [], lost: []}
      const deployed = parseTemplate(await api.getTemplateBody(stack.stackId), `${job.stackName} (deployed)`)
      const stateful = Object.entries(deployed.resources).filter(([, resource]) => isStateful(resource.type, resource))
      const keeps = ([, resource]: (typeof stateful)[number]) => KEEPING_POLICIES.has(resource.deletionPolicy ?? '')
      return {
        job,
        stack,
        kept: stateful.filter(keeps).map(([logicalId, resource]) => `${logicalId} (${resource.type}, ${resource.deletionPolicy})`),
        lost: stateful.filter((entry) => !keeps(entry)).map(([logicalId, resource]) => `${logicalId} (${resource.type})`),
      }
    }),
  )
}

/** Stateful resources without a keeping DeletionPolicy are deleted with their stack: say so, and stop unless allowed. */
export function assertNoDataLoss(targets: DestroyTarget[], allowDataLoss: boolean): void {
  const losing = targets.filter((target) => target.lost.length > 0)
  if (losing.length === 0 || allowDataLoss) return
  const list = losing.map((target) => `  ${target.job.stackName}: ${target.lost.join(', ')}`).join('\n')
  throw new InputError(
    `destroying would delete stateful resources that have no Retain or Snapshot DeletionPolicy:\n${list}`,
    'add DeletionPolicy: Retain (or Snapshot) to them, or pass --allow-data-loss',
  )
}

export interface DestroyContext {
  api: StackApi
  reporter: DeployReporter
  audit: AuditSink
  clock: Clock
  signal?: AbortSignal
  envName: string
  dryRun: boolean
  polling: {initialMs: number; maxMs: number}
}

/** Deletes stacks one after the other in the given order; the first failure stops the rest. */
export async function runDestroy(targets: DestroyTarget[], context: DestroyContext): Promise<DestroyStackResult[]> {
  const {api, reporter, audit, clock, signal} = context
  const results: DestroyStackResult[] = []
  let stopped = false
  for (const {job, stack, kept} of targets) {
    const base = {id: job.id, stage: job.stage, stackName: job.stackName, kept}
    if (stopped) {
      results.push({...base, outcome: 'skipped', detail: signal?.aborted ? 'not started: Ctrl-C' : 'an earlier deletion did not complete'})
      continue
    }
    if (!stack) {
      results.push({...base, outcome: 'skipped', detail: 'not deployed'})
      continue
    }
    if (stack.terminationProtection) {
      stopped = true
      results.push({...base, outcome: 'failed', detail: 'termination protection is on; a protected stack is never destroyed by fintech'})
      continue
    }
    if (context.dryRun) {
      results.push({...base, outcome: 'planned', detail: `would delete (${stack.status})`})
      continue
    }
    // After Ctrl-C no further deletion is sent: the stacks not started yet stay as they are.
    if (signal?.aborted) {
      stopped = true
      results.push({...base, outcome: 'skipped', detail: 'not started: Ctrl-C'})
      continue
    }
    reporter.emit({kind: 'stack-phase', stackName: job.stackName, phase: 'executing', detail: 'deleting'})
    let deleteSent = false
    try {
      const boundary = await eventBoundary(api, stack.stackId, clock, signal)
      if (signal?.aborted) throw new InterruptedError()
      deleteSent = true
      await api.deleteStack(stack.stackId)
      const finished = await waitForStack(stack.stackId, boundary, {api, clock, reporter, polling: context.polling, signal})
      const gone = !finished.stack || finished.stack.status === 'DELETE_COMPLETE'
      audit.record({env: context.envName, stack: job.stackName, action: 'delete-stack', result: gone ? 'ok' : 'failed', detail: finished.stack?.status})
      if (!gone) stopped = true
      results.push(gone ? {...base, outcome: 'deleted'} : {...base, outcome: 'failed', rootCause: rootCauseOf(finished.events), detail: finished.stack?.status})
    } catch (error) {
      stopped = true
      const interrupted = error instanceof InterruptedError
      if (interrupted && !deleteSent) {
        results.push({...base, outcome: 'skipped', detail: 'not started: Ctrl-C'})
        reporter.emit({kind: 'stack-done', stackName: job.stackName, outcome: 'skipped', detail: 'not started: Ctrl-C'})
        continue
      }
      audit.record({
        env: context.envName,
        stack: job.stackName,
        action: 'delete-stack',
        result: interrupted ? 'in-progress' : 'failed',
        detail: interrupted ? 'stopped waiting' : (error as Error).message,
      })
      results.push({...base, outcome: interrupted ? 'interrupted' : 'failed', detail: interrupted ? 'stopped waiting; the deletion goes on in CloudFormation' : (error as Error).message})
    }
    reporter.emit({kind: 'stack-done', stackName: job.stackName, outcome: results.at(-1)!.outcome, rootCause: results.at(-1)!.rootCause, detail: results.at(-1)!.detail})
  }
  return results
}
