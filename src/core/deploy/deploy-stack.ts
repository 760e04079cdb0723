import {createHash} from 'node:crypto'
import type {AuditEntry, AuditSink} from '../audit/audit-log.js'
import {classifyChangeSet, type ClassifiedChangeSet} from '../changeset/classify.js'
import {isStateful} from '../changeset/stateful.js'
import {parseTemplate, type Template} from '../template/parse.js'
import type {ArtifactStore, ChangeSetDescription, StackApi, StackDescription} from './api.js'
import {Backoff, InterruptedError, interruptible, pollUntil, type Clock} from '../clock.js'
import type {DeployReporter, RootCause, StackOutcome, StackPhase} from './events.js'
import {eventBoundary, rootCauseOf, waitForStack, type EventBoundary, type WaitResult} from './monitor.js'
import {DEPLOYED_STATES, MANUAL_STATES, RECREATE_STATES, isInProgress, isNoChangeReason} from './stack-status.js'

/** CloudFormation's limit for an inline TemplateBody. */
export const INLINE_TEMPLATE_LIMIT = 51_200

export interface ApprovalRequest {
  stackName: string
  question: string
  reasons: string[]
}

export interface Approver {
  /** Asks a person; `why` says why the answer is no when nobody could be asked. */
  approve(request: ApprovalRequest): Promise<{approved: boolean; why?: string}>
}

export interface StackDeployOptions {
  envName: string
  protectedEnv: boolean
  dryRun: boolean
  allowReplacement: boolean
  /** Deploy even when template, parameters and tags equal what is deployed. */
  force: boolean
  artifactBucket: string
  polling: {initialMs: number; maxMs: number}
}

export interface StackDeployContext {
  api: StackApi
  artifacts: () => Promise<ArtifactStore>
  reporter: DeployReporter
  audit: AuditSink
  approver: Approver
  clock: Clock
  /**
   * Ctrl-C: once aborted, no change set is created or executed and no operation starts; reads
   * and waits end at once, and a change set not executed yet is deleted.
   */
  signal?: AbortSignal
  /** Changing calls sent and not answered yet, as audit entries: what a forced exit leaves unrecorded. */
  inFlight?: Set<AuditEntry>
  options: StackDeployOptions
}

export interface StackDeployInput {
  stackName: string
  template: Template
  /** Values to send (template defaults left out). */
  parameters: Record<string, string>
  /** Every declared parameter's effective value, defaults included, to compare with the stack. */
  effectiveParameters: Record<string, string>
  tags: Record<string, string>
}

export interface StackDeployResult {
  stackName: string
  outcome: StackOutcome
  status?: string
  outputs: Record<string, string>
  changeSet?: ClassifiedChangeSet
  rootCause?: RootCause
  detail?: string
  /** True once an operation of this run completed on the stack (exit code 3 when the stack then fails). */
  changedSomething?: boolean
}

type Outcome = Omit<StackDeployResult, 'stackName' | 'outputs'> & {outputs?: Record<string, string>}

const sameRecord = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([key, value]) => b[key] === value)

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** Denies replacing or deleting the stateful resources of a protected stack, and allows the rest. */
export function protectivePolicy(template: Template): string | undefined {
  const stateful = Object.entries(template.resources)
    .filter(([, resource]) => isStateful(resource.type, resource))
    .map(([logicalId]) => `LogicalResourceId/${logicalId}`)
  if (stateful.length === 0) return undefined
  return JSON.stringify({
    Statement: [
      {Effect: 'Allow', Action: 'Update:*', Principal: '*', Resource: '*'},
      {Effect: 'Deny', Action: ['Update:Replace', 'Update:Delete'], Principal: '*', Resource: stateful},
    ],
  })
}

const OPEN_POLICY = JSON.stringify({Statement: [{Effect: 'Allow', Action: 'Update:*', Principal: '*', Resource: '*'}]})

/**
 * Values CloudFormation resolves at deploy time (SSM parameter types, dynamic references)
 * can change while the stack's inputs stay the same, so such stacks are never skipped.
 */
const resolvesAtDeployTime = (template: Template) =>
  Object.values(template.parameters).some((parameter) => parameter.type.startsWith('AWS::SSM::Parameter::Value')) ||
  template.body.includes('{{resolve:')

/**
 * Brings one stack to its template: recovers it from states a deploy cannot start from, skips
 * it when nothing changed, otherwise creates a change set, shows it, stops on dangerous changes,
 * asks for approval where needed, executes it and follows it to the end.
 */
