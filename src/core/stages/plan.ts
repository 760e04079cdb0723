import {isAbsolute, join} from 'node:path'
import type {ResolvedEnv} from '../config/env.js'
import type {LoadedConfig} from '../config/load.js'
import type {EnvironmentConfig, StackConfig, StageConfig} from '../config/schema.js'
import {FileError, InputError} from '../errors.js'
import {resolveParameters, type ParameterContext, type ParameterResolution} from '../params/resolve.js'
import {parseTemplate, type Template} from '../template/parse.js'
import {readProjectFile, RefusedFileError} from '../template/read.js'
import {formatKeyPath, parseLocatedYaml, type KeyPath} from '../yaml.js'
import {assertAcyclic, parametersIn, sameStageDependencies, stackNameOf, stackRegionOf, stacksFor} from './select.js'

/** One stack of one env, with everything needed to deploy it except outputs not known yet. */
export interface StackJob {
  id: string
  stage: string
  stackName: string
  /** The AWS region it deploys to: the env's, or the env's recovery region. */
  region: string
  config: StackConfig
  template: Template
  tags: Record<string, string>
  /** Stacks of the same stage this one waits for. */
  dependsOn: string[]
}

export interface StagePlan {
  stage: StageConfig
  jobs: StackJob[]
}

export interface EnvironmentPlan {
  envName: string
  env: EnvironmentConfig
  /** The selected stages, in order. */
  stages: StagePlan[]
  /** Stacks of the stages before the first selected one: they must be deployed already. */
  earlierJobs: StackJob[]
  parameterContext(output: ParameterContext['output']): ParameterContext
}

export const resolvePath = (root: string, path: string) => (isAbsolute(path) ? path : join(root, path))

export function loadParameterFile(root: string, path: string) {
  const located = parseLocatedYaml(readProjectFile(root, path, 'parameter file'), path)
  const raw = located.value ?? {}
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new FileError(path, 'a parameter file is a mapping of ParameterName: value', 1)
  const values: Record<string, string> = {}
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      throw new FileError(path, 'a parameter value is a string, number, boolean or list', located.lineOf([name]), name)
    }
    values[name] = Array.isArray(value) ? value.join(',') : String(value)
  }
  return {values, lineOf: located.lineOf}
}

/** Runs `read` of a file the config names at `keyPath`; a refused file is reported at that line of the config. */
export function readAtConfigLine<T>(loaded: LoadedConfig, keyPath: KeyPath, read: () => T): T {
  try {
    return read()
  } catch (error) {
    if (error instanceof RefusedFileError) throw error.at(loaded.file, loaded.lineOf(keyPath), keyPath)
    throw error
  }
}

/**
 * Reads every template and the env's parameter file and checks that the parameters fit
 * together, before any AWS call: unknown or missing parameters are reported with the file
 * and line to fix. Outputs of other stacks stay unresolved here (see resolveJobParameters).
 */
