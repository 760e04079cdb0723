import {join, resolve} from 'node:path'
import type {AuditEntry} from '../core/audit/audit-log.js'
import {resolveEnv, type ResolvedEnv, type TargetFlags} from '../core/config/env.js'
import type {LoadedConfig} from '../core/config/load.js'
import {systemClock} from '../core/clock.js'
import {offlinePlan, type OfflinePlan} from '../core/deploy/offline-plan.js'
import {outputsOfEarlierStages, runDeploy, type StackRunResult} from '../core/deploy/run-deploy.js'
import {ExitCode, type ExitCodeValue} from '../core/errors.js'
import {clockChanges, crontabLines, nextTransitions, type ClockChange, type EventBridgeExpressions, type Transition} from '../core/shutdown/schedule.js'
import {planScheduleStack, SCHEDULER_TEMPLATE, scheduledEnvironment, type ScheduleStackPlan} from '../core/shutdown/schedule-stack.js'
import {createApprover, createReporter} from '../ui/terminal.js'
import {renderDeploySummary, renderOfflinePlan} from '../ui/summary.js'
import {MissingCredentialsError, openGuardedSession, withInterrupt} from './aws-session.js'
import type {CommandIO} from './command-io.js'
import {exitCodeOf} from './deploy.js'

export interface ScheduleFlowOptions {
  /** The env, resolved once; its target is where AWS is called. */
  env: ResolvedEnv
  dryRun: boolean
  yes: boolean
  json: boolean
  /** --image; shutdown.image or the CLI's own release otherwise. */
  image?: string
  /** Absolute path of the scheduler template in the CLI's package. */
  templatePath: string
  version: string
}

/** What the schedule means, shown before the deploy result and kept in the JSON. */
export interface ScheduleSummary {
  timezone: string
  stop: string
  start?: string
  days: string[]
  holidays: string[]
  expressions: EventBridgeExpressions
  image: string
  stateBucket: string
  /** The next runs that will act (holiday starts left out). */
  next: Transition[]
  /** Days of the coming year where a clock change skips a run or makes its time happen twice. */
  clockChanges: ClockChange[]
}

export type ScheduleFlowResult =
  | {mode: 'cron'; env: string; timezone: string; lines: string[]}
  | {mode: 'offline'; env: string; schedule: ScheduleSummary; plan: OfflinePlan}
  | {mode: 'aws'; env: string; dryRun: boolean; schedule: ScheduleSummary; stack: StackRunResult}

export interface ScheduleFlowOutcome {
  result: ScheduleFlowResult
  exitCode: ExitCodeValue
  text: string
}

/** `--print-cron`: crontab lines for running the schedule outside AWS; reads the config only. */
export function cronFlow(loaded: LoadedConfig, env: ResolvedEnv, configFile: string): ScheduleFlowOutcome {
  const schedule = scheduledEnvironment(loaded, env)
  const lines = crontabLines(schedule, env.name, {configFile: resolve(configFile)})
  return {result: {mode: 'cron', env: env.name, timezone: schedule.timezone, lines}, exitCode: ExitCode.ok, text: lines.join('\n')}
}

function summarise(stack: ScheduleStackPlan, now: Date): ScheduleSummary {
  const {schedule} = stack
  return {
    timezone: schedule.timezone,
    stop: schedule.stop,
    start: schedule.start,
    days: schedule.days,
    holidays: schedule.holidays,
    expressions: stack.expressions,
    image: stack.image.uri,
    stateBucket: stack.stateBucket,
    next: nextTransitions(schedule, now, 6),
    clockChanges: clockChanges(schedule, now),
  }
}

function renderSummary(envName: string, summary: ScheduleSummary): string {
  const {expressions} = summary
  const lines = [
    `Shutdown schedule of ${envName} (${summary.timezone}), image ${summary.image}:`,
    `  stop   every day at ${summary.stop}  ${expressions.stop}`,
    summary.start === undefined
      ? '  start  none: a stop-only schedule, start the env by hand'
      : `  start  ${summary.days.join(', ')} at ${summary.start}${summary.holidays.length ? `, not on ${summary.holidays.join(', ')}` : ''}  ${expressions.start}`,
    `  next   ${summary.next.map((run) => `${run.action} ${run.local.slice(0, 16).replace('T', ' ')}`).join(', ')}`,
    ...summary.clockChanges.map((change) => `  note   ${change.message}`),
  ]
  return lines.join('\n')
}