export function deployStack(input: StackDeployInput, context: StackDeployContext): Promise<StackDeployResult> {
  return new StackDeployment(input, context).run()
}

class StackDeployment {
  private readonly stackName: string
  private changedSomething = false
  /** Set while following an operation on the stack; a Ctrl-C then leaves it running in CloudFormation. */
  private following = false
  private discardedChangeSet = false

  constructor(
    private readonly input: StackDeployInput,
    private readonly context: StackDeployContext,
  ) {
    this.stackName = input.stackName
  }

  async run(): Promise<StackDeployResult> {
    try {
      return this.done(await this.deploy())
    } catch (error) {
      if (!(error instanceof InterruptedError)) return this.done({outcome: 'failed', detail: (error as Error).message})
      if (this.following) return this.done({outcome: 'interrupted', detail: 'stopped waiting; the operation goes on in CloudFormation'})
      return this.done({outcome: 'skipped', detail: this.discardedChangeSet ? 'Ctrl-C: its change set was deleted before execution' : 'Ctrl-C: no change set was executed'})
    }
  }

  /** Called before every step that would change something: after Ctrl-C nothing new starts. */
  private checkpoint(): void {
    if (this.context.signal?.aborted) throw new InterruptedError()
  }

  private read<T>(call: () => Promise<T>): Promise<T> {
    return interruptible(this.context.signal, call)
  }

  private async deploy(): Promise<Outcome> {
    const {api, options} = this.context
    this.checkpoint()
    this.phase('checking')
    const recovered = await this.recover(await this.read(() => api.describeStack(this.stackName)))
    if ('outcome' in recovered) return recovered
    const stack = recovered.stack

    let previous: Template | undefined
    if (stack) {
      const deployedBody = await this.read(() => api.getTemplateBody(this.stackName))
      if (this.isUnchanged(stack, deployedBody)) {
        if (options.protectedEnv && !options.dryRun) await this.protect(stack)
        return {outcome: 'unchanged', status: stack.status, outputs: stack.outputs}
      }
      previous = tryParse(deployedBody, this.stackName)
    }
    return this.changeThroughChangeSet(stack, previous)
  }

  /** Gets the stack to a state a change set can start from, or says why it cannot. */
  private async recover(found: StackDescription | undefined): Promise<{stack?: StackDescription} | Outcome> {
    const {api, approver, clock, options} = this.context
    let stack = found

    if (stack && isInProgress(stack.status)) {
      if (options.dryRun) return {outcome: 'skipped', status: stack.status, detail: `an operation is running (${stack.status}); plan again when it ends`}
      this.phase('waiting-in-progress', stack.status)
      const boundary = await eventBoundary(api, stack.stackId, clock, this.context.signal)
      stack = (await this.follow(stack.stackId, boundary)).stack
      if (stack?.status === 'DELETE_COMPLETE') stack = undefined
    }

    if (stack && MANUAL_STATES.has(stack.status)) {
      return {outcome: 'failed', status: stack.status, detail: `${this.stackName} is ${stack.status}: fix it in CloudFormation first (${stack.statusReason ?? 'no reason given'})`}
    }

    if (stack && RECREATE_STATES.has(stack.status)) {
      if (options.dryRun) return {outcome: 'planned', status: stack.status, detail: `${stack.status}: deploy would delete the stack and create it again`}
      const answer = await approver.approve({
        stackName: this.stackName,
        question: `${this.stackName} is ${stack.status} and cannot be updated. Delete it and create it again?`,
        reasons: [`stack status ${stack.status}`],
      })
      if (!answer.approved) return {outcome: 'blocked', status: stack.status, detail: answer.why ?? 'recreation declined'}
      this.phase('deleting-failed-stack', stack.status)
      const stackId = stack.stackId
      const deleted = await this.operation('delete-stack', `recreate from ${stack.status}`, stackId, (status) => status === 'DELETE_COMPLETE', () => api.deleteStack(stackId))
      if (deleted.stack && deleted.stack.status !== 'DELETE_COMPLETE') {
        return {outcome: 'failed', status: deleted.stack.status, rootCause: rootCauseOf(deleted.events), detail: 'could not delete the failed stack'}
      }
      stack = undefined
    }

    if (stack?.status === 'UPDATE_ROLLBACK_FAILED') {
      if (options.dryRun) return {outcome: 'planned', status: stack.status, detail: 'deploy would continue the failed rollback first'}
      if (options.protectedEnv) {
        const answer = await approver.approve({
          stackName: this.stackName,
          question: `Continue the failed rollback of ${this.stackName}?`,
          reasons: [`${options.envName} is a protected environment`, 'stack status UPDATE_ROLLBACK_FAILED'],
        })
        if (!answer.approved) return {outcome: 'blocked', status: stack.status, detail: answer.why ?? 'continuing the rollback was declined'}
      }
      this.phase('continuing-rollback')
      const rolledBack = await this.operation(
        'continue-update-rollback',
        'UPDATE_ROLLBACK_FAILED',
        this.stackName,
        (status) => status === 'UPDATE_ROLLBACK_COMPLETE',
        () => api.continueUpdateRollback(this.stackName),
      )
      if (rolledBack.stack?.status !== 'UPDATE_ROLLBACK_COMPLETE') {
        return {outcome: 'failed', status: rolledBack.stack?.status, rootCause: rootCauseOf(rolledBack.events), detail: 'the rollback could not be completed'}
      }
      stack = rolledBack.stack
    }
    return {stack}
  }

