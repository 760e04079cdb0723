import type {EnvironmentConfig, FintechConfig, StackConfig, StageConfig} from '../config/schema.js'
import {InputError} from '../errors.js'

export const ALL_STAGES = 'all'

export function selectStages(config: FintechConfig, stage: string): StageConfig[] {
  if (stage === ALL_STAGES) return config.stages
  const found = config.stages.find((candidate) => candidate.name === stage)
  if (!found) {
    const names = [...config.stages.map((candidate) => candidate.name), ALL_STAGES].join(', ')
    throw new InputError(`unknown stage "${stage}" (--stage): use one of ${names}`)
  }
  return [found]
}

/** The stacks of a stage that deploy to `env`. */
export const stacksFor = (stage: StageConfig, env: string): StackConfig[] => stage.stacks.filter((stack) => !stack.envs || stack.envs.includes(env))

/**
 * `fintech-<env>-<stage>` for the stage's only stack in the env, `fintech-<env>-<stage>-<id>` when it
 * has several; a recovery-region stack gets a `-recovery` suffix and is counted apart, so adding
 * one never renames the primary stack of its stage.
 */
export function stackNameOf(config: FintechConfig, env: string, stage: StageConfig, stack: StackConfig): string {
  if (stack.stackName) return stack.stackName.replaceAll('{env}', env)
  const base = `${config.project}-${env}-${stage.name}`
  const sameRegion = stacksFor(stage, env).filter((candidate) => candidate.region === stack.region)
  const named = sameRegion.length === 1 ? base : `${base}-${stack.id}`
  return stack.region === 'recovery' ? `${named}-recovery` : named
}

/** The AWS region a stack deploys to in `env`: the env's, or its recovery region (the schema lets a recovery stack only to envs with one). */
export function stackRegionOf(env: EnvironmentConfig, stack: StackConfig): string {
  if (stack.region === 'primary') return env.region
  if (!env.recovery) throw new InputError(`stack ${stack.id} deploys to the recovery region, and the env has none`)
  return env.recovery.region
}

/** The CloudFormation name of the stack with config id `stackId` in `env`, or undefined when `env` does not deploy it. */
export function stackNameById(config: FintechConfig, env: string, stackId: string): string | undefined {
  for (const stage of config.stages) {
    const stack = stacksFor(stage, env).find((candidate) => candidate.id === stackId)
    if (stack) return stackNameOf(config, env, stage, stack)
  }
  return undefined
}

/**
 * The stack's parameters in `env`: those fed by a recovery stack are left out in an env
 * without a recovery region, so the template's default (recovery off) applies there and one
 * stack entry serves every env.
 */
export function parametersIn(config: FintechConfig, env: EnvironmentConfig, stack: StackConfig): StackConfig['parameters'] {
  if (env.recovery) return stack.parameters
  const recoveryIds = new Set(config.stages.flatMap((stage) => stage.stacks.filter((candidate) => candidate.region === 'recovery').map((candidate) => candidate.id)))
  return Object.fromEntries(
    Object.entries(stack.parameters).filter(([, value]) => !(typeof value === 'object' && 'stackOutput' in value && recoveryIds.has(value.stackOutput.split('.')[0]!))),
  )
}

/** Stacks a stack waits for inside its stage: declared ones plus those whose outputs it reads. */
export function sameStageDependencies(stage: StageConfig, stack: StackConfig): string[] {
  const ids = new Set(stage.stacks.map((candidate) => candidate.id))
  const fromOutputs = Object.values(stack.parameters)
    .flatMap((value) => (typeof value === 'object' && 'stackOutput' in value ? [value.stackOutput.split('.')[0]!] : []))
    .filter((id) => ids.has(id))
  return [...new Set([...stack.dependsOn, ...fromOutputs])]
}

/** Rejects a cycle among a stage's stacks, naming it, before anything is deployed. */
export function assertAcyclic(stage: StageConfig): void {
  const state = new Map<string, 'visiting' | 'done'>()
  const byId = new Map(stage.stacks.map((stack) => [stack.id, stack]))
  const visit = (id: string, trail: string[]) => {
    if (state.get(id) === 'done') return
    if (state.get(id) === 'visiting') {
      throw new InputError(`stage ${stage.name}: stacks depend on each other in a cycle: ${[...trail, id].join(' → ')}`)
    }
    state.set(id, 'visiting')
    for (const dependency of sameStageDependencies(stage, byId.get(id)!)) visit(dependency, [...trail, id])
    state.set(id, 'done')
  }
  for (const stack of stage.stacks) visit(stack.id, [])
}
