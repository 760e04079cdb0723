import type {LoadedConfig} from '../config/load.js'
import {FintechError, InputError} from '../errors.js'
import {stackNameOf, stacksFor} from '../stages/select.js'
import {parseTemplate} from '../template/parse.js'
import {readProjectFile} from '../template/read.js'

/** Outputs of the compute stack the status reads (templates/compute/compute.yaml). */
export const COMPUTE_OUTPUTS = ['ClusterName', 'ServiceName', 'LoadBalancerFullName', 'TargetGroupArn', 'TargetGroupFullName', 'AlarmNames'] as const
/** Outputs of the data stack the status reads (templates/data/data.yaml). */
export const DATA_OUTPUTS = ['AuroraClusterId'] as const

export interface LedgerStack {
  stage: string
  stackName: string
}

export interface LedgerStacks {
  compute: LedgerStack
  data: LedgerStack
}

/** Where the ledger's resources are, from the two stacks' outputs. */
export interface LedgerResources {
  env: string
  stacks: {compute: string; data: string}
  cluster: string
  service: string
  loadBalancerFullName: string
  targetGroupArn: string
  targetGroupFullName: string
  alarmNames: string[]
  auroraClusterId: string
}

const AURORA_WIRING = '.AuroraClusterId'

function declaresOutputs(loaded: LoadedConfig, templatePath: string, outputs: readonly string[]): boolean {
  const body = readProjectFile(loaded.root, templatePath, 'template')
  // Parsing a template takes a tenth of a second or more; one that never names the outputs cannot declare them.
  if (!outputs.every((name) => body.includes(name))) return false
  const declared = parseTemplate(body, templatePath).outputs
  return outputs.every((name) => declared.includes(name))
}

/**
 * The env's compute stack is the one whose template declares the outputs the status reads,
 * so a config that renames stages or stacks still finds it; its data stack is the one it
 * takes AuroraClusterId from, as the config wires it. No AWS call.
 */
export function locateLedgerStacks(loaded: LoadedConfig, env: string): LedgerStacks {
  const {config} = loaded
  // Later stages build on earlier ones: the ledger's stack is found first from the end.
  const stacks = config.stages.flatMap((stage) => stacksFor(stage, env).map((stack) => ({stage, stack}))).reverse()
  const compute = stacks.find(({stack}) => declaresOutputs(loaded, stack.template, COMPUTE_OUTPUTS))
  if (!compute) throw new InputError(`${loaded.file}: no stack of ${env} has a template with the outputs ${COMPUTE_OUTPUTS.join(', ')} (the ledger service's)`)
  const wiring = Object.values(compute.stack.parameters).find(
    (value): value is {stackOutput: string} => typeof value === 'object' && 'stackOutput' in value && value.stackOutput.endsWith(AURORA_WIRING),
  )
  const data = stacks.find(({stack}) => stack.id === wiring?.stackOutput.slice(0, -AURORA_WIRING.length))
  if (!data) {
    throw new InputError(`${loaded.file}: stack ${compute.stack.id} of ${env} takes no parameter from another stack's AuroraClusterId output ({stackOutput: <stack>.AuroraClusterId}), so its Aurora cluster cannot be found`)
  }
  const located = ({stage, stack}: (typeof stacks)[number]): LedgerStack => ({stage: stage.name, stackName: stackNameOf(config, env, stage, stack)})
  return {compute: located(compute), data: located(data)}
}

/** What is read of a deployed stack; a stack CloudFormation does not know is passed as `undefined`. */
export interface DeployedStack {
  outputs: Record<string, string>
}

function requireOutputs(env: string, stack: LedgerStack, deployed: DeployedStack | undefined, names: readonly string[]): Record<string, string> {
  const deploy = `fintech deploy --stage ${stack.stage} --env ${env}`
  if (!deployed) throw new FintechError(`the ${stack.stage} stack ${stack.stackName} of ${env} does not exist: deploy it first (${deploy})`)
  const missing = names.filter((name) => !deployed.outputs[name])
  if (missing.length > 0) {
    throw new FintechError(`the ${stack.stage} stack ${stack.stackName} of ${env} has no output ${missing.join(', ')}: it was deployed from an older template or is still being created (${deploy})`)
  }
  return deployed.outputs
}

export function ledgerResources(env: string, stacks: LedgerStacks, compute: DeployedStack | undefined, data: DeployedStack | undefined): LedgerResources {
  const computeOutputs = requireOutputs(env, stacks.compute, compute, COMPUTE_OUTPUTS)
  const dataOutputs = requireOutputs(env, stacks.data, data, DATA_OUTPUTS)
  return {
    env,
    stacks: {compute: stacks.compute.stackName, data: stacks.data.stackName},
    cluster: computeOutputs.ClusterName!,
    service: computeOutputs.ServiceName!,
    loadBalancerFullName: computeOutputs.LoadBalancerFullName!,
    targetGroupArn: computeOutputs.TargetGroupArn!,
    targetGroupFullName: computeOutputs.TargetGroupFullName!,
    alarmNames: computeOutputs.AlarmNames!.split(',').map((name) => name.trim()).filter(Boolean),
    auroraClusterId: dataOutputs.AuroraClusterId!,
  }
}