  private isUnchanged(stack: StackDescription, deployedBody: string): boolean {
    const {input, context} = this
    return (
      !context.options.force &&
      DEPLOYED_STATES.has(stack.status) &&
      !resolvesAtDeployTime(input.template) &&
      sha256(deployedBody) === input.template.sha256 &&
      sameRecord(stack.parameters, input.effectiveParameters) &&
      sameRecord(stack.tags, input.tags)
    )
  }

  private async changeThroughChangeSet(stack: StackDescription | undefined, previous: Template | undefined): Promise<Outcome> {
    const {api, reporter, approver, options} = this.context
    const status = stack?.status
    const templateUrl = await this.stageTemplate()
    if (templateUrl === null) {
      return {outcome: 'planned', status, outputs: stack?.outputs, detail: `the artifact bucket ${options.artifactBucket} does not exist yet; a dry run creates nothing, so no change set`}
    }

    this.phase('creating-change-set')
    const changeSetType = stack ? 'UPDATE' : 'CREATE'
    const changeSetId = await this.createChangeSet(changeSetType, templateUrl)
    if (!changeSetId) return {outcome: 'no-changes', status, outputs: stack?.outputs}

    /** A change set that will not run is removed, with the empty stack a CREATE change set leaves. */
    const discard = async () => {
      await this.mutate('delete-change-set', changeSetId, () => api.deleteChangeSet(changeSetId))
      if (changeSetType === 'CREATE') await this.mutate('delete-stack', 'the empty stack of a discarded change set', () => api.deleteStack(this.stackName))
      this.discardedChangeSet = true
    }

    let executed = false
    try {
      const described = await this.settledChangeSet(changeSetId)
      if (described.status === 'FAILED') {
        await discard()
        if (isNoChangeReason(described.statusReason)) return {outcome: 'no-changes', status, outputs: stack?.outputs}
        return {outcome: 'failed', status, detail: `change set failed: ${described.statusReason ?? 'no reason given'}`}
      }

      const changeSet = classifyChangeSet(described, this.input.template, previous)
      reporter.emit({kind: 'change-set', stackName: this.stackName, changeSet})

      if (changeSet.destructive.length > 0 && !options.allowReplacement) {
        await discard()
        const list = changeSet.destructive.map((change) => `${change.logicalId} (${change.resourceType})`).join(', ')
        return {outcome: 'blocked', status, changeSet, detail: `would replace or remove stateful resources: ${list}. Nothing was changed; re-run with --allow-replacement if that is intended`}
      }
      for (const change of changeSet.destructive) {
        reporter.emit({kind: 'notice', level: 'warn', stackName: this.stackName, message: `${change.logicalId} (${change.resourceType}) will be replaced or removed: --allow-replacement was given`})
      }

      if (options.dryRun) {
        await discard()
        return {outcome: 'planned', status, changeSet, outputs: stack?.outputs}
      }

      const reasons = [
        ...(options.protectedEnv ? [`${options.envName} is a protected environment`] : []),
        ...changeSet.broadening.map((change) => `${change.logicalId} widens permissions (${change.broadening.length} new grant${change.broadening.length === 1 ? '' : 's'})`),
        ...changeSet.destructive.map((change) => `${change.logicalId} (${change.resourceType}) will be replaced or removed`),
      ]
      if (reasons.length > 0) {
        this.phase('awaiting-approval')
        const answer = await approver.approve({stackName: this.stackName, question: `Execute this change set on ${this.stackName}?`, reasons})
        if (!answer.approved) {
          await discard()
          return {outcome: 'blocked', status, changeSet, detail: answer.why ?? 'change set declined'}
        }
      }
      if (described.executionStatus && described.executionStatus !== 'AVAILABLE') {
        await discard()
        return {outcome: 'failed', status, changeSet, detail: `the change set cannot be executed (${described.executionStatus})`}
      }

      this.checkpoint()
      executed = true
      return await this.execute(stack, changeSetId, described, changeSet)
    } catch (error) {
      // Whatever stopped us before execution (Ctrl-C, an API error) must not leave the change set behind.
      if (!executed) await discard().catch(() => undefined)
      throw error
    }
  }

