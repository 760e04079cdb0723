import type {Comparison, Runbook, Step, StepOutput} from './schema.js'
import {operatorOf} from './schema.js'
import {references, referringFields, TIME} from './references.js'
import {secretOutputsOf} from './secrets.js'
import {pickAction} from './ssm-pick.js'
import {API_SCRIPT, CLOCK_SCRIPT, RUN_SCRIPT} from './ssm-python.js'
import {REDIS_FAILOVER_SCRIPT, REDIS_STATUS_SCRIPT} from './ssm-redis.js'

/** An SSM Automation document, schemaVersion 0.3, as `export --format ssm` writes it. */
export interface SsmDocument {
  schemaVersion: '0.3'
  description: string
  assumeRole: '{{ AutomationAssumeRole }}'
  parameters: Record<string, {type: string; description: string; default?: unknown; allowedValues?: string[]; allowedPattern?: string}>
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

/** The bash scripts that do a `fintech redis` operation on a Redis node, with the values they read from the environment. */
const REDIS_SCRIPTS: Record<string, string> = {status: REDIS_STATUS_SCRIPT, failover: REDIS_FAILOVER_SCRIPT}

/**
 * What an exported String parameter may hold: identifiers, names, ARNs, family:revision,
 * app/name/id. No blank, quote, `$`, backquote, `;`, `|`, `&`, `<`, `>`, brace or newline, so a
 * value cannot be shell or `{{ }}` syntax wherever SSM puts it.
 */
export const SAFE_STRING = '[A-Za-z0-9._:/+=,@-]'
const safeString = (allowEmpty: boolean) => `^${SAFE_STRING}${allowEmpty ? '*' : '+'}$`
const ASSUME_ROLE_PATTERN = '^$|^arn:aws[a-z0-9-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@/_-]+$'

/** The env a shell or redis step runs in: its instances carry this Environment tag, as the CLI requires. */
export const ENVIRONMENT_PARAMETER = 'Environment'
const SENTINEL_PORT_PARAMETER = 'SentinelPort'
const REDIS_MASTER_PARAMETER = 'RedisMasterName'

/** SSM step names are letters, digits and underscores. */
const ssmName = (name: string) => name.replace(/-/g, '_')

/** `{{ params.X }}` → `{{ X }}`, `{{ steps.S-T.outputs.O }}` → `{{ S_T.O }}`: the same references in SSM's spelling. */
export function toSsmReferences<T>(value: T, clockStep?: string): T {
  if (typeof value === 'string') {
    return value
      .replace(/\{\{\s*time\.(now|minus\d+m)\s*\}\}/g, (text, name: string) => (clockStep ? `{{ ${clockStep}.${name} }}` : text))
      .replace(/\{\{\s*params\.([^.\s}]+)\s*\}\}/g, '{{ $1 }}').replace(/\{\{\s*steps\.([^.\s}]+)\.outputs\.([^.\s}]+)\s*\}\}/g, (_, step: string, output: string) => `{{ ${ssmName(step)}.${output} }}`) as T
  }
  if (Array.isArray(value)) return value.map((item) => toSsmReferences(item, clockStep)) as T
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toSsmReferences(item, clockStep)])) as T
  return value
}

/** SSM writes Boolean desired values with a capital letter (True, False); anything else as text. */
const desiredValues = (values: Array<string | number | boolean>) => values.map((value) => (typeof value === 'boolean' ? (value ? 'True' : 'False') : String(value)))

/** SSM Automation calls AWS in the region an execution runs in: a runbook for the recovery region says where to start it. */
const RECOVERY_REGION_NOTE = "**Start this automation in the env's recovery region** (environments.<env>.recovery.region): every step calls AWS in the region the execution runs in.\n\n"

/** aws:executeScript runs for 600 s at most, whatever timeoutSeconds says. */
const SCRIPT_LIMIT_SECONDS = 600

