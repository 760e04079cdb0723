import type {LoadedConfig} from '../config/load.js'
import {readTextFile} from '../config/load.js'
import type {FintechConfig, ParameterValue, ScheduleConfig, StackConfig} from '../config/schema.js'
import {FileError, InputError} from '../errors.js'
import {resolveParameters} from '../params/resolve.js'
import {loadParameterFile, planEnvironment, type EnvironmentPlan, type StackJob} from '../stages/plan.js'
import type {ResolvedEnv} from '../config/env.js'
import {formatKeyPath} from '../yaml.js'
import {parseTemplate} from '../template/parse.js'
import {eventBridgeExpressions, type EventBridgeExpressions} from './schedule.js'
import {probeDocumentScript} from './redis-probe.js'
import {stateBucketOf} from './scope.js'

/**
 * The schedule stack of an env (templates/shutdown/scheduler.yaml), deployed by
 * `fintech shutdown schedule` through the same engine as the stages but outside their list:
 * it needs the whole platform deployed first, exists only for envs with a schedule, and its
 * template ships with the CLI rather than with the project.
 */

export const SCHEDULE_STAGE = 'shutdown-schedule'

/** The template's path inside the CLI's package. */
export const SCHEDULER_TEMPLATE = 'templates/shutdown/scheduler.yaml'

/** Image the tasks run when neither --image nor shutdown.image names one: the CLI's own release in the env's ECR. */
export const DEFAULT_IMAGE = '{account}.dkr.ecr.{region}.amazonaws.com/fintech:{version}'

/** Stack outputs the schedule stack reads, wired as a stage's `stackOutput` parameters would be. */
export const SCHEDULE_STACK_INPUTS: Record<string, string> = {
  ClusterName: 'compute.ClusterName',
  VpcId: 'network.VpcId',
  SubnetIds: 'network.AppSubnetIds',
  LogsKeyArn: 'baseline.LogsKeyArn',
  DataKeyArn: 'baseline.DataKeyArn',
  AlarmTopicArn: 'baseline.AlarmTopicArn',
}

const fill = (text: string, values: Record<string, string>) => Object.entries(values).reduce((out, [key, value]) => out.replaceAll(`{${key}}`, value), text)

export interface ImageChoice {
  uri: string
  /** Where it came from, to name it in an error. */
  source: 'flag' | 'config' | 'default'
}

/** --image, else shutdown.image, else the CLI's own version in the env's ECR; placeholders filled in. */
export function imageFor(config: FintechConfig, env: ResolvedEnv, version: string, flag?: string): ImageChoice {
  const [template, source] = flag ? [flag, 'flag' as const] : config.shutdown.image ? [config.shutdown.image, 'config' as const] : [DEFAULT_IMAGE, 'default' as const]
  return {uri: fill(template, {account: env.account, region: env.region, version}), source}
}

export interface ScheduleStackPlan {
  /** A one-stage plan the deploy engine runs as it runs `fintech deploy`. */
  plan: EnvironmentPlan
  job: StackJob
  /** The stacks whose outputs feed the schedule stack; they must be deployed. */
  sources: StackJob[]
  schedule: ScheduleConfig
  expressions: EventBridgeExpressions
  image: ImageChoice
  stateBucket: string
}

/** Refuses what `shutdown schedule` must never deploy, naming the config line to change. */
export function scheduledEnvironment(loaded: LoadedConfig, env: ResolvedEnv): ScheduleConfig {
  const envName = env.name
  if (env.protected) {
    const keyPath = ['environments', envName, 'protected']
    throw new FileError(loaded.file, `${envName} is protected: a protected environment is never shut down, so it gets no schedule`, loaded.lineOf(keyPath), formatKeyPath(keyPath))
  }
  const {schedule} = env.config
  if (!schedule) {
    const keyPath = ['environments', envName]
    throw new FileError(
      loaded.file,
      `${envName} has no schedule: add schedule (timezone, stop, start, days, holidays) to it first`,
      loaded.lineOf(keyPath),
      formatKeyPath(keyPath),
    )
  }
  return schedule
}