  private async execute(stack: StackDescription | undefined, changeSetId: string, described: ChangeSetDescription, changeSet: ClassifiedChangeSet): Promise<Outcome> {
    const {api, options} = this.context
    const opensPolicy = Boolean(stack && options.protectedEnv && changeSet.destructive.length > 0)
    if (opensPolicy) {
      // A protected stack's policy denies replacing stateful resources; lift it for this approved change only.
      await this.mutate('set-stack-policy', 'opened for an approved replacement', () => api.setStackPolicy(this.stackName, OPEN_POLICY))
    }
    try {
      this.phase('executing')
      const boundary = {since: described.createdAt ?? this.context.clock.now(), seen: new Set<string>()}
      const finished = await this.operation(
        'execute-change-set',
        changeSetId,
        this.stackName,
        (status) => status === 'CREATE_COMPLETE' || status === 'UPDATE_COMPLETE',
        () => api.executeChangeSet(changeSetId),
        boundary,
      )
      const finalStatus = finished.stack?.status
      if (!finished.stack || (finalStatus !== 'CREATE_COMPLETE' && finalStatus !== 'UPDATE_COMPLETE')) {
        return {outcome: 'failed', status: finalStatus, changeSet, rootCause: rootCauseOf(finished.events)}
      }
      if (options.protectedEnv) await this.protect(finished.stack)
      return {outcome: stack ? 'updated' : 'created', status: finalStatus, changeSet, outputs: finished.stack.outputs}
    } finally {
      // Success, failure or Ctrl-C: the protective policy goes back on whatever happened.
      if (opensPolicy) await this.restorePolicy()
    }
  }

  /** The URL of a template too large to send inline; null when a dry run would have to create the bucket. */
  private async stageTemplate(): Promise<string | undefined | null> {
    const {template} = this.input
    const {options} = this.context
    if (template.sizeBytes <= INLINE_TEMPLATE_LIMIT) return undefined
    this.phase('uploading-template', `${template.sizeBytes} bytes`)
    const key = `templates/${this.stackName}/${template.sha256}.template`
    const store = await this.context.artifacts()
    this.checkpoint()
    try {
      const stored = await this.sent('upload-template', `s3://${options.artifactBucket}/${key}`, () =>
        store.putTemplate(options.artifactBucket, key, template.body, {createBucket: !options.dryRun}),
      )
      if (stored?.createdBucket) this.record('create-artifact-bucket', 'ok', options.artifactBucket)
      if (stored?.uploaded) this.record('upload-template', 'ok', `s3://${options.artifactBucket}/${key}`)
      return stored ? stored.url : null
    } catch (error) {
      this.record('upload-template', 'failed', `s3://${options.artifactBucket}/${key}: ${(error as Error).message}`)
      throw error
    }
  }

  /** The new change set's id, or undefined when the endpoint refused it for having no changes. */
  private async createChangeSet(changeSetType: 'CREATE' | 'UPDATE', templateUrl?: string): Promise<string | undefined> {
    const {api, clock, options} = this.context
    const input = {
      stackName: this.stackName,
      changeSetName: `fintech-${clock.now().toISOString().replace(/\D/g, '').slice(0, 14)}`,
      changeSetType,
      templateBody: templateUrl ? undefined : this.input.template.body,
      templateUrl,
      parameters: this.input.parameters,
      tags: this.input.tags,
      description: `fintech deploy ${options.envName}${options.dryRun ? ' (dry run)' : ''}`,
    }
    this.checkpoint()
    try {
      const {id} = await this.sent('create-change-set', 'no change set id yet', () => api.createChangeSet(input))
      this.record('create-change-set', 'ok', id)
      return id
    } catch (error) {
      // Some CloudFormation-compatible endpoints refuse an empty change set up front instead of failing it.
      if (isNoChangeReason((error as Error).message)) return undefined
      this.record('create-change-set', 'failed', (error as Error).message)
      throw error
    }
  }