const onFailure = (step: Step, entry: Map<string, string>) => {
  if (step.onFailure === 'abort') return 'Abort'
  if (step.onFailure === 'continue') return 'Continue'
  const target = step.onFailure.slice('step:'.length)
  return `step:${entry.get(target) ?? ssmName(target)}`
}

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
      if (step.kind === 'redis' && Object.keys(step.outputs).length > 0) return 'in SSM a redis step prints redis-cli text, not the status fintech selects outputs from: read what a later step needs with an aws or redis step of its own'
      if (step.kind === 'shell' && /\{\{/.test(step.command)) return 'the command splices {{ … }} into the script text, where a value becomes shell syntax: give the values in env and read "$NAME"'
      const on = {Key: `tag:${step.instanceTag.key}`, Values: [step.instanceTag.value]}
      const environment = {Key: 'tag:Environment', Values: [`{{ ${ENVIRONMENT_PARAMETER} }}`]}
      if (step.kind === 'shell' && Object.keys(step.env).length === 0) {
        return {action: 'aws:runCommand', inputs: {DocumentName: 'AWS-RunShellScript', Targets: [on, environment], Parameters: {commands: [step.command]}}}
      }
      const limit = step.timeout ?? SCRIPT_LIMIT_SECONDS
      if (limit > SCRIPT_LIMIT_SECONDS) return `its values go in through aws:executeScript, which runs for ${SCRIPT_LIMIT_SECONDS} s at most; this step's timeout is ${limit} s`
      const redis = step.kind === 'redis' ? {operation: step.operation, masterName: step.parameters.masterName ?? `{{ ${REDIS_MASTER_PARAMETER} }}`, maxLagBytes: step.parameters.maxLagBytes} : undefined
      return {
        action: 'aws:executeScript',
        inputs: {
          Runtime: 'python3.11',
          Handler: 'run',
          InputPayload: {
            command: redis ? REDIS_SCRIPTS[redis.operation] : (step as Extract<Step, {kind: 'shell'}>).command,
            env: redis
              ? {SENTINEL_PORT: `{{ ${SENTINEL_PORT_PARAMETER} }}`, MASTER_NAME: redis.masterName, ...(redis.maxLagBytes === undefined ? {} : {MAX_LAG_BYTES: redis.maxLagBytes})}
              : (step as Extract<Step, {kind: 'shell'}>).env,
            tagKey: step.instanceTag.key,
            tagValue: step.instanceTag.value,
            environment: `{{ ${ENVIRONMENT_PARAMETER} }}`,
            // A redis operation runs once, on one node (its Sentinel sees the whole tier); a shell step on every tagged instance, as the CLI runs it.
            oneInstance: redis !== undefined,
            comment: `fintech runbook step ${step.name}`,
            executionTimeout: Math.max(limit - 30, 30),
            waitSeconds: Math.max(limit - 10, 30),
            pollSeconds: 3,
          },
          Script: RUN_SCRIPT,
        },
      }
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
  const added = [...(runsOnInstances(runbook) ? [ENVIRONMENT_PARAMETER] : []), ...(runbook.steps.some((step) => step.kind === 'redis') ? [SENTINEL_PORT_PARAMETER, REDIS_MASTER_PARAMETER] : [])]
  for (const name of added.filter((candidate) => candidate in runbook.parameters)) unmappable.push({step: name, kind: 'parameter', reason: `the export adds a document parameter ${name} of its own: rename this one`})
  for (const [name, spec] of Object.entries(runbook.parameters)) {
    if (spec.type === 'string' && spec.default !== undefined && !new RegExp(safeString(true)).test(spec.default)) unmappable.push({step: name, kind: 'parameter', reason: `its default ${JSON.stringify(spec.default)} holds more than ${SAFE_STRING}, the characters an exported String parameter allows`})
  }
  const mainSteps: SsmStep[] = []
  const secretOutputs = secretOutputsOf(runbook)
  // Where an onFailure step:NAME lands: the clock step before NAME, when it has one.
  const entry = new Map(runbook.steps.map((step) => [step.name, ssmName(step.name)]))
  for (const step of runbook.steps) if (clockNames(step).length > 0) entry.set(step.name, clockStepName(step))
  for (const step of runbook.steps) {
    const times = clockNames(step)
    const mapped =
      times.length > 0 && step.kind === 'wait'
        ? 'a wait reads the clock anew at every poll ({{ time.… }}), and aws:waitForAwsResourceProperty polls with the values it started with'
        : (secretOutputs.get(step.name)?.size ?? 0) > 0
          ? SECRET_OUTPUTS
          : hasOutputDefault(step)
            ? callWithDefaults(step)
            : action(step)
    if (typeof mapped === 'string') {
      unmappable.push({step: step.name, kind: step.kind, reason: mapped})
      continue
    }
    if (times.length > 0) {
      mainSteps.push({
        name: clockStepName(step),
        action: 'aws:executeScript',
        inputs: {Runtime: 'python3.11', Handler: 'clock', InputPayload: {names: times}, Script: CLOCK_SCRIPT},
        outputs: times.map((name) => ({Name: name, Selector: `$.Payload.${name}`, Type: 'String'})),
      })
    }
    // A script's outputs are in its return value (Payload): the API script returns each output by name, the others what the step's selectors read.
    const out = mapped.action !== 'aws:executeScript' ? outputs(step) : outputs(step).map((output) => ({...output, Selector: mapped.inputs.Handler === 'call' ? `$.Payload.${output.Name}` : output.Selector.replace(/^\$\./, '$.Payload.')}))
    mainSteps.push({
      name: ssmName(step.name),
      action: mapped.action,
      ...(step.onFailure === 'abort' ? {} : {onFailure: onFailure(step, entry)}),
      ...(step.retries > 0 ? {maxAttempts: step.retries + 1} : {}),
      ...(step.timeout ? {timeoutSeconds: step.timeout} : {}),
      ...(step.end ? {isEnd: true} : {}),
      inputs: toSsmReferences(mapped.inputs, times.length > 0 ? clockStepName(step) : undefined),
      ...(out.length > 0 ? {outputs: out} : {}),
    })
  }
  const names = mainSteps.map((step) => step.name)
  for (const name of names.filter((name, index) => names.indexOf(name) !== index)) unmappable.push({step: name, kind: 'parameter', reason: `two SSM steps would be named ${name} (dashes become underscores, a step reading the clock gets a ${name} step before it): rename one`})
  if (unmappable.length > 0) return {unmappable}
  const parameters: SsmDocument['parameters'] = {
    AutomationAssumeRole: {type: 'String', description: 'The IAM role the automation assumes.', default: '', allowedPattern: ASSUME_ROLE_PATTERN},
  }
  for (const [name, spec] of Object.entries(runbook.parameters)) {
    parameters[name] = {
      type: spec.type === 'number' ? 'Integer' : spec.type === 'boolean' ? 'Boolean' : 'String',
      description: spec.description,
      ...(spec.default === undefined ? {} : {default: spec.default}),
      ...(spec.type === 'enum' ? {allowedValues: spec.values} : {}),
      ...(spec.type === 'string' ? {allowedPattern: safeString(spec.allowEmpty === true)} : {}),
    }
  }
  if (runbook.steps.some((step) => step.kind === 'approve')) parameters.Approvers = {type: 'StringList', description: 'IAM users or roles that may approve the approval steps.'}
  if (runsOnInstances(runbook)) parameters[ENVIRONMENT_PARAMETER] = {type: 'String', description: 'The env whose instances the shell and redis steps run on (their Environment tag).', allowedValues: runbook.envs}
  if (runbook.steps.some((step) => step.kind === 'redis')) {
    parameters[SENTINEL_PORT_PARAMETER] = {type: 'String', description: 'Redis Sentinel port on the instances.', default: '26379', allowedPattern: '^[0-9]{1,5}$'}
    if (runbook.steps.some((step) => step.kind === 'redis' && step.parameters.masterName === undefined)) parameters[REDIS_MASTER_PARAMETER] = {type: 'String', description: 'The Sentinel master name (the data stage\'s RedisMasterName output).', allowedPattern: '^[A-Za-z0-9._-]+$'}
  }
  return {
    document: {schemaVersion: '0.3', description: `# ${runbook.title}\n\n${runbook.description}\n\n${runbook.region === 'recovery' ? RECOVERY_REGION_NOTE : ''}${runbook.prose}`, assumeRole: '{{ AutomationAssumeRole }}', parameters, mainSteps},
    unmappable,
  }
}

const runsOnInstances = (runbook: Runbook) => runbook.steps.some((step) => step.kind === 'redis' || step.kind === 'shell')

/** The relative times a step reads ({{ time.now }}, {{ time.minus5m }}), each once. */
function clockNames(step: Step): string[] {
  const names = references(referringFields(step)).flatMap(({expression}) => TIME.exec(expression)?.[1] ?? [])
  return [...new Set(names)]
}

/** The step that reads the clock just before `step` does, as the CLI reads it when the step starts. */
const clockStepName = (step: Step) => `${ssmName(step.name)}_clock`

const hasOutputDefault = (step: Step) => Object.values(step.outputs as Record<string, StepOutput>).some((output) => typeof output !== 'string' && output.default !== undefined)

/** A selector the Python in API_SCRIPT follows: names and indexes, no filter, wildcard or length(). */
const PLAIN_PATH = /^\$(\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])+$/

