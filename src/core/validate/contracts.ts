import {normalize} from 'node:path'
import type {LoadedConfig} from '../config/load.js'
import type {EnvironmentConfig} from '../config/schema.js'
import {resolveParameters, type ParameterContext} from '../params/resolve.js'
import {parametersIn, stacksFor} from '../stages/select.js'
import type {Template} from '../template/parse.js'
import type {Finding, RuleInfo, TemplateEnvironment} from './finding.js'

export const CONTRACT_RULES = {
  unresolvedParameter: {
    id: 'FT-CON-001',
    severity: 'error',
    title: 'Parameter without a source',
    rationale: 'Every parameter a stack takes comes from the env\'s parameter file, a literal in config, an env value or an earlier stage\'s output.',
  },
  missingOutput: {id: 'FT-CON-002', severity: 'error', title: 'Wired output does not exist', rationale: 'A stackOutput the config wires must be an output of that stack\'s template.'},
  unusedParameterFileKey: {
    id: 'FT-CON-003',
    severity: 'error',
    title: 'Parameter-file key no template takes',
    rationale: 'A misspelt key in a parameter file silently leaves the template default in place.',
  },
} satisfies Record<string, RuleInfo>

/** AWS's pseudo parameters as an env knows them, so conditions on the region or account can be decided. */
function pseudoParameters(account: string, region: string): Record<string, string> {
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws'
  return {'AWS::AccountId': account, 'AWS::Region': region, 'AWS::Partition': partition}
}

interface ContractInput {
  loaded: LoadedConfig
  templateOf(path: string): Template | undefined
  /** The env's parameter file; 'unreadable' when it does not parse (reported already, so its env is skipped). */
  parameterFile(envName: string, env: EnvironmentConfig): ParameterFile | 'unreadable' | undefined
}

export interface ParameterFile {
  file: string
  values: Record<string, string>
  lineOf(key: string): number | undefined
}

export interface ContractResult {
  findings: Finding[]
  /** Per template file, the envs that deploy it and their parameter values (outputs as placeholders). */
  environments: Map<string, TemplateEnvironment[]>
}

/**
 * The stage contracts of every env: each stack's parameters have a source, each wired output
 * exists in the template that should produce it, and each parameter-file key is taken by some
 * template of the env.
 */
export function checkContracts({loaded, templateOf, parameterFile}: ContractInput): ContractResult {
  const {config} = loaded
  const findings: Finding[] = []
  const environments = new Map<string, TemplateEnvironment[]>()
  const stackTemplate = new Map(config.stages.flatMap((stage) => stage.stacks.map((stack) => [stack.id, stack.template] as const)))
  const configFinding = (info: RuleInfo, keyPath: Array<string | number>, message: string): Finding => ({
    file: loaded.file,
    line: loaded.lineOf(keyPath) ?? 1,
    column: 1,
    ruleId: info.id,
    severity: info.severity,
    message,
    source: 'fintech',
  })

  config.stages.forEach((stage, stageIndex) => {
    stage.stacks.forEach((stack, stackIndex) => {
      for (const [parameter, value] of Object.entries(stack.parameters)) {
        if (typeof value !== 'object' || !('stackOutput' in value)) continue
        const [sourceId, outputKey] = value.stackOutput.split('.') as [string, string]
        const source = templateOf(stackTemplate.get(sourceId) ?? '')
        if (source && !source.outputs.includes(outputKey)) {
          findings.push(
            configFinding(
              CONTRACT_RULES.missingOutput,
              ['stages', stageIndex, 'stacks', stackIndex, 'parameters', parameter, 'stackOutput'],
              `${source.file} (stack ${sourceId}) has no output ${outputKey}`,
            ),
          )
        }
      }
    })
  })

  for (const [envName, env] of Object.entries(config.environments)) {
    const file = parameterFile(envName, env)
    if (file === 'unreadable') continue
    const declared = new Set<string>()
    const deployedIds = new Set(config.stages.flatMap((stage) => stacksFor(stage, envName).map((stack) => stack.id)))
    config.stages.forEach((stage, stageIndex) => {
      const deployed = stacksFor(stage, envName)
      stage.stacks.forEach((configured, stackIndex) => {
        if (!deployed.includes(configured)) return
        const stack = {...configured, parameters: parametersIn(config, env, configured)}
        const template = templateOf(stack.template)
        if (!template) return
        Object.keys(template.parameters).forEach((name) => declared.add(name))
        const context: ParameterContext = {envName, env, fileValues: file?.values ?? {}, output: () => undefined}
        const resolution = resolveParameters(stack, template, context)
        for (const problem of resolution.problems) {
          if (problem.fromParameterFile && file) {
            findings.push({...configFinding(CONTRACT_RULES.unresolvedParameter, [], `${envName}: ${problem.detail}`), file: file.file, line: file.lineOf(problem.parameter) ?? 1})
            continue
          }
          const keyPath = ['stages', stageIndex, 'stacks', stackIndex, ...(problem.inConfig ? ['parameters', problem.parameter] : ['template'])]
          findings.push(configFinding(CONTRACT_RULES.unresolvedParameter, keyPath, `${envName}: ${problem.detail}`))
        }
        for (const [parameter, value] of Object.entries(stack.parameters)) {
          if (typeof value !== 'object' || !('stackOutput' in value)) continue
          const sourceId = value.stackOutput.split('.')[0]!
          if (!deployedIds.has(sourceId)) {
            const keyPath = ['stages', stageIndex, 'stacks', stackIndex, 'parameters', parameter, 'stackOutput']
            findings.push(configFinding(CONTRACT_RULES.missingOutput, keyPath, `${envName}: ${sourceId} is not deployed to ${envName}, so ${value.stackOutput} never exists there`))
          }
        }
        // Outputs of other stacks are unknown offline: rules must treat them as unknown, not as text.
        const values = Object.fromEntries(
          Object.entries(resolution.parameters).filter(([, parameter]) => !parameter.placeholder).map(([name, parameter]) => [name, parameter.value]),
        )
        const evaluation = {...values, ...pseudoParameters(env.account, env.region)}
        environments.set(normalize(stack.template), [...(environments.get(normalize(stack.template)) ?? []), {name: envName, protected: env.protected, parameters: evaluation}])
      })
    })
    for (const key of Object.keys(file?.values ?? {})) {
      if (!declared.has(key)) {
        findings.push({
          file: file!.file,
          line: file!.lineOf(key) ?? 1,
          column: 1,
          ruleId: CONTRACT_RULES.unusedParameterFileKey.id,
          severity: 'error',
          message: `no template deployed to ${envName} takes a parameter ${key}`,
          source: 'fintech',
        })
      }
    }
  }
  return {findings, environments}
}
