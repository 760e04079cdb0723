import type {AuditEntry, AuditSink} from '../audit/audit-log.js'
import {Backoff, InterruptedError, type Clock} from '../clock.js'
import {ExitCode, type ExitCodeValue} from '../errors.js'
import type {AccountResult, StackSetApi} from './api.js'
import type {DesiredStackSet} from './desired.js'
import type {PlanStep, StackSetPlan} from './plan.js'

/** How a step ended. `failed`: the operation failed, or an account failed within the tolerance. */
export type StepOutcome = 'created' | 'succeeded' | 'failed' | 'stopped' | 'timed-out' | 'not-started'

export interface StepResult {
  action: PlanStep['action']
  token: string
  outcome: StepOutcome
  /** The operation's final status (SUCCEEDED, FAILED, STOPPED) or the error of the call. */
  status?: string
  reason?: string
  accounts: AccountResult[]
}

export interface StackSetRun {
  name: string
  steps: StepResult[]
}

export interface RolloutDeps {
  api: StackSetApi
  clock: Clock
  polling: {initialMs: number; maxMs: number}
  /** The first Ctrl-C: no new step starts, and the operation under way is stopped. */
  signal: AbortSignal
  audit: AuditSink
  /** The administrator env, named in the audit lines. */
  envName: string
  /** Changing calls sent and not yet ended, for the audit line of a second Ctrl-C. */
  inFlight: Set<AuditEntry>
  log: (line: string) => void
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'STOPPED'])
const SDK_ACTION = {'create-stack-set': 'CreateStackSet', 'update-stack-set': 'UpdateStackSet', 'create-instances': 'CreateStackInstances'} as const

const count = (accounts: AccountResult[], status: string) => accounts.filter((account) => account.status === status).length
const tally = (accounts: AccountResult[]) =>
  `${count(accounts, 'SUCCEEDED')} succeeded, ${count(accounts, 'FAILED')} failed, ${count(accounts, 'CANCELLED')} cancelled of ${accounts.length} account-regions`

/**
 * Polls an operation until it ends, logging each account whose status moves. At the first
 * Ctrl-C it sends StopStackSetOperation: CloudFormation starts no further account and lets the
 * ones under way finish, so the wait goes on, without the signal, until the operation has
 * STOPPED. Past the timeout it leaves the operation running and says so.
 */
async function follow(name: string, operationId: string, timeoutMs: number, deps: RolloutDeps): Promise<Omit<StepResult, 'action' | 'token'>> {
  const {api, clock, signal, log} = deps
  const started = clock.now().getTime()
  const backoff = new Backoff(deps.polling.initialMs, deps.polling.maxMs)
  const seen = new Map<string, string>()
  let stopSent = false
  for (;;) {
    const operation = await api.describeOperation(name, operationId)
    const accounts = await api.operationResults(name, operationId)
    let progressed = false
    for (const account of accounts) {
      const key = `${account.account}/${account.region}`
      if (seen.get(key) === account.status) continue
      seen.set(key, account.status)
      progressed = true
      log(`${name} ${account.account} ${account.region} ${account.status}${account.reason ? `: ${account.reason}` : ''}`)
    }
    if (TERMINAL.has(operation.status)) {
      const failed = operation.status === 'FAILED' || count(accounts, 'FAILED') > 0
      const outcome = operation.status === 'STOPPED' ? 'stopped' : failed ? 'failed' : 'succeeded'
      return {outcome, status: operation.status, reason: operation.statusReason, accounts}
    }
    if (signal.aborted && !stopSent) {
      stopSent = true
      await api.stopOperation(name, operationId)
      deps.audit.record({env: deps.envName, action: 'StopStackSetOperation', stack: name, resource: operationId, result: 'ok', detail: 'Ctrl-C'})
      log(`${name}: stopping operation ${operationId}: no further account starts; waiting for the accounts under way`)
      continue
    }
    if (clock.now().getTime() - started >= timeoutMs) return {outcome: 'timed-out', status: operation.status, accounts}
    await clock.sleep(backoff.next(progressed), stopSent ? undefined : signal).catch((error: unknown) => {
      if (!(error instanceof InterruptedError)) throw error
    })
  }
}

