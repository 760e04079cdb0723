import {createHash} from 'node:crypto'
import type {AuditEntry, AuditSink} from '../audit/audit-log.js'
import {classifyChangeSet, type ClassifiedChangeSet} from '../changeset/classify.js'
import {isStateful} from '../changeset/stateful.js'
import {parseTemplate, type Template} from '../template/parse.js'
import type {ArtifactStore, ChangeSetDescription, StackApi, StackDescription} from './api.js'
import {Backoff, InterruptedError, type Clock} from './clock.js'
import type {DeployReporter, RootCause, StackOutcome, StackPhase} from './events.js'
import {rootCauseOf, waitForStack} from './monitor.js'
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
  signal?: AbortSignal
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
}

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
 * Brings one stack to its template: recovers it from states a deploy cannot start from, skips
 * it when nothing changed, otherwise creates a change set, shows it, stops on dangerous changes,
 * asks for approval where needed, executes it and follows it to the end.
 */
export async function deployStack(input: StackDeployInput, context: StackDeployContext): Promise<StackDeployResult> {
  const {api, reporter, audit, approver, clock, signal, options} = context
  const {stackName, template} = input
  const phase = (name: StackPhase, detail?: string) => reporter.emit({kind: 'stack-phase', stackName, phase: name, detail})
  const done = (result: Omit<StackDeployResult, 'stackName' | 'outputs'> & {outputs?: Record<string, string>}): StackDeployResult => ({
    stackName,
    outputs: {},
    ...result,
  })
  const record = (action: string, result: AuditEntry['result'], detail?: string) =>
    audit.record({env: options.envName, stack: stackName, action, result, detail})
  const waiting = {api, clock, reporter, polling: options.polling, signal}

  phase('checking')
  let stack = await api.describeStack(stackName)

  if (stack && isInProgress(stack.status)) {
    if (options.dryRun) return done({outcome: 'skipped', status: stack.status, detail: `an operation is running (${stack.status}); plan again when it ends`})
    phase('waiting-in-progress', stack.status)
    stack = (await waitForStack(stack.stackId, clock.now(), waiting)).stack
    if (stack?.status === 'DELETE_COMPLETE') stack = undefined
  }

  if (stack && MANUAL_STATES.has(stack.status)) {
    return done({outcome: 'failed', status: stack.status, detail: `${stackName} is ${stack.status}: fix it in CloudFormation first (${stack.statusReason ?? 'no reason given'})`})
  }

  if (stack && RECREATE_STATES.has(stack.status)) {
    if (options.dryRun) return done({outcome: 'planned', status: stack.status, detail: `${stack.status}: deploy would delete the stack and create it again`})
    const answer = await approver.approve({
      stackName,
      question: `${stackName} is ${stack.status} and cannot be updated. Delete it and create it again?`,
      reasons: [`stack status ${stack.status}`],
    })
    if (!answer.approved) return done({outcome: 'blocked', status: stack.status, detail: answer.why ?? 'recreation declined'})
    phase('deleting-failed-stack', stack.status)
    const since = clock.now()
    await api.deleteStack(stack.stackId)
    const deleted = await follow('delete-stack', stack.stackId, since)
    const gone = !deleted.stack || deleted.stack.status === 'DELETE_COMPLETE'
    record('delete-stack', gone ? 'ok' : 'failed', `recreate from ${stack.status}`)
    if (!gone) return done({outcome: 'failed', status: deleted.stack?.status, rootCause: rootCauseOf(deleted.events), detail: 'could not delete the failed stack'})
    stack = undefined
  }

  if (stack?.status === 'UPDATE_ROLLBACK_FAILED') {
    if (options.dryRun) return done({outcome: 'planned', status: stack.status, detail: 'deploy would continue the failed rollback first'})
    phase('continuing-rollback')
    const since = clock.now()
    await api.continueUpdateRollback(stackName)
    const rolledBack = await follow('continue-update-rollback', stackName, since)
    const ok = rolledBack.stack?.status === 'UPDATE_ROLLBACK_COMPLETE'
    record('continue-update-rollback', ok ? 'ok' : 'failed', rolledBack.stack?.status)
    if (!ok) return done({outcome: 'failed', status: rolledBack.stack?.status, rootCause: rootCauseOf(rolledBack.events), detail: 'the rollback could not be completed'})
    stack = rolledBack.stack
  }

  let previous: Template | undefined
  if (stack) {
    const deployedBody = await api.getTemplateBody(stackName)
    const unchanged =
      !options.force &&
      DEPLOYED_STATES.has(stack.status) &&
      sha256(deployedBody) === template.sha256 &&
      sameRecord(stack.parameters, input.effectiveParameters) &&
      sameRecord(stack.tags, input.tags)
    if (unchanged) {
      if (options.protectedEnv && !options.dryRun && !stack.terminationProtection) await protect(stack)
      return done({outcome: 'unchanged', status: stack.status, outputs: stack.outputs})
    }
    previous = tryParse(deployedBody, stackName)
  }

  let templateUrl: string | undefined
  if (template.sizeBytes > INLINE_TEMPLATE_LIMIT) {
    phase('uploading-template', `${template.sizeBytes} bytes`)
    const key = `templates/${stackName}/${template.sha256}.template`
    templateUrl = await (await context.artifacts()).putTemplate(options.artifactBucket, key, template.body)
    record('upload-template', 'ok', `s3://${options.artifactBucket}/${key}`)
  }

  phase('creating-change-set')
  const changeSetType = stack ? 'UPDATE' : 'CREATE'
  const changeSetId = await createChangeSet(changeSetType, templateUrl)
  if (!changeSetId) return done({outcome: 'no-changes', status: stack?.status, outputs: stack?.outputs})
  record('create-change-set', 'ok', changeSetId)

  /** A change set that will not run is removed, with the empty stack a CREATE change set leaves. */
  const discard = async () => {
    await api.deleteChangeSet(changeSetId)
    if (changeSetType === 'CREATE') await api.deleteStack(stackName)
    record('delete-change-set', 'ok', changeSetId)
  }

  const described = await settledChangeSet(changeSetId)
  if (described.status === 'FAILED') {
    await discard()
    if (isNoChangeReason(described.statusReason)) return done({outcome: 'no-changes', status: stack?.status, outputs: stack?.outputs})
    return done({outcome: 'failed', status: stack?.status, detail: `change set failed: ${described.statusReason ?? 'no reason given'}`})
  }

  const changeSet = classifyChangeSet(described, template, previous)
  reporter.emit({kind: 'change-set', stackName, changeSet})

  if (changeSet.destructive.length > 0 && !options.allowReplacement) {
    await discard()
    const list = changeSet.destructive.map((change) => `${change.logicalId} (${change.resourceType})`).join(', ')
    return done({
      outcome: 'blocked',
      status: stack?.status,
      changeSet,
      detail: `would replace or remove stateful resources: ${list}. Nothing was changed; re-run with --allow-replacement if that is intended`,
    })
  }

  for (const change of changeSet.destructive) {
    reporter.emit({kind: 'notice', level: 'warn', stackName, message: `${change.logicalId} (${change.resourceType}) will be replaced or removed: --allow-replacement was given`})
  }

  if (options.dryRun) {
    await discard()
    return done({outcome: 'planned', status: stack?.status, changeSet, outputs: stack?.outputs})
  }

  const reasons = [
    ...(options.protectedEnv ? [`${options.envName} is a protected environment`] : []),
    ...changeSet.broadening.map((change) => `${change.logicalId} widens permissions (${change.broadening.length} new grant${change.broadening.length === 1 ? '' : 's'})`),
    ...changeSet.destructive.map((change) => `${change.logicalId} (${change.resourceType}) will be replaced or removed`),
  ]
  if (reasons.length > 0) {
    phase('awaiting-approval')
    const answer = await approver.approve({stackName, question: `Execute this change set on ${stackName}?`, reasons})
    if (!answer.approved) {
      await discard()
      return done({outcome: 'blocked', status: stack?.status, changeSet, detail: answer.why ?? 'change set declined'})
    }
  }

  if (stack && options.protectedEnv && changeSet.destructive.length > 0) {
    // A protected stack's policy denies replacing stateful resources; lift it for this approved change only.
    await api.setStackPolicy(stackName, OPEN_POLICY)
    record('set-stack-policy', 'ok', 'opened for an approved replacement')
  }

  phase('executing')
  const since = described.createdAt ?? clock.now()
  await api.executeChangeSet(changeSetId)
  const finished = await follow('execute-change-set', stackName, since, changeSetId)
  const finalStatus = finished.stack?.status
  const succeeded = finalStatus === 'CREATE_COMPLETE' || finalStatus === 'UPDATE_COMPLETE'
  record('execute-change-set', succeeded ? 'ok' : 'failed', `${changeSetId} → ${finalStatus}`)
  if (!succeeded || !finished.stack) {
    return done({outcome: 'failed', status: finalStatus, changeSet, rootCause: rootCauseOf(finished.events)})
  }
  if (options.protectedEnv) await protect(finished.stack)
  return done({outcome: changeSetType === 'CREATE' ? 'created' : 'updated', status: finalStatus, changeSet, outputs: finished.stack.outputs})

  /** Waits for an operation this run started; a Ctrl-C still leaves its audit line. */
  async function follow(action: string, stackIdentifier: string, since: Date, detail?: string) {
    try {
      return await waitForStack(stackIdentifier, since, waiting)
    } catch (error) {
      if (error instanceof InterruptedError) record(action, 'in-progress', `${detail ?? stackIdentifier}: stopped waiting, still running in CloudFormation`)
      throw error
    }
  }

  /** The new change set's id, or undefined when the endpoint refused it for having no changes. */
  async function createChangeSet(changeSetType: 'CREATE' | 'UPDATE', templateUrl?: string): Promise<string | undefined> {
    try {
      const {id} = await api.createChangeSet({
        stackName,
        changeSetName: `fintech-${clock.now().toISOString().replace(/\D/g, '').slice(0, 14)}`,
        changeSetType,
        templateBody: templateUrl ? undefined : template.body,
        templateUrl,
        parameters: input.parameters,
        tags: input.tags,
        description: `fintech deploy ${options.envName}${options.dryRun ? ' (dry run)' : ''}`,
      })
      return id
    } catch (error) {
      // Some CloudFormation-compatible endpoints refuse an empty change set up front instead of failing it.
      if (isNoChangeReason((error as Error).message)) return undefined
      throw error
    }
  }

  async function settledChangeSet(id: string): Promise<ChangeSetDescription> {
    const backoff = new Backoff(options.polling.initialMs, options.polling.maxMs)
    for (;;) {
      const description = await api.describeChangeSet(id)
      if (description.status !== 'CREATE_PENDING' && description.status !== 'CREATE_IN_PROGRESS') return description
      await clock.sleep(backoff.next(false), signal)
    }
  }

  async function protect(current: StackDescription) {
    phase('protecting')
    if (!current.terminationProtection) {
      await api.setTerminationProtection(stackName, true)
      record('enable-termination-protection', 'ok')
    }
    const policy = protectivePolicy(template)
    if (policy) {
      await api.setStackPolicy(stackName, policy)
      record('set-stack-policy', 'ok', 'deny Update:Replace and Update:Delete on stateful resources')
    }
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
