import type {Comparison, Runbook, Step, StepOutput} from './schema.js'
import {operatorOf} from './schema.js'
import {secretOutputsOf} from './secrets.js'
import {pickAction} from './ssm-pick.js'

/** An SSM Automation document, schemaVersion 0.3, as `export --format ssm` writes it. */
export interface SsmDocument {
  schemaVersion: '0.3'
  description: string
  assumeRole: '{{ AutomationAssumeRole }}'
  parameters: Record<string, {type: string; description: string; default?: unknown; allowedValues?: string[]}>
  mainSteps: SsmStep[]
}

export interface SsmStep {
  name: string
  action: string
  onFailure?: string
  maxAttempts?: number
  timeoutSeconds?: number
  isEnd?: boolean
  inputs: Record<string, unknown>
  outputs?: Array<{Name: string; Selector: string; Type: string}>
}

export interface Unmappable {
  /** The step's name, or the parameter's for kind `parameter`. */
  step: string
  kind: Step['kind'] | 'parameter'
  reason: string
}

/**
 * SSM Automation keeps every step output and parameter value in clear in the execution's
 * details, has no secret output type, and a document parameter cannot take a SecureString.
 */
const SECRET_OUTPUTS = 'SSM Automation keeps step outputs in clear in the execution\'s details (there is no secret output type): read the secret inside the step that uses it instead'
const SECRET_PARAMETER = 'SSM Automation keeps parameter values in clear in the execution\'s details, and a document parameter cannot be a SecureString: pass the SecureString parameter\'s name instead'

export interface SsmExport {
  document?: SsmDocument
  /** Steps SSM has no equivalent for; when any, no document is produced. */
  unmappable: Unmappable[]
}

/**
 * The redis operations one redis-cli command on a Sentinel node can do. failover is not one:
 * fintech pauses writes and waits for the replicas before SENTINEL FAILOVER, which alone can
 * lose acknowledged writes.
 */
const SENTINEL_COMMANDS: Partial<Record<string, (params: Record<string, unknown>) => string>> = {
  status: (params) => `redis-cli -p {{ SentinelPort }} SENTINEL MASTER ${String(params.masterName ?? '{{ RedisMasterName }}')}`,
}

/** SSM step names are letters, digits and underscores. */
const ssmName = (name: string) => name.replace(/-/g, '_')

/** `{{ params.X }}` → `{{ X }}`, `{{ steps.S-T.outputs.O }}` → `{{ S_T.O }}`: the same references in SSM's spelling. */
export function toSsmReferences<T>(value: T): T {
  if (typeof value === 'string') {
    return value.replace(/\{\{\s*params\.([^.\s}]+)\s*\}\}/g, '{{ $1 }}').replace(/\{\{\s*steps\.([^.\s}]+)\.outputs\.([^.\s}]+)\s*\}\}/g, (_, step: string, output: string) => `{{ ${ssmName(step)}.${output} }}`) as T
  }
  if (Array.isArray(value)) return value.map((item) => toSsmReferences(item)) as T
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toSsmReferences(item)])) as T
  return value
}

/** SSM writes Boolean desired values with a capital letter (True, False); anything else as text. */
const desiredValues = (values: Array<string | number | boolean>) => values.map((value) => (typeof value === 'boolean' ? (value ? 'True' : 'False') : String(value)))

/** aws:executeScript runs for 600 s at most, whatever timeoutSeconds says. */
const SCRIPT_LIMIT_SECONDS = 600

const onFailure = (step: Step) => (step.onFailure === 'abort' ? 'Abort' : step.onFailure === 'continue' ? 'Continue' : `step:${ssmName(step.onFailure.slice('step:'.length))}`)

const outputs = (step: Step) =>
  Object.entries(step.outputs as Record<string, StepOutput>).map(([name, output]) => ({
    Name: name,
    Selector: typeof output === 'string' ? output : output.selector,
    Type: typeof output === 'string' ? 'String' : output.type,
  }))

const PYTHON_OPERATORS: Record<Comparison, string> = {lessThan: '<', lessThanOrEqual: '<=', greaterThan: '>', greaterThanOrEqual: '>=', equals: '==', notEquals: '!='}