/** An aws step with an output default, as an executeScript that calls the API itself and applies the default. */
function callWithDefaults(step: Step): {action: string; inputs: Record<string, unknown>} | string {
  if (step.kind !== 'aws') return `SSM has no default for an output whose selector matches nothing, and only an aws step is exported as the script that applies one (this is a ${step.kind} step)`
  if ((step.timeout ?? 0) > SCRIPT_LIMIT_SECONDS) return `aws:executeScript, which applies the output default, runs for ${SCRIPT_LIMIT_SECONDS} s at most; this step's timeout is ${step.timeout} s`
  const declared = Object.entries(step.outputs as Record<string, StepOutput>).map(([name, output]) => (typeof output === 'string' ? {name, selector: output, type: 'String'} : {name, selector: output.selector, type: output.type, ...(output.default === undefined ? {} : {default: output.default})}))
  const complex = declared.filter((output) => !PLAIN_PATH.test(output.selector))
  if (complex.length > 0) return `the script that applies the output default follows plain paths ($.A.B[0].C) only: ${complex.map((output) => `${output.name} is ${output.selector}`).join(', ')}`
  return {action: 'aws:executeScript', inputs: {Runtime: 'python3.11', Handler: 'call', InputPayload: {service: step.service, api: step.api, parameters: step.parameters, outputs: declared}, Script: API_SCRIPT}}
}
