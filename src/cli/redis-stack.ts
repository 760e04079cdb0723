import type {AwsTarget} from '../aws/clients.js'
import type {ResolvedEnv} from '../core/config/env.js'
import type {FintechConfig} from '../core/config/schema.js'
import {DEFAULT_MASTER_NAME, redisMasterStack} from '../core/redis/api.js'

// Apart from the Redis flows so that shutdown, which only needs the master's name, does not load ioredis.

/** The env's stack that names the Redis master (its data stack) as CloudFormation has it now; undefined when the config wires none. */
export async function describeRedisStack(config: FintechConfig, envName: string, aws: AwsTarget) {
  const stackName = redisMasterStack(config, envName)
  if (!stackName) return undefined
  const {createStackApi} = await import('../aws/cloudformation.js')
  return {stackName, stack: await (await createStackApi(aws)).describeStack(stackName)}
}

/** The name Sentinel monitors the env's primary under: its data stack's RedisMasterName output, else the template's default. */
export async function readRedisMasterName(config: FintechConfig, env: ResolvedEnv, aws: AwsTarget): Promise<string> {
  const found = await describeRedisStack(config, env.name, aws)
  return found?.stack?.outputs.RedisMasterName ?? DEFAULT_MASTER_NAME
}
