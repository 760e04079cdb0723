import type {EnvironmentConfig, StackConfig} from '../config/schema.js'
import type {Template, TemplateParameter} from '../template/parse.js'

export type ParameterSource = 'config' | 'env' | 'parameter-file' | 'stack-output' | 'default'

export interface ResolvedParameter {
  value: string
  source: ParameterSource
  /** True when the value is a stand-in for an output that does not exist yet (offline plans). */
  placeholder?: boolean
}

export interface ParameterContext {
  envName: string
  env: EnvironmentConfig
  /** The env's parameter file, flattened to strings. */
  fileValues: Record<string, string>
  /** The value of another stack's output; `undefined` when it is not known (offline). */
  output(stackId: string, outputKey: string): string | undefined
}

export interface ParameterProblem {
  parameter: string
  /** Where the fix belongs: the stack's parameter in the config, or the template's declaration. */
  inConfig: boolean
  /** The value came from the env's parameter file, so the fix belongs there. */
  fromParameterFile?: boolean
  detail: string
}

/** CloudFormation's patterns are Java regular expressions; one JavaScript cannot read is left to CloudFormation. */
function matchesPattern(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value)
  } catch {
    return true
  }
}

/**
 * The constraints CloudFormation checks when it creates a change set, checked here first so a
 * bad value in a parameter file is named at its line before anything reaches AWS. The message
 * quotes the value, except a NoEcho parameter's, which never leaves the process.
 */
export function constraintViolation(name: string, value: string, declared: TemplateParameter): string | undefined {
  const quoted = declared.noEcho ? `the NoEcho value of ${name}` : `"${value}"`
  const not = declared.noEcho ? '' : `, not ${value}`
  if (declared.allowedValues && !declared.allowedValues.includes(value)) {
    return `${quoted} is not an allowed value of ${name} (${declared.allowedValues.join(', ')})`
  }
  if (declared.allowedPattern !== undefined && !matchesPattern(declared.allowedPattern, value)) {
    return `${quoted} does not match the AllowedPattern of ${name} (${declared.allowedPattern})`
  }
  if (declared.minLength !== undefined && value.length < declared.minLength) return `${name} must be at least ${declared.minLength} characters long`
  if (declared.maxLength !== undefined && value.length > declared.maxLength) return `${name} must be at most ${declared.maxLength} characters long`
  if (declared.type === 'Number' || declared.minValue !== undefined || declared.maxValue !== undefined) {
    const number = Number(value)
    if (value.trim() === '' || Number.isNaN(number)) return `${name} must be a number${declared.noEcho ? '' : `, not "${value}"`}`
    if (declared.minValue !== undefined && number < declared.minValue) return `${name} must be at least ${declared.minValue}${not}`
    if (declared.maxValue !== undefined && number > declared.maxValue) return `${name} must be at most ${declared.maxValue}${not}`
  }
  return undefined
}

export interface ParameterResolution {
  /** Every parameter the template declares, with where its value comes from. */
  parameters: Record<string, ResolvedParameter>
  problems: ParameterProblem[]
}

/** What `{env: KEY}` reads: the env's name, account or region, else a key of its `values`. */
export function envValue(key: string, context: Pick<ParameterContext, 'envName' | 'env'>): string | undefined {
  if (key === 'name') return context.envName
  if (key === 'account') return context.env.account
  if (key === 'region') return context.env.region
  return context.env.values[key]
}

/**
 * Resolves a stack's parameters: the stack's own setting in the config wins, then the env's
 * parameter file, then the template's default. Problems are collected, not thrown, so one run
 * reports every typo at once.
 */
export function resolveParameters(stack: StackConfig, template: Template, context: ParameterContext): ParameterResolution {
  const parameters: Record<string, ResolvedParameter> = {}
  const problems: ParameterProblem[] = []

  for (const name of Object.keys(stack.parameters)) {
    if (!template.parameters[name]) {
      problems.push({parameter: name, inConfig: true, detail: `${template.file} declares no parameter ${name}`})
    }
  }

  for (const [name, declared] of Object.entries(template.parameters)) {
    const setting = stack.parameters[name]
    let resolved: ResolvedParameter | undefined
    if (typeof setting === 'string') {
      resolved = {value: setting, source: 'config'}
    } else if (setting && 'env' in setting) {
      const value = envValue(setting.env, context)
      if (value === undefined) {
        problems.push({parameter: name, inConfig: true, detail: `environment ${context.envName} has no value "${setting.env}"`})
        continue
      }
      resolved = {value, source: 'env'}
    } else if (setting && 'stackOutput' in setting) {
      const [stackId, outputKey] = setting.stackOutput.split('.') as [string, string]
      const value = context.output(stackId, outputKey)
      resolved = value === undefined ? {value: `<${setting.stackOutput}>`, source: 'stack-output', placeholder: true} : {value, source: 'stack-output'}
    } else if (context.fileValues[name] !== undefined) {
      resolved = {value: context.fileValues[name], source: 'parameter-file'}
    } else if (declared.default !== undefined) {
      resolved = {value: declared.default, source: 'default'}
    }

    if (!resolved) {
      problems.push({parameter: name, inConfig: false, detail: `parameter ${name} of ${template.file} has no value and no default`})
      continue
    }
    const violation = resolved.placeholder || resolved.source === 'default' ? undefined : constraintViolation(name, resolved.value, declared)
    if (violation) {
      problems.push({
        parameter: name,
        inConfig: resolved.source === 'config' || resolved.source === 'env',
        fromParameterFile: resolved.source === 'parameter-file',
        detail: violation,
      })
      continue
    }
    parameters[name] = resolved
  }
  return {parameters, problems}
}

/** The values to send: defaults are left out so CloudFormation applies the template's own. */
export function parameterValues(resolution: ParameterResolution): Record<string, string> {
  return Object.fromEntries(
    Object.entries(resolution.parameters)
      .filter(([, parameter]) => parameter.source !== 'default')
      .map(([name, parameter]) => [name, parameter.value]),
  )
}

/** NoEcho values never leave the process except towards CloudFormation: not in JSON, not in tables. */
export function maskNoEcho<T extends string | ResolvedParameter>(template: Template, values: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => {
      if (!template.parameters[name]?.noEcho) return [name, value]
      return [name, typeof value === 'string' ? '****' : {...(value as ResolvedParameter), value: '****'}]
    }),
  ) as Record<string, T>
}