function action(step: Step): {action: string; inputs: Record<string, unknown>} | string {
  switch (step.kind) {
    case 'aws':
      return {action: 'aws:executeAwsApi', inputs: {Service: step.service, Api: step.api, ...step.parameters}}
    case 'wait':
      return {action: 'aws:waitForAwsResourceProperty', inputs: {Service: step.service, Api: step.api, ...step.parameters, PropertySelector: step.selector, DesiredValues: desiredValues(step.desiredValues)}}
    case 'assert':
      return {action: 'aws:assertAwsResourceProperty', inputs: {Service: step.service, Api: step.api, ...step.parameters, PropertySelector: step.selector, DesiredValues: desiredValues(step.expected)}}
    case 'approve':
      return {action: 'aws:approve', inputs: {Approvers: ['{{ Approvers }}'], Message: step.summary, MinRequiredApprovals: 1}}
    case 'script': {
      if ((step.timeout ?? 0) > SCRIPT_LIMIT_SECONDS) return `aws:executeScript runs for ${SCRIPT_LIMIT_SECONDS} s at most; this step's timeout is ${step.timeout} s`
      const operator = operatorOf(step)
      return {
        action: 'aws:executeScript',
        inputs: {
          Runtime: 'python3.11',
          Handler: 'check',
          InputPayload: {value: step.value, limit: step[operator]},
          Script: `def check(events, context):\n    value, limit = events['value'], events['limit']\n    try:\n        value, limit = float(value), float(limit)\n    except ValueError:\n        value, limit = str(value), str(limit)\n    if not (value ${PYTHON_OPERATORS[operator]} limit):\n        raise Exception(f'${step.name}: {value} is not ${operator} {limit}')\n    return {'value': value}\n`,
        },
      }
    }
    case 'shell':
    case 'redis': {
      if (!step.instanceTag) return `a ${step.kind} step runs on instances in SSM: give it instanceTag {key, value}`
      const command = step.kind === 'shell' ? step.command : SENTINEL_COMMANDS[step.operation]?.(step.parameters)
      if (!command) return `fintech redis ${(step as {operation: string}).operation} has no single redis-cli equivalent to run on the instances (failover: SENTINEL FAILOVER alone skips the write pause and the replica sync, and can lose acknowledged writes)`
      return {action: 'aws:runCommand', inputs: {DocumentName: 'AWS-RunShellScript', Targets: [{Key: `tag:${step.instanceTag.key}`, Values: [step.instanceTag.value]}], Parameters: {commands: [command]}}}
    }
    case 'pick':
      return pickAction(step)
    case 'runbook':
      return {action: 'aws:executeAutomation', inputs: {DocumentName: `${DOCUMENT_PREFIX}${step.runbook}`, RuntimeParameters: Object.fromEntries(Object.entries(step.parameters).map(([key, value]) => [key, [value]]))}}
  }
}

/** Exported runbooks call each other by the document names the export suggests: fintech-NAME. */
export const DOCUMENT_PREFIX = 'fintech-'

/**
 * The runbook as an SSM Automation document (schemaVersion 0.3). Defaults are SSM's own (one
 * attempt, Abort), so a step's retries become maxAttempts = retries + 1. A step SSM cannot
 * express is named with the reason, and then no document is produced: a document with a
 * check silently left out is worse than none.
 */
export function exportSsm(runbook: Runbook): SsmExport {
  const unmappable: Unmappable[] = Object.entries(runbook.parameters)
    .filter(([, spec]) => spec.secret)
    .map(([name]) => ({step: name, kind: 'parameter' as const, reason: SECRET_PARAMETER}))
  const mainSteps: SsmStep[] = []
  const secretOutputs = secretOutputsOf(runbook)
  for (const step of runbook.steps) {
    const outputDefault = Object.values(step.outputs as Record<string, StepOutput>).some((output) => typeof output !== 'string' && output.default !== undefined)
    const mapped = JSON.stringify(step).match(/\{\{\s*time\./)
      ? 'SSM has no relative time ({{ time.… }}) to fill an API parameter with'
      : outputDefault
        ? 'SSM has no default for an output whose selector matches nothing'
        : (secretOutputs.get(step.name)?.size ?? 0) > 0
          ? SECRET_OUTPUTS
          : action(step)
    if (typeof mapped === 'string') {
      unmappable.push({step: step.name, kind: step.kind, reason: mapped})
      continue
    }
    const out = outputs(step)
    mainSteps.push({
      name: ssmName(step.name),
      action: mapped.action,
      ...(step.onFailure === 'abort' ? {} : {onFailure: onFailure(step)}),
      ...(step.retries > 0 ? {maxAttempts: step.retries + 1} : {}),
      ...(step.timeout ? {timeoutSeconds: step.timeout} : {}),
      ...(step.end ? {isEnd: true} : {}),
      inputs: toSsmReferences(mapped.inputs),
      ...(out.length > 0 ? {outputs: out} : {}),
    })
  }
  if (unmappable.length > 0) return {unmappable}
  const parameters: SsmDocument['parameters'] = {
    AutomationAssumeRole: {type: 'String', description: 'The IAM role the automation assumes.', default: ''},
  }
  for (const [name, spec] of Object.entries(runbook.parameters)) {
    parameters[name] = {
      type: spec.type === 'number' ? 'Integer' : spec.type === 'boolean' ? 'Boolean' : 'String',
      description: spec.description,
      ...(spec.default === undefined ? {} : {default: spec.default}),
      ...(spec.type === 'enum' ? {allowedValues: spec.values} : {}),
    }
  }
  if (runbook.steps.some((step) => step.kind === 'approve')) parameters.Approvers = {type: 'StringList', description: 'IAM users or roles that may approve the approval steps.'}
  if (runbook.steps.some((step) => step.kind === 'redis')) {
    parameters.SentinelPort = {type: 'String', description: 'Redis Sentinel port on the instances.', default: '26379'}
    if (runbook.steps.some((step) => step.kind === 'redis' && step.parameters.masterName === undefined)) parameters.RedisMasterName = {type: 'String', description: 'The Sentinel master name.'}
  }
  return {
    document: {schemaVersion: '0.3', description: `# ${runbook.title}\n\n${runbook.description}\n\n${runbook.prose}`, assumeRole: '{{ AutomationAssumeRole }}', parameters, mainSteps},
    unmappable,
  }
}
