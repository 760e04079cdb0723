import type {AuditEntry, AuditSink} from '../core/audit/audit-log.js'
import {resolveEnv} from '../core/config/env.js'
import type {LoadedConfig} from '../core/config/load.js'
import {systemClock} from '../core/clock.js'
import {ExitCode, InputError} from '../core/errors.js'
import {desiredStackSet, stackSetsOfStage, type DesiredStackSet} from '../core/stacksets/desired.js'
import {planStackSet, type StackSetPlan} from '../core/stacksets/plan.js'
import {rolloutExitCode, runRollout, type StackSetRun} from '../core/stacksets/run.js'
import {readStackSetStatus, type StackSetStatus} from '../core/stacksets/status.js'
import type {StackSetApi} from '../core/stacksets/api.js'
import {renderRolloutPlan, renderRolloutSummary, renderStackSetStatus} from '../ui/stacksets.js'
import {confirmByTyping, progressLines} from '../ui/terminal.js'
import {openGuardedSession, withInterrupt} from './aws-session.js'
import type {Outcome} from './command-io.js'

export interface OrgDeployOptions {
  stage: string
  /** --env, when given: it must name the administrator env. */
  env?: string
  dryRun: boolean
  yes: boolean
  json: boolean
  flags: {profile?: string; region?: string}
}

export interface OrgDeployResult {
  mode: 'org'
  administrator: {env: string; account: string}
  dryRun: boolean
  /** approved: typed or --yes; not-needed: nothing to change, or the administrator env is not protected. */
  approval: 'approved' | 'not-needed' | 'not-asked'
  plans: StackSetPlan[]
  runs: StackSetRun[]
}

/** The administrator env: the account that owns the StackSets, and where CloudFormation is called. */
function administratorOf(loaded: LoadedConfig, flags: OrgDeployOptions['flags'], env?: string) {
  const organization = loaded.config.organization
  if (!organization) throw new InputError(`--org: ${loaded.file} has no organization.stackSets`, 'declare them as docs/org-rollout.md shows')
  const envName = organization.administrator
  if (env && env !== envName) {
    throw new InputError(`--env ${env} --org: the StackSets are administered from ${envName} (organization.administrator in ${loaded.file})`, `leave --env out, or pass --env ${envName}`)
  }
  const resolved = resolveEnv(loaded, envName, flags)
  return {env: resolved, envName, config: resolved.config, target: resolved.target, callAs: organization.callAs}
}

async function openApi(loaded: LoadedConfig, administrator: ReturnType<typeof administratorOf>): Promise<{api: StackSetApi; audit: AuditSink}> {
  const session = await openGuardedSession(loaded, administrator.env, administrator.target)
  const {createStackSetApi} = await import('../aws/stacksets.js')
  return {api: await createStackSetApi(administrator.target, administrator.callAs), audit: session.audit}
}

async function planAll(api: StackSetApi, desired: DesiredStackSet[]): Promise<StackSetPlan[]> {
  return Promise.all(
    desired.map(async (wanted) => {
      const stackSet = await api.describeStackSet(wanted.config.name)
      if (!stackSet) return planStackSet(wanted, {instances: []})
      const [instances, operations] = await Promise.all([api.listInstances(wanted.config.name), api.operations(wanted.config.name)])
      return planStackSet(wanted, {stackSet, instances, operations})
    }),
  )
}

/** At a second Ctrl-C: the operations sent and not yet ended get their audit line, and the user is told where to look. */
function abandon(inFlight: Set<AuditEntry>, audit: AuditSink): void {
  for (const entry of inFlight) audit.record({...entry, detail: 'no end seen yet when a second Ctrl-C ended fintech'})
  if (inFlight.size > 0) process.stderr.write(`Still running in CloudFormation: ${[...inFlight].map((entry) => `${entry.action} on ${entry.stack}`).join(', ')}. \`fintech status --org\` shows it.\n`)
}

/**
 * `fintech deploy --stage <stage> --org`: the stage's StackSets planned against the
 * administrator account (account guard first), the plan shown, approval for a protected
 * administrator env, then one operation at a time with each account's status as it moves.
 */