export interface ScheduleStackOptions {
  /** Absolute path of templates/shutdown/scheduler.yaml in the CLI's package. */
  templatePath: string
  /** The CLI's version, for the default image tag. */
  version: string
  /** --image. */
  image?: string
}

/**
 * Everything the engine needs to deploy the schedule stack of `resolved`, checked before any
 * AWS call: the config's own plan of the env (templates, parameter file), the stacks that
 * feed the schedule stack, and every parameter value against the template's constraints.
 */
export function planScheduleStack(loaded: LoadedConfig, resolved: ResolvedEnv, options: ScheduleStackOptions): ScheduleStackPlan {
  const {config} = loaded
  const {name: envName, config: env} = resolved
  const schedule = scheduledEnvironment(loaded, resolved)
  const platform = planEnvironment(loaded, resolved, config.stages)
  const jobs = new Map([...platform.earlierJobs, ...platform.stages.flatMap((stage) => stage.jobs)].map((job) => [job.id, job]))

  const missing = Object.values(SCHEDULE_STACK_INPUTS).filter((output) => !jobs.has(output.split('.')[0]!))
  if (missing.length > 0) {
    throw new InputError(
      `the schedule stack reads ${missing.join(', ')}, but ${envName} deploys no stack ${[...new Set(missing.map((output) => `"${output.split('.')[0]}"`))].join(', ')} (${loaded.file})`,
    )
  }
  const sources = [...new Set(Object.values(SCHEDULE_STACK_INPUTS).map((output) => output.split('.')[0]!))].map((id) => jobs.get(id)!)

  const expressions = eventBridgeExpressions(schedule)
  const image = imageFor(config, resolved, options.version, options.image)
  const stateBucket = stateBucketOf(config, resolved)
  const parameters: Record<string, ParameterValue> = {
    EnvironmentName: {env: 'name'},
    ImageUri: image.uri,
    ScheduleTimezone: expressions.timezone,
    StopExpression: expressions.stop,
    StartExpression: expressions.start ?? '',
    StateBucketName: stateBucket,
    RedisProbeScript: probeDocumentScript(),
    ...Object.fromEntries(Object.entries(SCHEDULE_STACK_INPUTS).map(([name, output]) => [name, {stackOutput: output}])),
  }
  const stack: StackConfig = {id: SCHEDULE_STAGE, template: SCHEDULER_TEMPLATE, stackName: `${config.project}-${envName}-${SCHEDULE_STAGE}`, parameters, dependsOn: [], envs: [envName], region: 'primary'}
  const template = parseTemplate(readTextFile(options.templatePath, 'template'), SCHEDULER_TEMPLATE)

  const problem = resolveParameters(stack, template, platform.parameterContext(() => undefined)).problems[0]
  if (problem?.parameter === 'ImageUri') {
    if (image.source === 'flag') throw new InputError(`--image: ${problem.detail}`, 'name an image by registry, repository and tag or digest')
    const keyPath = ['shutdown', 'image']
    throw new FileError(loaded.file, problem.detail, loaded.lineOf(keyPath), formatKeyPath(keyPath))
  }
  if (problem?.fromParameterFile && env.parameterFile) {
    throw new FileError(env.parameterFile, problem.detail, loadParameterFile(loaded.root, env.parameterFile).lineOf([problem.parameter]), problem.parameter)
  }
  if (problem) throw new InputError(`${SCHEDULER_TEMPLATE}: ${problem.detail}`)

  const job: StackJob = {
    id: SCHEDULE_STAGE,
    stage: SCHEDULE_STAGE,
    stackName: stack.stackName!,
    region: env.region,
    config: stack,
    template,
    tags: {...env.tags, 'fintech:stage': SCHEDULE_STAGE},
    dependsOn: [],
  }
  const plan: EnvironmentPlan = {
    envName,
    env,
    stages: [{stage: {name: SCHEDULE_STAGE, stacks: [stack]}, jobs: [job]}],
    earlierJobs: sources,
    parameterContext: platform.parameterContext,
  }
  return {plan, job, sources, schedule, expressions, image, stateBucket}
}