  private async settledChangeSet(id: string): Promise<ChangeSetDescription> {
    const {api, clock, signal, options} = this.context
    const backoff = new Backoff(options.polling.initialMs, options.polling.maxMs)
    // No deadline of its own: CloudFormation ends every change set's creation, and Ctrl-C ends the wait.
    return pollUntil({clock, signal, intervalMs: () => backoff.next(false)}, async () => {
      const description = await this.read(() => api.describeChangeSet(id))
      return description.status === 'CREATE_PENDING' || description.status === 'CREATE_IN_PROGRESS' ? undefined : description
    })
  }

  /** Termination protection and the protective stack policy, set only where they differ. */
  private async protect(current: StackDescription): Promise<void> {
    const {api} = this.context
    if (!current.terminationProtection) {
      this.phase('protecting')
      await this.mutate('enable-termination-protection', undefined, () => api.setTerminationProtection(this.stackName, true))
    }
    await this.restorePolicy()
  }

  private async restorePolicy(): Promise<void> {
    const {api} = this.context
    const policy = protectivePolicy(this.input.template)
    if (!policy || (await api.getStackPolicy(this.stackName)) === policy) return
    this.phase('protecting')
    await this.mutate('set-stack-policy', 'deny Update:Replace and Update:Delete on stateful resources', () => api.setStackPolicy(this.stackName, policy))
  }

  /** Starts a stack operation and follows it; Ctrl-C while following still leaves an audit line. */
  private async operation(
    action: string,
    detail: string,
    stackIdentifier: string,
    succeeded: (status: string) => boolean,
    start: () => Promise<void>,
    boundary?: EventBoundary,
  ): Promise<WaitResult> {
    const {api, clock, signal} = this.context
    const from = boundary ?? (await eventBoundary(api, stackIdentifier, clock, signal))
    this.checkpoint()
    await this.mutate(action, detail, start, false)
    try {
      const result = await this.follow(stackIdentifier, from)
      const status = result.stack?.status ?? 'DELETE_COMPLETE'
      // A failed operation rolls back to where it started; a completed one changed the stack for good.
      if (succeeded(status)) this.changedSomething = true
      this.record(action, succeeded(status) ? 'ok' : 'failed', `${detail} → ${status}`)
      return result
    } catch (error) {
      this.record(action, error instanceof InterruptedError ? 'in-progress' : 'failed', `${detail}: ${error instanceof InterruptedError ? 'stopped waiting, still running in CloudFormation' : (error as Error).message}`)
      throw error
    }
  }

  /**
   * Makes one changing call with its audit line: failed when it throws; ok when it returns,
   * unless the caller records the end of a longer operation itself (`recordSuccess` false).
   */
  private async mutate<T>(action: string, detail: string | undefined, call: () => Promise<T>, recordSuccess = true): Promise<T> {
    try {
      const result = await this.sent(action, detail, call)
      if (recordSuccess) this.record(action, 'ok', detail)
      return result
    } catch (error) {
      this.record(action, 'failed', `${detail ? `${detail}: ` : ''}${(error as Error).message}`)
      throw error
    }
  }

  /** Makes a changing call, listed in `inFlight` until it answers. */
  private async sent<T>(action: string, detail: string | undefined, call: () => Promise<T>): Promise<T> {
    const entry: AuditEntry = {env: this.context.options.envName, stack: this.stackName, action, result: 'in-progress', detail}
    this.context.inFlight?.add(entry)
    try {
      return await call()
    } finally {
      this.context.inFlight?.delete(entry)
    }
  }

  /** Follows an operation on the stack until it ends; Ctrl-C while following leaves it running. */
  private async follow(stackIdentifier: string, boundary: EventBoundary): Promise<WaitResult> {
    this.following = true
    const result = await waitForStack(stackIdentifier, boundary, this.waiting())
    this.following = false
    return result
  }

  private record(action: string, result: AuditEntry['result'], detail?: string): void {
    this.context.audit.record({env: this.context.options.envName, stack: this.stackName, action, result, detail})
  }

  private phase(name: StackPhase, detail?: string): void {
    this.context.reporter.emit({kind: 'stack-phase', stackName: this.stackName, phase: name, detail})
  }

  private waiting() {
    const {api, clock, reporter, signal, options} = this.context
    return {api, clock, reporter, polling: options.polling, signal}
  }

  private done(outcome: Outcome): StackDeployResult {
    return {stackName: this.stackName, outputs: {}, ...outcome, changedSomething: this.changedSomething}
  }
}

function tryParse(body: string, stackName: string): Template | undefined {
  try {
    return parseTemplate(body, `${stackName} (deployed)`)
  } catch {
    // A deployed template we cannot read only means every grant counts as new: the safe side.
    return undefined
  }
}
