import type {AuditSink} from '../audit/audit-log.js'
import {isStateful} from '../changeset/stateful.js'
import type {StackApi, StackDescription} from '../deploy/api.js'
import {InterruptedError, type Clock} from '../clock.js'
import type {DeployReporter, RootCause, StackOutcome} from '../deploy/events.js'
import {eventBoundary, rootCauseOf, waitForStack} from '../deploy/monitor.js'
import type {GlobalCluster} from '../dr/api.js'
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
  /** Aurora global databases the stack made from one of its own clusters (its primary): see assertGlobalClustersDetached. */
  globalClusters: GlobalClusterOfStack[]
}

export interface GlobalClusterOfStack {
  logicalId: string
  /** The global cluster's identifier, when the deployed template and the stack's parameters say it. */
  identifier?: string
  /** The logical id of the stack's DBCluster it was made from. */
  sourceCluster: string
}

export interface DestroyStackResult {
  id: string
  stage: string
  stackName: string
  region: string
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
export async function destroyTargets(stacksIn: (region: string) => StackApi, jobs: StackJob[]): Promise<DestroyTarget[]> {
  return Promise.all(
    jobs.map(async (job): Promise<DestroyTarget> => {
      const api = stacksIn(job.region)
      const stack = await api.describeStack(job.stackName)
      if (!stack) return {job, kept: [], lost: [], globalClusters: []}
      const deployed = parseTemplate(await api.getTemplateBody(stack.stackId), `${job.stackName} (deployed)`)
      const stateful = Object.entries(deployed.resources).filter(([, resource]) => isStateful(resource.type, resource))
      const keeps = ([, resource]: (typeof stateful)[number]) => KEEPING_POLICIES.has(resource.deletionPolicy ?? '')
      return {
        job,
        stack,
        kept: stateful.filter(keeps).map(([logicalId, resource]) => `${logicalId} (${resource.type}, ${resource.deletionPolicy})`),
        lost: stateful.filter((entry) => !keeps(entry)).map(([logicalId, resource]) => `${logicalId} (${resource.type})`),
        globalClusters: globalClustersOf(deployed.resources, stack.parameters),
      }
    }),
  )
}

type Resources = ReturnType<typeof parseTemplate>['resources']

/** `fintech-${EnvironmentName}-x` with the stack's parameters; undefined when anything else (a pseudo parameter, a GetAtt) is in it. */
function resolveName(value: unknown, parameters: Record<string, string>): string | undefined {
  if (typeof value === 'string') return value
  const sub = (value as {'Fn::Sub'?: unknown} | undefined)?.['Fn::Sub']
  if (typeof sub !== 'string') return undefined
  let unresolved = false
  const name = sub.replace(/\$\{([^}]+)\}/g, (_, parameter: string) => parameters[parameter] ?? ((unresolved = true), ''))
  return unresolved ? undefined : name
}

function globalClustersOf(resources: Resources, parameters: Record<string, string>): GlobalClusterOfStack[] {
  const clusters = Object.keys(resources).filter((logicalId) => resources[logicalId]!.type === 'AWS::RDS::DBCluster')
  return Object.entries(resources).flatMap(([logicalId, resource]): GlobalClusterOfStack[] => {
    if (resource.type !== 'AWS::RDS::GlobalCluster') return []
    const source = JSON.stringify(resource.properties.SourceDBClusterIdentifier ?? null)
    const sourceCluster = clusters.find((cluster) => new RegExp(`"${cluster}"|\\$\\{${cluster}[}.]`).test(source))
    if (!sourceCluster) return []
    const identifier = resolveName(resource.properties.GlobalClusterIdentifier, parameters)
    return [{logicalId, sourceCluster, ...(identifier ? {identifier} : {})}]
  })
}

/**
 * A stack that made an Aurora global database from its own cluster cannot be deleted while that
 * cluster is still a member: RDS refuses to delete a global database member, and CloudFormation
 * takes a cluster out of a global database only when the cluster's own GlobalClusterIdentifier
 * names it (the recovery secondary's does; a primary's does not). CloudFormation would delete the
 * cluster's instances first and then fail on the cluster, so destroy refuses before anything goes.
 * `describe` reads the global database in the stack's region; a recovery secondary of this run is
 * deleted (and detached by CloudFormation) before the primary's stack, so only a member in the
 * stack's own region blocks.
 */
export async function assertGlobalClustersDetached(
  targets: DestroyTarget[],
  describe: (region: string, identifier: string) => Promise<GlobalCluster | undefined>,
): Promise<void> {
  const problems: string[] = []
  const steps: string[] = []
  for (const {job, stack, globalClusters} of targets) {
    if (!stack) continue
    for (const global of globalClusters) {
      const where = `${job.stackName} (${job.region}): ${global.sourceCluster} is the primary of Aurora global database ${global.identifier ?? global.logicalId}`
      if (!global.identifier) {
        problems.push(`${where}, whose identifier fintech cannot read from the deployed template`)
        continue
      }
      const found = await describe(job.region, global.identifier)
      const primary = found?.members.find((member) => member.clusterArn.split(':')[3] === job.region)
      if (!primary) continue
      problems.push(`${where}, and still a member of it`)
      steps.push(`aws rds remove-from-global-cluster --region ${job.region} --global-cluster-identifier ${global.identifier} --db-cluster-identifier ${primary.clusterArn}`)
    }
  }
  if (problems.length === 0) return
  const detach = steps.length > 0 ? `\nNothing was deleted. Take each primary out of its global database first, then run destroy again:\n${steps.map((step) => `  ${step}`).join('\n')}` : '\nNothing was deleted.'
  throw new InputError(
    `destroying would stop half-way: RDS refuses to delete a cluster that is a member of a global database, and CloudFormation would delete its DB instances first:\n${problems.map((problem) => `  ${problem}`).join('\n')}${detach}`,
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
  /** CloudFormation of the region a stack lives in (StackJob.region). */
  stacksIn: (region: string) => StackApi
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
  const {reporter, audit, clock, signal} = context
  const results: DestroyStackResult[] = []
  let stopped = false
  for (const {job, stack, kept} of targets) {
    const base = {id: job.id, stage: job.stage, stackName: job.stackName, region: job.region, kept}
    const api = context.stacksIn(job.region)
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
