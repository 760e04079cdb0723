import type {AuditEntry, AuditSink} from '../core/audit/audit-log.js'
import type {LoadedConfig} from '../core/config/load.js'
import {InterruptedError, systemClock} from '../core/clock.js'
import {offlinePlan, type OfflinePlan} from '../core/deploy/offline-plan.js'
import type {StackApi} from '../core/deploy/api.js'
import {isSuccessful, outputsOfEarlierStages, runDeploy, type DeployRunResult, type OtherRegions, type RegionalStacks} from '../core/deploy/run-deploy.js'
import {ExitCode, FintechError, InputError, type ExitCodeValue} from '../core/errors.js'
import {planEnvironment, type EnvironmentPlan} from '../core/stages/plan.js'
import {resolveEnv, type ResolvedEnv, type TargetFlags} from '../core/config/env.js'
import {selectStages} from '../core/stages/select.js'
import {createApprover, createReporter} from '../ui/terminal.js'
import {renderDeploySummary, renderOfflinePlan} from '../ui/summary.js'
import type {AwsTarget} from '../aws/clients.js'
import {MissingCredentialsError, openGuardedSession, withInterrupt} from './aws-session.js'
import type {CommandIO, Outcome} from './command-io.js'
import {deployOrgFlow, type OrgDeployResult} from './org.js'

export interface DeployFlowOptions {
  stage: string
  /** The env, resolved once; its target is where AWS is called. */
  env: ResolvedEnv
  dryRun: boolean
  offline: boolean
  yes: boolean
  allowReplacement: boolean
  force: boolean
  concurrency?: number
  json: boolean
}

export type DeployFlowResult = ({mode: 'offline'} & OfflinePlan) | ({mode: 'aws'} & DeployRunResult)

export interface DeployFlowOutcome {
  result: DeployFlowResult
  exitCode: ExitCodeValue
  /** What to print on stdout when not in --json mode. */
  text: string
}

/**
 * Exit code of a run: 130 interrupted; 3 when something was changed before a stack failed or
 * was blocked; 2 blocked with nothing changed (a flag or an approval missing); 1 failed.
 */
export function exitCodeOf(result: DeployRunResult): ExitCodeValue {
  const stacks = result.stages.flatMap((stage) => stage.stacks)
  const outcomes = stacks.map((stack) => stack.outcome)
  if (result.interrupted || outcomes.includes('interrupted')) return ExitCode.interrupted
  const stopped = outcomes.includes('failed') || outcomes.includes('blocked')
  if (!stopped) return ExitCode.ok
  if (stacks.some((stack) => stack.changedSomething)) return ExitCode.partial
  return outcomes.includes('failed') ? ExitCode.failed : ExitCode.usage
}

function offline(plan: EnvironmentPlan, note?: string): DeployFlowOutcome {
  const result = offlinePlan(plan)
  return {result: {mode: 'offline', ...result}, exitCode: ExitCode.ok, text: `${note ? `${note}\n` : ''}${renderOfflinePlan(result)}`}
}

/**
 * The second Ctrl-C exits without the answers of the changing calls in flight: each gets its
 * audit line now, as in-progress, and the user is told what to check.
 */
function abandon(inFlight: Set<AuditEntry>, audit: AuditSink, envName: string): void {
  if (inFlight.size === 0) return
  for (const entry of inFlight) audit.record({...entry, detail: `${entry.detail ? `${entry.detail}: ` : ''}no answer yet when a second Ctrl-C ended fintech`})
  const calls = [...inFlight].map((entry) => `${entry.action} on ${entry.stack}`).join(', ')
  process.stderr.write(`Sent without an answer yet: ${calls}. Check with \`fintech status --env ${envName}\`; the audit log lists them as in-progress.\n`)
}

const artifactBucketIn = (pattern: string, account: string, region: string) => pattern.replaceAll('{account}', account).replaceAll('{region}', region)

/**
 * CloudFormation clients for the recovery region, same account and credentials as the env's,
 * made before the run starts so a bad region fails before any change.
 */
async function regionalStacks(
  plan: EnvironmentPlan,
  artifactBucket: string,
  target: AwsTarget,
  createStackApi: (target: AwsTarget) => Promise<StackApi>,
): Promise<OtherRegions> {
  const regions = [...new Set([...plan.earlierJobs, ...plan.stages.flatMap((stage) => stage.jobs)].map((job) => job.region))].filter((region) => region !== plan.env.region)
  const byRegion = new Map<string, RegionalStacks>()
  for (const region of regions) {
    const regional = {...target, region}
    byRegion.set(region, {
      api: await createStackApi(regional),
      artifacts: async () => (await import('../aws/s3.js')).createArtifactStore(regional, plan.env.account),
      artifactBucket: artifactBucketIn(artifactBucket, plan.env.account, region),
    })
  }
  return (region) => byRegion.get(region)!
}