async function runStep(desired: DesiredStackSet, step: PlanStep, deps: RolloutDeps): Promise<StepResult> {
  const {api, audit, envName, inFlight} = deps
  const name = desired.config.name
  const entry: AuditEntry = {env: envName, action: SDK_ACTION[step.action], stack: name, resource: step.token, result: 'in-progress'}
  const targets = step.organizationalUnits ? `${step.organizationalUnits.join(', ')} in ${step.regions!.join(', ')}` : 'the StackSet alone'
  inFlight.add(entry)
  try {
    if (step.action === 'create-stack-set') {
      await api.createStackSet(desired.content, step.token)
      audit.record({...entry, result: 'ok'})
      deps.log(`${name}: created (SERVICE_MANAGED)`)
      return {action: step.action, token: step.token, outcome: 'created', accounts: []}
    }
    const targeted = step.organizationalUnits ? {organizationalUnits: step.organizationalUnits, regions: step.regions!} : undefined
    const operationId =
      step.action === 'update-stack-set'
        ? await api.updateStackSet({content: desired.content, targets: targeted, preferences: desired.preferences, operationId: step.token})
        : await api.createInstances({name, organizationalUnits: step.organizationalUnits!, regions: step.regions!, preferences: desired.preferences, operationId: step.token})
    deps.log(`${name}: ${SDK_ACTION[step.action]} operation ${operationId} for ${targets}`)
    const followed = await follow(name, operationId, desired.config.timeoutMinutes * 60_000, deps)
    const detail = `${targets}: ${followed.status ?? ''} ${tally(followed.accounts)}`
    audit.record({...entry, resource: operationId, result: followed.outcome === 'succeeded' ? 'ok' : followed.outcome === 'timed-out' ? 'in-progress' : 'failed', detail})
    return {action: step.action, token: operationId, ...followed}
  } catch (error) {
    audit.record({...entry, result: 'failed', detail: (error as Error).message})
    return {action: step.action, token: step.token, outcome: 'failed', reason: (error as Error).message, accounts: []}
  } finally {
    inFlight.delete(entry)
  }
}

/**
 * Runs the plans' steps in order, one operation at a time. The first step that does not
 * succeed ends the rollout: later steps and StackSets are reported not started, so a failure
 * in one group of accounts never spreads to the next. Ctrl-C starts nothing new.
 */
export async function runRollout(plans: Array<{desired: DesiredStackSet; plan: StackSetPlan}>, deps: RolloutDeps): Promise<StackSetRun[]> {
  const runs: StackSetRun[] = []
  let halted = false
  for (const {desired, plan} of plans) {
    const steps: StepResult[] = []
    for (const step of plan.steps) {
      if (halted || deps.signal.aborted) {
        steps.push({action: step.action, token: step.token, outcome: 'not-started', accounts: []})
        continue
      }
      const result = await runStep(desired, step, deps)
      steps.push(result)
      if (result.outcome !== 'created' && result.outcome !== 'succeeded') halted = true
    }
    if (plan.steps.length === 0) deps.audit.record({env: deps.envName, action: 'DeployStackSet', stack: plan.name, result: 'no-changes'})
    runs.push({name: plan.name, steps})
  }
  return runs
}

/** 130 interrupted; 3 a step failed after something changed; 1 failed with nothing changed; 0 otherwise. */
export function rolloutExitCode(runs: StackSetRun[], interrupted: boolean): ExitCodeValue {
  const steps = runs.flatMap((run) => run.steps)
  if (interrupted || steps.some((step) => step.outcome === 'stopped')) return ExitCode.interrupted
  if (!steps.some((step) => step.outcome === 'failed' || step.outcome === 'timed-out')) return ExitCode.ok
  const changed = steps.some((step) => step.outcome === 'created' || step.outcome === 'succeeded' || step.accounts.some((account) => account.status === 'SUCCEEDED'))
  return changed ? ExitCode.partial : ExitCode.failed
}