const auditResult = (stack: StackRunResult): AuditEntry['result'] => {
  if (stack.outcome === 'created' || stack.outcome === 'updated') return 'ok'
  if (stack.outcome === 'unchanged' || stack.outcome === 'no-changes') return 'no-changes'
  return stack.outcome === 'interrupted' ? 'in-progress' : 'failed'
}

/**
 * `fintech shutdown schedule`: the env's schedule stack through the deploy engine (account
 * guard, change set, approval for new grants, progress, audit), or its dry run.
 */
export async function scheduleFlow(loaded: LoadedConfig, options: ScheduleFlowOptions): Promise<ScheduleFlowOutcome> {
  const {env} = options
  const {target} = env
  const stack = planScheduleStack(loaded, env, {templatePath: options.templatePath, version: options.version, image: options.image})
  const summary = summarise(stack, systemClock.now())

  let session
  try {
    session = await openGuardedSession(loaded, env, target)
  } catch (error) {
    if (!(options.dryRun && error instanceof MissingCredentialsError)) throw error
    const plan = offlinePlan(stack.plan)
    return {
      result: {mode: 'offline', env: env.name, schedule: summary, plan},
      exitCode: ExitCode.ok,
      text: ['No AWS credentials found: showing the offline plan.', renderSummary(env.name, summary), renderOfflinePlan(plan)].join('\n'),
    }
  }

  const [{createStackApi}, reporter] = await Promise.all([import('../aws/cloudformation.js'), createReporter({stderr: process.stderr, json: options.json})])
  try {
    const api = await createStackApi(target)
    const {plan} = stack
    const result = await withInterrupt(async ({signal, interrupt}) => {
      const waiting = {api, clock: systemClock, reporter, polling: loaded.config.polling, signal}
      const knownOutputs = await outputsOfEarlierStages(plan, stack.sources, waiting)
      return runDeploy(plan, knownOutputs, {
        ...waiting,
        artifacts: async () => (await import('../aws/s3.js')).createArtifactStore(target, plan.env.account),
        audit: session.audit,
        approver: createApprover({yes: options.yes, input: process.stdin, output: process.stderr, onInterrupt: interrupt}),
        concurrency: 1,
        options: {
          envName: env.name,
          protectedEnv: plan.env.protected,
          dryRun: options.dryRun,
          allowReplacement: false,
          force: false,
          artifactBucket: loaded.config.artifactBucket.replaceAll('{account}', plan.env.account).replaceAll('{region}', target.region),
          polling: loaded.config.polling,
        },
      })
    })
    const deployed = result.stages[0]!.stacks[0]!
    if (!options.dryRun) {
      const {expressions} = stack
      session.audit.record({
        env: env.name,
        stack: deployed.stackName,
        action: 'shutdown-schedule',
        result: auditResult(deployed),
        detail: `stop ${expressions.stop}${expressions.start ? `, start ${expressions.start}` : ', stop-only'} in ${expressions.timezone}; image ${stack.image.uri}; ${deployed.outcome}`,
      })
    }
    const cause = deployed.rootCause ? [`Root cause in ${deployed.stackName}: ${deployed.rootCause.logicalId} (${deployed.rootCause.resourceType}) ${deployed.rootCause.status}: ${deployed.rootCause.reason}`] : []
    const interrupted = deployed.outcome === 'interrupted'
      ? [`Stopped waiting: ${deployed.stackName} goes on in CloudFormation; run fintech shutdown schedule --env ${env.name} again to follow it.`]
      : []
    return {
      result: {mode: 'aws', env: env.name, dryRun: options.dryRun, schedule: summary, stack: deployed},
      exitCode: exitCodeOf(result),
      text: [renderSummary(env.name, summary), '', renderDeploySummary(result), ...cause, ...interrupted].join('\n'),
    }
  } finally {
    await reporter.close()
  }
}

/** `fintech shutdown schedule`: the scheduler stack deployed (or the crontab lines printed) for one env. */
export async function shutdownScheduleCommand(
  loaded: LoadedConfig,
  flags: TargetFlags & {env: string; config: string; image?: string; 'dry-run': boolean; yes: boolean; 'print-cron': boolean},
  cli: {root: string; version: string},
  io: CommandIO,
): Promise<ScheduleFlowOutcome> {
  const env = resolveEnv(loaded, flags.env, flags)
  if (flags['print-cron']) return cronFlow(loaded, env, flags.config)
  return scheduleFlow(loaded, {
    env,
    dryRun: flags['dry-run'],
    yes: flags.yes,
    json: io.json,
    image: flags.image,
    templatePath: join(cli.root, SCHEDULER_TEMPLATE),
    version: cli.version,
  })
}