export function planEnvironment(loaded: LoadedConfig, resolved: ResolvedEnv, selected: StageConfig[]): EnvironmentPlan {
  const {config, root} = loaded
  const {name: envName, config: env} = resolved
  const parameterFile = env.parameterFile
    ? readAtConfigLine(loaded, ['environments', envName, 'parameterFile'], () => loadParameterFile(root, env.parameterFile!))
    : undefined
  const fileValues = parameterFile?.values ?? {}
  const parameterContext = (output: ParameterContext['output']): ParameterContext => ({envName, env, fileValues, output})

  const templates = new Map<string, Template>()
  const templateOf = (path: string, keyPath: KeyPath) => {
    if (!templates.has(path)) templates.set(path, parseTemplate(readAtConfigLine(loaded, keyPath, () => readProjectFile(root, path, 'template')), path))
    return templates.get(path)!
  }

  const declaredAnywhere = new Set<string>()
  const deployedHere = new Set(config.stages.flatMap((stage) => stacksFor(stage, envName).map((stack) => stack.id)))
  const stages: StagePlan[] = config.stages.map((stage, stageIndex) => {
    assertAcyclic(stage)
    const jobs = stage.stacks.flatMap((configured, stackIndex): StackJob[] => {
      if (!deployedHere.has(configured.id)) return []
      const stack = {...configured, parameters: parametersIn(config, env, configured)}
      for (const [parameter, value] of Object.entries(stack.parameters)) {
        if (typeof value === 'object' && 'stackOutput' in value && !deployedHere.has(value.stackOutput.split('.')[0]!)) {
          const keyPath = ['stages', stageIndex, 'stacks', stackIndex, 'parameters', parameter, 'stackOutput']
          throw new FileError(loaded.file, `${value.stackOutput.split('.')[0]} is not deployed to ${envName} (its envs leave it out)`, loaded.lineOf(keyPath), formatKeyPath(keyPath))
        }
      }
      const template = templateOf(stack.template, ['stages', stageIndex, 'stacks', stackIndex, 'template'])
      Object.keys(template.parameters).forEach((name) => declaredAnywhere.add(name))
      const problem = resolveParameters(stack, template, parameterContext(() => undefined)).problems[0]
      if (problem?.fromParameterFile && parameterFile) {
        throw new FileError(env.parameterFile!, problem.detail, parameterFile.lineOf([problem.parameter]), problem.parameter)
      }
      if (problem) {
        const keyPath = ['stages', stageIndex, 'stacks', stackIndex, ...(problem.inConfig ? ['parameters', problem.parameter] : ['template'])]
        throw new FileError(loaded.file, problem.detail, loaded.lineOf(keyPath), formatKeyPath(keyPath))
      }
      const job: StackJob = {
        id: stack.id,
        stage: stage.name,
        stackName: stackNameOf(config, envName, stage, stack),
        region: stackRegionOf(env, stack),
        config: stack,
        template,
        tags: {...env.tags, 'fintech:stage': stage.name},
        dependsOn: sameStageDependencies(stage, stack).filter((id) => deployedHere.has(id)),
      }
      return [job]
    })
    return {stage, jobs}
  })

  for (const name of Object.keys(fileValues)) {
    if (!declaredAnywhere.has(name)) {
      throw new FileError(env.parameterFile!, `no template declares a parameter ${name}`, parameterFile!.lineOf([name]), name)
    }
  }
  const chosen = stages.filter((plan) => selected.includes(plan.stage) && plan.jobs.length > 0)
  if (chosen.length === 0) {
    throw new InputError(`no stack of stage ${selected.map((stage) => stage.name).join(', ')} deploys to ${envName} (see the stacks' envs in ${loaded.file})`)
  }
  const firstSelected = stages.indexOf(chosen[0]!)
  return {
    envName,
    env,
    stages: chosen,
    earlierJobs: stages.slice(0, firstSelected).flatMap((plan) => plan.jobs),
    parameterContext,
  }
}

export function resolveJobParameters(plan: EnvironmentPlan, job: StackJob, output: ParameterContext['output']): ParameterResolution {
  return resolveParameters(job.config, job.template, plan.parameterContext(output))
}

/**
 * What a stack's template is evaluated with offline (template/evaluate.ts): its parameters
 * as its env resolves them, other stacks' outputs as `<stack.Output>` placeholders, and the
 * pseudo parameters the env fixes. The cost estimate and the offline plan both use it, so
 * they agree on which conditional resources an env gets.
 */
export function environmentValues(plan: EnvironmentPlan, job: StackJob, resolved = resolveJobParameters(plan, job, () => undefined)): Record<string, string> {
  return {
    ...Object.fromEntries(Object.entries(resolved.parameters).map(([name, parameter]) => [name, parameter.value])),
    'AWS::Region': job.region,
    'AWS::AccountId': plan.env.account,
    'AWS::Partition': job.region.startsWith('cn-') ? 'aws-cn' : 'aws',
  }
}
