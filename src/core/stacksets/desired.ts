import type {LoadedConfig} from '../config/load.js'
import {resolveEnv} from '../config/env.js'
import type {StackSetConfig} from '../config/schema.js'
import {FileError, InputError} from '../errors.js'
import {maskNoEcho, parameterValues, resolveParameters} from '../params/resolve.js'
import {loadParameterFile, readAtConfigLine} from '../stages/plan.js'
import {parametersIn} from '../stages/select.js'
import {parseTemplate, type Template} from '../template/parse.js'
import {readProjectFile} from '../template/read.js'
import {formatKeyPath} from '../yaml.js'
import type {OperationPreferences, StackSetContent} from './api.js'

/** TemplateBody's limit; a larger template would go through S3 (TemplateURL), which the rollout does not do yet. */
export const MAX_TEMPLATE_BODY_BYTES = 51_200

/** A StackSet as the config wants it, ready to compare with the deployed one. */
export interface DesiredStackSet {
  config: StackSetConfig
  stage: string
  content: StackSetContent
  template: Template
  preferences: OperationPreferences
}

/** The StackSets of the selected stage, or bad input naming the config when there are none. */
export function stackSetsOfStage(loaded: LoadedConfig, stageName: string): StackSetConfig[] {
  const organization = loaded.config.organization
  if (!organization) {
    throw new InputError(`--org: ${loaded.file} has no organization.stackSets`, 'declare them as docs/org-rollout.md shows')
  }
  const stage = loaded.config.stages.find((candidate) => candidate.name === stageName)
  if (!stage) throw new InputError(`--stage ${stageName}: no such stage (${loaded.config.stages.map((candidate) => candidate.name).join(', ')})`)
  const ids = new Set(stage.stacks.map((stack) => stack.id))
  const chosen = organization.stackSets.filter((stackSet) => ids.has(stackSet.stack))
  if (chosen.length === 0) throw new InputError(`--stage ${stageName} --org: no StackSet in organization.stackSets deploys a stack of stage ${stageName}`)
  return chosen
}

/**
 * Reads the template and the env's parameter file and resolves the parameters as a deploy to
 * that env would, before any AWS call; a problem names the file and line to fix.
 */
export function desiredStackSet(loaded: LoadedConfig, stackSet: StackSetConfig): DesiredStackSet {
  const {config, root} = loaded
  const index = config.organization!.stackSets.indexOf(stackSet)
  const stageIndex = config.stages.findIndex((stage) => stage.stacks.some((stack) => stack.id === stackSet.stack))
  const stage = config.stages[stageIndex]!
  const stackIndex = stage.stacks.findIndex((stack) => stack.id === stackSet.stack)
  const configured = stage.stacks[stackIndex]!
  const {config: env} = resolveEnv(loaded, stackSet.env)
  const template = parseTemplate(readAtConfigLine(loaded, ['stages', stageIndex, 'stacks', stackIndex, 'template'], () => readProjectFile(root, configured.template, 'template')), configured.template)
  const bytes = Buffer.byteLength(template.body)
  if (bytes > MAX_TEMPLATE_BODY_BYTES) {
    throw new InputError(`${configured.template} is ${bytes} bytes: a StackSet takes a template body of at most ${MAX_TEMPLATE_BODY_BYTES} bytes, and fintech does not upload StackSet templates to S3 yet`)
  }
  const parameterFile = env.parameterFile
    ? readAtConfigLine(loaded, ['environments', stackSet.env, 'parameterFile'], () => loadParameterFile(root, env.parameterFile!))
    : undefined
  const stack = {...configured, parameters: parametersIn(config, env, configured)}
  const resolution = resolveParameters(stack, template, {envName: stackSet.env, env, fileValues: parameterFile?.values ?? {}, output: () => undefined})
  const problem = resolution.problems[0]
  if (problem?.fromParameterFile && parameterFile) throw new FileError(env.parameterFile!, problem.detail, parameterFile.lineOf([problem.parameter]), problem.parameter)
  if (problem) {
    const keyPath = ['organization', 'stackSets', index, 'env']
    throw new FileError(loaded.file, `for StackSet ${stackSet.name}: ${problem.detail}`, loaded.lineOf(keyPath), formatKeyPath(keyPath))
  }
  return {
    config: stackSet,
    stage: stage.name,
    template,
    content: {
      name: stackSet.name,
      templateBody: template.body,
      parameters: parameterValues(resolution),
      tags: {...env.tags, 'fintech:stage': stage.name},
      autoDeployment: stackSet.autoDeployment,
      description: `fintech ${stage.name} ${stack.id} for the accounts of ${stackSet.organizationalUnits.join(', ')} (${stackSet.env} values)`,
    },
    preferences: {
      maxConcurrentPercentage: stackSet.maxConcurrentPercentage,
      failureTolerancePercentage: stackSet.failureTolerancePercentage,
      regionConcurrency: stackSet.regionConcurrency,
      regionOrder: stackSet.regions,
    },
  }
}

/** Parameter values fit to print: NoEcho ones masked. */
export const shownParameters = (desired: DesiredStackSet, values: Record<string, string>) => maskNoEcho(desired.template, values)