/** `deploy` and `plan`: everything between parsed flags and printed result. */
export async function deployFlow(loaded: LoadedConfig, options: DeployFlowOptions): Promise<DeployFlowOutcome> {
  const {env} = options
  const {target} = env
  const plan = planEnvironment(loaded, env, selectStages(loaded.config, options.stage))
  if (options.offline) return offline(plan)

  let session
  try {
    session = await openGuardedSession(loaded, env, target)
  } catch (error) {
    if (!(error instanceof MissingCredentialsError)) throw error
    if (options.dryRun) return offline(plan, 'No AWS credentials found: showing the offline plan.')
    throw error.offeringOffline()
  }

  const [{createStackApi}, reporter] = await Promise.all([
    import('../aws/cloudformation.js'),
    createReporter({stderr: process.stderr, json: options.json}),
  ])
  const inFlight = new Set<AuditEntry>()
  try {
    const api = await createStackApi(target)
    const otherRegions = await regionalStacks(plan, loaded.config.artifactBucket, target, createStackApi)
    const result = await withInterrupt(
      async ({signal, interrupt}) => {
        const waiting = {api, otherRegions, clock: systemClock, reporter, polling: loaded.config.polling, signal}
        const knownOutputs = await outputsOfEarlierStages(plan, plan.earlierJobs, waiting).catch((error: unknown) => {
          if (error instanceof InterruptedError) throw new FintechError('interrupted while reading the earlier stages: nothing was changed', ExitCode.interrupted)
          throw error
        })
        return runDeploy(plan, knownOutputs, {
          ...waiting,
          inFlight,
          artifacts: async () => (await import('../aws/s3.js')).createArtifactStore(target, plan.env.account),
          audit: session.audit,
          approver: createApprover({yes: options.yes, input: process.stdin, output: process.stderr, onInterrupt: interrupt}),
          concurrency: options.concurrency ?? loaded.config.concurrency,
          options: {
            envName: env.name,
            protectedEnv: plan.env.protected,
            dryRun: options.dryRun,
            allowReplacement: options.allowReplacement,
            force: options.force,
            artifactBucket: artifactBucketIn(loaded.config.artifactBucket, plan.env.account, target.region),
            polling: loaded.config.polling,
          },
        })
      },
      {
        onFirst: () =>
          reporter.emit({
            kind: 'notice',
            level: 'warn',
            message: 'Ctrl-C: no new change set, execution or stack starts; waiting for the calls already sent, then deleting change sets not executed. Ctrl-C again exits at once.',
          }),
        onSecond: () => abandon(inFlight, session.audit, env.name),
      },
    )
    const exitCode = exitCodeOf(result)
    const interrupted = result.stages.flatMap((stage) => stage.stacks).filter((stack) => stack.outcome === 'interrupted')
    const resumeNote = interrupted.length
      ? `\nStopped waiting: ${interrupted.map((stack) => stack.stackName).join(', ')} go on in CloudFormation. ` +
        `\`fintech status --env ${env.name}\` shows them; the next \`fintech deploy\` waits for them and carries on.`
      : result.interrupted
        ? '\nStopped by Ctrl-C: nothing this run started is left running in CloudFormation.'
        : ''
    const failures = result.stages.flatMap((stage) => stage.stacks).filter((stack) => !isSuccessful(stack.outcome) && stack.outcome !== 'skipped')
    const causes = failures
      .filter((stack) => stack.rootCause)
      .map((stack) => `Root cause in ${stack.stackName}: ${stack.rootCause!.logicalId} (${stack.rootCause!.resourceType}) ${stack.rootCause!.status}: ${stack.rootCause!.reason}`)
    return {
      result: {mode: 'aws', ...result},
      exitCode,
      text: [renderDeploySummary(result), ...causes].join('\n') + resumeNote,
    }
  } finally {
    await reporter.close()
  }
}

/** `fintech deploy`: the stages of one env through change sets, or with --org the StackSets. */
export async function deployCommand(
  loaded: LoadedConfig,
  flags: TargetFlags & {stage: string; env?: string; org: boolean; offline: boolean; concurrency?: number; 'dry-run': boolean; yes: boolean; 'allow-replacement': boolean; force: boolean},
  io: CommandIO,
): Promise<Outcome<DeployFlowResult | OrgDeployResult>> {
  if (flags.org) return deployOrgFlow(loaded, {stage: flags.stage, env: flags.env, dryRun: flags['dry-run'], yes: flags.yes, json: io.json, flags})
  if (!flags.env) throw new InputError('--env is required (or --org for the StackSets)')
  return deployFlow(loaded, {
    stage: flags.stage,
    env: resolveEnv(loaded, flags.env, flags),
    dryRun: flags['dry-run'] || flags.offline,
    offline: flags.offline,
    yes: flags.yes,
    allowReplacement: flags['allow-replacement'],
    force: flags.force,
    concurrency: flags.concurrency,
    json: io.json,
  })
}