export async function deployOrgFlow(loaded: LoadedConfig, options: OrgDeployOptions): Promise<Outcome<OrgDeployResult>> {
  const administrator = administratorOf(loaded, options.flags, options.env)
  // Templates and parameters are checked before any AWS call, so bad input changes nothing.
  const desired = stackSetsOfStage(loaded, options.stage).map((stackSet) => desiredStackSet(loaded, stackSet))
  const {api, audit} = await openApi(loaded, administrator)
  const plans = await planAll(api, desired)
  const base = {mode: 'org' as const, administrator: {env: administrator.envName, account: administrator.config.account}, dryRun: options.dryRun, plans, runs: []}
  const planText = renderRolloutPlan(plans, administrator.envName)
  const changes = plans.reduce((total, plan) => total + plan.steps.length, 0)

  if (plans.some((plan) => plan.refusal)) return {result: {...base, approval: 'not-asked'}, exitCode: ExitCode.failed, text: `${planText}\n\nNothing was changed.`}
  if (options.dryRun) return {result: {...base, approval: 'not-asked'}, exitCode: ExitCode.ok, text: `${planText}${changes ? '\n\nDry run: nothing was changed.' : ''}`}

  if (changes > 0 && !options.json) process.stderr.write(`${planText}\n\n`)
  let approval: OrgDeployResult['approval'] = 'not-needed'
  if (changes > 0 && administrator.config.protected) {
    const prompt = `This rolls out ${changes} change${changes === 1 ? '' : 's'} to the accounts of the StackSets above from ${administrator.envName} (account ${administrator.config.account}).`
    const reason = `the StackSet changes reach ${administrator.envName}, which is protected`
    await confirmByTyping({command: 'deploy', reason, yes: options.yes, dryRun: true, prompt, expected: administrator.envName, refused: 'not confirmed; nothing was changed'})
    approval = 'approved'
  }

  const inFlight = new Set<AuditEntry>()
  let interrupted = false
  const runs = await withInterrupt(
    async ({signal}) => {
      const result = await runRollout(
        desired.map((wanted, index) => ({desired: wanted, plan: plans[index]!})),
        {api, clock: systemClock, polling: loaded.config.polling, signal, audit, envName: administrator.envName, inFlight, log: progressLines((line) => process.stderr.write(`${line}\n`))},
      )
      interrupted = signal.aborted
      return result
    },
    {
      onFirst: () => process.stderr.write('Ctrl-C: no new operation starts; stopping the one under way (accounts already deploying finish). Ctrl-C again exits at once.\n'),
      onSecond: () => abandon(inFlight, audit),
    },
  )
  const exitCode = rolloutExitCode(runs, interrupted)
  const timedOut = runs.flatMap((run) => run.steps.filter((step) => step.outcome === 'timed-out').map((step) => `${run.name} ${step.token}`))
  const notes = [
    ...(timedOut.length ? [`Still running past the timeout (organization.stackSets[].timeoutMinutes), left to go on: ${timedOut.join(', ')}. \`fintech status --org\` shows it.`] : []),
    ...(interrupted ? ['Stopped by Ctrl-C: the operation under way was stopped; accounts it had not started are CANCELLED and the next `fintech deploy --org` deploys them.'] : []),
  ]
  return {result: {...base, approval, runs}, exitCode, text: [renderRolloutSummary(runs), ...notes].join('\n')}
}

export interface OrgStatusResult {
  administrator: {env: string; account: string}
  stackSets: StackSetStatus[]
}

/** `fintech status --org`: each StackSet's instances per account and region, read as the administrator. */
export async function orgStatusFlow(loaded: LoadedConfig, options: {env?: string; flags: OrgDeployOptions['flags']}): Promise<Outcome<OrgStatusResult>> {
  const administrator = administratorOf(loaded, options.flags, options.env)
  const {api} = await openApi(loaded, administrator)
  const stackSets = await readStackSetStatus(loaded.config.organization!.stackSets, api)
  return {
    result: {administrator: {env: administrator.envName, account: administrator.config.account}, stackSets},
    exitCode: ExitCode.ok,
    text: renderStackSetStatus(stackSets, administrator.envName),
  }
}
